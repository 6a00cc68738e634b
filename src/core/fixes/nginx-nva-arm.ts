/** The NGINX NVA scaffold for ARM JSON (see nginx-nva.ts): the resources, parameters, variable and output it adds. */
import { findNodeAtOffset, getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { child } from '../parse/arm';
import type { SourceSpan } from '../source';
import { eol, indentAt, insertJsonProperty, jsonObjectAt, onSameLine, type TextEdit } from '../edit';
import type { FixResult } from './types';
import { NVA_RULE_REASON, ADMIN_PARAM, SSH_KEY_PARAM, DEFAULT_ADMIN, NVA_VM_SIZE, NVA_IMAGE, NETWORK_API, COMPUTE_API, DEPLOYMENTS_API, FRONTEND, POOL, backendToken, serversToken, SERVERS, refuse, cloudInitOf, suppressMirrored, UNSUPPRESSIBLE, notMirrored, probeOf, probes, title, notes, keyOf, indentUnitOf, quote, type Address, type Mirrored, type Plan } from './nginx-nva-plan';

/** An ARM name value as an expression argument: `[expr]` gives expr, a literal is quoted. */
export function armArg(node: Node | undefined): string | undefined {
  if (node?.type !== 'string') return undefined;
  const s = String(node.value);
  if (s.startsWith('[') && s.endsWith(']') && !s.startsWith('[[')) return s.slice(1, -1).trim();
  return quote(s.startsWith('[[') ? s.slice(1) : s);
}

/** The NVA's subnet (ARM: the `subnet` object as written): a member's, else the frontend's. "!" + why when neither can be used. */
export function armSubnet(mirrored: Mirrored[], lb: SourceSpan, text: string, frontendName: string): Node | string {
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

/** Does any resource of the template declare `zones`? */
export function armHasZones(text: string): boolean {
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

export function armFix(plan: Plan, lb: SourceSpan): FixResult {
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
export function addJsonEntries(text: string, object: Node, file: string, entries: [string, unknown][], unit: string, nl: string): TextEdit[] {
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
