/**
 * The Application Gateway scaffold (strategy `app-gateway`): for HTTP and HTTPS rules, an
 * Application Gateway v2 (Standard_v2, or WAF_v2) in a dedicated subnet, with a private frontend
 * the clients call instead of the ILB's, a backend pool of the rule's members, and for each
 * hairpin-prone rule of the frontend a listener, backend settings, a health probe mirrored from
 * the load balancer's and a routing rule (seed, section 3: "A simple option for HTTP/S traffic is
 * to utilise Azure Application Gateway instead"). The gateway opens its own connections to the
 * members, so a member calling the gateway's address is never sent back to itself by the ILB.
 *
 * - The dedicated subnet (Azure requires one, holding only Application Gateways) is added to the
 *   members' virtual network when it is declared in the load balancer's file, with a free prefix
 *   inside its address space (a /24, else a /26); otherwise the fix is refused, naming it.
 * - A v2 gateway needs a public frontend IP configuration unless the subscription has the
 *   private-only deployment feature (EnableApplicationGatewayNetworkIsolation): the fix writes a
 *   Standard static public IP and a public frontend with no listener on it, and says so.
 * - ARM: the resources at the end of `resources` (the public IP, the gateway), parameters for what
 *   must be chosen (HTTPS: the Key Vault secret of the certificate and the identity that reads it)
 *   and an output with the gateway's private address. Bicep: a new module file
 *   `<template>-app-gateway.bicep` and its `module` declaration after the load balancer.
 * - The mirrored rules are suppressed with the reason (clients call the gateway).
 */
import { parseTree, type Node } from 'jsonc-parser';
import { eol, indentAt, resourceDeclarationAt, type TextEdit } from '../edit';
import { child } from '../parse/arm';
import { findProperty, parseBicep } from '../parse/bicep';
import type * as A from '../parse/bicep/ast';
import type { Finding, RuleTarget } from '../rules/types';
import { isHttpRule } from './nginx-conf';
import { jsonObjectAt } from '../edit';
import { addressOf } from './nginx-nva';
import { addJsonEntries, armArg } from './nginx-nva-arm';
import { bicepDeclarations, bodyOf } from './nginx-nva-bicep';
import { indentUnitOf, keyOf, suppressMirrored, UNSUPPRESSIBLE, type Address } from './nginx-nva-plan';
import type { FixResult, TextOf } from './types';

export type AppGatewaySku = 'Standard_v2' | 'WAF_v2';
const NETWORK_API = '2023-09-01';
/** The dedicated subnet's name. */
export const APPGW_SUBNET = 'ilbh-appgw-subnet';
/** The first line of a generated module file. */
export const APPGW_MARKER = '// ilb-hairpin app-gateway:';
export const CERT_PARAM = 'appGatewayCertificateSecretId';
export const IDENTITY_PARAM = 'appGatewayIdentityId';
export const APPGW_RULE_REASON = 'clients call the Application Gateway';

const refuse = (reason: string): FixResult => ({ ok: false, reason });

interface Mirrored {
  rule: RuleTarget;
  protocol: 'Http' | 'Https';
  port: number;
  backendPort: number;
  /** Index into the addresses. */
  backends: number[];
}

/** HTTP or HTTPS, as the NVA's detection tells; undefined for other traffic. */
export function webProtocolOf(r: Pick<RuleTarget, 'protocol' | 'frontendPort' | 'backendPort' | 'name' | 'probeProtocol'>): 'Http' | 'Https' | undefined {
  if ((r.protocol ?? '').toLowerCase() !== 'tcp' || r.frontendPort === null || r.backendPort === null) return undefined;
  const rule = { frontendPort: r.frontendPort, backendPort: r.backendPort, protocol: 'tcp' as const, name: r.name, probeProtocol: r.probeProtocol };
  if (isHttpRule(rule)) return 'Http';
  if ([443, 8443].includes(r.frontendPort) || [443, 8443].includes(r.backendPort) || /^https$/i.test(r.probeProtocol ?? '') || /https|tls|ssl/i.test(r.name)) return 'Https';
  return undefined;
}

// ------------------------------------------------------------------ IPv4 prefixes

const ipToInt = (ip: string): number | undefined => {
  const parts = ip.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts.reduce((a, p) => a * 256 + p, 0) : undefined;
};
const intToIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
function parseCidr(c: string): { base: number; size: number } | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(c.trim());
  const base = m ? ipToInt(m[1] as string) : undefined;
  const bits = m ? Number(m[2]) : NaN;
  if (base === undefined || !(bits >= 0 && bits <= 32)) return undefined;
  const size = 2 ** (32 - bits);
  return { base: base - (base % size), size };
}

/** A free prefix (a /24, else a /26) inside the address space, overlapping no subnet; or why not. */
export function freePrefix(addressSpace: readonly (string | null)[], subnets: readonly (string | null)[]): string | { reason: string } {
  if (!addressSpace.length || addressSpace.some((p) => p === null) || subnets.some((p) => p === null)) return { reason: "the virtual network's address space or a subnet's prefix is not known in the template" };
  const used = subnets.map((s) => parseCidr(s as string)).filter((x): x is { base: number; size: number } => !!x);
  for (const bits of [24, 26]) {
    const size = 2 ** (32 - bits);
    for (const space of addressSpace.map((p) => parseCidr(p as string))) {
      if (!space || space.size < size) continue;
      for (let base = space.base; base + size <= space.base + space.size; base += size) {
        if (!used.some((u) => base < u.base + u.size && u.base < base + size)) return `${intToIp(base)}/${bits}`;
      }
    }
  }
  return { reason: 'the address space has no free /24 or /26 outside its subnets' };
}

// ------------------------------------------------------------------ the gateway, as data

/** A value written as an expression: ARM `[expr]`, Bicep as is. */
interface Raw {
  raw: { arm: string; bicep: string };
}
const raw = (arm: string, bicep: string): Raw => ({ raw: { arm, bicep } });
type Shape = string | number | boolean | Raw | Shape[] | { [k: string]: Shape };

interface Names {
  gatewayId: (type: string, name: string) => Raw;
  subnetId: Raw;
  publicIpId: Raw;
  certificate: Raw;
}

function gatewayProperties(mirrored: Mirrored[], addresses: Address[], sku: AppGatewaySku, privateIp: string, n: Names): { [k: string]: Shape } {
  const https = mirrored.some((m) => m.protocol === 'Https');
  const id = (type: string, name: string): { id: Shape } => ({ id: n.gatewayId(type, name) });
  const key = (m: Mirrored): string => m.rule.name.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60);
  const address = (a: Address): Shape => ('literal' in a ? a.literal : 'expr' in a ? raw(a.expr, a.expr) : '');
  const ports = [...new Set(mirrored.map((m) => m.port))];
  const props: { [k: string]: Shape } = {
    sku: { name: sku, tier: sku },
    autoscaleConfiguration: { minCapacity: 1, maxCapacity: 2 },
    gatewayIPConfigurations: [{ name: 'appgw-ipconfig', properties: { subnet: { id: n.subnetId } } }],
    frontendIPConfigurations: [
      { name: 'appgw-private', properties: { privateIPAllocationMethod: 'Static', privateIPAddress: privateIp, subnet: { id: n.subnetId } } },
      { name: 'appgw-public', properties: { publicIPAddress: { id: n.publicIpId } } },
    ],
    frontendPorts: ports.map((p) => ({ name: `port-${p}`, properties: { port: p } })),
    backendAddressPools: mirrored.map((m) => ({ name: `pool-${key(m)}`, properties: { backendAddresses: m.backends.map((i) => ({ ipAddress: address(addresses[i] as Address) })) } })),
    probes: mirrored.map((m) => ({
      name: `probe-${key(m)}`,
      properties: {
        protocol: m.protocol,
        host: '127.0.0.1',
        path: m.rule.probePath && m.rule.probePath.startsWith('/') ? m.rule.probePath : '/',
        interval: 30,
        timeout: 30,
        unhealthyThreshold: 3,
        pickHostNameFromBackendHttpSettings: false,
        ...(m.rule.probePort && m.rule.probePort !== m.backendPort ? { port: m.rule.probePort } : {}),
        match: { statusCodes: ['200-399'] },
      },
    })),
    backendHttpSettingsCollection: mirrored.map((m) => ({
      name: `settings-${key(m)}`,
      properties: { port: m.backendPort, protocol: m.protocol, cookieBasedAffinity: 'Disabled', requestTimeout: 30, probe: id('probes', `probe-${key(m)}`) },
    })),
    httpListeners: mirrored.map((m) => ({
      name: `listener-${key(m)}`,
      properties: {
        frontendIPConfiguration: id('frontendIPConfigurations', 'appgw-private'),
        frontendPort: id('frontendPorts', `port-${m.port}`),
        protocol: m.protocol,
        ...(m.protocol === 'Https' ? { sslCertificate: id('sslCertificates', 'appgw-certificate') } : {}),
      },
    })),
    requestRoutingRules: mirrored.map((m, i) => ({
      name: `route-${key(m)}`,
      properties: {
        ruleType: 'Basic',
        priority: 100 + 10 * i,
        httpListener: id('httpListeners', `listener-${key(m)}`),
        backendAddressPool: id('backendAddressPools', `pool-${key(m)}`),
        backendHttpSettings: id('backendHttpSettingsCollection', `settings-${key(m)}`),
      },
    })),
  };
  if (https) props.sslCertificates = [{ name: 'appgw-certificate', properties: { keyVaultSecretId: n.certificate } }];
  if (sku === 'WAF_v2') props.webApplicationFirewallConfiguration = { enabled: true, firewallMode: 'Prevention', ruleSetType: 'OWASP', ruleSetVersion: '3.2' };
  return props;
}

function toArm(v: Shape): unknown {
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toArm);
  if ('raw' in v && typeof (v as Raw).raw === 'object' && !Array.isArray((v as Raw).raw)) return `[${(v as Raw).raw.arm}]`;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toArm(x as Shape)]));
}

function toBicep(v: Shape, indent: string, unit: string, nl: string): string {
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\$\{/g, '\\${')}'`;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length ? `[${nl}${v.map((x) => `${indent}${unit}${toBicep(x, indent + unit, unit, nl)}`).join(nl)}${nl}${indent}]` : '[]';
  if ('raw' in v && typeof (v as Raw).raw === 'object' && !Array.isArray((v as Raw).raw)) return (v as Raw).raw.bicep;
  const entries = Object.entries(v).map(([k, x]) => `${indent}${unit}${/^[A-Za-z_]\w*$/.test(k) ? k : `'${k}'`}: ${toBicep(x as Shape, indent + unit, unit, nl)}`);
  return `{${nl}${entries.join(nl)}${nl}${indent}}`;
}

// ------------------------------------------------------------------ the fix

export function appGatewayFix(finding: Finding, textOf: TextOf, sku: AppGatewaySku = 'Standard_v2'): FixResult {
  const target = finding.fixTarget;
  const nva = target?.nva;
  const lb = target?.loadBalancer;
  if (!target || !nva || !lb) return refuse('the finding does not say where its load balancer is written');
  if (nva.lbViaModule || finding.facts.viaModule !== undefined) return refuse('the load balancer is deployed through a module or linked template: put the Application Gateway where its values come from');
  if (nva.lbInLoop) return refuse('the load balancer is made by a loop: one gateway per load balancer cannot be written once for the loop');
  const text = textOf(lb.file);
  if (text === undefined) return refuse(`${lb.file} cannot be read`);
  const bicep = /\.bicep$/i.test(lb.file);

  const mirrored: Mirrored[] = [];
  for (const r of nva.rules) {
    if ((r.protocol ?? '').toLowerCase() === 'all' || r.frontendPort === 0) return refuse(`rule ${r.name} is an HA ports rule (all ports): an Application Gateway listens on the HTTP/HTTPS ports it is told; use floating IP with the VIP on the members' loopback`);
    const protocol = webProtocolOf(r);
    if (!protocol) {
      return refuse(`rule ${r.name} (${r.protocol ?? 'protocol unknown'} ${r.frontendPort ?? '?'}) does not carry HTTP or HTTPS as far as its port, probe and name tell: an Application Gateway proxies only HTTP and HTTPS (use the NGINX NVA or floating IP)`);
    }
    mirrored.push({ rule: r, protocol, port: r.frontendPort as number, backendPort: r.backendPort as number, backends: [] });
  }
  if (new Set(mirrored.map((m) => m.port)).size !== mirrored.length) return refuse('two rules of the frontend listen on the same port: one listener per port');

  const declarations = bicep ? bicepDeclarations(text) : new Map<number, A.ResourceValue>();
  const addresses: Address[] = [];
  const keys = new Map<string, number>();
  for (const m of mirrored) {
    for (const member of m.rule.members) {
      const a = addressOf(member, lb.file, textOf, bicep, declarations, 'the gateway');
      if (typeof a === 'string') return refuse(a);
      if ('loop' in a) return refuse(`the members of rule ${m.rule.name} are made by a loop: the gateway's backend pool cannot list them where the load balancer is; give the NICs static addresses`);
      const k = 'literal' in a ? a.literal : a.expr;
      let i = keys.get(k);
      if (i === undefined) keys.set(k, (i = addresses.push(a) - 1));
      if (!m.backends.includes(i)) m.backends.push(i);
    }
  }

  // The dedicated subnet, in the members' virtual network.
  const members = mirrored.flatMap((m) => m.rule.members);
  const network = members.find((m) => m.network)?.network;
  const needed = `a dedicated subnet ${APPGW_SUBNET} (a /24 is recommended, /26 at least) in the members' virtual network`;
  if (!network) return refuse(`the members' virtual network is not declared in these templates: the gateway needs ${needed}; add it, then run the fix again`);
  if (network.vnet.span.file !== lb.file || network.vnet.inLoop || network.vnet.viaModule) return refuse(`the members' virtual network is declared elsewhere (${network.vnet.span.file}): the gateway needs ${needed}, added where the network is declared`);
  const existingSubnet = existingPrefix(text);
  const prefix = existingSubnet ? undefined : freePrefix(network.addressSpace, network.subnetPrefixes);
  if (typeof prefix === 'object') return refuse(`${prefix.reason}: the gateway needs ${needed}`);
  const plan = { finding, text, mirrored, addresses, sku, prefix, vnet: network.vnet.span, privateIp: '' };
  const subnetPrefix = prefix ?? existingPrefix(text);
  const cidr = subnetPrefix ? parseCidr(subnetPrefix) : undefined;
  if (!cidr) return refuse(`the prefix of the existing subnet ${APPGW_SUBNET} cannot be read`);
  plan.privateIp = intToIp(cidr.base + cidr.size - 2);
  return bicep ? bicepFix(plan, lb.start, textOf) : armFix(plan, lb.start);
}

/** The prefix of the gateway subnet an earlier run added (declared by name, its addressPrefix after it). */
function existingPrefix(text: string): string | undefined {
  return new RegExp(`(?:"name"\\s*:\\s*"|\\bname:\\s*')${APPGW_SUBNET}["'][^\\]]{0,300}?(\\d+\\.\\d+\\.\\d+\\.\\d+\\/\\d+)`).exec(text)?.[1];
}

interface Plan {
  finding: Finding;
  text: string;
  mirrored: Mirrored[];
  addresses: Address[];
  sku: AppGatewaySku;
  /** The new subnet's prefix; undefined when the subnet is there already. */
  prefix: string | undefined;
  vnet: { file: string; start: number };
  privateIp: string;
}

function title(plan: Plan): string {
  const f = plan.finding.facts;
  const others = plan.mirrored.length > 1 ? ` and ${plan.mirrored.length - 1} more rule${plan.mirrored.length > 2 ? 's' : ''} on its frontend` : '';
  return `Put an Application Gateway (${plan.sku}) in front of rule ${f.lbRule}${others} (HTTP/S, load balancer ${f.loadBalancer})`;
}

function notes(plan: Plan, where: string): string[] {
  const f = plan.finding.facts;
  const https = plan.mirrored.some((m) => m.protocol === 'Https');
  return [
    `Clients, the backends included, must now call the gateway's private address (${plan.privateIp}, ${where}) instead of ${f.frontendIp ?? `frontend ${f.frontendName}`}: the fix scaffolds the gateway and suppresses the rules it stands in for, it does not move the clients.`,
    `An Application Gateway v2 needs a public frontend IP configuration unless the subscription has the private-only deployment feature (EnableApplicationGatewayNetworkIsolation) registered: the fix writes a Standard static public IP and a public frontend without a listener. With the feature registered, remove both.`,
    `The gateway's subnet ${APPGW_SUBNET}${plan.prefix ? ` (${plan.prefix}, added to the virtual network)` : ''} may hold only Application Gateways; its network security group, if any, must allow the GatewayManager ports 65200-65535.`,
    ...(https ? [`HTTPS listeners need a certificate: supply ${CERT_PARAM} (a Key Vault secret ID) and ${IDENTITY_PARAM} (a user-assigned identity that can read it). The gateway re-encrypts to the backends; their certificates must chain to a well-known CA, or add trustedRootCertificates.`] : []),
    `Health probes are mirrored from the load balancer's (path ${plan.mirrored.map((m) => m.rule.probePath ?? '/').join(', ')}; host 127.0.0.1): check that the backends answer them with 200-399. Autoscale is 1-2 instances; ${plan.sku} is billed per hour and per capacity unit.`,
  ];
}

// ------------------------------------------------------------------ ARM

function armFix(plan: Plan, lbStart: number): FixResult {
  const { text, finding } = plan;
  const file = plan.vnet.file;
  const tree = parseTree(text, [], { allowTrailingComma: true });
  const lbNode = jsonObjectAt(text, lbStart, tree);
  const resources = child(tree, 'resources');
  if (!tree || !lbNode) return refuse('the load balancer could not be located in the current text');
  if (resources?.type !== 'array' || lbNode.parent !== resources) return refuse('the load balancer is not an item of the template\'s resources array: add the gateway by hand or in Bicep');
  const lbName = armArg(child(lbNode, 'name'));
  const vnetNode = jsonObjectAt(text, plan.vnet.start, tree);
  const vnetName = armArg(child(vnetNode, 'name'));
  if (!lbName || !vnetName || !vnetNode) return refuse("the load balancer's or the virtual network's name cannot be read");
  const nl = eol(text);
  const unit = indentUnitOf(text);
  const key = keyOf(finding.facts.loadBalancer);
  const gwName = `concat(${lbName}, '-appgw')`;
  const pipName = `concat(${lbName}, '-appgw-pip')`;
  const locationNode = child(lbNode, 'location');
  const location = locationNode?.type === 'string' ? String(locationNode.value) : '[resourceGroup().location]';
  const https = plan.mirrored.some((m) => m.protocol === 'Https');
  const names: Names = {
    gatewayId: (type, name) => raw(`resourceId('Microsoft.Network/applicationGateways/${type}', ${gwName}, '${name}')`, ''),
    subnetId: raw(`resourceId('Microsoft.Network/virtualNetworks/subnets', ${vnetName}, '${APPGW_SUBNET}')`, ''),
    publicIpId: raw(`resourceId('Microsoft.Network/publicIPAddresses', ${pipName})`, ''),
    certificate: raw(`parameters('${CERT_PARAM}')`, ''),
  };
  const addressDeps = plan.addresses.flatMap((a) => ('dependsOn' in a && a.dependsOn ? [a.dependsOn] : []));
  const gateway: Record<string, unknown> = {
    type: 'Microsoft.Network/applicationGateways',
    apiVersion: NETWORK_API,
    name: `[${gwName}]`,
    location,
    comments: plan.mirrored.map((m) => `Application Gateway in front of rule ${m.rule.name}`).join('; ') + ' (ilb-hairpin app-gateway)',
    dependsOn: [`[resourceId('Microsoft.Network/virtualNetworks', ${vnetName})]`, `[resourceId('Microsoft.Network/publicIPAddresses', ${pipName})]`, ...addressDeps],
    ...(https ? { identity: { type: 'UserAssigned', userAssignedIdentities: { [`[parameters('${IDENTITY_PARAM}')]`]: {} } } } : {}),
    properties: toArm(gatewayProperties(plan.mirrored, plan.addresses, plan.sku, plan.privateIp, names)),
  };
  const publicIp = {
    type: 'Microsoft.Network/publicIPAddresses',
    apiVersion: NETWORK_API,
    name: `[${pipName}]`,
    location,
    comments: 'The public frontend an Application Gateway v2 needs without the private-only deployment feature (ilb-hairpin app-gateway)',
    sku: { name: 'Standard' },
    properties: { publicIPAllocationMethod: 'Static' },
  };
  const edits: TextEdit[] = [];
  // The subnet, in the virtual network's subnets.
  if (plan.prefix) {
    const subnets = child(child(vnetNode, 'properties'), 'subnets');
    const last = subnets?.type === 'array' ? subnets.children?.[subnets.children.length - 1] : undefined;
    if (!last) return refuse(`the virtual network's subnets are not written as a list in it: add a subnet ${APPGW_SUBNET} (${plan.prefix}) for the gateway and run the fix again`);
    const indent = indentAt(text, last.offset);
    const subnet = { name: APPGW_SUBNET, properties: { addressPrefix: plan.prefix } };
    const oneLine = !text.slice(subnets?.offset ?? 0, last.offset).includes('\n');
    edits.push({ file, offset: last.offset + last.length, length: 0, newText: oneLine ? `, ${JSON.stringify(subnet).replace(/([{,:])/g, '$1 ')}` : `,${nl}${indent}${JSON.stringify(subnet, null, unit).split('\n').join(`${nl}${indent}`)}` });
  }
  const present = (resources.children ?? []).some((r) => child(r, 'name')?.value === `[${gwName}]`);
  if (!present) {
    const items = resources.children ?? [];
    const lastRes = items[items.length - 1] as Node;
    const indent = indentAt(text, lastRes.offset);
    const body = [publicIp, gateway].map((r) => JSON.stringify(r, null, unit).split('\n').join(`${nl}${indent}`)).join(`,${nl}${indent}`);
    edits.push({ file, offset: lastRes.offset + lastRes.length, length: 0, newText: `,${nl}${indent}${body}` });
  }
  const rootAdditions: [string, unknown][] = [];
  const section = (name: string, entries: [string, unknown][]): void => {
    const node = child(tree, name);
    const missing = entries.filter(([k]) => !child(node, k));
    if (!missing.length) return;
    if (node?.type === 'object') edits.push(...addJsonEntries(text, node, file, missing, unit, nl));
    else if (!node) rootAdditions.push([name, Object.fromEntries(missing)]);
  };
  if (https) {
    section('parameters', [
      [CERT_PARAM, { type: 'string', metadata: { description: "Key Vault secret ID of the Application Gateway's HTTPS certificate (ilb-hairpin app-gateway)." } }],
      [IDENTITY_PARAM, { type: 'string', metadata: { description: 'Resource ID of a user-assigned identity that can read the certificate secret.' } }],
    ]);
  }
  const output = `${key}AppGatewayIp`;
  section('outputs', [[output, { type: 'string', value: plan.privateIp }]]);
  if (rootAdditions.length) edits.push(...addJsonEntries(text, tree, file, rootAdditions, unit, nl));
  const suppressions = suppressMirrored(plan, `${APPGW_RULE_REASON} (${finding.facts.loadBalancer}-appgw, ${plan.privateIp}) instead of this frontend`);
  if (!suppressions) return refuse(UNSUPPRESSIBLE);
  edits.push(...suppressions);
  return { ok: true, fix: { strategy: 'app-gateway', title: title(plan), notes: notes(plan, `output ${output}`), edits } };
}

// ------------------------------------------------------------------ Bicep

function bicepFix(plan: Plan, lbStart: number, textOf: TextOf): FixResult {
  const { text, finding } = plan;
  const file = plan.vnet.file;
  const { program } = parseBicep(text, { fileKind: 'bicep' });
  const decl = resourceDeclarationAt(program, lbStart);
  const vnetDecl = resourceDeclarationAt(program, plan.vnet.start);
  const body = decl && bodyOf(decl);
  const vnetBody = vnetDecl && bodyOf(vnetDecl);
  if (!decl || !body || !vnetDecl || !vnetBody) return refuse('the load balancer or the virtual network could not be located in the current text');
  const nl = eol(text);
  const unit = indentUnitOf(text);
  const slash = file.lastIndexOf('/');
  const dir = file.slice(0, slash + 1);
  const moduleName = `${file.slice(slash + 1).replace(/\.bicep$/i, '')}-app-gateway.bicep`;
  const marker = `${APPGW_MARKER} load balancer '${finding.facts.loadBalancer}', frontend '${finding.facts.frontendName}'`;
  const existing = textOf(dir + moduleName);
  if (existing !== undefined && !existing.startsWith(marker)) return refuse(`${moduleName} exists and is not this frontend's Application Gateway module`);
  const edits: TextEdit[] = [];
  const https = plan.mirrored.some((m) => m.protocol === 'Https');
  const u = (n: number): string => unit.repeat(n);

  if (plan.prefix) {
    const props = findProperty(vnetBody, 'properties', true)?.value;
    const subnets = props?.kind === 'Object' ? findProperty(props, 'subnets', true)?.value : undefined;
    const last = subnets?.kind === 'Array' ? subnets.items[subnets.items.length - 1] : undefined;
    if (!last) return refuse(`the virtual network's subnets are not written as a list in it: add a subnet ${APPGW_SUBNET} (${plan.prefix}) for the gateway and run the fix again`);
    const indent = indentAt(text, last.start);
    const oneLine = !text.slice((subnets as A.Span).start, last.start).includes('\n');
    edits.push({
      file,
      offset: last.end,
      length: 0,
      newText: oneLine ? `, { name: '${APPGW_SUBNET}', properties: { addressPrefix: '${plan.prefix}' } }` : [`${nl}${indent}{`, `${indent}${unit}name: '${APPGW_SUBNET}'`, `${indent}${unit}properties: {`, `${indent}${u(2)}addressPrefix: '${plan.prefix}'`, `${indent}${unit}}`, `${indent}}`].join(nl),
    });
  }
  if (existing === undefined) {
    const names: Names = {
      gatewayId: (type, name) => raw('', `resourceId('Microsoft.Network/applicationGateways/${type}', name, '${name}')`),
      subnetId: raw('', 'subnetId'),
      publicIpId: raw('', 'publicIp.id'),
      certificate: raw('', 'certificateSecretId'),
    };
    const params = plan.addresses.length ? [`@description('The backends\\' addresses (the members of the mirrored rules).')`, 'param backendAddresses array', ''] : [];
    const props = gatewayProperties(plan.mirrored, plan.addresses.map((_, i) => ({ expr: `backendAddresses[${i}]` })), plan.sku, plan.privateIp, names);
    const module = [
      marker,
      '// Generated by ilb-hairpin (app-gateway): an Application Gateway v2 in front of the hairpin-prone rules, in its own subnet.',
      '',
      'param location string',
      "@description('Name of the Application Gateway.')",
      'param name string',
      "@description('Resource ID of the gateway\\'s dedicated subnet.')",
      'param subnetId string',
      ...params.slice(0, -1),
      ...(https ? ["@description('Key Vault secret ID of the HTTPS certificate.')", 'param certificateSecretId string', "@description('A user-assigned identity that can read it.')", 'param identityId string', ''] : []),
      '',
      "// A v2 gateway needs a public frontend unless the subscription has EnableApplicationGatewayNetworkIsolation (private-only deployment).",
      `resource publicIp 'Microsoft.Network/publicIPAddresses@${NETWORK_API}' = {`,
      `${u(1)}name: '\${name}-pip'`,
      `${u(1)}location: location`,
      `${u(1)}sku: {`,
      `${u(2)}name: 'Standard'`,
      `${u(1)}}`,
      `${u(1)}properties: {`,
      `${u(2)}publicIPAllocationMethod: 'Static'`,
      `${u(1)}}`,
      '}',
      '',
      `resource gateway 'Microsoft.Network/applicationGateways@${NETWORK_API}' = {`,
      `${u(1)}name: name`,
      `${u(1)}location: location`,
      ...(https ? [`${u(1)}identity: {`, `${u(2)}type: 'UserAssigned'`, `${u(2)}userAssignedIdentities: {`, `${u(3)}'\${identityId}': {}`, `${u(2)}}`, `${u(1)}}`] : []),
      `${u(1)}properties: ${toBicep(props, u(1), unit, nl)}`,
      '}',
      '',
      "@description('The gateway\\'s private address: point the clients at it.')",
      `output privateIp string = '${plan.privateIp}'`,
      '',
    ].join(nl);
    edits.push({ file: dir + moduleName, offset: 0, length: 0, newText: module, create: true });
  }
  const declared = program.statements.some((s) => s.kind === 'ModuleDeclaration' && s.path.kind === 'String' && s.path.value?.replace(/^\.\//, '') === moduleName);
  const lbSym = decl.name.name;
  const moduleSym = `${lbSym}AppGateway`;
  if (!declared) {
    const location = findProperty(body, 'location', true)?.value;
    const block = [
      ...(https ? [`@description('Key Vault secret ID of the Application Gateway\\'s HTTPS certificate (ilb-hairpin app-gateway).')`, `param ${CERT_PARAM} string`, '', `@description('A user-assigned identity that can read that secret.')`, `param ${IDENTITY_PARAM} string`, ''] : []),
      `// Application Gateway in front of ${finding.facts.loadBalancer} (frontend ${finding.facts.frontendName}), generated by ilb-hairpin:`,
      `// clients must call its address, ${moduleSym}.outputs.privateIp, instead of that frontend.`,
      `module ${moduleSym} './${moduleName}' = {`,
      `${u(1)}name: '\${${lbSym}.name}-app-gateway'`,
      `${u(1)}params: {`,
      `${u(2)}location: ${location ? text.slice(location.start, location.end) : 'resourceGroup().location'}`,
      `${u(2)}name: '\${${lbSym}.name}-appgw'`,
      `${u(2)}subnetId: '\${${vnetDecl.name.name}.id}/subnets/${APPGW_SUBNET}'`,
      ...(plan.addresses.length ? [`${u(2)}backendAddresses: [`, ...plan.addresses.map((a) => `${u(3)}${'literal' in a ? `'${a.literal}'` : 'expr' in a ? a.expr : ''}`), `${u(2)}]`] : []),
      ...(https ? [`${u(2)}certificateSecretId: ${CERT_PARAM}`, `${u(2)}identityId: ${IDENTITY_PARAM}`] : []),
      `${u(1)}}`,
      `${u(1)}dependsOn: [`,
      `${u(2)}${vnetDecl.name.name}`,
      `${u(1)}]`,
      '}',
    ];
    edits.push({ file, offset: decl.end, length: 0, newText: `${nl}${nl}${block.join(nl)}` });
  }
  const suppressions = suppressMirrored(plan, `${APPGW_RULE_REASON} (${moduleSym}, ${plan.privateIp}) instead of this frontend`);
  if (!suppressions) return refuse(UNSUPPRESSIBLE);
  edits.push(...suppressions);
  return { ok: true, fix: { strategy: 'app-gateway', title: title(plan), notes: notes(plan, `${moduleSym}.outputs.privateIp`), edits } };
}
