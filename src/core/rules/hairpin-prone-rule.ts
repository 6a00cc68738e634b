/**
 * hairpin-prone-rule: a load-balancing rule on an internal frontend, with floating IP off, whose
 * pool has at least one member. A member that calls the frontend is hashed back to itself with
 * probability 1/N; the ILB rewrites the destination but not the source, so that flow fails.
 *
 * Severity from evidence: error when a member's own configuration names the frontend (it calls
 * it); information when every member is a network virtual appliance (they rarely call their own
 * load balancer); warning otherwise.
 */
import { display, getProp, type Unknown } from '../evaluate/value';
import { commentsSuppress } from '../suppress';
import type { MemberNode, NetworkGraph, RuleNode } from '../graph/model';
import { floatingIpUnsupported, ruleSpan } from '../graph/query';
import { callsFrontend, nvaVendor } from '../graph/evidence';
import { idKey } from '../evaluate/resources';
import { atCallSite, describeFrontend, lbRuleFacts, related, summarise } from './facts';
import { withSubject, type Finding, type HairpinFacts, type Rule, type RuleContext, type Severity } from './types';

const ID = 'hairpin-prone-rule';

export const hairpinProneRule: Rule = {
  id: ID,
  title: 'Internal load balancer rule is hairpin-prone',
  summary:
    'A load-balancing rule on an internal frontend, floating IP off, whose pool has members: a member that calls the frontend is mapped back to itself (1 in N flows with N members) and the connection times out, because the load balancer rewrites the destination but not the source.',
  defaultSeverity: 'warning',
  docsPath: `docs/rules/${ID}.md`,
  topology: 'hairpin-loop',
  check(graph: NetworkGraph, context: RuleContext): Finding[] {
    const findings: Finding[] = [];
    for (const lb of graph.loadBalancers) {
      if (lb.sku === 'gateway') continue;
      const comments = getProp(lb.resource.body(), 'comments');
      for (const rule of lb.rules) {
        if (commentsSuppress(comments, ID, display(rule.name))) continue;
        const f = checkRule(graph, rule, context);
        if (!f) continue;
        // A rule deployed through a module: reported once, where the module is called.
        const call = lb.resource.via?.[0];
        findings.push(withSubject(call ? atCallSite(f, call) : f, { kind: 'lb-rule', rule }));
      }
    }
    return findings;
  },
};

function checkRule(graph: NetworkGraph, rule: RuleNode, context: RuleContext): Finding | undefined {
  const fe = rule.frontend;
  if (!fe || fe.internal !== true) return undefined;
  if (rule.floatingIp !== false) return undefined;
  const made = lbRuleFacts(rule, context);
  if (!made || made.members.length === 0) return undefined;
  const { facts, members, unknownCount } = made;
  const frontendIp = facts.frontendIp;
  if (frontendIp && members.every((m) => routedThroughSecondaryNic(m, rule, frontendIp))) return undefined;
  const { severity, why } = judge(graph, members, facts);
  return {
    ruleId: ID,
    severity,
    message: message(facts, members, fe.allocation, unknownCount, rule, why),
    span: ruleSpan(rule),
    related: related(rule, members),
    facts,
  };
}

/**
 * The severity the evidence gives, and the sentence that states it. The evidence goes into the
 * facts too (`evidence`, `appliances`).
 */
function judge(graph: NetworkGraph, members: MemberNode[], facts: HairpinFacts): { severity: Severity; why: string } {
  const evidence = callsFrontend(graph, members, facts.frontendIp);
  if (evidence.length) {
    facts.evidence = evidence;
    return { severity: 'error', why: ` Error: a member calls this frontend (${evidence.slice(0, 3).join('; ')}${evidence.length > 3 ? `; and ${evidence.length - 3} more` : ''}).` };
  }
  const vendors = members.map(nvaVendor);
  if (vendors.every((v) => v !== undefined)) {
    const names = [...new Set(vendors)];
    facts.appliances = names as string[];
    return { severity: 'info', why: ` Information only: every member is a network virtual appliance (${names.join(', ')}), which owns its VIPs and rarely calls its own load balancer.` };
  }
  return { severity: hairpinProneRule.defaultSeverity, why: '' };
}

/**
 * The secondary-NIC workaround in place for a member: its VM (or scale set) has another NIC in
 * none of the rule's pools, and its guest configuration routes the VIP (`route add <VIP>`,
 * `ip route add <VIP>/32`, an `ip rule` for it). The member's calls to the VIP then leave through
 * that NIC, with an address the load balancer does not hash back to the member itself.
 */
function routedThroughSecondaryNic(m: MemberNode, rule: RuleNode, vip: string): boolean {
  const poolKeys = new Set(rule.pools.map((p) => p.key).filter((k): k is string => !!k));
  const outside = m.otherNics?.some((n) =>
    n.inPools.every((id) => {
      const key = idKey(id);
      return key !== undefined && !poolKeys.has(key);
    }),
  );
  if (!outside || !m.guest) return false;
  const ip = vip.replace(/\./g, '\\.');
  const vipAt = `(?<![\\d.])${ip}(?:/32)?(?![\\d.])`;
  // An added route (not a deletion): route add (Windows), ip route add|replace (Linux),
  // New-NetRoute -DestinationPrefix (PowerShell), or a policy rule to the VIP.
  const route = new RegExp(
    `\\broute\\s+(?:-p\\s+)?(?:add|replace|change)\\b[^\\n]*?${vipAt}|New-NetRoute\\b[^\\n]*?-DestinationPrefix\\s+['"]?${vipAt}|\\bip\\s+rule\\s+add\\b[^\\n]*?\\bto\\s+${vipAt}`,
    'i',
  );
  // On Linux the route alone fails (the hairpin lab): the reply to the secondary address must
  // leave the VM too, by a rule for locally sent packets (`iif lo`) ahead of the local table.
  const linuxReply = /\biif\s+lo\b/;
  const linux = /\bip\s+(?:-\d\s+)?route\s+(?:add|replace)\b/;
  return m.guest().texts.some((t) => route.test(t) && (!linux.test(t) || linuxReply.test(t)));
}

function chance(f: HairpinFacts, unknownCount: Unknown | undefined): string {
  if (f.members === null) {
    return `with N members, 1 in N connections fail (the count is not known: ${unknownCount?.reason ?? 'unknown'})`;
  }
  if (f.members <= 1) {
    return f.members === 1
      ? 'every connection fails'
      : 'there are 0 instances now; once it scales out to one, every connection fails';
  }
  const pct = Math.round(10000 / f.members) / 100;
  return `1 in ${f.members} connections fail (${pct}%)`;
}

function message(f: HairpinFacts, members: MemberNode[], allocation: string | undefined, unknownCount: Unknown | undefined, rule: RuleNode, why: string): string {
  const count =
    f.members !== null
      ? `${f.members} member${f.members === 1 ? '' : 's'}`
      : f.membersKnown > 0
        ? `at least ${f.membersKnown} member${f.membersKnown === 1 ? '' : 's'}`
        : 'an unknown number of members';
  const pools = rule.pools.map((p) => display(p.name)).join(', ');
  const source = f.parameterSource ? ` [with ${f.parameterSource}]` : '';
  return (
    `Hairpin-prone: internal load balancer ${f.loadBalancer}, rule ${f.lbRule}: frontend ${describeFrontend(f, allocation)} ` +
    `sends to pool ${pools} with ${count} (${summarise(members)}). ` +
    `A member that calls this frontend is mapped back to itself and times out: ${chance(f, unknownCount)}. ` +
    `The load balancer rewrites the destination but not the source. ` +
    `${advice(rule, members)}${why}${source}`
  );
}

/** What to do; without floating IP where Azure does not support it for this rule, saying why. */
function advice(rule: RuleNode, members: MemberNode[]): string {
  const unsupported = floatingIpUnsupported(rule, members);
  if (unsupported) return `Floating IP is no option here (${unsupported}): add a secondary NIC, or put a proxy tier in front.`;
  return `Enable floating IP with the VIP on the members' loopback, add a secondary NIC, or put a proxy tier in front.`;
}
