/**
 * The deployed estates the tests read, generated from a few parameters (the shapes come from
 * Microsoft's REST examples, see shapes.ts).
 */
import type { FakeEstate, RowSource } from './fake-arm';
import { addBackendIpConfigurations, graphRow, ids, loadBalancer, networkInterface, scaleSet, scaleSetNic, virtualMachine, type LbSpec } from './shapes';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Json = any;

export const TOKEN = 'fake-arm-token-3f9c2b7e1d';
export const SUB1 = '11111111-1111-4111-8111-111111111111';
export const SUB2 = '22222222-2222-4222-8222-222222222222';
export const SUB3 = '33333333-3333-4333-8333-333333333333';
export const RG = 'rg-ilb-lab';

/** A subscription ID for the i-th generated subscription. */
export function subscriptionId(i: number): string {
  const hex = i.toString(16).padStart(12, '0');
  return `aaaaaaaa-0000-4000-8000-${hex}`;
}

export interface LabOptions {
  sub?: string;
  rg?: string;
  lbName?: string;
  members?: number;
  floatingIp?: boolean;
  public?: boolean;
  os?: 'Windows' | 'Linux';
}

/**
 * The seed lab as deployed: an internal load balancer (10.2.1.100:80, floating IP off) and
 * `members` VMs whose NICs join its pool.
 */
export function lab(o: LabOptions = {}): Json[] {
  const sub = o.sub ?? SUB1;
  const rg = o.rg ?? RG;
  const name = o.lbName ?? 'ilb-we-02-web';
  const spec: LbSpec = {
    sub,
    rg,
    name,
    frontend: o.public ? { name: 'fe', public: true } : { name: 'fe', ip: '10.2.1.100' },
    pools: [{ name: 'web' }],
    rules: [{ name: 'http', pool: 'web', port: 80, floatingIp: o.floatingIp ?? false }],
  };
  const lb = loadBalancer(spec);
  const poolId = `${ids.lb(sub, rg, name)}/backendAddressPools/web`;
  const out: Json[] = [lb];
  for (let i = 1; i <= (o.members ?? 1); i++) {
    const vmName = `${name}-web0${i}`;
    const nic = networkInterface(sub, rg, `${vmName}-nic`, `10.2.1.${3 + i}`, [poolId], ids.vm(sub, rg, vmName));
    addBackendIpConfigurations(lb, 'web', [nic.properties.ipConfigurations[0].id]);
    out.push(nic, virtualMachine(sub, rg, vmName, [nic.id], o.os ?? 'Windows'));
  }
  return out;
}

export interface SeedLabOptions {
  sub?: string;
  rg?: string;
  floatingIp?: boolean;
  /** The pool's name (the template's is be-web). */
  pool?: string;
  /** The VMs in the pool (the template's one: VM-WE-02-Web01). */
  vms?: string[];
}

/**
 * The seed lab template (examples/seed-lab/azuredeploy.json) as Azure returns it once deployed:
 * the template's names (ilb-we-02-web, fe-web, be-web, rule-http, VM-WE-02-Web01), with the
 * changes asked for, for the drift tests.
 */
export function seedLabDeployed(o: SeedLabOptions = {}): { resources: Json[]; id: string } {
  const sub = o.sub ?? SUB1;
  const rg = o.rg ?? RG;
  const pool = o.pool ?? 'be-web';
  const lb = loadBalancer({ sub, rg, name: 'ilb-we-02-web', frontend: { name: 'fe-web', ip: '10.2.1.100' }, pools: [{ name: pool }], rules: [{ name: 'rule-http', pool, port: 80, floatingIp: o.floatingIp ?? false }] });
  const poolId = `${ids.lb(sub, rg, 'ilb-we-02-web')}/backendAddressPools/${pool}`;
  const out: Json[] = [lb];
  (o.vms ?? ['VM-WE-02-Web01']).forEach((vm, i) => {
    const nic = networkInterface(sub, rg, `${vm}-nic`, `10.2.1.${4 + i}`, [poolId], ids.vm(sub, rg, vm));
    addBackendIpConfigurations(lb, pool, [nic.properties.ipConfigurations[0].id]);
    out.push(nic, virtualMachine(sub, rg, vm, [nic.id]));
  });
  return { resources: out, id: lb.id };
}

/** A Uniform scale set of `capacity` with `existing` instances whose NICs join the pool. */
export function scaleSetLab(capacity: number, existing: number): { resources: Json[]; scaleSetNics: Map<string, Json[]> } {
  const lb = loadBalancer({ sub: SUB1, rg: RG, name: 'ilb-vmss', frontend: { name: 'fe', ip: '10.2.1.50' }, pools: [{ name: 'app' }], rules: [{ name: 'api', pool: 'app', port: 443 }] });
  const poolId = `${ids.lb(SUB1, RG, 'ilb-vmss')}/backendAddressPools/app`;
  const ss = scaleSet(SUB1, RG, 'vmss-app', capacity, [poolId]);
  const nics = Array.from({ length: existing }, (_, k) => scaleSetNic(SUB1, RG, 'vmss-app', k, `10.2.1.${10 + k}`, [poolId]));
  addBackendIpConfigurations(lb, 'app', nics.map((n) => n.properties.ipConfigurations[0].id));
  return { resources: [lb, ss], scaleSetNics: new Map([[String(ss.id).toLowerCase(), nics]]) };
}

/** An IP-based pool: two addresses, one of them a VM's NIC (matched by IP). */
export function ipPoolLab(): Json[] {
  const lb = loadBalancer({
    sub: SUB1,
    rg: RG,
    name: 'ilb-ip',
    frontend: { name: 'fe', ip: '10.2.1.60' },
    pools: [{ name: 'byip', addresses: [{ name: 'a1', ip: '10.2.1.21' }, { name: 'a2', ip: '10.2.1.22' }] }],
    rules: [{ name: 'tcp-8080', pool: 'byip', port: 8080 }],
  });
  const nic = networkInterface(SUB1, RG, 'vm-ip1-nic', '10.2.1.21', [], ids.vm(SUB1, RG, 'vm-ip1'));
  return [lb, nic, virtualMachine(SUB1, RG, 'vm-ip1', [nic.id], 'Linux')];
}

/** `n` load balancers of two members each in one subscription (for paging). */
export function many(n: number, sub = SUB1): Json[] {
  const out: Json[] = [];
  for (let i = 0; i < n; i++) out.push(...lab({ sub, lbName: `ilb-${String(i).padStart(3, '0')}`, members: 2 }));
  return out;
}

/**
 * A generated tenant for Resource Graph: `subscriptions` subscriptions, `lbs` load balancers
 * spread over them, each with two VM members (NICs and VMs are the member rows); floating IP is
 * on for every fifth. Rows are made when asked for, as text from one lab's rows with the names
 * put in (a tenant's 100,000 rows are never held at once).
 */
export function generatedTenant(subscriptions: number, lbs: number): NonNullable<FakeEstate['graph']> & { rows: number } {
  const SUB = '00000000-5ub5-4000-8000-000000000000';
  const texts = (floatingIp: boolean): string[] => lab({ sub: SUB, rg: 'rg-TEMPLATE', lbName: 'ilb-TEMPLATE', members: 2, floatingIp }).map((r) => JSON.stringify(graphRow(r)));
  const plain = texts(false);
  const floating = texts(true);
  const fill = (template: string, i: number): string => template.replaceAll(SUB, subscriptionId(i % subscriptions)).replaceAll('rg-template', `rg-${i % 7}`).replaceAll('rg-TEMPLATE', `rg-${i % 7}`).replaceAll('ilb-TEMPLATE', `ilb-${i}`);
  const rowText = (lb: number, k: number): string => fill(((lb % 5 === 0 ? floating : plain)[k]) as string, lb);
  // Members of load balancer i: rows 4i..4i+3 (NIC, VM, NIC, VM).
  const loadBalancers: RowSource = { count: lbs, at: (i) => JSON.parse(rowText(i, 0)), text: (i) => rowText(i, 0) };
  const members: RowSource = { count: lbs * 4, at: (j) => JSON.parse(rowText(Math.floor(j / 4), 1 + (j % 4))), text: (j) => rowText(Math.floor(j / 4), 1 + (j % 4)) };
  return { loadBalancers, members, rows: lbs * 5 };
}
