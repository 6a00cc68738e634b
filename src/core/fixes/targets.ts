/**
 * What the fixes need to know about a finding, made from the graph node it is about: where
 * floating IP is switched on (or why it cannot be), the rule's members and the machines behind
 * them, and the rules an NVA in front of the frontend mirrors. Plain data to whoever reads it;
 * the members and guests are made when a fix first asks (they read the machines' guest
 * configuration), so a keystroke's re-analysis does not pay for them.
 */
import { propertySpan, spanOf } from '../evaluate/origin';
import { idKey, type EvaluatedResource } from '../evaluate/resources';
import { display, getPath, getProp } from '../evaluate/value';
import type { MemberNode, RuleNode } from '../graph/model';
import { floatingIpUnsupported, machineOf, osOf, portOf, ruleMembers, ruleSpan, spanKey } from '../graph/query';
import { subjectOf, type DeclarationTarget, type Finding, type FloatingIpTarget, type GuestTarget, type MemberTarget, type NvaTarget, type RuleTarget } from '../rules/types';
import { commentsSuppress } from '../suppress';

/**
 * Gives each finding about a load-balancing rule its fix target. Findings about the same rule
 * (the rule in its module, and its copy where the module is called) share one target.
 */
export function attachFixTargets(findings: readonly Finding[]): void {
  const byRule = new Map<RuleNode, FloatingIpTarget>();
  for (const f of findings) {
    const subject = subjectOf(f);
    if (subject?.kind !== 'lb-rule' || f.fixTarget) continue;
    let target = byRule.get(subject.rule);
    if (!target) byRule.set(subject.rule, (target = ruleFixTarget(subject.rule, f.ruleId)));
    f.fixTarget = target;
  }
}

/** The fix target of a load-balancing rule that `ruleId` reports. */
export function ruleFixTarget(rule: RuleNode, ruleId: string): FloatingIpTarget {
  const { members } = ruleMembers(rule);
  const target: FloatingIpTarget = { ...floatingIpTarget(rule, members), ...(rule.lb.resource.span ? { loadBalancer: rule.lb.resource.span } : {}) };
  const state: LazyState = { rule, ruleId, members, comments: getProp(rule.lb.resource.body(), 'comments'), made: {} };
  Object.defineProperty(target, LAZY, { value: state });
  Object.defineProperties(target, LAZY_PROPERTIES);
  return target;
}

/** What a target's lazy properties are made from, and what they made (see LAZY_PROPERTIES). */
interface LazyState {
  rule: RuleNode;
  ruleId: string;
  members: MemberNode[];
  comments: unknown;
  made: Partial<Pick<FloatingIpTarget, LazyKey>>;
}

type LazyKey = 'guests' | 'members' | 'nva';

const LAZY = Symbol('lazy');

const MAKE: { [K in LazyKey]: (s: LazyState) => NonNullable<FloatingIpTarget[K]> } = {
  guests: (s) => guestsOf(s.members),
  members: (s) => s.members.map(memberTarget),
  nva: (s) => nvaTarget(s.rule, (r) => commentsSuppress(s.comments, s.ruleId, display(r.name))),
};

/**
 * A target's `guests`, `members` and `nva`: enumerable accessors (spreads, JSON and every reader
 * see plain values), made on first read. The getters and setters are the same functions for every
 * target, reading the target's own state: accessors made per target (closures over its rule) put
 * a new accessor pair in a hidden class of V8's for each target, which young-generation
 * collections treat as live until a full collection, and with it every edit's analysis.
 */
const LAZY_PROPERTIES: PropertyDescriptorMap = Object.fromEntries(
  (Object.keys(MAKE) as LazyKey[]).map((key) => [
    key,
    {
      enumerable: true,
      configurable: true,
      get(this: { [LAZY]: LazyState }) {
        const s = this[LAZY];
        return (s.made[key] ??= MAKE[key](s) as never);
      },
      set(this: { [LAZY]: LazyState }, v: unknown) {
        this[LAZY].made[key] = v as never;
      },
    },
  ]),
);

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
      const probeProtocol = r.probe?.protocol;
      return {
        name: display(r.name),
        protocol: typeof r.protocol === 'string' ? r.protocol : null,
        frontendPort: portOf(r.frontendPort),
        backendPort: portOf(r.backendPort),
        probeProtocol: typeof probeProtocol === 'string' ? probeProtocol : null,
        probePort: r.probe ? portOf(r.probe.port) : null,
        probePath: typeof getPath(r.probe?.value, 'properties', 'requestPath') === 'string' ? (getPath(r.probe?.value, 'properties', 'requestPath') as string) : null,
        span: ruleSpan(r),
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
  const network = m.network?.();
  if (network) {
    const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    t.network = { vnet: declaration(network.vnet), addressSpace: network.addressSpace.map(str), subnetPrefixes: network.subnetPrefixes.map(str) };
  }
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
  const vm = machineOf(m);
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
    const r = machineOf(m);
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

/** Where floating IP would be turned on for this rule, or why it cannot be done here. */
export function floatingIpTarget(rule: RuleNode, members: MemberNode[]): FloatingIpTarget {
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
