/**
 * The NGINX NVA scaffold's shared plan (see nginx-nva.ts): the names and versions it writes, the
 * mirrored rules and backends both template languages build from, the NGINX configuration as
 * cloud-init, the suppressions of the mirrored rules, and the fix's title and notes.
 */
import type { Node } from 'jsonc-parser';
import type { Finding, RuleTarget } from '../rules/types';
import { DIRECTIVE, suppressionEdits } from '../suppress';
import { applyEdits, type TextEdit } from '../edit';
import type { FixResult } from './types';
import { cloudInitLines, nginxConf, type NvaPort } from './nginx-conf';

/** Why the NVA's own rules are suppressed. */
export const NVA_RULE_REASON = 'NGINX calls the backends directly; nothing in the NVA pool calls the NVA VIP';
/** The first line of a generated module file (how the fix recognises its own file). */
export const NVA_MARKER = '// ilb-hairpin nginx-nva:';
export const ADMIN_PARAM = 'nvaAdminUsername';
export const SSH_KEY_PARAM = 'nvaSshPublicKey';
export const DEFAULT_ADMIN = 'nvaadmin';
export const NVA_VM_SIZE = 'Standard_B2s';
export const NVA_IMAGE = { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' } as const;
export const NETWORK_API = '2023-09-01';
export const COMPUTE_API = '2023-09-01';
export const DEPLOYMENTS_API = '2022-09-01';
export const FRONTEND = 'fe-nva';
export const POOL = 'be-nva';

/** The placeholder of backend `i` in the generated configuration (ARM: replaced in customData). */
export const backendToken = (i: number): string => `@@backend${i}@@`;
/** The placeholder of port `k`'s server lines (Bicep: one line per backend, made by a for-expression). */
export const serversToken = (k: number): string => `@@servers${k}@@`;
export const SERVERS = /@@servers(\d+)@@/;

/**
 * A backend's address: a literal IP; an expression (Bicep or ARM, without brackets) read at
 * deployment; or (Bicep) a for-expression that lists a looped NIC declaration's addresses.
 */
export type Address = { literal: string } | { expr: string; dependsOn?: string } | Loop;

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

export interface Mirrored {
  rule: RuleTarget;
  port: NvaPort;
  /** The NVA load balancer's rule name. */
  nvaRule: string;
  /** Its backends: indexes into Plan.addresses. */
  backends: number[];
}

/** What both template languages build from: the mirrored rules, the backends and the placement. */
export interface Plan {
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

export const refuse = (reason: string): FixResult => ({ ok: false, reason });

/** The cloud-init lines, each port's backends given by `backendsOf`. */
export function cloudInitOf(plan: Plan, backendsOf: (m: Mirrored, k: number) => string[]): string[] {
  const conf = nginxConf({ ports: plan.mirrored.map((m, k) => ({ ...m.port, backends: backendsOf(m, k) })), backends: [], comment: `In front of ${plan.described}.` });
  return cloudInitLines(conf, `NGINX NVA for ${plan.described} (ilb-hairpin nginx-nva)`);
}

export const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * Suppressions of the mirrored rules, with one reason, in the form their file allows: a directive
 * line above each (none twice on a line, none where one is already), or one `comments` edit on
 * the load balancer that names them all (strict JSON).
 */
export function suppressMirrored(plan: Pick<Plan, 'finding' | 'text'> & { mirrored: { rule: RuleTarget }[] }, reason: string): TextEdit[] | undefined {
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

export const UNSUPPRESSIBLE = "the load balancer's comments is not a plain string, so the rule's suppression cannot be added to it: make it a string (or empty it) first";

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
export function notMirrored(m: Mirrored, where: string): string {
  return `the NGINX NVA of this load balancer (${where}) does not mirror rule ${m.rule.name}: add a rule ${m.nvaRule} and an upstream for port ${m.port.port} to it, or remove the NVA and run the fix again`;
}

export function probeOf(m: Mirrored): string {
  return `probe-${m.port.port}`;
}

/** The NVA load balancer's probes: TCP on each port (a UDP-only port's TCP listener answers it). */
export function probes(plan: Plan): { name: string; port: number }[] {
  const out = new Map<string, number>();
  for (const m of plan.mirrored) out.set(probeOf(m), m.port.port);
  return [...out].map(([name, port]) => ({ name, port }));
}

export function title(plan: Plan): string {
  const f = plan.finding.facts;
  const others = plan.mirrored.length > 1 ? ` and ${plan.mirrored.length - 1} more rule${plan.mirrored.length > 2 ? 's' : ''} on its frontend` : '';
  return `Scaffold an NGINX NVA tier in front of rule ${f.lbRule}${others} (load balancer ${f.loadBalancer})`;
}

export function notes(plan: Plan, vip: string, sshKey: string): string[] {
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
export function keyOf(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const key = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join('');
  return /^[A-Za-z]/.test(key) ? key : `lb${key}`;
}

/** The indentation one level adds in a text: from its first indented line; two spaces if none. */
export function indentUnitOf(text: string): string {
  return /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
}

// ------------------------------------------------------------------ Bicep
