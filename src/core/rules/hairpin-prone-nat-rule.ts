/**
 * hairpin-prone-nat-rule: an inbound NAT rule (or NAT pool) on an internal frontend, floating IP
 * off, with a target. The NAT rule maps a frontend port to one member; when that member calls
 * the frontend on its own port, the load balancer sends the connection back to it with its own
 * address as the source (the destination is rewritten, the source is not), and it fails every time.
 *
 * Severity from evidence: warning when a target's own configuration names the frontend (it calls
 * it); information otherwise (a NAT port is mostly for administrators from outside the pool).
 */
import { display, getProp, type Unknown } from '../evaluate/value';
import { propertySpan, spanOf } from '../evaluate/origin';
import type { MemberNode, NatRuleNode, NetworkGraph } from '../graph/model';
import { callsFrontend } from '../graph/evidence';
import { natMembers, portOf } from '../graph/query';
import { commentsSuppress } from '../suppress';
import { atCallSite, memberLocations, summarise } from './facts';
import type { Finding, HairpinFacts, RelatedLocation, Rule, RuleContext, Severity } from './types';

const ID = 'hairpin-prone-nat-rule';

export const hairpinProneNatRule: Rule = {
  id: ID,
  title: 'Inbound NAT rule on an internal frontend is hairpin-prone',
  summary:
    'An inbound NAT rule or NAT pool on an internal frontend, floating IP off: a target that calls the frontend on its own NAT port is sent back to itself with its own address as the source, and every such connection times out. A warning when a target\'s configuration names the frontend, information otherwise.',
  defaultSeverity: 'warning',
  docsPath: `docs/rules/${ID}.md`,
  check(graph: NetworkGraph, context: RuleContext): Finding[] {
    const findings: Finding[] = [];
    for (const lb of graph.loadBalancers) {
      if (lb.sku === 'gateway') continue;
      const comments = getProp(lb.resource.body(), 'comments');
      for (const nat of [...lb.natRules, ...lb.natPools]) {
        if (commentsSuppress(comments, ID, display(nat.name))) continue;
        const f = checkNat(graph, nat, context);
        if (!f) continue;
        const call = lb.resource.via?.[0];
        findings.push(call ? atCallSite(f, call) : f);
      }
    }
    return findings;
  },
};

function checkNat(graph: NetworkGraph, nat: NatRuleNode, context: RuleContext): Finding | undefined {
  const fe = nat.frontend;
  if (!fe || fe.internal !== true || nat.floatingIp !== false) return undefined;
  const { members, known, total, unknownCount } = natMembers(nat);
  if (members.length === 0) return undefined;
  const protocol = typeof nat.protocol === 'string' ? nat.protocol : null;
  const frontendPort = portOf(nat.frontendPort);
  const facts: HairpinFacts = {
    loadBalancer: display(nat.lb.name),
    lbRule: display(nat.name),
    frontendIp: typeof fe.privateIp === 'string' && fe.privateIp !== '' ? fe.privateIp : null,
    frontendName: display(fe.name),
    frontendPort,
    protocol,
    haPorts: false,
    members: total,
    membersKnown: known,
    // A target calling its own NAT port always meets itself.
    failureChance: 1,
    inboundNat: nat.kind,
  };
  if (nat.frontendPortEnd !== undefined) facts.frontendPortEnd = portOf(nat.frontendPortEnd);
  const parameterSource = nat.lb.resource.parameterSource ?? context.parameterSource;
  if (parameterSource !== undefined) facts.parameterSource = parameterSource;

  const evidence = callsFrontend(graph, members, facts.frontendIp);
  let severity: Severity = 'info';
  let why = ` Information only: nothing in the target's configuration names ${facts.frontendIp ?? 'the frontend'}; it matters if the target itself calls this port.`;
  if (evidence.length) {
    facts.evidence = evidence;
    severity = hairpinProneNatRule.defaultSeverity;
    why = ` Warning: a target calls this frontend (${evidence.slice(0, 3).join('; ')}${evidence.length > 3 ? `; and ${evidence.length - 3} more` : ''}).`;
  }
  return {
    ruleId: ID,
    severity,
    message: message(nat, facts, members, fe.allocation, unknownCount) + why + (facts.parameterSource ? ` [with ${facts.parameterSource}]` : ''),
    span: natSpan(nat),
    related: related(nat, members),
    facts,
  };
}

function natSpan(nat: NatRuleNode): NonNullable<Finding['span']> {
  return propertySpan(nat.value, 'name') ?? spanOf(nat.value) ?? nat.lb.resource.span;
}

/** `10.0.0.4:50001 (TCP)`, `10.0.0.4, ports 50000-50099 (TCP)`, or the frontend's name when its IP is not known. */
function frontendWords(nat: NatRuleNode, f: HairpinFacts, allocation: string | undefined): string {
  const proto = f.protocol ? ` (${f.protocol.toUpperCase()})` : '';
  const where = f.frontendIp ?? `${f.frontendName} (${allocation === 'static' ? 'private IP not evaluated' : 'dynamic private IP'})`;
  const start = f.frontendPort === null ? '?' : String(f.frontendPort);
  if (nat.frontendPortEnd !== undefined) {
    const end = f.frontendPortEnd === null || f.frontendPortEnd === undefined ? '?' : String(f.frontendPortEnd);
    return `${where}, ports ${start}-${end}${proto}`;
  }
  if (f.frontendPort === null) return `${where}, port unknown${proto}`;
  return f.frontendIp ? `${where}:${start}${proto}` : `${where}, port ${start}${proto}`;
}

function message(nat: NatRuleNode, f: HairpinFacts, members: MemberNode[], allocation: string | undefined, unknownCount: Unknown | undefined): string {
  const what = nat.kind === 'pool' ? 'inbound NAT pool' : 'inbound NAT rule';
  const backend = portOf(nat.backendPort);
  const to = `${summarise(members)}${backend === null ? '' : ` port ${backend}`}`;
  const perMember = nat.frontendPortEnd !== undefined;
  const count =
    f.members !== null ? `${f.members} target${f.members === 1 ? '' : 's'}` : `at least ${f.membersKnown} target${f.membersKnown === 1 ? '' : 's'} (${unknownCount?.reason ?? 'the count is not known'})`;
  return (
    `Hairpin-prone NAT: internal load balancer ${f.loadBalancer}, ${what} ${f.lbRule}: frontend ${frontendWords(nat, f, allocation)} forwards to ${to}` +
    `${perMember ? `, one frontend port per instance (${count})` : ''}. ` +
    `A target that calls ${perMember ? 'the frontend port mapped to itself' : `this frontend port`} is sent back to itself and times out: every such connection fails. ` +
    `The load balancer rewrites the destination but not the source. Call the member's own address instead, or reach it from outside the pool.`
  );
}

function related(nat: NatRuleNode, members: MemberNode[]): RelatedLocation[] {
  const out: RelatedLocation[] = [];
  const fe = nat.frontend;
  const feSpan = fe && spanOf(fe.value);
  if (fe && feSpan) out.push({ span: feSpan, message: `frontend ${display(fe.name)}${typeof fe.privateIp === 'string' ? ` (${fe.privateIp})` : ''}` });
  const poolSpan = nat.pool && spanOf(nat.pool.value);
  if (nat.pool && poolSpan) out.push({ span: poolSpan, message: `backend pool ${display(nat.pool.name)}` });
  out.push(...memberLocations(members).map((r) => ({ ...r, message: r.message.replace(/^member: /, 'target: ') })));
  return out;
}
