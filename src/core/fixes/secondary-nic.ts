/**
 * The secondary-NIC workaround: each backend VM gets a second NIC in the same subnet and in no
 * pool (the existing NIC marked primary), and a guest route sends the VIP/32 out of it through
 * the subnet gateway. A member's own call to the frontend then has the secondary NIC's address
 * as its source: when the load balancer picks the member itself, the reply goes back through
 * the platform instead of being answered by the VM to itself. Scale sets get a second
 * `networkInterfaceConfigurations` entry. Plain edits, like every fix.
 */
import { findNodeAtOffset, getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { child } from '../parse/arm';
import { findProperty, parseBicep, walk } from '../parse/bicep';
import type * as A from '../parse/bicep/ast';
import type { Finding, MemberTarget } from '../rules/types';
import { ancestorAt, bicepObjectAt, eol, indentAt, insertBicepProperty, insertJsonProperty, onSameLine, resourceDeclarationAt, type TextEdit } from '../edit';
import type { FixResult, TextOf } from './types';
import { customScriptProperties, linuxSecondaryNicScript, rewriteEmbeddedScripts, secondaryNicScriptRoutes, subnetGateway, windowsSecondaryNicScript } from './guest';
import { armExtension, armScaleSetExtension, bicepExtension, bicepScaleSetExtension, bodyOf, companionHead, customScriptConflict, indentUnit, renamedCopy } from './loopback';

/** The guest configuration's extension name (also how a second run knows a VM is done). */
export const ROUTE_EXTENSION = 'ilb-hairpin-secondary-nic';
/** Appended to the member NIC's name for the new NIC. */
export const NIC_SUFFIX = '-ilbh-nic2';
/** The name of the new entry in a VM's or scale set's `networkInterfaceConfigurations`. */
export const NIC_CONFIG_NAME = 'ilb-hairpin-nic2';

const NOTES = [
  'The VM size must allow two NICs (most sizes with 2 or more vCPUs do); a running VM must be stopped (deallocated) to attach a NIC.',
  "The second NIC gets a dynamic address in the member's subnet and joins no backend pool; the existing NIC is marked primary.",
];

type Kind = 'arm' | 'bicep';



export function secondaryNicFix(finding: Finding, textOf: TextOf, os?: 'linux' | 'windows'): FixResult {
  const vip = finding.facts.frontendIp;
  if (!vip) return { ok: false, reason: 'the frontend IP is dynamic or not evaluated: the guest route needs it (give the frontend a static privateIPAddress)' };
  const members = finding.fixTarget?.members ?? [];
  if (members.length === 0) return { ok: false, reason: 'no backend member is declared in these templates' };
  const edits: TextEdit[] = [];
  const done = new Set<string>();
  for (const m of members) {
    const made = memberEdits(m, vip, textOf, os, done);
    if (typeof made === 'string') return { ok: false, reason: made };
    edits.push(...made);
  }
  if (edits.length === 0) return { ok: false, reason: 'every backend VM already has the secondary NIC and its route' };
  return {
    ok: true,
    fix: {
      strategy: 'secondary-nic',
      title: `Add a secondary NIC to each backend VM of rule ${finding.facts.lbRule}, with the route of ${vip}/32 through it (the VM size must allow two NICs)`,
      notes: [
        ...NOTES,
        ...(members.some((m) => m.kind === 'scale-set')
          ? ['A scale set with a Manual upgrade policy applies the new NIC configuration and extension to existing instances only when they are upgraded (reimaged).']
          : []),
      ],
      edits,
    },
  };
}

/** The edits for one member, or why it cannot be fixed. */
function memberEdits(m: MemberTarget, vip: string, textOf: TextOf, os: 'linux' | 'windows' | undefined, done: Set<string>): TextEdit[] | string {
  if (m.kind === 'module') return `member ${m.name} is declared in a module that is not read: add its second NIC there`;
  if (!m.vm) return `${m.name} is a NIC with no VM in these templates: there is no machine to give a second NIC`;
  if (m.vm.viaModule || m.resource?.viaModule) return `${m.name} is declared in a module or linked template: add its second NIC there`;
  const guestOs = m.vm.os ?? os;
  if (!guestOs) return `the OS of ${m.name} cannot be told from its image or osProfile: choose it (CLI: --os linux|windows)`;
  if (m.vm.customScript) return customScriptConflict(m.vm.customScript);
  const other = m.vm.fixedBy?.find((name) => name !== ROUTE_EXTENSION);
  if (other) return customScriptConflict(other);
  const key = `${m.vm.span.file}:${m.vm.span.start}`;
  if (done.has(key)) return [];
  done.add(key);
  if (m.vm.fixedBy?.includes(ROUTE_EXTENSION)) {
    // The secondary NIC is there from a fix for another frontend: its script routes this VIP too.
    const file = m.vm.span.file;
    const text = textOf(file);
    if (text === undefined) return `${file} cannot be read`;
    return routeAlsoThrough(text, file, vip) ?? `${m.name} already has a secondary NIC from an earlier fix, whose script could not be read: add the route of ${vip}/32 to its ${ROUTE_EXTENSION} script`;
  }
  if (!m.subnet) return `the subnet of ${m.name} is not written in the template`;
  const file = m.vm.span.file;
  const text = textOf(file);
  if (text === undefined) return `${file} cannot be read`;
  const kind: Kind = /\.bicep$/i.test(file) ? 'bicep' : 'arm';
  const gateway = m.subnetPrefix ? subnetGateway(m.subnetPrefix) : undefined;
  const script = guestOs === 'windows' ? windowsSecondaryNicScript(vip, gateway) : linuxSecondaryNicScript(vip, gateway);
  const props = customScriptProperties(guestOs, script);
  if (m.resource && m.resource.span.file !== file) return `${m.name}: the NIC and its VM are in different files`;
  const network =
    m.kind === 'nic' || m.kind === 'ip-address'
      ? kind === 'arm'
        ? armNic(text, m)
        : bicepNic(text, m)
      : kind === 'arm'
        ? armNicConfig(text, m)
        : bicepNicConfig(text, m);
  if (typeof network === 'string') return `${m.name}: ${network}`;
  const isScaleSet = m.kind === 'scale-set';
  const extension =
    kind === 'arm'
      ? isScaleSet
        ? armScaleSetExtension(text, m.vm, props, ROUTE_EXTENSION)
        : armExtension(text, m.vm, props, ROUTE_EXTENSION)
      : isScaleSet
        ? bicepScaleSetExtension(text, m.vm, props, ROUTE_EXTENSION)
        : bicepExtension(text, m.vm, props, ROUTE_EXTENSION);
  if (!extension) return `${m.name}: the ${isScaleSet ? 'scale set' : 'VM'} could not be located in the current text (or its loop is filtered)`;
  return [...network, ...(Array.isArray(extension) ? extension : [extension])];
}

/**
 * The edits that add `vip` to the secondary-NIC scripts already in a file (each one is
 * re-made with its VIPs and this one, encoded as before); undefined when there is none.
 */
function routeAlsoThrough(text: string, file: string, vip: string): TextEdit[] | undefined {
  return rewriteEmbeddedScripts(text, file, (script) => {
    const routes = secondaryNicScriptRoutes(script);
    if (!routes || routes.vips.includes(vip)) return routes ? script : undefined;
    const vips = [...routes.vips, vip];
    return routes.os === 'windows' ? windowsSecondaryNicScript(vips, routes.gateway) : linuxSecondaryNicScript(vips, routes.gateway);
  });
}

// ---- ARM ----

function jsonTree(text: string): Node | undefined {
  return parseTree(text, [], { allowTrailingComma: true });
}

function objectAt(tree: Node | undefined, offset: number): Node | undefined {
  return ancestorAt(tree ? findNodeAtOffset(tree, offset) : undefined, offset);
}

/** A value in the text's JSON style at `indent` (multi-line objects indented by `unit`). */
function jsonText(value: unknown, indent: string, unit: string, nl: string): string {
  return JSON.stringify(value, null, unit).split('\n').join(`${nl}${indent}`);
}

/** `[expr]` -> `expr`; a literal -> its quoted form, for use inside another expression. */
function expressionOf(s: string): string {
  return s.startsWith('[') && s.endsWith(']') && !s.startsWith('[[') ? s.slice(1, -1) : `'${s.replace(/'/g, "''")}'`;
}

/** The item after `node` in its array, in the array's layout (same line or a line of its own). */
function jsonAppendAfter(text: string, node: Node, file: string, value: unknown, unit: string): TextEdit {
  const nl = eol(text);
  const array = node.parent;
  const oneLineArray = array ? onSameLine(text, array.offset, array.offset + array.length) : false;
  const oneLineItem = onSameLine(text, node.offset, node.offset + node.length);
  const compact = oneLineJson(value);
  if (oneLineArray) return { file, offset: node.offset + node.length, length: 0, newText: `, ${compact}` };
  const indent = indentAt(text, node.offset);
  return { file, offset: node.offset + node.length, length: 0, newText: `,${nl}${indent}${oneLineItem ? compact : jsonText(value, indent, unit, nl)}` };
}

/** JSON on one line with spaces after separators, as people write short objects: `{ "a": 1, "b": [2] }`. */
function oneLineJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLineJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length ? `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${oneLineJson(v)}`).join(', ')} }` : '{}';
  }
  return JSON.stringify(value);
}

/** Marks an object's `properties.primary` true (inserted when missing); a string when it says false. */
function jsonPrimary(text: string, object: Node, file: string): TextEdit[] | string {
  const props = child(object, 'properties');
  const primary = child(props, 'primary');
  if (primary?.type === 'boolean') return primary.value === true ? [] : 'the NIC in the pool is not the primary one: the VM already has several NICs';
  if (primary) return 'its primary flag is computed';
  if (props?.type === 'object') return insertJsonProperty(text, props, file, '"primary"', 'true');
  if (props) return 'its properties are computed';
  return insertJsonProperty(text, object, file, '"properties"', '{ "primary": true }');
}

/** An ARM NIC resource plus its VM: a new NIC after the member's, attached to the VM as non-primary. */
function armNic(text: string, m: MemberTarget): TextEdit[] | string {
  if (!m.resource || !m.vm || !m.vmNicReference || !m.subnet) return 'the NIC or its attachment to the VM is not written in the template';
  const file = m.vm.span.file;
  const tree = jsonTree(text);
  const nic = objectAt(tree, m.resource.span.start);
  const vm = objectAt(tree, m.vm.span.start);
  const entry = objectAt(tree, m.vmNicReference.start);
  const subnetNode = tree ? findNodeAtOffset(tree, m.subnet.start) : undefined;
  if (!nic || !vm || !entry || !subnetNode || nic.parent?.type !== 'array') return 'the NIC could not be located in the current text';
  const name = child(nic, 'name');
  const id = child(entry, 'id');
  if (name?.type !== 'string' || id?.type !== 'string') return "the NIC's name or its ID in the VM is not a string";
  const unit = indentUnit(text, nic.offset, nic.children?.[0]?.offset);
  const nl = eol(text);
  const nicProps = child(nic, 'properties');
  const nsg = child(nicProps, 'networkSecurityGroup');
  const copy = child(nic, 'copy');
  const apiVersion = child(nic, 'apiVersion');
  const location = child(nic, 'location');
  const dependsOn = child(nic, 'dependsOn');
  const condition = child(nic, 'condition');
  const newNic = {
    ...(condition ? { condition: getNodeValue(condition) as unknown } : {}),
    ...(copy ? { copy: renamedCopy(getNodeValue(copy), 'ilbh-nic2') } : {}),
    type: 'Microsoft.Network/networkInterfaces',
    apiVersion: apiVersion ? getNodeValue(apiVersion) : '2023-09-01',
    name: `[concat(${expressionOf(String(name.value))}, '${NIC_SUFFIX}')]`,
    location: location ? getNodeValue(location) : '[resourceGroup().location]',
    ...(dependsOn ? { dependsOn: getNodeValue(dependsOn) } : {}),
    properties: {
      ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAllocationMethod: 'Dynamic', subnet: getNodeValue(subnetNode) } }],
      ...(nsg ? { networkSecurityGroup: getNodeValue(nsg) } : {}),
    },
  };
  const indent = indentAt(text, nic.offset);
  const edits: TextEdit[] = [{ file, offset: nic.offset + nic.length, length: 0, newText: `,${nl}${indent}${jsonText(newNic, indent, unit, nl)}` }];
  const newId = `[concat(${expressionOf(String(id.value))}, '${NIC_SUFFIX}')]`;
  const primary = jsonPrimary(text, entry, file);
  if (typeof primary === 'string') return primary;
  edits.push(...primary, jsonAppendAfter(text, entry, file, { id: newId, properties: { primary: false } }, unit));
  // The VM waits for its new NIC.
  const vmDepends = child(vm, 'dependsOn');
  const last = vmDepends?.children?.[vmDepends.children.length - 1];
  if (last) edits.push(jsonAppendAfter(text, last, file, newId, unit));
  else if (vmDepends?.type === 'array') edits.push({ file, offset: vmDepends.offset, length: vmDepends.length, newText: JSON.stringify([newId]) });
  else if (!vmDepends) edits.push(...insertJsonProperty(text, vm, file, '"dependsOn"', JSON.stringify([newId])));
  else return "the VM's dependsOn is computed";
  return edits;
}

/** An ARM VM or scale set with `networkInterfaceConfigurations`: a second, non-primary entry. */
function armNicConfig(text: string, m: MemberTarget): TextEdit[] | string {
  if (!m.ipConfig || !m.subnet) return 'the ipConfiguration is not written in the template';
  const file = m.vm?.span.file ?? m.ipConfig.file;
  const tree = jsonTree(text);
  const ipConfig = objectAt(tree, m.ipConfig.start);
  const subnetNode = tree ? findNodeAtOffset(tree, m.subnet.start) : undefined;
  // ipConfig -> ipConfigurations array -> property -> properties object -> property -> config object
  const config = ipConfig?.parent?.parent?.parent?.parent?.parent;
  if (!ipConfig || !subnetNode || config?.type !== 'object' || config.parent?.type !== 'array') return 'the NIC configuration could not be located in the current text';
  const configs = config.parent;
  if (configs.children?.some((c) => child(c, 'name')?.value === NIC_CONFIG_NAME)) return [];
  const unit = indentUnit(text, config.offset, config.children?.[0]?.offset);
  const primary = jsonPrimary(text, config, file);
  if (typeof primary === 'string') return primary;
  const last = configs.children?.[configs.children.length - 1] as Node;
  const entry = {
    name: NIC_CONFIG_NAME,
    properties: { primary: false, ipConfigurations: [{ name: 'ipconfig1', properties: { subnet: getNodeValue(subnetNode) } }] },
  };
  return [...primary, jsonAppendAfter(text, last, file, entry, unit)];
}

// ---- Bicep ----

function bicepProp(o: A.ObjectExpression | undefined, key: string): A.ObjectProperty | undefined {
  return o ? findProperty(o, key, true) : undefined;
}

/** Re-indents a multi-line piece of text taken from `from` to sit at `indent`. */
function reindent(text: string, piece: A.Span, indent: string, nl: string): string {
  const raw = text.slice(piece.start, piece.end);
  const base = indentAt(text, piece.start);
  return raw
    .split(/\r?\n/)
    .map((line, i) => (i === 0 ? line : indent + (line.startsWith(base) ? line.slice(base.length) : line.trimStart())))
    .join(nl);
}

function bicepPrimary(text: string, object: A.ObjectExpression, file: string, unit: string): TextEdit[] | string {
  const props = bicepProp(object, 'properties');
  const primary = props?.value.kind === 'Object' ? bicepProp(props.value, 'primary') : undefined;
  if (primary) {
    const v = text.slice(primary.value.start, primary.value.end).trim();
    if (v === 'true') return [];
    return v === 'false' ? 'the NIC in the pool is not the primary one: the VM already has several NICs' : 'its primary flag is computed';
  }
  if (props?.value.kind === 'Object') return insertBicepProperty(text, props.value, file, 'primary', 'true');
  if (props) return 'its properties are computed';
  const oneLine = onSameLine(text, object.start, object.end);
  return insertBicepProperty(text, object, file, 'properties', oneLine ? '{ primary: true }' : `{\n${unit}primary: true\n}`);
}

/** The next item of a Bicep array after `item`, on a line of its own (or `, item` in a one-line array). */
function bicepAppendAfter(text: string, item: A.Span, file: string, itemText: string): TextEdit {
  const nl = eol(text);
  const lineStart = text.lastIndexOf('\n', item.start - 1) + 1;
  const ownLine = text.slice(lineStart, item.start).trim() === '';
  const oneLine = (t: string): string =>
    t
      .replace(/\{\n\s*/g, '{ ')
      .replace(/\n\s*\}/g, ' }')
      .replace(/\[\n\s*/g, '[')
      .replace(/\n\s*\]/g, ']')
      .replace(/\n\s*/g, ', ');
  if (!ownLine) return { file, offset: item.end, length: 0, newText: `, ${oneLine(itemText)}` };
  const indent = indentAt(text, item.start);
  const shown = onSameLine(text, item.start, item.end) ? oneLine(itemText) : itemText.split('\n').join(`${nl}${indent}`);
  return { file, offset: item.end, length: 0, newText: `${nl}${indent}${shown}` };
}

function bicepNic(text: string, m: MemberTarget): TextEdit[] | string {
  if (!m.resource?.symbolicName || !m.vm || !m.vmNicReference || !m.subnet) return 'the NIC or its attachment to the VM is not written in the template';
  const file = m.vm.span.file;
  const { program } = parseBicep(text, { fileKind: 'bicep' });
  const nic = resourceDeclarationAt(program, m.resource.span.start);
  if (!nic || nic.type.kind !== 'String') return 'the NIC could not be located in the current text';
  const sym = m.resource.symbolicName;
  const newSym = `${sym}IlbhNic2`;
  const body = bodyOf(nic.value);
  const head = companionHead(text, nic.value, sym);
  if (!body || !head) return 'the NIC is not declared by an object (or its loop or condition could not be read)';
  const nl = eol(text);
  const unit = indentUnit(text, body.start, body.properties[0]?.start);
  const ref = head.ref;
  const nicProps = bicepProp(body, 'properties')?.value;
  const nsg = bicepProp(nicProps?.kind === 'Object' ? nicProps : undefined, 'networkSecurityGroup');
  const i1 = unit;
  const i2 = unit.repeat(2);
  const i3 = unit.repeat(3);
  const i4 = unit.repeat(4);
  const i5 = unit.repeat(5);
  const lines = [
    `resource ${newSym} ${text.slice(nic.type.start, nic.type.end)} = ${head.open}`,
    `${i1}name: '\${${ref}.name}${NIC_SUFFIX}'`,
    `${i1}location: ${ref}.location`,
    `${i1}properties: {`,
    `${i2}ipConfigurations: [`,
    `${i3}{`,
    `${i4}name: 'ipconfig1'`,
    `${i4}properties: {`,
    `${i5}privateIPAllocationMethod: 'Dynamic'`,
    `${i5}subnet: ${reindent(text, m.subnet, i5, nl)}`,
    `${i4}}`,
    `${i3}}`,
    `${i2}]`,
    ...(nsg ? [`${i2}networkSecurityGroup: ${reindent(text, nsg.value, i2, nl)}`] : []),
    `${i1}}`,
    head.close,
  ];
  const edits: TextEdit[] = [{ file, offset: nic.end, length: 0, newText: `${nl}${nl}${lines.join(nl)}` }];
  const entry = bicepObjectAt(text, m.vmNicReference.start, program);
  if (!entry) return 'its entry in the VM could not be located in the current text';
  const idProp = bicepProp(entry, 'id');
  const idText = idProp ? text.slice(idProp.value.start, idProp.value.end).trim() : '';
  // `nic.id` or `nic[i].id`: the new NIC is referred to the same way.
  const byIndex = new RegExp(`^${sym}(\\[[^\\]]+\\])?\\.id$`).exec(idText);
  if (!byIndex) return `the VM attaches the NIC by a computed ID rather than by ${sym}.id`;
  const entryUnit = indentUnit(text, entry.start, entry.properties[0]?.start);
  const primary = bicepPrimary(text, entry, file, entryUnit);
  if (typeof primary === 'string') return primary;
  const newEntry = `{\n${entryUnit}id: ${newSym}${byIndex[1] ?? ''}.id\n${entryUnit}properties: {\n${entryUnit}${entryUnit}primary: false\n${entryUnit}}\n}`;
  edits.push(...primary, bicepAppendAfter(text, entry, file, newEntry));
  return edits;
}

function bicepNicConfig(text: string, m: MemberTarget): TextEdit[] | string {
  if (!m.ipConfig || !m.subnet) return 'the ipConfiguration is not written in the template';
  const file = m.vm?.span.file ?? m.ipConfig.file;
  const { program } = parseBicep(text, { fileKind: 'bicep' });
  // The chain of nodes from the program down to the ipConfiguration.
  const chain: A.Node[] = [];
  walk(program, (n) => {
    if (n.start <= m.ipConfig!.start && m.ipConfig!.start < n.end) {
      chain.push(n);
      return n.start !== m.ipConfig!.start || n.kind !== 'Object';
    }
    return false;
  });
  const ipIndex = chain.findIndex((n) => n.kind === 'Object' && n.start === m.ipConfig!.start);
  // ... config Object -> Property(properties) -> Object -> Property(ipConfigurations) -> Array -> ipConfig Object
  const config = chain[ipIndex - 5];
  const configs = chain[ipIndex - 6];
  if (ipIndex < 6 || config?.kind !== 'Object' || configs?.kind !== 'Array') return 'the NIC configuration could not be located in the current text';
  if (configs.items.some((c) => c.kind === 'Object' && /'ilb-hairpin-nic2'/.test(text.slice(c.start, c.end)))) return [];
  const primary = bicepPrimary(text, config, file, indentUnit(text, config.start, config.properties[0]?.start));
  if (typeof primary === 'string') return primary;
  const last = configs.items[configs.items.length - 1] as A.Span;
  const u = indentUnit(text, config.start, config.properties[0]?.start);
  const entry = [
    '{',
    `${u}name: '${NIC_CONFIG_NAME}'`,
    `${u}properties: {`,
    `${u}${u}primary: false`,
    `${u}${u}ipConfigurations: [`,
    `${u.repeat(3)}{`,
    `${u.repeat(4)}name: 'ipconfig1'`,
    `${u.repeat(4)}properties: {`,
    `${u.repeat(5)}subnet: ${reindent(text, m.subnet, u.repeat(5), '\n')}`,
    `${u.repeat(4)}}`,
    `${u.repeat(3)}}`,
    `${u}${u}]`,
    `${u}}`,
    '}',
  ].join('\n');
  return [...primary, bicepAppendAfter(text, last, file, entry)];
}
