import { floatingIpUnsupportedRule } from './floating-ip-unsupported';
import { floatingIpWithoutLoopbackRule } from './floating-ip-without-loopback';
import { hairpinProneNatRule } from './hairpin-prone-nat-rule';
import { hairpinProneRule } from './hairpin-prone-rule';
import type { Finding, Rule } from './types';

/** Every rule the product has. The meta-test checks each has a docs page and fixtures. */
export const RULES: readonly Rule[] = [hairpinProneRule, floatingIpWithoutLoopbackRule, floatingIpUnsupportedRule, hairpinProneNatRule];

export function ruleById(id: string): Rule | undefined {
  return RULES.find((r) => r.id === id);
}

const RULE_ORDER = new Map(RULES.map((r, i) => [r.id, i]));

/** Orders findings as the registry orders their rules (a stable sort keeps the rest of their order). */
export function byRuleOrder(a: Finding, b: Finding): number {
  return (RULE_ORDER.get(a.ruleId) ?? 0) - (RULE_ORDER.get(b.ruleId) ?? 0);
}

/**
 * Lists of findings made one, in the registry's rule order and otherwise in their order: what
 * `lists.flat().sort(byRuleOrder)` gives, in one pass (the workspace does it after every edit).
 */
export function inRuleOrder(lists: readonly (readonly Finding[])[]): Finding[] {
  const byRule: Finding[][] = RULES.map(() => []);
  for (const list of lists) for (const f of list) (byRule[RULE_ORDER.get(f.ruleId) ?? 0] as Finding[]).push(f);
  return byRule.flat();
}
