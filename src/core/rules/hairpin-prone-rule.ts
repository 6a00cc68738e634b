/**
 * hairpin-prone-rule: a load-balancing rule on an internal frontend, with floating IP off, whose
 * pool has at least one member. A member that calls the frontend is hashed back to itself with
 * probability 1/N; the ILB rewrites the destination but not the source, so that flow fails.
 */
import { display, getProp, Unknown, type Value } from '../evaluate/value';
import { commentsSuppress } from '../suppress';
import { propertySpan, spanOf } from '../evaluate/origin';
import type { MemberNode, NetworkGraph, RuleNode } from '../graph/model';
import { floatingIpUnsupported, readInt, ruleMembers, ruleSpan } from '../graph/query';
import { idKey, type ModuleCall } from '../evaluate/resources';
import type { SourceSpan } from '../source';
import { withSubject, type Finding, type HairpinFacts, type RelatedLocation, type Rule, type RuleContext } from './types';

const ID = 'hairpin-prone-rule';
/** Related locations listed per finding before the rest are summarised. */
const MAX_RELATED_MEMBERS = 25;

export const hairpinProneRule: Rule = {
  id: ID,
  title: 'Internal load balancer rule is hairpin-prone',
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
        const f = checkRule(rule, context);
        if (!f) continue;
        findings.push(withSubject(f, { kind: 'lb-rule', rule }));
        const call = lb.resource.via?.[0];
        if (call) findings.push(withSubject(atCallSite(f, call), { kind: 'lb-rule', rule }));
      }
    }
    return findings;
  },
};

function checkRule(rule: RuleNode, context: RuleContext): Finding | undefined {
  const fe = rule.frontend;
  if (!fe || fe.internal !== true) return undefined;
  if (rule.floatingIp !== false) return undefined;
  const { members, known, total, unknownCount } = ruleMembers(rule);
  if (members.length === 0) return undefined;
  const protocol = typeof rule.protocol === 'string' ? rule.protocol : null;
  const fePort = readInt(rule.frontendPort);
  const frontendPort = typeof fePort === 'number' ? fePort : null;
  const haPorts = protocol?.toLowerCase() === 'all' && frontendPort === 0;
  const frontendIp = typeof fe.privateIp === 'string' && fe.privateIp !== '' ? fe.privateIp : null;
  if (frontendIp && members.every((m) => routedThroughSecondaryNic(m, rule, frontendIp))) return undefined;
  const facts: HairpinFacts = {
    loadBalancer: display(rule.lb.name),
    lbRule: display(rule.name),
    frontendIp,
    frontendName: display(fe.name),
    frontendPort,
    protocol,
    haPorts,
    members: total,
    membersKnown: known,
    failureChance: total && total > 0 ? 1 / total : null,
  };
  const parameterSource = rule.lb.resource.parameterSource ?? context.parameterSource;
  if (parameterSource !== undefined) facts.parameterSource = parameterSource;

  return {
    ruleId: ID,
    severity: hairpinProneRule.defaultSeverity,
    message: message(facts, members, fe.allocation, unknownCount, rule),
    span: ruleSpan(rule),
    related: related(rule, members),
    facts,
  };
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

/**
 * A rule written in a module whose values come from a caller is also shown where the outermost
 * caller declares the module, so the person who wrote the parameters sees it.
 */
function atCallSite(f: Finding, call: ModuleCall): Finding {
  const target = call.target.slice(call.target.lastIndexOf('/') + 1);
  return {
    ...f,
    span: call.span,
    message: `Through module ${call.name} (${target}): ${f.message}`,
    facts: { ...f.facts, viaModule: call.name },
    related: [{ span: f.span, message: `the rule in ${target}` }, ...f.related],
  };
}

function describeFrontend(f: HairpinFacts, allocation: string | undefined): string {
  const proto = f.protocol ? ` (${f.protocol.toUpperCase()})` : '';
  const where = f.frontendIp ?? `${f.frontendName} (${allocation === 'static' ? 'private IP not evaluated' : 'dynamic private IP'})`;
  if (f.haPorts) return `${where}, all ports (HA ports)`;
  const port = f.frontendPort === null ? 'port unknown' : String(f.frontendPort);
  return f.frontendIp ? `${where}:${port}${proto}` : `${where}, port ${port}${proto}`;
}

function describeMember(m: MemberNode): string {
  switch (m.kind) {
    case 'nic':
      return m.vm ? `VM ${display(leaf(m.vm.name))}` : `NIC ${m.displayName} (no VM attaches it${m.resource?.span.resource ? '' : ' in these templates'})`;
    case 'vm-nic-config':
      return `VM ${m.displayName}`;
    case 'scale-set':
      return `scale set ${m.displayName} (${m.instances instanceof Unknown ? 'capacity unknown' : `capacity ${m.instances}`})`;
    case 'ip-address':
      return m.vm ? `VM ${m.displayName} by IP ${display(m.privateIp)}` : `IP ${display(m.privateIp)}`;
    case 'module':
      return `module ${m.displayName}, whose template is not read`;
  }
}

function leaf(v: Value): Value {
  return typeof v === 'string' ? (v.split('/').pop() as string) : v;
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

function summarise(members: MemberNode[]): string {
  const names = members.map(describeMember);
  // Copy loops produce many alike members: group the ones that read the same.
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const parts = [...counts].map(([n, c]) => (c > 1 ? `${n} x${c}` : n));
  if (parts.length > 6) return `${parts.slice(0, 5).join(', ')} and ${parts.length - 5} more`;
  return parts.join(', ');
}

function message(f: HairpinFacts, members: MemberNode[], allocation: string | undefined, unknownCount: Unknown | undefined, rule: RuleNode): string {
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
    `${advice(rule, members)}${source}`
  );
}

/** What to do; without floating IP where Azure does not support it for this rule, saying why. */
function advice(rule: RuleNode, members: MemberNode[]): string {
  const unsupported = floatingIpUnsupported(rule, members);
  if (unsupported) return `Floating IP is no option here (${unsupported}): add a secondary NIC, or put a proxy tier in front.`;
  return `Enable floating IP with the VIP on the members' loopback, add a secondary NIC, or put a proxy tier in front.`;
}

function related(rule: RuleNode, members: MemberNode[]): RelatedLocation[] {
  const out: RelatedLocation[] = [];
  const fe = rule.frontend;
  const feSpan = fe && spanOf(fe.value);
  if (fe && feSpan) out.push({ span: feSpan, message: `frontend ${display(fe.name)}${typeof fe.privateIp === 'string' ? ` (${fe.privateIp})` : ''}` });
  for (const pool of rule.pools) {
    const s = spanOf(pool.value);
    if (s) out.push({ span: s, message: `backend pool ${display(pool.name)}` });
  }
  // Members written once in a copy loop share one place: list it once, with every name.
  const bySpan = new Map<string, { span: SourceSpan; names: string[] }>();
  for (const m of members) {
    const s = propertySpan(m.reference, 'id') ?? spanOf(m.reference);
    if (!s) continue;
    const key = `${s.file}#${s.start}`;
    let entry = bySpan.get(key);
    if (!entry) bySpan.set(key, (entry = { span: s, names: [] }));
    entry.names.push(describeMember(m));
  }
  let listed = 0;
  for (const { span, names } of bySpan.values()) {
    if (listed++ >= MAX_RELATED_MEMBERS) {
      out.push({ span, message: `and ${bySpan.size - MAX_RELATED_MEMBERS} more member places` });
      break;
    }
    const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
    out.push({ span, message: `member: ${shown}` });
  }
  return out;
}
