/**
 * Questions about the network graph that rules, fixes and the topology all ask: which members a
 * load-balancing rule reaches (through which pools and IP configurations) and how many instances
 * they stand for, a machine's OS, where a rule is best pointed at, whether Azure supports floating
 * IP for it, and integers and booleans as ARM reads them.
 */
import { propertySpan, spanOf } from '../evaluate/origin';
import type { EvaluatedResource } from '../evaluate/resources';
import { Unknown, display, getPath, getProp, type Branch, type Value } from '../evaluate/value';
import type { SourceSpan } from '../source';
import type { MemberNode, NatRuleNode, RuleNode } from './model';

/** Booleans as ARM reads them: true/false or the strings "true"/"false". Absent is `absent`. */
export function readBool(v: Value | undefined, absent: boolean): boolean | Unknown {
  if (v === undefined || v === null) return absent;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  if (v instanceof Unknown) return v;
  return new Unknown(`expected a boolean, found ${display(v)}`);
}

/** Integers as ARM reads them: numbers or numeric strings ("2"). */
export function readInt(v: Value | undefined): number | Unknown | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  if (v instanceof Unknown) return v;
  return new Unknown(`expected an integer, found ${display(v)}`);
}

/** A port as a number, or null when it is absent or not known. */
export function portOf(v: Value | undefined): number | null {
  const n = readInt(v);
  return typeof n === 'number' ? n : null;
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
  return countMembers(uniqueMembers(rule.pools.map((p) => p.members)));
}

/** The members of a NAT rule or pool (its targets) and how many instances they stand for. */
export function natMembers(nat: NatRuleNode): RuleMembers {
  return countMembers(uniqueMembers([nat.targets]));
}

function countMembers(members: MemberNode[]): RuleMembers {
  let known = 0;
  let unknownCount: Unknown | undefined;
  for (const m of members) {
    // A possible member (its pool reference depends on a condition not known here) is not counted as known.
    if (m.possible) unknownCount ??= new Unknown(`${m.displayName} is a member only if ${conditionWords(m.possible)}`, m.possible.condition.text);
    else if (m.instances instanceof Unknown) unknownCount ??= m.instances;
    else known += Math.max(0, m.instances);
  }
  return { members, known, total: unknownCount ? null : known, unknownCount };
}

/** One entry per member; a scale set in two of the rule's pools counts once. */
function uniqueMembers(lists: MemberNode[][]): MemberNode[] {
  const out: MemberNode[] = [];
  // A member is its resource (or reference) and IP configuration, or its address: kept by
  // identity, without a key string made per member (a pool can have 40,000).
  const ips = new Set<string>();
  const configs = new Map<object, string | Set<string>>();
  for (const list of lists) {
    for (const m of list) {
      if (m.kind === 'ip-address') {
        const ip = display(m.privateIp);
        if (ips.has(ip)) continue;
        ips.add(ip);
      } else {
        const target = m.resource ?? m.reference;
        const config = display(m.ipConfigName ?? null);
        const seen = configs.get(target);
        if (seen === undefined) configs.set(target, config);
        else if (typeof seen === 'string') {
          if (seen === config) continue;
          configs.set(target, new Set([seen, config]));
        } else {
          if (seen.has(config)) continue;
          seen.add(config);
        }
      }
      out.push(m);
    }
  }
  return out;
}

/** The condition of a possible member, in words: its text (`empty(...)` is false), or why it is not known. */
export function conditionWords(b: Branch): string {
  const text = b.condition.text;
  // A text cut short (`equals(…)`) says less than the reason.
  return text && !text.includes('…') ? `${text} is ${b.when}` : `a condition not known here is ${b.when} (${b.condition.reason})`;
}

/** The VM or scale set that runs a member (the guest whose configuration counts). */
export function machineOf(m: MemberNode): EvaluatedResource | undefined {
  return m.kind === 'scale-set' ? m.resource : m.vm;
}

/** Linux or Windows, as the osProfile or the image reference tells; undefined when neither does. */
export function osOf(r: EvaluatedResource): 'linux' | 'windows' | undefined {
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

/** Where a finding on a load-balancing rule points: `enableFloatingIP`'s value when written, else the rule's name. */
export function ruleSpan(rule: RuleNode): SourceSpan {
  return (
    (rule.properties && propertySpan(rule.properties, 'enableFloatingIP')) ??
    propertySpan(rule.value, 'name') ??
    spanOf(rule.value) ??
    rule.lb.resource.span
  );
}

/** Why Azure does not support floating IP for this rule, if it does not. */
export function floatingIpUnsupported(rule: RuleNode, members: MemberNode[]): string | undefined {
  if (rule.frontend?.ipVersion === 'ipv6') return 'Azure does not support floating IP on an IPv6 internal frontend';
  if (members.some((m) => m.ipConfigPrimary === false)) return "a member joins the pool through a NIC's secondary IP configuration, where Azure does not support floating IP";
  return undefined;
}

/** `file#offset` of a span, to tell places apart. */
export function spanKey(s: SourceSpan | undefined): string | undefined {
  return s ? `${s.file}#${s.start}` : undefined;
}
