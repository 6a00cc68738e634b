/**
 * Floating IP plus the guest configuration: the floating-IP edit, and for each backend VM a
 * CustomScript extension that puts the frontend IP on its loopback (Linux: a systemd unit;
 * Windows: netsh, weak host send/receive and a firewall rule). Plain edits, like every fix.
 */
import { findNodeAtOffset, parseTree, type Node } from 'jsonc-parser';
import type { Finding, GuestTarget } from '../rules/types';
import { extensionProperties } from './guest';
import { floatingIpFix, type FixResult, type TextEdit, type TextOf } from './floating-ip';

/** The name of the extension the fix adds (also how it knows it already did). */
export const LOOPBACK_EXTENSION = 'ilb-hairpin-loopback';

export function floatingIpLoopbackFix(finding: Finding, textOf: TextOf, os?: 'linux' | 'windows'): FixResult {
  const base = floatingIpFix(finding, textOf);
  if (!base.ok) return base;
  const vip = finding.facts.frontendIp;
  if (!vip) return { ok: false, reason: 'the frontend IP is dynamic: give the frontend a static privateIPAddress, so the members can hold it on their loopback' };
  const guests = finding.fixTarget?.guests ?? [];
  if (guests.length === 0) return { ok: false, reason: 'no VM or scale set behind the rule is declared in these templates' };
  const edits: TextEdit[] = [...base.fix.edits];
  for (const g of guests) {
    const guestOs = g.os ?? os;
    if (g.kind === 'scale-set') return { ok: false, reason: 'members are a scale set: its extension profile is not edited yet (configure the loopback in its image or custom data)' };
    if (g.inLoop) return { ok: false, reason: 'the VMs are declared in a loop: the loopback extension for a loop is not written yet' };
    if (g.viaModule) return { ok: false, reason: 'a VM is declared in a module or linked template: configure its loopback there' };
    if (!guestOs) return { ok: false, reason: 'the OS of a backend VM cannot be told from its image or osProfile: choose it (CLI: --os linux|windows)' };
    const text = textOf(g.span.file);
    if (text === undefined) return { ok: false, reason: `${g.span.file} cannot be read` };
    if (text.includes(LOOPBACK_EXTENSION)) continue; // already configured by an earlier fix
    const props = extensionProperties(guestOs, vip, finding.facts.frontendPort, finding.facts.protocol);
    const edit = /\.bicep$/i.test(g.span.file) ? bicepExtension(text, g, props) : armExtension(text, g, props);
    if (!edit) return { ok: false, reason: 'a backend VM could not be located in the current text' };
    edits.push(edit);
  }
  return {
    ok: true,
    fix: {
      strategy: 'floating-ip-loopback',
      title: `Enable floating IP on rule ${finding.facts.lbRule} and configure ${vip} on the backend VMs' loopback`,
      notes: [
        "Health probes still reach each NIC's own IP: the application must listen on the NIC's IP and on the VIP.",
        ...base.fix.notes,
      ],
      edits,
    },
  };
}

function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

function indentOf(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
}

/** ARM: a `virtualMachines/extensions` resource right after the VM, in the same array. */
function armExtension(text: string, g: GuestTarget, props: Record<string, unknown>): TextEdit | undefined {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  let vm: Node | undefined = tree ? findNodeAtOffset(tree, g.span.start) : undefined;
  while (vm && !(vm.type === 'object' && vm.offset === g.span.start)) vm = vm.parent;
  if (!vm || vm.parent?.type !== 'array') return undefined;
  const prop = (key: string): Node | undefined =>
    vm?.children?.find((p) => String(p.children?.[0]?.value).toLowerCase() === key)?.children?.[1];
  const nameNode = prop('name');
  if (nameNode?.type !== 'string') return undefined;
  const name = String(nameNode.value);
  const expr = name.startsWith('[') && name.endsWith(']') && !name.startsWith('[[') ? name.slice(1, -1) : `'${name.replace(/'/g, "''")}'`;
  const locationNode = prop('location');
  const resource = {
    type: 'Microsoft.Compute/virtualMachines/extensions',
    apiVersion: '2023-09-01',
    name: `[concat(${expr}, '/${LOOPBACK_EXTENSION}')]`,
    location: locationNode?.type === 'string' ? locationNode.value : '[resourceGroup().location]',
    dependsOn: [`[resourceId('Microsoft.Compute/virtualMachines', ${expr})]`],
    properties: props,
  };
  const indent = indentOf(text, vm.offset);
  const firstProp = vm.children?.[0];
  const unit = firstProp ? indentOf(text, firstProp.offset).slice(indent.length) || '  ' : '  ';
  const nl = eol(text);
  const body = JSON.stringify(resource, null, unit)
    .split('\n')
    .map((line, i) => (i === 0 ? line : indent + line))
    .join(nl);
  return { file: g.span.file, offset: vm.offset + vm.length, length: 0, newText: `,${nl}${indent}${body}` };
}

/** Bicep: a child extension resource declared right after the VM, with `parent:` the VM. */
function bicepExtension(text: string, g: GuestTarget, props: Record<string, unknown>): TextEdit | undefined {
  if (!g.symbolicName) return undefined;
  const nl = eol(text);
  const lines = [
    `resource ${g.symbolicName}IlbHairpinLoopback 'Microsoft.Compute/virtualMachines/extensions@2023-09-01' = {`,
    `  parent: ${g.symbolicName}`,
    `  name: '${LOOPBACK_EXTENSION}'`,
    `  location: ${g.symbolicName}.location`,
    `  properties: ${bicepValue(props, '  ', nl)}`,
    '}',
  ];
  return { file: g.span.file, offset: g.span.end, length: 0, newText: `${nl}${nl}${lines.join(nl)}` };
}

/** A plain value as Bicep text (objects on several lines, strings single-quoted). */
function bicepValue(v: unknown, indent: string, nl: string): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\$\{/g, '\\${')}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => bicepValue(x, indent, nl)).join(', ')}]`;
  const inner = `${indent}  `;
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${inner}${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `'${k}'`}: ${bicepValue(x, inner, nl)}`);
  return `{${nl}${entries.join(nl)}${nl}${indent}}`;
}
