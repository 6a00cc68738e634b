/**
 * The NGINX NVA scaffold (strategy `nginx-nva`): two NGINX VMs behind a new internal load
 * balancer, in the backends' subnet, proxying every hairpin-prone rule of the finding's frontend
 * to the backend members' addresses (seed, section 3.3). Clients, backends included, call the
 * NVA's VIP; NGINX opens its own connections to the backends, so none is hashed back to its
 * caller.
 *
 * - Bicep: a new module file `<template>-nginx-nva.bicep` beside the template, and in the template
 *   the `module` declaration (with two new parameters: the admin user and the SSH public key)
 *   after the load balancer.
 * - ARM: the resources (availability set or zones, the NVA load balancer, two NICs, two VMs) at
 *   the end of `resources`, two parameters, a variable with the cloud-init lines and an output
 *   with the NVA's VIP.
 *
 * The NVA's own rules are suppressed where they are written (NGINX calls the backends directly)
 * and so are the mirrored rules (clients call the NVA's VIP): the findings go away for a stated
 * reason. Every piece is added only when it is not there yet, so a second run changes nothing.
 * Backend addresses are never guessed: an address written as a literal is used as written; any
 * other is read at deployment time from the NIC (Bicep: the NIC's symbolic name; ARM:
 * `reference()`); members whose per-instance address cannot be expressed so are refused.
 */
import { findNodeAtOffset, getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { child } from '../parse/arm';
import { parseBicep, walk } from '../parse/bicep';
import type * as A from '../parse/bicep/ast';
import { findProperty } from '../parse/bicep/walk';
import type { Finding, MemberTarget, RuleTarget } from '../rules/types';
import type { SourceSpan } from '../source';
import { DIRECTIVE, suppressionEdits } from '../suppress';
import { ancestorAt, applyEdits, eol, indentAt, insertJsonProperty, onSameLine, resourceDeclarationAt, type TextEdit } from '../edit';
import type { FixResult, TextOf } from './types';
import { cloudInitLines, isHttpRule, nginxConf, upstreamName, type NvaPort, type NvaProtocol } from './nginx-conf';

export { cloudInit, cloudInitLines, isHttpRule, nginxConf, nginxConfOfCloudInit, NVA_CONF_PATH, type NginxConfOptions, type NvaPort } from './nginx-conf';

/** Why the NVA's own rules are suppressed. */
export const NVA_RULE_REASON = 'NGINX calls the backends directly; nothing in the NVA pool calls the NVA VIP';
/** The first line of a generated module file (how the fix recognises its own file). */
export const NVA_MARKER = '// ilb-hairpin nginx-nva:';
export const ADMIN_PARAM = 'nvaAdminUsername';
export const SSH_KEY_PARAM = 'nvaSshPublicKey';
export const DEFAULT_ADMIN = 'nvaadmin';
export const NVA_VM_SIZE = 'Standard_B2s';
export const NVA_IMAGE = { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' } as const;
const NETWORK_API = '2023-09-01';
const COMPUTE_API = '2023-09-01';
const DEPLOYMENTS_API = '2022-09-01';
const FRONTEND = 'fe-nva';
const POOL = 'be-nva';

/** The placeholder of backend `i` in the generated configuration (ARM: replaced in customData). */
export const backendToken = (i: number): string => `@@backend${i}@@`;
/** The placeholder of port `k`'s server lines (Bicep: one line per backend, made by a for-expression). */
const serversToken = (k: number): string => `@@servers${k}@@`;
const SERVERS = /@@servers(\d+)@@/;

/**
 * A backend's address: a literal IP; an expression (Bicep or ARM, without brackets) read at
 * deployment; or (Bicep) a for-expression that lists a looped NIC declaration's addresses.
 */
type Address = { literal: string } | { expr: string; dependsOn?: string } | Loop;

/**
 * The addresses of the NICs a loop makes. Bicep: `loop` is a for-expression. ARM: `loop` is the
 * `input` of a property copy loop named `value` (copyIndex('value') where the NIC's name had
 * copyIndex()), `count` the loop's count as written, `dependsOn` the NIC loop's name.
 */
interface Loop {
  loop: string;
  count?: unknown;
  dependsOn?: string;
}

interface Mirrored {
  rule: RuleTarget;
  port: NvaPort;
  /** The NVA load balancer's rule name. */
  nvaRule: string;
  /** Its backends: indexes into Plan.addresses. */
  backends: number[];
}

/** What both template languages build from: the mirrored rules, the backends and the placement. */
interface Plan {
  finding: Finding;
  lbFile: string;
  text: string;
  mirrored: Mirrored[];
  addresses: Address[];
  /** The subnet: an ARM value (object node), or a Bicep expression for its ID. */
  subnet: Node | string;
  zones: boolean;
  /** The heading comment of nginx.conf and of the cloud-init. */
  described: string;
}

const refuse = (reason: string): FixResult => ({ ok: false, reason });

export function nginxNvaFix(finding: Finding, textOf: TextOf): FixResult {
  const target = finding.fixTarget;
  const nva = target?.nva;
  const lb = target?.loadBalancer;
  if (!target || !nva || !lb) return refuse('the finding does not say where its load balancer is written');
  if (nva.lbViaModule || finding.facts.viaModule !== undefined) {
    return refuse('the load balancer is deployed through a module or linked template: scaffold the NVA where its values come from (the NVA needs new parameters from the caller)');
  }
  if (nva.lbInLoop) return refuse('the load balancer is made by a loop: one NVA per load balancer cannot be written once for the loop');
  const text = textOf(lb.file);
  if (text === undefined) return refuse(`${lb.file} cannot be read`);
  const bicep = /\.bicep$/i.test(lb.file);

  // The ports: every mirrored rule must be a plain TCP or UDP rule with known ports.
  const mirrored: Mirrored[] = [];
  const usedNames = new Set<string>();
  for (const r of nva.rules) {
    const protocol = (r.protocol ?? '').toLowerCase();
    if (protocol === 'all' || r.frontendPort === 0) {
      return refuse(`rule ${r.name} is an HA ports rule (all ports): NGINX proxies only the ports it is told, so it cannot stand in for it; use floating IP with the VIP on the members' loopback`);
    }
    if (protocol !== 'tcp' && protocol !== 'udp') return refuse(`the protocol of rule ${r.name} is ${r.protocol === null ? 'not known' : r.protocol}: NGINX proxies TCP and UDP`);
    if (r.frontendPort === null || r.backendPort === null) return refuse(`the ports of rule ${r.name} are not known: the NVA must listen on the same port`);
    const p = protocol as NvaProtocol;
    let nvaRule = `nva-${r.name.replace(/[^A-Za-z0-9_.-]+/g, '-')}`.slice(0, 76).replace(/[^A-Za-z0-9_]+$/, '');
    for (let i = 2; usedNames.has(nvaRule); i++) nvaRule = `${nvaRule.replace(/-\d+$/, '')}-${i}`;
    usedNames.add(nvaRule);
    mirrored.push({
      rule: r,
      nvaRule,
      backends: [],
      port: { port: r.frontendPort, backendPort: r.backendPort, protocol: p, http: isHttpRule({ frontendPort: r.frontendPort, backendPort: r.backendPort, protocol: p, name: r.name, probeProtocol: r.probeProtocol }), rule: r.name },
    });
  }

  // The backends: each member's address, once.
  const declarations = bicep ? bicepDeclarations(text) : new Map<number, A.ResourceValue>();
  const addresses: Address[] = [];
  const indexOf = new Map<string, number>();
  for (const m of mirrored) {
    for (const member of m.rule.members) {
      const a = addressOf(member, lb.file, textOf, bicep, declarations);
      if (typeof a === 'string') return refuse(a);
      const key = 'literal' in a ? `ip:${a.literal}` : 'expr' in a ? `expr:${a.expr}` : `loop:${a.loop}`;
      let i = indexOf.get(key);
      if (i === undefined) {
        indexOf.set(key, (i = addresses.length));
        addresses.push(a);
      }
      if (!m.backends.includes(i)) m.backends.push(i);
    }
  }
  // A loop's addresses are one array: it must be the only backend, the same for every port.
  if (addresses.some((a) => 'loop' in a) && (addresses.length > 1 || mirrored.some((m) => m.backends.length !== 1))) {
    return refuse("the backends are made by a loop together with other members: NGINX's list cannot be written once for both; give the NICs static addresses");
  }

  const subnet = bicep ? bicepSubnet(mirrored, lb, text, finding.facts.frontendName) : armSubnet(mirrored, lb, text, finding.facts.frontendName);
  if (typeof subnet === 'string' && subnet.startsWith('!')) return refuse(subnet.slice(1));

  const plan: Plan = {
    finding,
    lbFile: lb.file,
    text,
    mirrored,
    addresses,
    subnet: subnet as Node | string,
    zones: bicep ? bicepHasZones(text) : armHasZones(text),
    described: `internal load balancer ${finding.facts.loadBalancer}, frontend ${finding.facts.frontendName}`,
  };
  return bicep ? bicepFix(plan, lb, textOf) : armFix(plan, lb);
}

/** The cloud-init lines, each port's backends given by `backendsOf`. */
function cloudInitOf(plan: Plan, backendsOf: (m: Mirrored, k: number) => string[]): string[] {
  const conf = nginxConf({ ports: plan.mirrored.map((m, k) => ({ ...m.port, backends: backendsOf(m, k) })), backends: [], comment: `In front of ${plan.described}.` });
  return cloudInitLines(conf, `NGINX NVA for ${plan.described} (ilb-hairpin nginx-nva)`);
}

/** The values (body, condition or loop) of the text's resource declarations, by declaration start. */
function bicepDeclarations(text: string): Map<number, A.ResourceValue> {
  const out = new Map<number, A.ResourceValue>();
  for (const s of parseBicep(text, { fileKind: 'bicep' }).program.statements) {
    if (s.kind === 'ResourceDeclaration') out.set(s.start, s.value);
  }
  return out;
}

// ------------------------------------------------------------------ backends and placement

/** A member's address (see Address), or why it cannot be given. */
function addressOf(m: MemberTarget, lbFile: string, textOf: TextOf, bicep: boolean, declarations: Map<number, A.ResourceValue>): Address | string {
  const who = m.kind === 'scale-set' ? `scale set ${m.name}` : m.kind === 'ip-address' ? `pool address ${m.name}` : m.kind === 'module' ? `member ${m.name}` : m.kind === 'vm-nic-config' ? `VM ${m.name}` : `NIC ${m.name}`;
  if (m.kind === 'scale-set') return `${who}: its instances get their addresses as they are created, and NGINX needs a fixed list of backends (use floating IP, or an NVA that discovers the instances)`;
  if (m.kind === 'module') return `${who} comes from a module or linked template that is not read: its address is not known`;
  // An address written as a literal is the address.
  const written = m.ipSpan ? textOf(m.ipSpan.file)?.slice(m.ipSpan.start, m.ipSpan.end).trim() : undefined;
  const literal = written !== undefined ? /^(['"])([0-9A-Fa-f.:]+)\1$/.exec(written)?.[2] : undefined;
  if (literal && m.ip === literal) return { literal };
  if (m.kind === 'ip-address') {
    return m.ip ? `${who}: its address is computed (${written ?? 'not written'}); write it as a literal in the pool, so NGINX can be given it` : `${who} has no address the template gives: NGINX needs every backend's address`;
  }
  if (m.kind === 'vm-nic-config') return `${who} creates its NIC itself (networkInterfaceConfigurations): its private IP cannot be referenced from the template; give the ipConfiguration a static privateIPAddress`;
  const r = m.resource;
  if (!r) return `${who} is not declared in these templates: its address is not known`;
  if (r.viaModule) return `${who} is declared in a module or nested deployment: its address cannot be referenced where the load balancer is`;
  if (r.span.file !== lbFile) return `${who} is declared in another file (${r.span.file}): its dynamic private IP cannot be referenced where the load balancer is; give it a static address`;
  if (m.ipConfigIndex === undefined) return `the ipConfiguration of ${who} cannot be located`;
  const at = `ipConfigurations[${m.ipConfigIndex}].properties.privateIPAddress`;
  const conditional = `${who} is deployed on a condition: a reference to its address fails when it is not deployed; give it a static address`;
  if (bicep) {
    if (!r.symbolicName) return `${who} has no symbolic name to reference`;
    const value = declarations.get(r.span.start);
    if (value?.kind === 'If') return conditional;
    if (!r.inLoop) return { expr: `${r.symbolicName}.properties.${at}` };
    // Every NIC of the loop, by index: a for-expression over the same items.
    if (value?.kind !== 'For' || value.body.kind === 'If') {
      return `${who} is made by a filtered loop: which NICs exist is decided at deployment, so NGINX's list cannot be written for it; give the NICs static addresses`;
    }
    const iterable = textOf(r.span.file)?.slice(value.iterable.start, value.iterable.end);
    return { loop: `[for (nvaItem, nvaIndex) in ${iterable}: ${r.symbolicName}[nvaIndex].properties.${at}]` };
  }
  const text = textOf(r.span.file);
  const tree = text === undefined ? undefined : parseTree(text, [], { allowTrailingComma: true });
  const nic = text === undefined ? undefined : jsonObjectAt(text, r.span.start, tree);
  const condition = child(nic, 'condition');
  if (condition && condition.value !== true && !/^\[\s*true\s*\(\s*\)\s*\]$/i.test(String(condition.value))) return conditional;
  const name = armArg(child(nic, 'name'));
  if (!name) return `the name of ${who} cannot be read`;
  if (!r.inLoop) {
    const id = `resourceId('Microsoft.Network/networkInterfaces', ${name})`;
    return { expr: `reference(${id}).${at}`, dependsOn: `[${id}]` };
  }
  // A copy loop: the same count, the NIC's name with copyIndex() of a property loop named value.
  const copy = child(nic, 'copy');
  const count = child(copy, 'count');
  const loopName = child(copy, 'name')?.value;
  const byValue = name.replace(/copyIndex\s*\(\s*(?:'[^']*'\s*(?:,\s*)?)?([^()]*?)\s*\)/gi, (_, offset: string) => `copyIndex('value'${offset ? `, ${offset}` : ''})`);
  if (nic?.parent !== child(tree, 'resources')) return `${who} is made by a copy loop inside another resource or deployment: NGINX's list cannot be written for it where the load balancer is; give the NICs static addresses`;
  if (!count || typeof loopName !== 'string' || /copyIndex\s*\((?!'value')/i.test(byValue)) {
    return `${who} is made by a copy loop whose count or names cannot be repeated for NGINX's list; give the NICs static addresses`;
  }
  return { loop: `reference(resourceId('Microsoft.Network/networkInterfaces', ${byValue})).${at}`, count: getNodeValue(count) as unknown, dependsOn: loopName };
}

/** The JSON object that starts at `offset` (in `tree` when given, else in the parsed text). */
function jsonObjectAt(text: string, offset: number, tree: Node | undefined = parseTree(text, [], { allowTrailingComma: true })): Node | undefined {
  return ancestorAt(tree ? findNodeAtOffset(tree, offset) : undefined, offset);
}

/** An ARM name value as an expression argument: `[expr]` gives expr, a literal is quoted. */
function armArg(node: Node | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  const s = String(node.value);
  if (s.startsWith('[') && s.endsWith(']') && !s.startsWith('[[')) return s.slice(1, -1).trim();
  return quote(s.startsWith('[[') ? s.slice(1) : s);
}

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** The NVA's subnet (ARM: the `subnet` object as written): a member's, else the frontend's. "!" + why when neither can be used. */
function armSubnet(mirrored: Mirrored[], lb: SourceSpan, text: string, frontendName: string): Node | string {
  for (const m of mirrored.flatMap((x) => x.rule.members)) {
    if (!m.subnet || m.subnet.file !== lb.file || m.resource?.inLoop || m.resource?.viaModule) continue;
    const tree = parseTree(text, [], { allowTrailingComma: true });
    const node = tree ? findNodeAtOffset(tree, m.subnet.start) : undefined;
    let value = node;
    while (value && value.offset !== m.subnet.start) value = value.parent;
    if (value?.type === 'object' && !/copyIndex\s*\(/i.test(text.slice(value.offset, value.offset + value.length))) return value;
  }
  const fe = armFrontend(text, lb, frontendName);
  const subnet = child(child(fe, 'properties'), 'subnet');
  if (subnet?.type === 'object') return subnet;
  return "!the backends' subnet is not written where the load balancer is, so the NVA cannot be placed in it";
}

function armFrontend(text: string, lb: SourceSpan, frontendName: string): Node | undefined {
  const node = jsonObjectAt(text, lb.start);
  const fes = child(child(node, 'properties'), 'frontendIPConfigurations')?.children ?? [];
  return fes.find((fe) => child(fe, 'name')?.value === frontendName) ?? (fes.length === 1 ? fes[0] : undefined);
}

/** Bicep: an expression for the subnet's resource ID, from a member's `subnet` (else the frontend's). */
function bicepSubnet(mirrored: Mirrored[], lb: SourceSpan, text: string, frontendName: string): string {
  const { program } = parseBicep(text, { fileKind: 'bicep' });
  const idOf = (start: number, end: number): string | undefined => {
    let found: A.Node | undefined;
    walk(program, (n) => {
      if (found) return false;
      if (n.start === start && n.end === end && n.kind !== 'ObjectProperty') {
        found = n;
        return false;
      }
      return n.start <= start && end <= n.end;
    });
    if (!found) return undefined;
    if (found.kind === 'Object') {
      const id = findProperty(found, 'id', true);
      return id ? text.slice(id.value.start, id.value.end) : undefined;
    }
    const t = text.slice(start, end);
    return /^[A-Za-z_][\w.[\]]*$/.test(t) ? `${t}.id` : `(${t}).id`;
  };
  for (const m of mirrored.flatMap((x) => x.rule.members)) {
    if (!m.subnet || m.subnet.file !== lb.file || m.resource?.inLoop || m.resource?.viaModule) continue;
    const id = idOf(m.subnet.start, m.subnet.end);
    if (id) return id;
  }
  const decl = resourceDeclarationAt(program, lb.start);
  const body = decl && bodyOf(decl);
  const props = body && objectValue(findProperty(body, 'properties', true)?.value);
  const fes = props && findProperty(props, 'frontendIPConfigurations', true)?.value;
  if (fes?.kind === 'Array') {
    for (const fe of fes.items) {
      if (fe.kind !== 'Object') continue;
      const name = findProperty(fe, 'name', true)?.value;
      // By name; a frontend whose name is computed only when it is the only one.
      if (name?.kind === 'String' && name.value !== null ? name.value !== frontendName : fes.items.length !== 1) continue;
      const subnet = findProperty(objectValue(findProperty(fe, 'properties', true)?.value) ?? fe, 'subnet', true)?.value;
      const id = subnet && idOf(subnet.start, subnet.end);
      if (id) return id;
    }
  }
  return "!the backends' subnet is not written where the load balancer is, so the NVA cannot be placed in it";
}

function objectValue(e: A.Expression | undefined): A.ObjectExpression | undefined {
  return e?.kind === 'Object' ? e : undefined;
}

function bodyOf(decl: A.ResourceDeclaration | A.ModuleDeclaration): A.ObjectExpression | undefined {
  const v = decl.value;
  if (v.kind === 'Object') return v;
  if (v.kind === 'If') return v.body.kind === 'Object' ? v.body : undefined;
  if (v.kind === 'For') {
    const b = v.body.kind === 'If' ? v.body.body : v.body;
    return b.kind === 'Object' ? b : undefined;
  }
  return undefined;
}

/** Does any resource of the template declare `zones`? */
function armHasZones(text: string): boolean {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  const visit = (resources: Node | undefined): boolean =>
    (resources?.children ?? []).some((r) => {
      if (r.type !== 'object') return false;
      if (child(r, 'zones')) return true;
      const nested = child(r, 'resources');
      return nested?.type === 'array' ? visit(nested) : false;
    });
  const resources = child(tree, 'resources');
  return resources?.type === 'array' ? visit(resources) : resources?.type === 'object' ? (resources.children ?? []).some((p) => !!child(p.children?.[1], 'zones')) : false;
}

function bicepHasZones(text: string): boolean {
  const { program } = parseBicep(text, { fileKind: 'bicep' });
  let zones = false;
  walk(program, (n) => {
    if (zones) return false;
    if (n.kind === 'ResourceDeclaration') {
      const body = bodyOf(n);
      if (body && findProperty(body, 'zones', true)) zones = true;
    }
    return !zones;
  });
  return zones;
}

// ------------------------------------------------------------------ suppressions

/**
 * Suppressions of the mirrored rules, with one reason, in the form their file allows: a directive
 * line above each (none twice on a line, none where one is already), or one `comments` edit on
 * the load balancer that names them all (strict JSON).
 */
function suppressMirrored(plan: Plan, reason: string): TextEdit[] | undefined {
  const { finding, text } = plan;
  const findings = plan.mirrored
    .map((m) => m.rule)
    .filter((r) => r.span.file === finding.span.file)
    .map((r): Finding => ({ ...finding, span: r.span, facts: { ...finding.facts, lbRule: r.name } }));
  let work = text;
  const lines: TextEdit[] = [];
  const seenLines = new Set<number>();
  for (const f of findings) {
    const edits = suppressionEdits(f, work, reason);
    // The finding's own rule must be suppressed (a computed `comments` cannot be extended).
    if (!edits?.length) {
      if (f.span === finding.span || f.span.start === finding.span.start) return undefined;
      continue;
    }
    if (edits.every((e) => e.newText.includes(DIRECTIVE))) {
      // Directive lines are computed on the original text (only a comments edit is applied to `work`).
      const e = edits[0] as TextEdit;
      if (seenLines.has(e.offset) || directiveAbove(text, e.offset, f.ruleId)) continue;
      seenLines.add(e.offset);
      lines.push(e);
      continue;
    }
    work = applyEdits(work, edits);
  }
  if (lines.length) return lines;
  return work === text ? [] : [minimalEdit(finding.span.file, text, work)];
}

const UNSUPPRESSIBLE = "the load balancer's comments is not a plain string, so the rule's suppression cannot be added to it: make it a string (or empty it) first";

/** Is the line before `lineStart` (blank lines skipped) already a directive for the rule? */
function directiveAbove(text: string, lineStart: number, ruleId: string): boolean {
  const lines = text.slice(0, lineStart).split(/\r?\n/);
  lines.pop();
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = (lines[i] as string).trim();
    if (l === '') continue;
    return new RegExp(`^//\\s*${DIRECTIVE}\\s+${ruleId}(\\s|$)`).test(l);
  }
  return false;
}

/** One edit that turns `before` into `after` (their common start and end kept). */
function minimalEdit(file: string, before: string, after: string): TextEdit {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (end < before.length - start && end < after.length - start && before[before.length - 1 - end] === after[after.length - 1 - end]) end++;
  return { file, offset: start, length: before.length - start - end, newText: after.slice(start, after.length - end) };
}

// ------------------------------------------------------------------ shared pieces

/** Why an NVA that exists cannot be reused for a rule it does not mirror. */
function notMirrored(m: Mirrored, where: string): string {
  return `the NGINX NVA of this load balancer (${where}) does not mirror rule ${m.rule.name}: add a rule ${m.nvaRule} and an upstream for port ${m.port.port} to it, or remove the NVA and run the fix again`;
}

function probeOf(m: Mirrored): string {
  return `probe-${m.port.port}`;
}

/** The NVA load balancer's probes: TCP on each port (a UDP-only port's TCP listener answers it). */
function probes(plan: Plan): { name: string; port: number }[] {
  const out = new Map<string, number>();
  for (const m of plan.mirrored) out.set(probeOf(m), m.port.port);
  return [...out].map(([name, port]) => ({ name, port }));
}

function title(plan: Plan): string {
  const f = plan.finding.facts;
  const others = plan.mirrored.length > 1 ? ` and ${plan.mirrored.length - 1} more rule${plan.mirrored.length > 2 ? 's' : ''} on its frontend` : '';
  return `Scaffold an NGINX NVA tier in front of rule ${f.lbRule}${others} (load balancer ${f.loadBalancer})`;
}

function notes(plan: Plan, vip: string, sshKey: string): string[] {
  const f = plan.finding.facts;
  const http = plan.mirrored.filter((m) => m.port.http).map((m) => `${m.port.port}`);
  const stream = plan.mirrored.filter((m) => !m.port.http).map((m) => `${m.port.protocol.toUpperCase()} ${m.port.port}`);
  const dynamic = plan.addresses.some((a) => !('literal' in a));
  const looped = plan.addresses.some((a) => 'loop' in a);
  return [
    `Clients, the backends included, must now call the NVA's VIP (${vip}) instead of ${f.frontendIp ?? `frontend ${f.frontendName}`}: the fix scaffolds the tier and suppresses the rules it stands in for, it does not move the clients.`,
    `Supply the SSH public key (${sshKey}, OpenSSH format) at deployment, in the template's parameter files too; password sign-in is disabled. The admin user is ${ADMIN_PARAM} (default ${DEFAULT_ADMIN}).`,
    `NGINX proxies ${[http.length ? `as HTTP: port ${http.join(', ')}` : '', stream.length ? `as TCP/UDP streams: ${stream.join(', ')}` : ''].filter(Boolean).join('; ')}. Check the choice (docs: the HTTP heuristic).`,
    'cloud-init installs nginx from the Ubuntu archive at first boot: the subnet needs outbound internet access (a NAT gateway, or a route through a firewall).',
    ...(dynamic ? ["Backend addresses that are not written as literals are read from the NICs at deployment: if a backend's address changes, deploy again (or edit /etc/nginx/nginx.conf on the NVA VMs)."] : []),
    ...(looped ? ['The backends are the NICs of a loop: NGINX lists every NIC the loop makes at deployment; deploy again when the count changes.'] : []),
    `Two ${NVA_VM_SIZE} VMs (Ubuntu 22.04) ${plan.zones ? 'in zones 1 and 2' : 'in an availability set'}, their disks and a Standard internal load balancer cost money and add a hop: check the size, the zones and the cost.`,
  ];
}

/** A camel-case key from the load balancer's name, for variable, output and symbol names. */
function keyOf(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const key = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join('');
  return /^[A-Za-z]/.test(key) ? key : `lb${key}`;
}

/** The indentation one level adds in a text: from its first indented line; two spaces if none. */
function indentUnitOf(text: string): string {
  return /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
}

// ------------------------------------------------------------------ Bicep

function bicepFix(plan: Plan, lb: SourceSpan, textOf: TextOf): FixResult {
  const { text, finding } = plan;
  const file = lb.file;
  const { program } = parseBicep(text, { fileKind: 'bicep' });
  const decl = resourceDeclarationAt(program, lb.start);
  const body = decl && bodyOf(decl);
  if (!decl || !body) return refuse('the load balancer declaration could not be located in the current text');
  const lbSym = decl.name.name;
  const nl = eol(text);
  const unit = indentUnitOf(text);
  const slash = file.lastIndexOf('/');
  const dir = file.slice(0, slash + 1);
  const base = file.slice(slash + 1).replace(/\.bicep$/i, '');
  const marker = `${NVA_MARKER} load balancer '${finding.facts.loadBalancer}', frontend '${finding.facts.frontendName}'`;

  // The module file: this frontend's when it exists, else a new one (another NVA's name taken).
  // The module file: this frontend's when it exists, else a new one. A load balancer has one NVA
  // (its resources are named after the load balancer).
  const lbMarker = `${NVA_MARKER} load balancer '${finding.facts.loadBalancer}',`;
  let moduleName = `${base}-nginx-nva.bicep`;
  let existing = textOf(dir + moduleName);
  for (const name of [moduleName, `${base}-${finding.facts.loadBalancer.replace(/[^A-Za-z0-9_.-]+/g, '-')}-nginx-nva.bicep`]) {
    moduleName = name;
    existing = textOf(dir + name);
    if (existing === undefined || existing.startsWith(marker)) break;
    if (existing.startsWith(lbMarker)) return refuse(`${name} is the NGINX NVA of another frontend of ${finding.facts.loadBalancer}: one NVA per load balancer (its resources are named after it)`);
  }
  if (existing !== undefined && !existing.startsWith(marker)) return refuse(`${moduleName} exists and is not this frontend's NVA module`);
  if (existing !== undefined) {
    const missing = plan.mirrored.find((m) => !existing?.includes(`name: '${m.nvaRule}'`));
    if (missing) return refuse(notMirrored(missing, moduleName));
  }
  const edits: TextEdit[] = [];
  if (existing === undefined) edits.push({ file: dir + moduleName, offset: 0, length: 0, newText: bicepModule(plan, marker, unit, nl), create: true });

  // The module declaration and its parameters, after the load balancer.
  const declared = program.statements.find(
    (s): s is A.ModuleDeclaration => s.kind === 'ModuleDeclaration' && s.path.kind === 'String' && s.path.value !== null && s.path.value.replace(/^\.\//, '') === moduleName,
  );
  const symbols = new Set(program.statements.flatMap((s) => ('name' in s && s.name && typeof s.name === 'object' && 'kind' in s.name && s.name.kind === 'Identifier' ? [s.name.name] : [])));
  let moduleSym = `${lbSym}NginxNva`;
  if (declared) moduleSym = declared.name.name;
  else for (let i = 2; symbols.has(moduleSym); i++) moduleSym = `${lbSym}NginxNva${i}`;
  const params = new Set(program.statements.flatMap((s) => (s.kind === 'ParamDeclaration' ? [s.name.name] : [])));
  const block: string[] = [];
  if (!params.has(ADMIN_PARAM)) block.push(`@description('Admin user name of the NGINX NVA VMs (ilb-hairpin nginx-nva).')`, `param ${ADMIN_PARAM} string = '${DEFAULT_ADMIN}'`, '');
  if (!params.has(SSH_KEY_PARAM)) block.push(`@description('SSH public key (OpenSSH format) of the NGINX NVA VMs; password sign-in is disabled.')`, '@secure()', `param ${SSH_KEY_PARAM} string`, '');
  if (!declared) {
    const location = findProperty(body, 'location', true)?.value;
    const i1 = unit;
    const i2 = unit + unit;
    block.push(
      `// NGINX NVA in front of ${finding.facts.loadBalancer} (frontend ${finding.facts.frontendName}), generated by ilb-hairpin:`,
      `// clients must call its VIP, ${moduleSym}.outputs.frontendIp, instead of that frontend.`,
      `module ${moduleSym} './${moduleName}' = {`,
      `${i1}name: '\${${lbSym}.name}-nginx-nva'`,
      `${i1}params: {`,
      `${i2}location: ${location ? text.slice(location.start, location.end) : 'resourceGroup().location'}`,
      `${i2}namePrefix: '\${${lbSym}.name}-nva'`,
      `${i2}subnetId: ${plan.subnet as string}`,
      ...bicepAddresses(plan, i2, unit),
      `${i2}adminUsername: ${ADMIN_PARAM}`,
      `${i2}sshPublicKey: ${SSH_KEY_PARAM}`,
      `${i1}}`,
      `${i1}dependsOn: [`,
      `${i2}${lbSym}`,
      `${i1}]`,
      '}',
    );
  }
  while (block.length && block[block.length - 1] === '') block.pop();
  if (block.length) edits.push({ file, offset: decl.end, length: 0, newText: `${nl}${nl}${block.join(nl)}` });

  const suppressions = suppressMirrored(plan, `clients call the NGINX NVA VIP (${moduleSym}) instead of this frontend`);
  if (!suppressions) return refuse(UNSUPPRESSIBLE);
  edits.push(...suppressions);
  return {
    ok: true,
    fix: { strategy: 'nginx-nva', title: title(plan), notes: notes(plan, `${moduleSym}.outputs.frontendIp`, `parameter ${SSH_KEY_PARAM}`), edits },
  };
}

/** The module's `backendAddresses` argument: the addresses, or the for-expression of a loop. */
function bicepAddresses(plan: Plan, indent: string, unit: string): string[] {
  const [only] = plan.addresses;
  if (only && 'loop' in only) return [`${indent}backendAddresses: ${only.loop}`];
  return [`${indent}backendAddresses: [`, ...plan.addresses.map((a) => `${indent}${unit}${'literal' in a ? `'${a.literal}'` : 'expr' in a ? a.expr : a.loop}`), `${indent}]`];
}

/** A Bicep string literal whose `@@name@@` placeholders become `${expression}`. */
function bicepString(s: string, placeholder: (token: string) => string = (t) => t): string {
  const escaped = s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\$\{/g, '\\${');
  return `'${escaped.replace(/@@(\w+)@@/g, (_, t: string) => `\${${placeholder(t)}}`)}'`;
}

/**
 * The module's cloud-init: `var cloudInit = join([...lines], '\n')`, each upstream's server lines
 * made from `backendAddresses` by a for-expression of their own (`var upstreamHttp80 = [for ...]`),
 * so a loop's NICs, however many the deployment makes, are all listed.
 */
function bicepCloudInit(plan: Plan, u: (n: number) => string): string[] {
  const lines = cloudInitOf(plan, (_, k) => [serversToken(k)]);
  const vars: string[] = [];
  const all = plan.addresses.map((_, i) => i);
  const body = lines.map((line) => {
    const k = SERVERS.exec(line)?.[1];
    if (k === undefined) return `${u(1)}${bicepString(line)}`;
    const m = plan.mirrored[Number(k)] as Mirrored;
    const name = `upstream${upstreamName(m.port).replace(/(^|_)(\w)/g, (_, __, c: string) => c.toUpperCase())}`;
    const every = m.backends.length === all.length;
    const item = every ? 'address' : 'i';
    vars.push(
      `// The server lines of upstream ${upstreamName(m.port)}: one per backend.`,
      `var ${name} = [for ${item} in ${every ? 'backendAddresses' : `[${m.backends.join(', ')}]`}: ${bicepString(line.replace(SERVERS, '@@x@@'), () => (every ? 'address' : 'backendAddresses[i]'))}]`,
      '',
    );
    return `${u(1)}join(${name}, '\\n')`;
  });
  return [...vars, '// cloud-init: installs nginx, writes its configuration, tests it and restarts nginx.', 'var cloudInit = join([', ...body, "], '\\n')"];
}

/** The module file: parameters, the cloud-init, the NVA load balancer, NICs and VMs, the VIP output. */
function bicepModule(plan: Plan, marker: string, unit: string, nl: string): string {
  const f = plan.finding.facts;
  const u = (n: number): string => unit.repeat(n);
  const lines: string[] = [
    marker,
    `// An NGINX NVA tier generated by ilb-hairpin (strategy nginx-nva): two Ubuntu 22.04 VMs running NGINX`,
    `// behind their own internal load balancer proxy ${plan.mirrored.map((m) => `${m.rule.name} (${m.port.protocol.toUpperCase()} ${m.port.port})`).join(', ')}`,
    `// to the backends of ${f.loadBalancer}. A backend that calls this NVA's VIP is not hairpinned: NGINX opens`,
    '// its own connection to a backend. Point the clients, backends included, at the output frontendIp.',
    '// Check the VM size, the zones and the cost before deploying.',
    '',
    "@description('Location of the NVA (the backends\\' load balancer\\'s).')",
    'param location string',
    '',
    "@description('Prefix of the NVA resource names.')",
    'param namePrefix string',
    '',
    "@description('Resource ID of the subnet of the NVA NICs and of its load balancer frontend (the backends\\' subnet).')",
    'param subnetId string',
    '',
    "@description('Private IP addresses of the backends, in the order the NGINX upstreams use them.')",
    'param backendAddresses array',
    '',
    "@description('Admin user name of the NVA VMs.')",
    `param adminUsername string = '${DEFAULT_ADMIN}'`,
    '',
    "@description('SSH public key (OpenSSH format) of the NVA VMs; password sign-in is disabled.')",
    '@secure()',
    'param sshPublicKey string',
    '',
    "@description('Size of the NVA VMs.')",
    `param vmSize string = '${NVA_VM_SIZE}'`,
    '',
    ...bicepCloudInit(plan, u),
    '',
  ];
  if (!plan.zones) {
    lines.push(
      "resource availabilitySet 'Microsoft.Compute/availabilitySets@" + COMPUTE_API + "' = {",
      `${u(1)}name: '\${namePrefix}-avset'`,
      `${u(1)}location: location`,
      `${u(1)}sku: {`,
      `${u(2)}name: 'Aligned'`,
      `${u(1)}}`,
      `${u(1)}properties: {`,
      `${u(2)}platformFaultDomainCount: 2`,
      `${u(2)}platformUpdateDomainCount: 5`,
      `${u(1)}}`,
      '}',
      '',
    );
  }
  const id = (type: string, name: string): string => `resourceId('Microsoft.Network/loadBalancers/${type}', '\${namePrefix}-lb', '${name}')`;
  lines.push(
    `resource lb 'Microsoft.Network/loadBalancers@${NETWORK_API}' = {`,
    `${u(1)}name: '\${namePrefix}-lb'`,
    `${u(1)}location: location`,
    `${u(1)}sku: {`,
    `${u(2)}name: 'Standard'`,
    `${u(1)}}`,
    `${u(1)}properties: {`,
    `${u(2)}frontendIPConfigurations: [`,
    `${u(3)}{`,
    `${u(4)}name: '${FRONTEND}'`,
    `${u(4)}properties: {`,
    `${u(5)}privateIPAllocationMethod: 'Dynamic'`,
    `${u(5)}subnet: {`,
    `${u(6)}id: subnetId`,
    `${u(5)}}`,
    `${u(4)}}`,
    `${u(3)}}`,
    `${u(2)}]`,
    `${u(2)}backendAddressPools: [`,
    `${u(3)}{`,
    `${u(4)}name: '${POOL}'`,
    `${u(3)}}`,
    `${u(2)}]`,
    `${u(2)}probes: [`,
    ...probes(plan).flatMap((p) => [
      `${u(3)}{`,
      `${u(4)}name: '${p.name}'`,
      `${u(4)}properties: {`,
      `${u(5)}protocol: 'Tcp'`,
      `${u(5)}port: ${p.port}`,
      `${u(5)}intervalInSeconds: 5`,
      `${u(5)}numberOfProbes: 2`,
      `${u(4)}}`,
      `${u(3)}}`,
    ]),
    `${u(2)}]`,
    `${u(2)}loadBalancingRules: [`,
    ...plan.mirrored.flatMap((m) => [
      `${u(3)}{`,
      `${u(4)}// ${DIRECTIVE} ${plan.finding.ruleId} ${NVA_RULE_REASON}`,
      `${u(4)}name: '${m.nvaRule}'`,
      `${u(4)}properties: {`,
      `${u(5)}frontendIPConfiguration: {`,
      `${u(6)}id: ${id('frontendIPConfigurations', FRONTEND)}`,
      `${u(5)}}`,
      `${u(5)}backendAddressPool: {`,
      `${u(6)}id: ${id('backendAddressPools', POOL)}`,
      `${u(5)}}`,
      `${u(5)}probe: {`,
      `${u(6)}id: ${id('probes', probeOf(m))}`,
      `${u(5)}}`,
      `${u(5)}protocol: '${m.port.protocol === 'udp' ? 'Udp' : 'Tcp'}'`,
      `${u(5)}frontendPort: ${m.port.port}`,
      `${u(5)}backendPort: ${m.port.port}`,
      `${u(5)}idleTimeoutInMinutes: 4`,
      `${u(4)}}`,
      `${u(3)}}`,
    ]),
    `${u(2)}]`,
    `${u(1)}}`,
    '}',
    '',
    `resource nics 'Microsoft.Network/networkInterfaces@${NETWORK_API}' = [for i in range(0, 2): {`,
    `${u(1)}name: '\${namePrefix}-nic\${i + 1}'`,
    `${u(1)}location: location`,
    `${u(1)}properties: {`,
    `${u(2)}ipConfigurations: [`,
    `${u(3)}{`,
    `${u(4)}name: 'ipconfig1'`,
    `${u(4)}properties: {`,
    `${u(5)}privateIPAllocationMethod: 'Dynamic'`,
    `${u(5)}subnet: {`,
    `${u(6)}id: subnetId`,
    `${u(5)}}`,
    `${u(5)}loadBalancerBackendAddressPools: [`,
    `${u(6)}{`,
    `${u(7)}id: lb.properties.backendAddressPools[0].id`,
    `${u(6)}}`,
    `${u(5)}]`,
    `${u(4)}}`,
    `${u(3)}}`,
    `${u(2)}]`,
    `${u(1)}}`,
    '}]',
    '',
    `resource vms 'Microsoft.Compute/virtualMachines@${COMPUTE_API}' = [for i in range(0, 2): {`,
    `${u(1)}name: '\${namePrefix}-vm\${i + 1}'`,
    `${u(1)}location: location`,
    ...(plan.zones ? [`${u(1)}zones: [`, `${u(2)}'\${i + 1}'`, `${u(1)}]`] : []),
    `${u(1)}properties: {`,
    `${u(2)}hardwareProfile: {`,
    `${u(3)}vmSize: vmSize`,
    `${u(2)}}`,
    ...(plan.zones ? [] : [`${u(2)}availabilitySet: {`, `${u(3)}id: availabilitySet.id`, `${u(2)}}`]),
    `${u(2)}osProfile: {`,
    `${u(3)}computerName: '\${namePrefix}-vm\${i + 1}'`,
    `${u(3)}adminUsername: adminUsername`,
    `${u(3)}customData: base64(cloudInit)`,
    `${u(3)}linuxConfiguration: {`,
    `${u(4)}disablePasswordAuthentication: true`,
    `${u(4)}ssh: {`,
    `${u(5)}publicKeys: [`,
    `${u(6)}{`,
    `${u(7)}path: '/home/\${adminUsername}/.ssh/authorized_keys'`,
    `${u(7)}keyData: sshPublicKey`,
    `${u(6)}}`,
    `${u(5)}]`,
    `${u(4)}}`,
    `${u(3)}}`,
    `${u(2)}}`,
    `${u(2)}storageProfile: {`,
    `${u(3)}imageReference: {`,
    `${u(4)}publisher: '${NVA_IMAGE.publisher}'`,
    `${u(4)}offer: '${NVA_IMAGE.offer}'`,
    `${u(4)}sku: '${NVA_IMAGE.sku}'`,
    `${u(4)}version: '${NVA_IMAGE.version}'`,
    `${u(3)}}`,
    `${u(3)}osDisk: {`,
    `${u(4)}createOption: 'FromImage'`,
    `${u(4)}managedDisk: {`,
    `${u(5)}storageAccountType: 'StandardSSD_LRS'`,
    `${u(4)}}`,
    `${u(3)}}`,
    `${u(2)}}`,
    `${u(2)}networkProfile: {`,
    `${u(3)}networkInterfaces: [`,
    `${u(4)}{`,
    `${u(5)}id: nics[i].id`,
    `${u(4)}}`,
    `${u(3)}]`,
    `${u(2)}}`,
    `${u(1)}}`,
    '}]',
    '',
    "@description('The NVA\\'s VIP: point the clients at it.')",
    'output frontendIp string = lb.properties.frontendIPConfigurations[0].properties.privateIPAddress',
    '',
  );
  return lines.join(nl);
}

// ------------------------------------------------------------------ ARM

/** An ARM expression text (no brackets) as a template string value. */
function armValue(expr: string): string {
  const literal = /^'((?:[^']|'')*)'$/.exec(expr);
  if (literal) {
    const s = (literal[1] as string).replace(/''/g, "'");
    return s.startsWith('[') ? `[${s}` : s;
  }
  return `[${expr}]`;
}

/** `concat(...)` of expression parts, adjacent literals merged; one part stays itself. */
function armConcat(...parts: string[]): string {
  const merged: string[] = [];
  for (const p of parts) {
    const prev = merged[merged.length - 1];
    if (prev && /^'(?:[^']|'')*'$/.test(prev) && /^'(?:[^']|'')*'$/.test(p)) merged[merged.length - 1] = `${prev.slice(0, -1)}${p.slice(1)}`;
    else merged.push(p);
  }
  return merged.length === 1 ? (merged[0] as string) : `concat(${merged.join(', ')})`;
}

/** A line of a variable: a string that starts with `[` is escaped as `[[`. */
const armLiteral = (s: string): string => (s.startsWith('[') ? `[${s}` : s);

function armFix(plan: Plan, lb: SourceSpan): FixResult {
  const { text, finding } = plan;
  const file = lb.file;
  const tree = parseTree(text, [], { allowTrailingComma: true });
  const lbNode = jsonObjectAt(text, lb.start, tree);
  const resources = child(tree, 'resources');
  if (!tree || !lbNode) return refuse('the load balancer could not be located in the current text');
  if (resources?.type !== 'array') return refuse('the template keeps its resources by symbolic name (languageVersion 2.0): add the NVA by hand or in Bicep');
  if (lbNode.parent !== resources) return refuse('the load balancer is declared inside another resource or deployment: add the NVA where it is deployed');
  const lbName = armArg(child(lbNode, 'name'));
  if (!lbName) return refuse("the load balancer's name cannot be read");
  const locationNode = child(lbNode, 'location');
  const location = locationNode?.type === 'string' ? String(locationNode.value) : '[resourceGroup().location]';
  const nl = eol(text);
  const unit = indentUnitOf(text);
  const key = keyOf(finding.facts.loadBalancer);
  const varName = `${key}NvaCloudInit`;
  const outputName = `${key}NvaFrontendIp`;

  const nvaLb = armConcat(lbName, "'-nva-lb'");
  const lbId = `resourceId('Microsoft.Network/loadBalancers', ${nvaLb})`;
  const sub = (type: string, name: string): string => `[resourceId('Microsoft.Network/loadBalancers/${type}', ${nvaLb}, '${name}')]`;
  const nicName = armConcat(lbName, "'-nva-nic'", 'copyIndex(1)');
  const vmName = armConcat(lbName, "'-nva-vm'", 'copyIndex(1)');
  const avsetName = armConcat(lbName, "'-nva-avset'");
  const subnet = getNodeValue(plan.subnet as Node) as unknown;

  // customData: the cloud-init lines joined, each deploy-time address put in for its placeholder.
  // A copy loop's NICs: a nested deployment lists their addresses (a property copy loop may call
  // reference(), a variable may not), and each upstream's server line is repeated for them.
  const [first] = plan.addresses;
  const loop = first && 'loop' in first ? first : undefined;
  const lines = cloudInitOf(plan, (m, k) =>
    loop
      ? [serversToken(k)]
      : m.backends.map((i) => {
          const a = plan.addresses[i] as Address;
          return 'literal' in a ? a.literal : backendToken(i);
        }),
  );
  let cloudInit = `join(variables('${varName}'), '\n')`;
  const backendsDeployment = armConcat(lbName, "'-nva-backends'");
  const addressList = `reference(resourceId('Microsoft.Resources/deployments', ${backendsDeployment})).outputs.addresses.value`;
  if (loop) {
    for (const line of lines) {
      const k = SERVERS.exec(line)?.[1];
      if (k === undefined) continue;
      const [before, after] = line.split(serversToken(Number(k))) as [string, string];
      cloudInit = `replace(${cloudInit}, '${serversToken(Number(k))}', join(${addressList}, ${quote(`${after}\n${before}`)}))`;
    }
  }
  plan.addresses.forEach((a, i) => {
    if ('expr' in a) cloudInit = `replace(${cloudInit}, '${backendToken(i)}', ${a.expr})`;
  });
  const addressDeps = loop
    ? [`[resourceId('Microsoft.Resources/deployments', ${backendsDeployment})]`]
    : plan.addresses.flatMap((a) => ('dependsOn' in a && a.dependsOn ? [a.dependsOn] : []));

  const nvaResources: unknown[] = [];
  if (loop) {
    nvaResources.push({
      type: 'Microsoft.Resources/deployments',
      apiVersion: DEPLOYMENTS_API,
      name: armValue(backendsDeployment),
      comments: "The private IP addresses of the backends' NICs, one per NIC of their copy loop, for the NGINX NVA.",
      dependsOn: [loop.dependsOn],
      properties: {
        mode: 'Incremental',
        expressionEvaluationOptions: { scope: 'inner' },
        parameters: { addresses: { copy: [{ name: 'value', count: loop.count, input: `[${loop.loop}]` }] } },
        template: {
          $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
          contentVersion: '1.0.0.0',
          parameters: { addresses: { type: 'array' } },
          resources: [],
          outputs: { addresses: { type: 'array', value: "[parameters('addresses')]" } },
        },
      },
    });
  }
  if (!plan.zones) {
    nvaResources.push({
      type: 'Microsoft.Compute/availabilitySets',
      apiVersion: COMPUTE_API,
      name: armValue(avsetName),
      location,
      sku: { name: 'Aligned' },
      properties: { platformFaultDomainCount: 2, platformUpdateDomainCount: 5 },
    });
  }
  nvaResources.push(
    {
      type: 'Microsoft.Network/loadBalancers',
      apiVersion: NETWORK_API,
      name: armValue(nvaLb),
      location,
      comments: plan.mirrored.map((m) => `ilb-hairpin-disable ${finding.ruleId} ${m.nvaRule}: ${NVA_RULE_REASON.replace(/;/g, ',')}`).join('; '),
      sku: { name: 'Standard' },
      dependsOn: [`[resourceId('Microsoft.Network/loadBalancers', ${lbName})]`],
      properties: {
        frontendIPConfigurations: [{ name: FRONTEND, properties: { privateIPAllocationMethod: 'Dynamic', subnet } }],
        backendAddressPools: [{ name: POOL }],
        probes: probes(plan).map((p) => ({ name: p.name, properties: { protocol: 'Tcp', port: p.port, intervalInSeconds: 5, numberOfProbes: 2 } })),
        loadBalancingRules: plan.mirrored.map((m) => ({
          name: m.nvaRule,
          properties: {
            frontendIPConfiguration: { id: sub('frontendIPConfigurations', FRONTEND) },
            backendAddressPool: { id: sub('backendAddressPools', POOL) },
            probe: { id: sub('probes', probeOf(m)) },
            protocol: m.port.protocol === 'udp' ? 'Udp' : 'Tcp',
            frontendPort: m.port.port,
            backendPort: m.port.port,
            idleTimeoutInMinutes: 4,
          },
        })),
      },
    },
    {
      type: 'Microsoft.Network/networkInterfaces',
      apiVersion: NETWORK_API,
      name: armValue(nicName),
      location,
      copy: { name: `${key}NvaNics`, count: 2 },
      dependsOn: [`[${lbId}]`],
      properties: {
        ipConfigurations: [
          {
            name: 'ipconfig1',
            properties: { privateIPAllocationMethod: 'Dynamic', subnet, loadBalancerBackendAddressPools: [{ id: sub('backendAddressPools', POOL) }] },
          },
        ],
      },
    },
    {
      type: 'Microsoft.Compute/virtualMachines',
      apiVersion: COMPUTE_API,
      name: armValue(vmName),
      location,
      copy: { name: `${key}NvaVms`, count: 2 },
      ...(plan.zones ? { zones: ['[string(copyIndex(1))]'] } : {}),
      dependsOn: [
        `[resourceId('Microsoft.Network/networkInterfaces', ${nicName})]`,
        ...(plan.zones ? [] : [`[resourceId('Microsoft.Compute/availabilitySets', ${avsetName})]`]),
        ...addressDeps,
      ],
      properties: {
        hardwareProfile: { vmSize: NVA_VM_SIZE },
        ...(plan.zones ? {} : { availabilitySet: { id: `[resourceId('Microsoft.Compute/availabilitySets', ${avsetName})]` } }),
        osProfile: {
          computerName: armValue(vmName),
          adminUsername: `[parameters('${ADMIN_PARAM}')]`,
          customData: `[base64(${cloudInit})]`,
          linuxConfiguration: {
            disablePasswordAuthentication: true,
            ssh: { publicKeys: [{ path: `[format('/home/{0}/.ssh/authorized_keys', parameters('${ADMIN_PARAM}'))]`, keyData: `[parameters('${SSH_KEY_PARAM}')]` }] },
          },
        },
        storageProfile: {
          imageReference: { ...NVA_IMAGE },
          osDisk: { createOption: 'FromImage', managedDisk: { storageAccountType: 'StandardSSD_LRS' } },
        },
        networkProfile: { networkInterfaces: [{ id: `[resourceId('Microsoft.Network/networkInterfaces', ${nicName})]` }] },
      },
    },
  );

  const edits: TextEdit[] = [];
  const rootAdditions: [string, unknown][] = [];
  const section = (name: string, entries: [string, unknown][]): void => {
    const node = child(tree, name);
    const missing = entries.filter(([k]) => !child(node, k));
    if (!missing.length) return;
    if (node?.type === 'object') edits.push(...addJsonEntries(text, node, file, missing, unit, nl));
    else if (!node) rootAdditions.push([name, Object.fromEntries(missing)]);
  };
  section('parameters', [
    [ADMIN_PARAM, { type: 'string', defaultValue: DEFAULT_ADMIN, metadata: { description: 'Admin user name of the NGINX NVA VMs (ilb-hairpin nginx-nva).' } }],
    [SSH_KEY_PARAM, { type: 'securestring', metadata: { description: 'SSH public key (OpenSSH format) of the NGINX NVA VMs; password sign-in is disabled.' } }],
  ]);
  section('variables', [[varName, lines.map(armLiteral)]]);

  // The resources, unless the NVA's load balancer is there already.
  const nvaLbValue = armValue(nvaLb);
  const present = (resources.children ?? []).find((r) => child(r, 'name')?.value === nvaLbValue && /loadBalancers$/i.test(String(child(r, 'type')?.value)));
  if (present) {
    const names = (child(child(present, 'properties'), 'loadBalancingRules')?.children ?? []).map((r) => child(r, 'name')?.value);
    const missing = plan.mirrored.find((m) => !names.includes(m.nvaRule));
    if (missing) return refuse(notMirrored(missing, `${finding.facts.loadBalancer}-nva-lb`));
  } else {
    const items = resources.children ?? [];
    const last = items[items.length - 1];
    if (!last) return refuse('the resources array is empty');
    const indent = indentAt(text, last.offset);
    const body = nvaResources.map((r) => JSON.stringify(r, null, unit).split('\n').join(`${nl}${indent}`)).join(`,${nl}${indent}`);
    edits.push({ file, offset: last.offset + last.length, length: 0, newText: `,${nl}${indent}${body}` });
  }
  section('outputs', [[outputName, { type: 'string', value: `[reference(${lbId}).frontendIPConfigurations[0].properties.privateIPAddress]` }]]);
  if (rootAdditions.length) edits.push(...addJsonEntries(text, tree, file, rootAdditions, unit, nl));

  const suppressions = suppressMirrored(plan, `clients call the NGINX NVA VIP (${finding.facts.loadBalancer}-nva-lb, output ${outputName}) instead of this frontend`);
  if (!suppressions) return refuse(UNSUPPRESSIBLE);
  edits.push(...suppressions);
  return {
    ok: true,
    fix: { strategy: 'nginx-nva', title: title(plan), notes: notes(plan, `output ${outputName}`, `parameter ${SSH_KEY_PARAM}`), edits },
  };
}

/** Edits that add entries as the last properties of a JSON object, in the text's style. */
function addJsonEntries(text: string, object: Node, file: string, entries: [string, unknown][], unit: string, nl: string): TextEdit[] {
  const props = object.children ?? [];
  const last = props[props.length - 1];
  if (!last) {
    const indent = indentAt(text, object.offset);
    const inner = entries.map(([k, v]) => `${indent}${unit}${JSON.stringify(k)}: ${JSON.stringify(v, null, unit).split('\n').join(`${nl}${indent}${unit}`)}`).join(`,${nl}`);
    return [{ file, offset: object.offset, length: object.length, newText: `{${nl}${inner}${nl}${indent}}` }];
  }
  if (onSameLine(text, object.offset, last.offset)) {
    return [{ file, offset: last.offset + last.length, length: 0, newText: entries.map(([k, v]) => `, ${JSON.stringify(k)}: ${JSON.stringify(v)}`).join('') }];
  }
  // insertJsonProperty indents every line of the value like the last property: the later
  // entries ride along as lines of the first one's value.
  const [first, ...rest] = entries as [[string, unknown], ...[string, unknown][]];
  const value = [JSON.stringify(first[1], null, unit), ...rest.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v, null, unit)}`)].join(',\n');
  return insertJsonProperty(text, object, file, JSON.stringify(first[0]), value);
}

