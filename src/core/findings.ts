/**
 * Every rule of the registry run on one graph, with the fix targets the findings' subjects give:
 * the one place the engine and the workspace get findings from.
 */
import { attachFixTargets } from './fixes/targets';
import type { NetworkGraph } from './graph/model';
import { RULES } from './rules';
import type { Finding, RuleContext } from './rules/types';

export function checkGraph(graph: NetworkGraph, context: RuleContext): Finding[] {
  const findings = RULES.flatMap((rule) => rule.check(graph, context));
  attachFixTargets(findings);
  return findings;
}
