/** The NGINX NVA scaffold for Bicep (see nginx-nva.ts): the new module file and its declaration in the template. */
import { parseBicep, walk } from '../parse/bicep';
import { findProperty } from '../parse/bicep/walk';
import type { SourceSpan } from '../source';
import { DIRECTIVE } from '../suppress';
import type * as A from '../parse/bicep/ast';
import { eol, resourceDeclarationAt, type TextEdit } from '../edit';
import type { FixResult, TextOf } from './types';
import { upstreamName } from './nginx-conf';
import { NVA_RULE_REASON, NVA_MARKER, ADMIN_PARAM, SSH_KEY_PARAM, DEFAULT_ADMIN, NVA_VM_SIZE, NVA_IMAGE, NETWORK_API, COMPUTE_API, FRONTEND, POOL, serversToken, SERVERS, refuse, cloudInitOf, suppressMirrored, UNSUPPRESSIBLE, notMirrored, probeOf, probes, title, notes, indentUnitOf, type Mirrored, type Plan } from './nginx-nva-plan';

/** The values (body, condition or loop) of the text's resource declarations, by declaration start. */
export function bicepDeclarations(text: string): Map<number, A.ResourceValue> {
  const out = new Map<number, A.ResourceValue>();
  for (const s of parseBicep(text, { fileKind: 'bicep' }).program.statements) {
    if (s.kind === 'ResourceDeclaration') out.set(s.start, s.value);
  }
  return out;
}

// ------------------------------------------------------------------ backends and placement

/** Bicep: an expression for the subnet's resource ID, from a member's `subnet` (else the frontend's). */
export function bicepSubnet(mirrored: Mirrored[], lb: SourceSpan, text: string, frontendName: string): string {
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

export function bodyOf(decl: A.ResourceDeclaration | A.ModuleDeclaration): A.ObjectExpression | undefined {
  const v = decl.value;
  if (v.kind === 'Object') return v;
  if (v.kind === 'If') return v.body.kind === 'Object' ? v.body : undefined;
  if (v.kind === 'For') {
    const b = v.body.kind === 'If' ? v.body.body : v.body;
    return b.kind === 'Object' ? b : undefined;
  }
  return undefined;
}

export function bicepHasZones(text: string): boolean {
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

export function bicepFix(plan: Plan, lb: SourceSpan, textOf: TextOf): FixResult {
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
