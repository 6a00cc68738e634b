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
 *
 * This file makes the plan (mirrored rules, backends, placement); nginx-nva-plan.ts holds what
 * both languages share, nginx-nva-arm.ts and nginx-nva-bicep.ts what each writes.
 */
import { getNodeValue, parseTree, type Node } from 'jsonc-parser';
import { child } from '../parse/arm';
import type { Finding, MemberTarget } from '../rules/types';
import { jsonObjectAt } from '../edit';
import type * as A from '../parse/bicep/ast';
import type { FixResult, TextOf } from './types';
import { isHttpRule, type NvaProtocol } from './nginx-conf';
import { refuse, type Address, type Mirrored, type Plan } from './nginx-nva-plan';
import { armArg, armSubnet, armHasZones, armFix } from './nginx-nva-arm';
import { bicepDeclarations, bicepSubnet, bicepHasZones, bicepFix } from './nginx-nva-bicep';

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

/** A member's address (see Address), or why it cannot be given. */
export function addressOf(m: MemberTarget, lbFile: string, textOf: TextOf, bicep: boolean, declarations: Map<number, A.ResourceValue>, consumer = 'NGINX'): Address | string {
  const who = m.kind === 'scale-set' ? `scale set ${m.name}` : m.kind === 'ip-address' ? `pool address ${m.name}` : m.kind === 'module' ? `member ${m.name}` : m.kind === 'vm-nic-config' ? `VM ${m.name}` : `NIC ${m.name}`;
  if (m.kind === 'scale-set') return `${who}: its instances get their addresses as they are created, and ${consumer} needs a fixed list of backends (use floating IP, or an NVA that discovers the instances)`;
  if (m.kind === 'module') return `${who} comes from a module or linked template that is not read: its address is not known`;
  // An address written as a literal is the address.
  const written = m.ipSpan ? textOf(m.ipSpan.file)?.slice(m.ipSpan.start, m.ipSpan.end).trim() : undefined;
  const literal = written !== undefined ? /^(['"])([0-9A-Fa-f.:]+)\1$/.exec(written)?.[2] : undefined;
  if (literal && m.ip === literal) return { literal };
  if (m.kind === 'ip-address') {
    return m.ip ? `${who}: its address is computed (${written ?? 'not written'}); write it as a literal in the pool, so ${consumer} can be given it` : `${who} has no address the template gives: ${consumer} needs every backend's address`;
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
      return `${who} is made by a filtered loop: which NICs exist is decided at deployment, so ${consumer}'s list cannot be written for it; give the NICs static addresses`;
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
  if (nic?.parent !== child(tree, 'resources')) return `${who} is made by a copy loop inside another resource or deployment: ${consumer}'s list cannot be written for it where the load balancer is; give the NICs static addresses`;
  if (!count || typeof loopName !== 'string' || /copyIndex\s*\((?!'value')/i.test(byValue)) {
    return `${who} is made by a copy loop whose count or names cannot be repeated for ${consumer}'s list; give the NICs static addresses`;
  }
  return { loop: `reference(resourceId('Microsoft.Network/networkInterfaces', ${byValue})).${at}`, count: getNodeValue(count) as unknown, dependsOn: loopName };
}
