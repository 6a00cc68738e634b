/**
 * floating-ip-unsupported: floating IP is on for an internal load-balancing rule where Azure does
 * not support it: a member joins the pool through a NIC's secondary IP configuration, or the
 * frontend is IPv6. The deployment fails or the rule does not work as written.
 */
import { display, getProp } from '../evaluate/value';
import type { NetworkGraph, RuleNode } from '../graph/model';
import { floatingIpUnsupported, ruleSpan } from '../graph/query';
import { commentsSuppress } from '../suppress';
import { atCallSite, describeFrontend, lbRuleFacts, related } from './facts';
import { withSubject, type Finding, type Rule, type RuleContext } from './types';

const ID = 'floating-ip-unsupported';

export const floatingIpUnsupportedRule: Rule = {
  id: ID,
  title: 'Floating IP is on where Azure does not support it',
  summary:
    'Floating IP is on where Azure does not support it: a member that joins the pool through a secondary IP configuration, or an IPv6 internal frontend.',
  defaultSeverity: 'error',
  docsPath: `docs/rules/${ID}.md`,
  check(graph: NetworkGraph, context: RuleContext): Finding[] {
    const findings: Finding[] = [];
    for (const lb of graph.loadBalancers) {
      if (lb.sku === 'gateway') continue;
      const comments = getProp(lb.resource.body(), 'comments');
      for (const rule of lb.rules) {
        if (commentsSuppress(comments, ID, display(rule.name))) continue;
        const f = checkRule(rule, context);
        if (!f) continue;
        // A rule deployed through a module: reported once, where the module is called.
        const call = lb.resource.via?.[0];
        findings.push(withSubject(call ? atCallSite(f, call) : f, { kind: 'lb-rule', rule }));
      }
    }
    return findings;
  },
};

function checkRule(rule: RuleNode, context: RuleContext): Finding | undefined {
  if (rule.floatingIp !== true || rule.frontend?.internal !== true) return undefined;
  const made = lbRuleFacts(rule, context);
  if (!made) return undefined;
  const { facts, members } = made;
  const why = floatingIpUnsupported(rule, members);
  if (!why) return undefined;
  const source = facts.parameterSource ? ` [with ${facts.parameterSource}]` : '';
  return {
    ruleId: ID,
    severity: floatingIpUnsupportedRule.defaultSeverity,
    message:
      `Floating IP is not supported here: internal load balancer ${facts.loadBalancer}, rule ${facts.lbRule} (frontend ${describeFrontend(facts, rule.frontend?.allocation)}) has floating IP on, but ${why}. ` +
      `Turn floating IP off; if members call this frontend, use a secondary NIC or a proxy tier in front instead.${source}`,
    span: ruleSpan(rule),
    related: related(rule, members.filter((m) => m.ipConfigPrimary === false).length ? members.filter((m) => m.ipConfigPrimary === false) : members),
    facts,
  };
}
