/**
 * What the members' own configuration says about a frontend: whether a member calls it (its
 * guest configuration names the VIP, or a private DNS name that resolves to it), whether a member
 * owns the VIP (it is configured on its loopback), and whether a member is a network virtual
 * appliance (a firewall or ADC image). Read from the templates only.
 */
import { display, getPath, getProp, type Value } from '../evaluate/value';
import type { EvaluatedResource } from '../evaluate/resources';
import type { MemberNode, NetworkGraph } from './model';
import { NVA_VENDORS } from './nva-vendors';
import { machineOf } from './query';

/** The extension the loopback fix adds (guest/loopback scripts): its machine owns the VIPs it names. */
const LOOPBACK_EXTENSION = 'ilb-hairpin-loopback';

/** A text as a regular expression that matches it literally. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** `ip` as a whole address in a text (not a part of a longer one). */
function addressPattern(ip: string): RegExp {
  return new RegExp(`(?<![\\d.])${escapeRegExp(ip)}(?![\\d])(?!\\.\\d)`);
}

/** A line that configures an address (loopback, route): it names the VIP without calling it. */
const CONFIGURES = /\b(dev\s+lo|lo:\d|loopback|route|netsh|New-NetIPAddress|New-NetRoute|ip\s+(?:-\d\s+)?(?:a|addr|address|rule)\s+add|ifconfig)\b/i;

/** Lines that add an address to the loopback interface (Linux `ip addr add ... dev lo`, `ifconfig lo:0`; Windows loopback adapter). */
const LOOPBACK = /(\bdev\s+lo\b|\blo:\d|\bifconfig\s+lo\b|loopback)/i;
const ADDS = /(\bip\s+(?:-\d\s+)?(?:a|addr|address)\s+add\b|\bifconfig\b|New-NetIPAddress|netsh\s+int(?:erface)?\s+ip(?:v4)?\s+(?:add|set)\s+address|\baddress\s*=)/i;

function describeMachine(m: MemberNode, machine: EvaluatedResource): string {
  const kind = m.kind === 'scale-set' ? 'scale set' : 'VM';
  return `${kind} ${display(typeof machine.name === 'string' ? (machine.name.split('/').pop() as string) : machine.name)}`;
}

/** The machines behind members, once each, with a member that stands for each. */
function machines(members: readonly MemberNode[]): { member: MemberNode; machine: EvaluatedResource }[] {
  const seen = new Set<EvaluatedResource>();
  const out: { member: MemberNode; machine: EvaluatedResource }[] = [];
  for (const m of members) {
    const machine = machineOf(m);
    if (!machine || seen.has(machine)) continue;
    seen.add(machine);
    out.push({ member: m, machine });
  }
  return out;
}

/**
 * Evidence that a member calls the frontend: a line of its guest configuration (customData,
 * userData, a CustomScript command, script or file URI) that names the VIP or a private DNS name
 * resolving to it, other than a line that configures the address (loopback, route).
 */
export function callsFrontend(graph: NetworkGraph, members: readonly MemberNode[], vip: string | null): string[] {
  if (!vip) return [];
  const names = graph.dnsNames?.().get(vip) ?? [];
  const patterns: { what: string; re: RegExp }[] = [
    { what: vip, re: addressPattern(vip) },
    ...names.map((n) => ({ what: `${n} (a private DNS name of ${vip})`, re: new RegExp(`(?<![\\w.-])${escapeRegExp(n)}(?![\\w-])`, 'i') })),
  ];
  const out: string[] = [];
  for (const { member, machine } of machines(members)) {
    const texts = member.guest?.().texts ?? [];
    const lines = texts.flatMap((t) => t.split(/\r?\n/)).filter((l) => !CONFIGURES.test(l));
    const hit = patterns.find((p) => lines.some((l) => p.re.test(l)));
    if (hit) out.push(`${describeMachine(member, machine)}'s guest configuration names ${hit.what}`);
  }
  return out;
}

/** Does the member's machine hold the VIP on its loopback (the loopback fix's extension, or a script that adds it)? */
export function ownsVip(m: MemberNode, vip: string | null): boolean {
  const guest = m.guest?.();
  if (!guest) return false;
  if (guest.ours.includes(LOOPBACK_EXTENSION)) return true;
  const ip = vip ? addressPattern(vip) : undefined;
  return guest.texts.some((t) => t.split(/\r?\n/).some((l) => LOOPBACK.test(l) && ADDS.test(l) && (!ip || ip.test(l))));
}

/** The NVA vendor of a member's machine image or plan, when it is one. */
export function nvaVendor(m: MemberNode): string | undefined {
  const machine = machineOf(m);
  if (!machine) return undefined;
  const body = machine.body();
  const profile = getPath(body, 'properties', 'virtualMachineProfile') ?? getProp(body, 'properties');
  const image = getPath(profile, 'storageProfile', 'imageReference');
  const plan = getProp(body, 'plan');
  const words: (Value | undefined)[] = [getProp(image, 'publisher'), getProp(image, 'offer'), getProp(plan, 'publisher'), getProp(plan, 'product')];
  for (const w of words) {
    if (typeof w !== 'string') continue;
    const vendor = NVA_VENDORS.find((v) => v.match.test(w));
    if (vendor) return vendor.name;
  }
  return undefined;
}
