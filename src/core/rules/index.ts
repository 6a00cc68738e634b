import { floatingIpUnsupportedRule } from './floating-ip-unsupported';
import { floatingIpWithoutLoopbackRule } from './floating-ip-without-loopback';
import { hairpinProneNatRule } from './hairpin-prone-nat-rule';
import { hairpinProneRule } from './hairpin-prone-rule';
import type { Rule } from './types';

/** Every rule the product has. The meta-test checks each has a docs page and fixtures. */
export const RULES: readonly Rule[] = [hairpinProneRule, floatingIpWithoutLoopbackRule, floatingIpUnsupportedRule, hairpinProneNatRule];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
