/**
 * hairpin-prone-rule: a load-balancing rule on an internal frontend, with floating IP off, whose
 * pool has at least one member. A member that calls the frontend is hashed back to itself with
 * probability 1/N; the ILB rewrites the destination but not the source, so that flow fails.
 */
import { display, getPath, getProp, Unknown, type Value } from '../evaluate/value';
import { commentsSuppress } from '../suppress';
import { propertySpan, spanOf } from '../evaluate/origin';
import type { MemberNode, NetworkGraph, PoolNode, RuleNode } from '../graph/model';
import { readInt } from '../graph/build';
import { idKey, type ModuleCall } from '../evaluate/resources';
import type { SourceSpan } from '../source';
import type { EvaluatedResource } from '../evaluate/resources';
import type { DeclarationTarget, Finding, FloatingIpTarget, GuestTarget, HairpinFacts, MemberTarget, NvaTarget, RelatedLocation, Rule, RuleContext, RuleTarget } from './types';

const ID = 'hairpin-prone-rule';
/** Related locations listed per finding before the rest are summarised. */
const MAX_RELATED_MEMBERS = 25;

export const hairpinProneRule: Rule = {
  id: ID,
  title: 'Internal load balancer rule is hairpin-prone',
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
        if (f.fixTarget) lazyProperty(f.fixTarget, 'nva', () => nvaTarget(rule, (r) => commentsSuppress(comments, ID, display(r.name))));
        findings.push(f);
        const call = lb.resource.via?.[0];
        if (call) findings.push(atCallSite(f, call));
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
    span: findingSpan(rule),
    related: related(rule, members),
    facts,
    fixTarget: lazyTargets({ ...floatingIpTarget(rule, members), ...(rule.lb.resource.span ? { loadBalancer: rule.lb.resource.span } : {}) }, members),
  };
}

/**
 * The guests and members a fix needs, made when a fix first asks (they read the machines'
 * guest configuration): a keystroke's re-analysis does not pay for them. Still plain data to
 * whoever reads them (enumerable, computed once).
 */
function lazyTargets(target: FloatingIpTarget, members: MemberNode[]): FloatingIpTarget {
  lazyProperty(target, 'guests', () => guestsOf(members));
  lazyProperty(target, 'members', () => members.map(memberTarget));
  return target;
}

function lazyProperty<K extends 'guests' | 'members' | 'nva'>(target: FloatingIpTarget, key: K, make: () => NonNullable<FloatingIpTarget[K]>): void {
  let value: FloatingIpTarget[K] | undefined;
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get: () => (value ??= make()),
    set: (v: FloatingIpTarget[K]) => {
      value = v;
    },
  });
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
 * The NGINX NVA fix mirrors every hairpin-prone rule on the rule's frontend (clients move to the
 * NVA's VIP for all of them), this rule first.
 */
function nvaTarget(rule: RuleNode, suppressed: (r: RuleNode) => boolean): NvaTarget {
  const sameFrontend = rule.lb.rules.filter(
    (r) => r === rule || (r.frontend === rule.frontend && r.floatingIp === false && !suppressed(r) && ruleMembers(r).members.length > 0),
  );
  const ordered = [rule, ...sameFrontend.filter((r) => r !== rule)];
  const res = rule.lb.resource;
  const t: NvaTarget = {
    rules: ordered.map((r): RuleTarget => {
      const port = (v: Value | undefined): number | null => {
        const n = readInt(v);
        return typeof n === 'number' ? n : null;
      };
      const probeProtocol = r.probe?.protocol;
      return {
        name: display(r.name),
        protocol: typeof r.protocol === 'string' ? r.protocol : null,
        frontendPort: port(r.frontendPort),
        backendPort: port(r.backendPort),
        probeProtocol: typeof probeProtocol === 'string' ? probeProtocol : null,
        span: findingSpan(r),
        members: ruleMembers(r).members.map(memberTarget),
      };
    }),
    lbViaModule: !!res.via?.length,
    lbInLoop: !!res.copy,
  };
  if (res.symbolicName !== undefined) t.lbSymbolicName = res.symbolicName;
  return t;
}

function declaration(r: EvaluatedResource): DeclarationTarget {
  const d: DeclarationTarget = { span: r.span, inLoop: !!r.copy, viaModule: !!r.via?.length };
  if (r.symbolicName !== undefined) d.symbolicName = r.symbolicName;
  return d;
}

function memberTarget(m: MemberNode): MemberTarget {
  const p = getProp(m.ipConfig, 'properties');
  const subnetPrefix = m.subnetPrefix?.();
  const t: MemberTarget = {
    kind: m.kind,
    name: m.displayName,
    ip: typeof m.privateIp === 'string' && m.privateIp !== '' ? m.privateIp : null,
    subnetPrefix: typeof subnetPrefix === 'string' ? subnetPrefix : null,
    instances: typeof m.instances === 'number' ? m.instances : null,
  };
  const ipSpan = m.kind === 'ip-address' ? propertySpan(getProp(m.reference, 'properties'), 'ipAddress') : p !== undefined ? propertySpan(p, 'privateIPAddress') : undefined;
  if (ipSpan) t.ipSpan = ipSpan;
  const subnet = p !== undefined ? propertySpan(p, 'subnet') : undefined;
  if (subnet) t.subnet = subnet;
  const ipConfig = spanOf(m.ipConfig);
  if (ipConfig) t.ipConfig = ipConfig;
  if (m.resource && m.ipConfig && m.kind !== 'ip-address' && m.kind !== 'module') {
    const body = m.resource.body();
    const lists =
      m.kind === 'nic'
        ? [getPath(body, 'properties', 'ipConfigurations')]
        : (() => {
            const profile = m.kind === 'scale-set' ? getPath(body, 'properties', 'virtualMachineProfile') : getProp(body, 'properties');
            const cfgs = getPath(profile, 'networkProfile', 'networkInterfaceConfigurations');
            return Array.isArray(cfgs) ? cfgs.map((c) => getPath(c, 'properties', 'ipConfigurations')) : [];
          })();
    for (const list of lists) if (Array.isArray(list) && list.includes(m.ipConfig)) t.ipConfigIndex = list.indexOf(m.ipConfig);
  }
  if (m.resource && m.kind !== 'module') t.resource = declaration(m.resource);
  const vm = m.kind === 'scale-set' ? m.resource : m.vm;
  if (vm) {
    t.vm = { ...declaration(vm), os: osOf(vm) };
    const guest = m.guest?.();
    if (guest?.customScripts[0] !== undefined) t.vm.customScript = guest.customScripts[0];
    if (guest?.ours.length) t.vm.fixedBy = guest.ours;
  }
  if (m.vm && (m.kind === 'nic' || m.kind === 'ip-address') && m.resource) {
    const own = idKey(m.resource.id);
    const refs = getPath(m.vm.body(), 'properties', 'networkProfile', 'networkInterfaces');
    const ref = Array.isArray(refs) ? refs.find((r) => idKey(getProp(r, 'id')) === own) : undefined;
    const span = ref !== undefined ? spanOf(ref) : undefined;
    if (span) t.vmNicReference = span;
  }
  return t;
}

/** The VMs and scale sets behind the members (one each), with the OS their declarations say. */
function guestsOf(members: MemberNode[]): GuestTarget[] {
  const out: GuestTarget[] = [];
  // One per declaration: the copies of a loop share theirs.
  const seen = new Set<string>();
  for (const m of members) {
    const r = m.kind === 'scale-set' ? m.resource : m.vm;
    const key = r ? spanKey(r.span) : undefined;
    if (!r || !key || seen.has(key)) continue;
    seen.add(key);
    const guest: GuestTarget = { kind: m.kind === 'scale-set' ? 'scale-set' : 'vm', span: r.span, os: osOf(r), inLoop: !!r.copy, viaModule: !!r.via?.length };
    if (r.symbolicName !== undefined) guest.symbolicName = r.symbolicName;
    const config = m.guest?.();
    if (config?.customScripts[0] !== undefined) guest.customScript = config.customScripts[0];
    if (config?.ours.length) guest.fixedBy = config.ours;
    out.push(guest);
  }
  return out;
}

/** Linux or Windows, as the osProfile or the image reference tells; undefined when neither does. */
function osOf(r: EvaluatedResource): 'linux' | 'windows' | undefined {
  const body = r.body();
  const profile = getPath(body, 'properties', 'virtualMachineProfile') ?? getProp(body, 'properties');
  const os = getProp(profile, 'osProfile');
  if (getProp(os, 'linuxConfiguration') !== undefined) return 'linux';
  if (getProp(os, 'windowsConfiguration') !== undefined) return 'windows';
  const osType = getPath(profile, 'storageProfile', 'osDisk', 'osType');
  if (typeof osType === 'string') return /windows/i.test(osType) ? 'windows' : /linux/i.test(osType) ? 'linux' : undefined;
  const image = getPath(profile, 'storageProfile', 'imageReference');
  const words = ['publisher', 'offer', 'sku'].map((k) => getProp(image, k)).filter((v): v is string => typeof v === 'string').join(' ');
  if (/windows/i.test(words)) return 'windows';
  if (/ubuntu|canonical|redhat|rhel|debian|suse|centos|oracle-linux|almalinux|rocky|flatcar|mariner/i.test(words)) return 'linux';
  return undefined;
}

/** Where floating IP would be turned on for this rule, or why it cannot be done here. */
function floatingIpTarget(rule: RuleNode, members: MemberNode[]): FloatingIpTarget {
  const via = rule.lb.resource.via;
  if (via?.length) {
    // Written in the module itself: the fix changes the module (for every caller). Built from the
    // caller's values: the caller must say it.
    const written = rule.properties ? propertySpan(rule.properties, 'enableFloatingIP') : undefined;
    const call = via[via.length - 1];
    const module = call?.name ?? 'module';
    const name = display(rule.name);
    const callSite = call && typeof rule.name === 'string' ? { callSites: [{ file: call.file, offset: call.span.start, rule: name, moduleFile: rule.lb.resource.file }] } : {};
    if (written && written.file === rule.lb.resource.file) return { value: written, module, ...callSite };
    return { refused: moduleRefusal(module), module, ...callSite };
  }
  const unsupported = floatingIpUnsupported(rule, members);
  if (unsupported) return { refused: unsupported };
  const shared = rule.lb.rules.some((r) => r !== rule && r.properties && rule.properties && spanKey(spanOf(r.properties)) === spanKey(spanOf(rule.properties)));
  if (shared) return { refused: 'the rule is made by a loop together with other rules: set enableFloatingIP in the loop once for all of them' };
  const value = rule.properties ? propertySpan(rule.properties, 'enableFloatingIP') : undefined;
  if (value) return { value };
  const properties = rule.properties ? spanOf(rule.properties) : undefined;
  return properties ? { properties } : { refused: 'the rule has no properties object written in the template' };
}

export function moduleRefusal(module: string): string {
  return `the rule is built inside module ${module} from its caller's values: set enableFloatingIP where the rule is passed in`;
}

function spanKey(s: SourceSpan | undefined): string | undefined {
  return s ? `${s.file}#${s.start}` : undefined;
}

export interface RuleMembers {
  members: MemberNode[];
  /** Instances known for sure. */
  known: number;
  /** All instances; null when a count is unknown. */
  total: number | null;
  unknownCount: Unknown | undefined;
}

/** The members behind a rule's pools and how many instances they stand for. */
export function ruleMembers(rule: RuleNode): RuleMembers {
  const members = uniqueMembers(rule.pools);
  let known = 0;
  let unknownCount: Unknown | undefined;
  for (const m of members) {
    if (m.instances instanceof Unknown) unknownCount ??= m.instances;
    else known += Math.max(0, m.instances);
  }
  return { members, known, total: unknownCount ? null : known, unknownCount };
}

/** One entry per member; a scale set in two of the rule's pools counts once. */
function uniqueMembers(pools: PoolNode[]): MemberNode[] {
  const out: MemberNode[] = [];
  const seen = new Set<string>();
  for (const pool of pools) {
    for (const m of pool.members) {
      const key = memberIdentity(m);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(m);
    }
  }
  return out;
}

let anonymous = 0;
const identities = new WeakMap<object, string>();
function memberIdentity(m: MemberNode): string {
  if (m.kind === 'ip-address') return `ip:${display(m.privateIp)}`;
  const target = m.resource ?? m.reference;
  let id = identities.get(target);
  if (!id) identities.set(target, (id = `r${++anonymous}`));
  return `${id}:${display(m.ipConfigName ?? null)}`;
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

/** On `enableFloatingIP`'s value when written, else on the rule's name. */
function findingSpan(rule: RuleNode): SourceSpan {
  return (
    (rule.properties && propertySpan(rule.properties, 'enableFloatingIP')) ??
    propertySpan(rule.value, 'name') ??
    spanOf(rule.value) ??
    rule.lb.resource.span
  );
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
      return m.vm ? `VM ${display(leaf(m.vm.name))}` : `NIC ${m.displayName} (no VM attaches it in these templates)`;
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

/** Why Azure does not support floating IP for this rule, if it does not. */
function floatingIpUnsupported(rule: RuleNode, members: MemberNode[]): string | undefined {
  if (rule.frontend?.ipVersion === 'ipv6') return 'Azure does not support floating IP on an IPv6 internal frontend';
  if (members.some((m) => m.ipConfigPrimary === false)) return "a member joins the pool through a NIC's secondary IP configuration, where Azure does not support floating IP";
  return undefined;
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
