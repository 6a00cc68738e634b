/**
 * floating-ip-without-loopback: floating IP is on, and a member's machine has no guest
 * configuration that owns the VIP (the loopback fix's extension, or a CustomScript, customData or
 * cloud-init that adds the VIP to `lo` or the loopback adapter). With floating IP on, the packet
 * reaches the member addressed to the VIP; a guest that does not own it drops it, and the rule
 * serves nothing from that member. Network virtual appliances are left out (they own their
 * VIPs); members whose machine is not declared in these templates are not judged.
 */
import { display, getProp } from '../evaluate/value';
import type { MemberNode, NetworkGraph, RuleNode } from '../graph/model';
import { ownsVip, nvaVendor } from '../graph/evidence';
import { machineOf, ruleSpan } from '../graph/query';
import { commentsSuppress } from '../suppress';
import { atCallSite, describeFrontend, describeMember, lbRuleFacts, related } from './facts';
import { withSubject, type Finding, type Rule, type RuleContext } from './types';

const ID = 'floating-ip-without-loopback';

export const floatingIpWithoutLoopbackRule: Rule = {
  id: ID,
  title: 'Floating IP is on, but a member does not own the VIP',
  summary:
    'Floating IP is on, but a member\'s machine has no guest configuration that holds the frontend IP on its loopback: the packets reach the member addressed to the VIP, the guest drops them, and the rule serves nothing from that member while its probes stay healthy.',
  defaultSeverity: 'warning',
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
  if (rule.floatingIp !== true || !rule.frontend) return undefined;
  const made = lbRuleFacts(rule, context);
  if (!made) return undefined;
  const { facts, members } = made;
  const vip = facts.frontendIp;
  // Judged: members whose machine is declared here and is no appliance. A machine read from Azure
  // is not judged: what its guest holds on the loopback is not visible to Resource Manager.
  const judged = members.filter((m) => {
    const machine = machineOf(m);
    return machine !== undefined && machine.span.resource === undefined && nvaVendor(m) === undefined;
  });
  const missing: MemberNode[] = judged.filter((m) => !ownsVip(m, vip));
  if (missing.length === 0) return undefined;
  const names = [...new Set(missing.map(describeMember))];
  const shown = names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
  const source = facts.parameterSource ? ` [with ${facts.parameterSource}]` : '';
  return {
    ruleId: ID,
    severity: floatingIpWithoutLoopbackRule.defaultSeverity,
    message:
      `Floating IP without the VIP on the loopback: load balancer ${facts.loadBalancer}, rule ${facts.lbRule} (frontend ${describeFrontend(facts, rule.frontend.allocation)}) has floating IP on, ` +
      `but ${shown} ${names.length === 1 ? 'has' : 'have'} no guest configuration that holds ${vip ?? 'the VIP'} on the loopback. ` +
      `With floating IP on, the packet reaches the member addressed to the VIP; a guest that does not own it drops it, and the rule serves nothing from that member. ` +
      `Add the VIP to the loopback (the quick fix adds a CustomScript extension that does it at every boot).${source}`,
    span: ruleSpan(rule),
    related: related(rule, missing),
    facts,
  };
}
