import { floatingIpUnsupportedRule } from './floating-ip-unsupported';
import { floatingIpWithoutLoopbackRule } from './floating-ip-without-loopback';
import { hairpinProneNatRule } from './hairpin-prone-nat-rule';
import { hairpinProneRule } from './hairpin-prone-rule';
import type { Rule } from './types';

/** Every rule the product has. The meta-test checks each has a docs page and fixtures. */
export const RULES: readonly Rule[] = [hairpinProneRule, floatingIpWithoutLoopbackRule, floatingIpUnsupportedRule, hairpinProneNatRule];

const RULE_ORDER = new Map(RULES.map((r, i) => [r.id, i]));

/** Sorts findings of several graphs by rule, in the registry's order (stable: each rule's findings keep their order). */
export function sortByRule<F extends { ruleId: string }>(findings: F[]): F[] {
  return findings.sort((a, b) => (RULE_ORDER.get(a.ruleId) ?? 0) - (RULE_ORDER.get(b.ruleId) ?? 0));
}

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}
