/**
 * What every rule about a load-balancing rule states alike: its facts (load balancer, rule,
 * frontend, members, chance), how members and frontends read in a message, the related
 * locations, and the copy of a finding shown where a module is called.
 */
import { display, Unknown, type Value } from '../evaluate/value';
import { placeOf, propertySpan, spanOf } from '../evaluate/origin';
import { isDeployedFile, type ModuleCall } from '../evaluate/resources';
import type { MemberNode, RuleNode } from '../graph/model';
import { conditionWords, readInt, ruleMembers } from '../graph/query';
import type { SourceSpan } from '../source';
import type { Finding, HairpinFacts, RelatedLocation, RuleContext } from './types';

/** Related locations listed per finding before the rest are summarised. */
const MAX_RELATED_MEMBERS = 25;

/** The facts of a load-balancing rule with its members; undefined without a frontend. */
export function lbRuleFacts(rule: RuleNode, context: RuleContext): { facts: HairpinFacts; members: MemberNode[]; unknownCount: Unknown | undefined } | undefined {
  const fe = rule.frontend;
  if (!fe) return undefined;
  const { members, known, total, unknownCount } = ruleMembers(rule);
  const protocol = typeof rule.protocol === 'string' ? rule.protocol : null;
  const fePort = readInt(rule.frontendPort);
  const frontendPort = typeof fePort === 'number' ? fePort : null;
  const facts: HairpinFacts = {
    loadBalancer: display(rule.lb.name),
    lbRule: display(rule.name),
    frontendIp: typeof fe.privateIp === 'string' && fe.privateIp !== '' ? fe.privateIp : null,
    frontendName: display(fe.name),
    frontendPort,
    protocol,
    haPorts: protocol?.toLowerCase() === 'all' && frontendPort === 0,
    members: total,
    membersKnown: known,
    failureChance: total && total > 0 ? 1 / total : null,
  };
  const parameterSource = rule.lb.resource.parameterSource ?? context.parameterSource;
  if (parameterSource !== undefined) facts.parameterSource = parameterSource;
  return { facts, members, unknownCount };
}

/**
 * A rule written in a module (or linked template) is reported once per deployment, where the
 * outermost caller declares the module, so the person who wrote the values sees it; the rule in
 * the module is its first related location.
 */
export function atCallSite(f: Finding, call: ModuleCall): Finding {
  const target = call.target.slice(call.target.lastIndexOf('/') + 1);
  return {
    ...f,
    span: call.span,
    message: `Through module ${call.name} (${target}): ${f.message}`,
    facts: { ...f.facts, viaModule: call.name },
    related: [{ span: f.span, message: `the rule in ${target}` }, ...f.related],
  };
}

export function describeFrontend(f: HairpinFacts, allocation: string | undefined): string {
  const proto = f.protocol ? ` (${f.protocol.toUpperCase()})` : '';
  const where = f.frontendIp ?? `${f.frontendName} (${allocation === 'static' ? 'private IP not evaluated' : 'dynamic private IP'})`;
  if (f.haPorts) return `${where}, all ports (HA ports)`;
  const port = f.frontendPort === null ? 'port unknown' : String(f.frontendPort);
  return f.frontendIp ? `${where}:${port}${proto}` : `${where}, port ${port}${proto}`;
}

export function describeMember(m: MemberNode): string {
  const name = memberName(m);
  return m.possible ? `${name}, a possible member (only if ${conditionWords(m.possible)})` : name;
}

function memberName(m: MemberNode): string {
  switch (m.kind) {
    case 'nic':
      return m.vm ? `VM ${display(leaf(m.vm.name))}` : `NIC ${m.displayName} (no VM attaches it${m.resource && isDeployedFile(m.resource.file) ? '' : ' in these templates'})`;
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

export function summarise(members: MemberNode[]): string {
  const names = members.map(describeMember);
  // Copy loops produce many alike members: group the ones that read the same.
  const counts = new Map<string, number>();
  for (const n of names) counts.set(n, (counts.get(n) ?? 0) + 1);
  const parts = [...counts].map(([n, c]) => (c > 1 ? `${n} x${c}` : n));
  if (parts.length > 6) return `${parts.slice(0, 5).join(', ')} and ${parts.length - 5} more`;
  return parts.join(', ');
}

export function related(rule: RuleNode, members: MemberNode[]): RelatedLocation[] {
  const out: RelatedLocation[] = [];
  const fe = rule.frontend;
  const feSpan = fe && spanOf(fe.value);
  if (fe && feSpan) out.push({ span: feSpan, message: `frontend ${display(fe.name)}${typeof fe.privateIp === 'string' ? ` (${fe.privateIp})` : ''}` });
  for (const pool of rule.pools) {
    const s = spanOf(pool.value);
    if (s) out.push({ span: s, message: `backend pool ${display(pool.name)}` });
  }
  out.push(...memberLocations(members));
  return out;
}

/** The places that put members in (a pool, a NAT rule): one per place, with every name. */
export function memberLocations(members: MemberNode[]): RelatedLocation[] {
  const out: RelatedLocation[] = [];
  const spanOfMember = (m: MemberNode): SourceSpan | undefined => propertySpan(m.reference, 'id') ?? spanOf(m.reference);
  // Members written once in a copy loop share one place: list it once, with its first names and
  // how many more. When every member's reference knows its place without being located (a
  // template's values), only the places listed are located and described, the others counted: a
  // pool of 40,000 members then costs no 40,000 locations or descriptions.
  const byPlace = members.every((m) => placeOf(m.reference) !== undefined);
  const listed = new Map<unknown, { span: SourceSpan | undefined; members: MemberNode[]; more: number }>();
  const others = new Set<unknown>();
  let firstOther: { member: MemberNode; span: SourceSpan | undefined } | undefined;
  for (const m of members) {
    let key: unknown;
    let span: SourceSpan | undefined;
    if (byPlace) key = placeOf(m.reference);
    else {
      span = spanOfMember(m);
      if (!span) continue;
      key = `${span.file}#${span.start}`;
    }
    const entry = listed.get(key);
    if (entry) {
      if (entry.members.length < 3) entry.members.push(m);
      else entry.more++;
    } else if (listed.size < MAX_RELATED_MEMBERS) listed.set(key, { span, members: [m], more: 0 });
    else if (!others.has(key)) {
      others.add(key);
      firstOther ??= { member: m, span };
    }
  }
  for (const entry of listed.values()) {
    const span = entry.span ?? spanOfMember(entry.members[0] as MemberNode);
    if (!span) continue;
    const names = entry.members.map(describeMember).join(', ');
    out.push({ span, message: `member: ${entry.more > 0 ? `${names} and ${entry.more} more` : names}` });
  }
  const span = firstOther && (firstOther.span ?? spanOfMember(firstOther.member));
  if (span) out.push({ span, message: `and ${others.size} more member places` });
  return out;
}
