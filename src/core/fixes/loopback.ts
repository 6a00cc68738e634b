/**
 * Floating IP plus the guest configuration: the floating-IP edit, and for each backend VM a
 * CustomScript extension that puts the frontend IP on its loopback (Linux: a systemd unit;
 * Windows: netsh, weak host send/receive and a firewall rule). Plain edits, like every fix.
 */
import { findNodeAtOffset, getNodeValue, parseTree, type Node } from 'jsonc-parser';
import type { Finding, GuestTarget } from '../rules/types';
import { extensionProperties, rewriteEmbeddedScripts, withLoopbackVip } from './guest';
import { child } from '../parse/arm';
import { findProperty, parseBicep } from '../parse/bicep';
import type * as A from '../parse/bicep/ast';
import { ancestorAt, eol, indentAt, insertBicepProperty, insertJsonProperty, resourceDeclarationAt, type TextEdit } from '../edit';
import { floatingIpFix } from './floating-ip';
import type { FixResult, TextOf } from './types';

/**
 * Edits that add `vip` to the loopback scripts an earlier fix put in the file (each base64
 * script, or PowerShell encoded command, re-encoded the same way); undefined when there is none.
 */
export function addVipToLoopbackScripts(text: string, file: string, vip: string, port: number | null, protocol: string | null): TextEdit[] | undefined {
  return rewriteEmbeddedScripts(text, file, (script) => withLoopbackVip(script, vip, port, protocol));
}

/** Azure runs one CustomScript extension per machine: a second one would fail the deployment. */
export function customScriptConflict(name: string): string {
  return `a backend machine already has the CustomScript extension ${name}, and Azure allows one per machine: add the guest commands (see the rule's docs) to that script`;
}

/** The name of the extension the fix adds (also how it knows it already did). */
export const LOOPBACK_EXTENSION = 'ilb-hairpin-loopback';

export function floatingIpLoopbackFix(finding: Finding, textOf: TextOf, os?: 'linux' | 'windows'): FixResult {
  const base = floatingIpFix(finding, textOf);
  if (!base.ok) return base;
  const vip = finding.facts.frontendIp;
  if (!vip) return { ok: false, reason: 'the frontend IP is dynamic: give the frontend a static privateIPAddress, so the members can hold it on their loopback' };
  const guests = finding.fixTarget?.guests ?? [];
  if (guests.length === 0) return { ok: false, reason: 'no VM or scale set behind the rule is declared in these templates' };
  // Floating IP makes every member receive packets addressed to the VIP: a member whose machine
  // is not declared here would get no loopback configuration and stop serving the rule.
  const uncovered = (finding.fixTarget?.members ?? []).filter((m) => m.kind !== 'scale-set' && m.kind !== 'vm-nic-config' && !m.vm);
  if (uncovered.length) {
    const names = uncovered.map((m) => m.name).join(', ');
    return {
      ok: false,
      reason: `the machine behind ${uncovered.length === 1 ? 'member' : 'members'} ${names} is not declared in these templates, so its loopback cannot be configured, and with floating IP on it would stop serving the rule: configure ${vip} on its loopback where it is deployed, or choose another workaround`,
    };
  }
  const edits: TextEdit[] = [...base.fix.edits];
  let scaleSets = false;
  for (const g of guests) {
    const guestOs = g.os ?? os;
    if (g.viaModule) return { ok: false, reason: 'a VM is declared in a module or linked template: configure its loopback there' };
    if (g.customScript) return { ok: false, reason: customScriptConflict(g.customScript) };
    if (!guestOs) return { ok: false, reason: 'the OS of a backend VM cannot be told from its image or osProfile: choose it (CLI: --os linux|windows)' };
    const text = textOf(g.span.file);
    if (text === undefined) return { ok: false, reason: `${g.span.file} cannot be read` };
    if (g.fixedBy?.includes(LOOPBACK_EXTENSION)) {
      // The loopback of an earlier fix (another frontend of the same members): this VIP joins it.
      const more = addVipToLoopbackScripts(text, g.span.file, vip, finding.facts.frontendPort, finding.facts.protocol);
      if (!more) return { ok: false, reason: `a backend machine has the ${LOOPBACK_EXTENSION} extension of an earlier fix, whose script could not be read: add ${vip} to it` };
      for (const e of more) if (!edits.some((x) => x.offset === e.offset)) edits.push(e);
      continue;
    }
    const other = g.fixedBy?.find((name) => name !== LOOPBACK_EXTENSION);
    if (other) return { ok: false, reason: customScriptConflict(other) };
    const props = extensionProperties(guestOs, vip, finding.facts.frontendPort, finding.facts.protocol);
    const bicep = /\.bicep$/i.test(g.span.file);
    const made =
      g.kind === 'scale-set'
        ? bicep
          ? bicepScaleSetExtension(text, g, props)
          : armScaleSetExtension(text, g, props)
        : bicep
          ? bicepExtension(text, g, props)
          : armExtension(text, g, props);
    if (!made) return { ok: false, reason: `a backend ${g.kind === 'scale-set' ? 'scale set' : 'VM'} could not be located in the current text` };
    edits.push(...(Array.isArray(made) ? made : [made]));
    if (g.kind === 'scale-set') scaleSets = true;
  }
  return {
    ok: true,
    fix: {
      strategy: 'floating-ip-loopback',
      title: `Enable floating IP on rule ${finding.facts.lbRule} and configure ${vip} on the backend VMs' loopback`,
      notes: [
        "Health probes still reach each NIC's own IP: the application must listen on the NIC's IP and on the VIP.",
        ...(scaleSets ? ['A scale set with a Manual upgrade policy applies the new extension to existing instances only when they are upgraded.'] : []),
        ...base.fix.notes,
      ],
      edits,
    },
  };
}


/** ARM: a `virtualMachines/extensions` resource right after the VM, in the same array. */
export function armExtension(text: string, g: Pick<GuestTarget, 'span'>, props: Record<string, unknown>, extension = LOOPBACK_EXTENSION): TextEdit | undefined {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  const vm = ancestorAt(tree ? findNodeAtOffset(tree, g.span.start) : undefined, g.span.start);
  if (!vm || vm.parent?.type !== 'array') return undefined;
  const prop = (key: string): Node | undefined => child(vm, key);
  const nameNode = prop('name');
  if (nameNode?.type !== 'string') return undefined;
  const name = String(nameNode.value);
  const expr = name.startsWith('[') && name.endsWith(']') && !name.startsWith('[[') ? name.slice(1, -1) : `'${name.replace(/'/g, "''")}'`;
  const locationNode = prop('location');
  // VMs made by a copy loop get the extension by the same loop (copyIndex() means the same there).
  const copyNode = prop('copy');
  const conditionNode = prop('condition');
  const resource = {
    ...(conditionNode ? { condition: getNodeValue(conditionNode) as unknown } : {}),
    ...(copyNode ? { copy: renamedCopy(getNodeValue(copyNode), extension) } : {}),
    type: 'Microsoft.Compute/virtualMachines/extensions',
    apiVersion: '2023-09-01',
    name: `[concat(${expr}, '/${extension}')]`,
    location: locationNode?.type === 'string' ? locationNode.value : '[resourceGroup().location]',
    dependsOn: [`[resourceId('Microsoft.Compute/virtualMachines', ${expr})]`],
    properties: props,
  };
  const indent = indentAt(text, vm.offset);
  const firstProp = vm.children?.[0];
  const unit = firstProp ? indentAt(text, firstProp.offset).slice(indent.length) || '  ' : '  ';
  const nl = eol(text);
  const body = JSON.stringify(resource, null, unit)
    .split('\n')
    .map((line, i) => (i === 0 ? line : indent + line))
    .join(nl);
  return { file: g.span.file, offset: vm.offset + vm.length, length: 0, newText: `,${nl}${indent}${body}` };
}

/** A resource's `copy` for a companion resource: the same loop under a name of its own (copy names are unique in a template). */
export function renamedCopy(copy: unknown, suffix: string): unknown {
  if (copy === null || typeof copy !== 'object' || Array.isArray(copy)) return copy;
  const c = copy as Record<string, unknown>;
  if (typeof c.name !== 'string') return c;
  const expression = c.name.startsWith('[') && c.name.endsWith(']') && !c.name.startsWith('[[');
  return { ...c, name: expression ? `[concat(${c.name.slice(1, -1)}, '-${suffix}')]` : `${c.name}-${suffix}` };
}

/** The indentation one level adds, as the text uses it (from an object and its first property). */
export function indentUnit(text: string, objectOffset: number, firstChildOffset: number | undefined): string {
  if (firstChildOffset === undefined) return '  ';
  return indentAt(text, firstChildOffset).slice(indentAt(text, objectOffset).length) || '  ';
}

/**
 * ARM scale set: an entry in `virtualMachineProfile.extensionProfile.extensions`, creating the
 * profile or the array when the template has none.
 */
export function armScaleSetExtension(text: string, g: Pick<GuestTarget, 'span'>, props: Record<string, unknown>, extension = LOOPBACK_EXTENSION): TextEdit[] | undefined {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  const ss = ancestorAt(tree ? findNodeAtOffset(tree, g.span.start) : undefined, g.span.start);
  const profile = child(child(ss, 'properties'), 'virtualMachineProfile');
  if (!ss || profile?.type !== 'object') return undefined;
  const unit = indentUnit(text, profile.offset, profile.children?.[0]?.offset);
  const entry = { name: extension, properties: props };
  const extensionProfile = child(profile, 'extensionProfile');
  const extensions = child(extensionProfile, 'extensions');
  if (extensions?.type === 'array' && extensions.children?.length) {
    const last = extensions.children[extensions.children.length - 1] as Node;
    const indent = indentAt(text, last.offset);
    const nl = eol(text);
    return [{ file: g.span.file, offset: last.offset + last.length, length: 0, newText: `,${nl}${indent}${JSON.stringify(entry, null, unit).split('\n').join(`${nl}${indent}`)}` }];
  }
  if (extensions?.type === 'array') {
    const indent = indentAt(text, extensions.offset);
    const nl = eol(text);
    return [{ file: g.span.file, offset: extensions.offset, length: extensions.length, newText: JSON.stringify([entry], null, unit).split('\n').join(`${nl}${indent}`) }];
  }
  if (extensionProfile?.type === 'object') return insertJsonProperty(text, extensionProfile, g.span.file, '"extensions"', JSON.stringify([entry], null, unit));
  return insertJsonProperty(text, profile, g.span.file, '"extensionProfile"', JSON.stringify({ extensions: [entry] }, null, unit));
}

/** Bicep scale set: the same entry, in the declaration's object literals. */
export function bicepScaleSetExtension(text: string, g: Pick<GuestTarget, 'span'>, props: Record<string, unknown>, extension = LOOPBACK_EXTENSION): TextEdit[] | undefined {
  const { program } = parseBicep(text, { fileKind: 'bicep' });
  const decl = resourceDeclarationAt(program, g.span.start);
  const body = decl ? bodyOf(decl.value) : undefined;
  const objectProp = (o: A.ObjectExpression | undefined, key: string): A.ObjectExpression | A.ArrayExpression | undefined => {
    const p = o ? findProperty(o, key, true) : undefined;
    return p?.value.kind === 'Object' || p?.value.kind === 'Array' ? p.value : undefined;
  };
  const properties = objectProp(body, 'properties');
  const profile = properties?.kind === 'Object' ? objectProp(properties, 'virtualMachineProfile') : undefined;
  if (profile?.kind !== 'Object') return undefined;
  const nl = eol(text);
  const entry = bicepValue({ name: extension, properties: props }, '', '\n');
  const extensionProfile = objectProp(profile, 'extensionProfile');
  const extensions = extensionProfile?.kind === 'Object' ? objectProp(extensionProfile, 'extensions') : undefined;
  if (extensions?.kind === 'Array' && extensions.items.length) {
    const last = extensions.items[extensions.items.length - 1] as A.Span;
    const indent = indentAt(text, last.start);
    return [{ file: g.span.file, offset: last.end, length: 0, newText: `${nl}${indent}${entry.split('\n').join(`${nl}${indent}`)}` }];
  }
  if (extensionProfile?.kind === 'Object' && !extensions) return insertBicepProperty(text, extensionProfile, g.span.file, 'extensions', `[\n  ${entry.split('\n').join('\n  ')}\n]`);
  if (extensionProfile) return undefined; // an empty or computed array: left to the person
  return insertBicepProperty(text, profile, g.span.file, 'extensionProfile', `{\n  extensions: [\n    ${entry.split('\n').join('\n    ')}\n  ]\n}`);
}

/** Bicep: a child extension resource declared right after the VM, with `parent:` the VM. */
export function bicepExtension(text: string, g: Pick<GuestTarget, 'span' | 'symbolicName' | 'inLoop'>, props: Record<string, unknown>, extension = LOOPBACK_EXTENSION): TextEdit | undefined {
  if (!g.symbolicName) return undefined;
  const nl = eol(text);
  const { program } = parseBicep(text, { fileKind: 'bicep' });
  const decl = resourceDeclarationAt(program, g.span.start);
  if (!decl) return undefined;
  const head = companionHead(text, decl.value, g.symbolicName);
  if (!head) return undefined;
  const body = bodyOf(decl.value);
  const unit = body ? indentUnit(text, body.start, body.properties[0]?.start) : '  ';
  const lines = [
    `resource ${g.symbolicName}${symbolSuffix(extension)} 'Microsoft.Compute/virtualMachines/extensions@2023-09-01' = ${head.open}`,
    `${unit}parent: ${head.ref}`,
    `${unit}name: '${extension}'`,
    `${unit}location: ${head.ref}.location`,
    `${unit}properties: ${bicepValue(props, unit, nl, unit)}`,
    head.close,
  ];
  return { file: g.span.file, offset: g.span.end, length: 0, newText: `${nl}${nl}${lines.join(nl)}` };
}

/** The object of a resource declaration, inside its loop and condition. */
export function bodyOf(value: A.ResourceValue): A.ObjectExpression | undefined {
  const inner = value.kind === 'For' ? value.body : value;
  const body = inner.kind === 'If' ? inner.body : inner;
  return body.kind === 'Object' ? body : undefined;
}

/**
 * How a declaration that goes with another one (its extension, its second NIC) starts and ends:
 * by the same loop over the same items (indexing the other by the loop's index) and under the
 * same condition, so that there is one exactly where the other is deployed.
 */
export function companionHead(text: string, value: A.ResourceValue, symbol: string): { open: string; close: string; ref: string } | undefined {
  const src = (n: A.Span): string => text.slice(n.start, n.end);
  if (value.kind === 'Object') return { open: '{', close: '}', ref: symbol };
  if (value.kind === 'If') return value.body.kind === 'Object' ? { open: `if (${src(value.condition)}) {`, close: '}', ref: symbol } : undefined;
  if (value.kind !== 'For') return undefined;
  const index = value.index?.name ?? 'ilbHairpinIndex';
  const filter = value.body.kind === 'If' ? (value.body.body.kind === 'Object' ? `if (${src(value.body.condition)}) ` : undefined) : value.body.kind === 'Object' ? '' : undefined;
  if (filter === undefined) return undefined;
  return { open: `[for (${value.item.name}, ${index}) in ${src(value.iterable)}: ${filter}{`, close: '}]', ref: `${symbol}[${index}]` };
}

/** `ilb-hairpin-loopback` -> `IlbHairpinLoopback`, for the symbolic names of added declarations. */
export function symbolSuffix(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');
}

/** A plain value as Bicep text (objects on several lines, strings single-quoted). */
export function bicepValue(v: unknown, indent: string, nl: string, unit = '  '): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\$\{/g, '\\${')}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map((x) => bicepValue(x, indent, nl, unit)).join(', ')}]`;
  const inner = `${indent}${unit}`;
  const entries = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${inner}${/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? k : `'${k}'`}: ${bicepValue(x, inner, nl, unit)}`);
  return `{${nl}${entries.join(nl)}${nl}${indent}}`;
}
