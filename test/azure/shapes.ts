/**
 * Resource Manager JSON for the fake server, shaped from Microsoft's REST examples
 * (test/azure/rest-examples): each builder starts from a deep copy of an example's
 * response body (or one element of it), keeps the fields Azure returns, and puts in our
 * scenario's names, IDs and values.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Json = any;

/** The examples' folder: above this file (compiled tests) or the working folder (a bundle elsewhere). */
const DIR = ((): string => {
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = path.dirname(dir)) {
      const candidate = path.join(dir, 'test', 'azure', 'rest-examples');
      if (fs.existsSync(candidate)) return candidate;
      if (path.dirname(dir) === dir) break;
    }
  }
  throw new Error(`test/azure/rest-examples not found above ${__dirname} or ${process.cwd()}`);
})();
const cache = new Map<string, Json>();
function example(file: string): Json {
  let body = cache.get(file);
  if (!body) cache.set(file, (body = JSON.parse(fs.readFileSync(path.join(DIR, file), 'utf8')).responses['200'].body));
  return structuredClone(body);
}

export const ids = {
  rg: (sub: string, rg: string): string => `/subscriptions/${sub}/resourceGroups/${rg}`,
  lb: (sub: string, rg: string, name: string): string => `${ids.rg(sub, rg)}/providers/Microsoft.Network/loadBalancers/${name}`,
  nic: (sub: string, rg: string, name: string): string => `${ids.rg(sub, rg)}/providers/Microsoft.Network/networkInterfaces/${name}`,
  vm: (sub: string, rg: string, name: string): string => `${ids.rg(sub, rg)}/providers/Microsoft.Compute/virtualMachines/${name}`,
  vmss: (sub: string, rg: string, name: string): string => `${ids.rg(sub, rg)}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`,
  subnet: (sub: string, rg: string, vnet: string, subnet: string): string => `${ids.rg(sub, rg)}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`,
};

export interface LbSpec {
  sub: string;
  rg: string;
  name: string;
  sku?: 'Basic' | 'Standard' | 'Gateway';
  /** A private frontend's IP, or `public` for a public frontend. */
  frontend: { name: string; ip?: string; public?: boolean };
  pools: { name: string; addresses?: { name: string; ip: string }[] }[];
  rules: { name: string; pool: string; port: number; floatingIp?: boolean; protocol?: 'Tcp' | 'Udp' | 'All' }[];
}

export function loadBalancer(spec: LbSpec): Json {
  const lbId = ids.lb(spec.sub, spec.rg, spec.name);
  const body = example('LoadBalancerGet.json');
  body.name = spec.name;
  body.id = lbId;
  body.location = 'westeurope';
  body.sku = { name: spec.sku ?? 'Standard' };
  const p = body.properties;
  const feId = `${lbId}/frontendIPConfigurations/${spec.frontend.name}`;
  const fe = p.frontendIPConfigurations[0];
  fe.name = spec.frontend.name;
  fe.id = feId;
  fe.properties.loadBalancingRules = spec.rules.map((r) => ({ id: `${lbId}/loadBalancingRules/${r.name}` }));
  fe.properties.inboundNatRules = [];
  if (spec.frontend.public) {
    for (const k of ['privateIPAddress', 'privateIPAllocationMethod', 'subnet']) delete fe.properties[k];
    fe.properties.publicIPAddress = { id: `${ids.rg(spec.sub, spec.rg)}/providers/Microsoft.Network/publicIPAddresses/${spec.name}-pip` };
  } else {
    fe.properties.privateIPAddress = spec.frontend.ip ?? '10.2.1.100';
    fe.properties.privateIPAllocationMethod = 'Static';
    fe.properties.subnet = { id: ids.subnet(spec.sub, spec.rg, 'vnet', 'backend') };
  }
  p.frontendIPConfigurations = [fe];
  const poolTemplate = p.backendAddressPools[0];
  const addressTemplate = example('LBBackendAddressPoolWithBackendAddressesGet.json').properties.loadBalancerBackendAddresses[0];
  p.backendAddressPools = spec.pools.map((pool) => {
    const x = structuredClone(poolTemplate);
    x.name = pool.name;
    x.id = `${lbId}/backendAddressPools/${pool.name}`;
    x.properties.loadBalancingRules = spec.rules.filter((r) => r.pool === pool.name).map((r) => ({ id: `${lbId}/loadBalancingRules/${r.name}` }));
    x.properties.backendIPConfigurations = [];
    if (pool.addresses) {
      x.properties.loadBalancerBackendAddresses = pool.addresses.map((a) => {
        const e = structuredClone(addressTemplate);
        e.name = a.name;
        e.properties.ipAddress = a.ip;
        e.properties.virtualNetwork = { id: `${ids.rg(spec.sub, spec.rg)}/providers/Microsoft.Network/virtualNetworks/vnet` };
        return e;
      });
    }
    return x;
  });
  const ruleTemplate = p.loadBalancingRules[0];
  p.loadBalancingRules = spec.rules.map((r) => {
    const x = structuredClone(ruleTemplate);
    x.name = r.name;
    x.id = `${lbId}/loadBalancingRules/${r.name}`;
    x.properties.frontendIPConfiguration = { id: feId };
    x.properties.backendAddressPool = { id: `${lbId}/backendAddressPools/${r.pool}` };
    x.properties.probe = { id: `${lbId}/probes/probe-${r.port}` };
    x.properties.protocol = r.protocol ?? 'Tcp';
    x.properties.frontendPort = r.port;
    x.properties.backendPort = r.port;
    x.properties.enableFloatingIP = r.floatingIp ?? false;
    return x;
  });
  const probeTemplate = p.probes[0];
  p.probes = [...new Set(spec.rules.map((r) => r.port))].map((port) => {
    const x = structuredClone(probeTemplate);
    x.name = `probe-${port}`;
    x.id = `${lbId}/probes/probe-${port}`;
    x.properties.protocol = 'Tcp';
    x.properties.port = port;
    delete x.properties.requestPath;
    x.properties.loadBalancingRules = spec.rules.filter((r) => r.port === port).map((r) => ({ id: `${lbId}/loadBalancingRules/${r.name}` }));
    return x;
  });
  p.inboundNatRules = [];
  delete p.outboundRules;
  return body;
}

/** Records in the load balancer's pools the ipConfigurations that joined them (as Azure does). */
export function addBackendIpConfigurations(lb: Json, poolName: string, ipConfigIds: string[]): void {
  const pool = lb.properties.backendAddressPools.find((p: Json) => p.name === poolName);
  pool.properties.backendIPConfigurations.push(...ipConfigIds.map((id) => ({ id })));
}

export function networkInterface(sub: string, rg: string, name: string, ip: string, poolIds: string[], vmId?: string): Json {
  const body = example('NetworkInterfaceGet.json');
  const id = ids.nic(sub, rg, name);
  body.name = name;
  body.id = id;
  body.location = 'westeurope';
  const ipc = body.properties.ipConfigurations[0];
  ipc.name = 'ipconfig1';
  ipc.id = `${id}/ipConfigurations/ipconfig1`;
  ipc.properties.privateIPAddress = ip;
  ipc.properties.subnet = { id: ids.subnet(sub, rg, 'vnet', 'backend') };
  delete ipc.properties.publicIPAddress;
  if (poolIds.length) ipc.properties.loadBalancerBackendAddressPools = poolIds.map((p) => ({ id: p }));
  body.properties.ipConfigurations = [ipc];
  body.properties.networkSecurityGroup = { id: `${ids.rg(sub, rg)}/providers/Microsoft.Network/networkSecurityGroups/nsg` };
  if (vmId) body.properties.virtualMachine = { id: vmId };
  else delete body.properties.virtualMachine;
  return body;
}

export function virtualMachine(sub: string, rg: string, name: string, nicIds: string[], os: 'Windows' | 'Linux' = 'Windows'): Json {
  const body = example('VirtualMachine_Get.json');
  body.name = name;
  body.id = ids.vm(sub, rg, name);
  body.location = 'westeurope';
  delete body.resources;
  delete body.managedBy;
  delete body.properties.availabilitySet;
  delete body.properties.proximityPlacementGroup;
  delete body.properties.applicationProfile;
  body.properties.osProfile.computerName = name;
  body.properties.storageProfile.osDisk.osType = os;
  if (os === 'Linux') {
    delete body.properties.osProfile.windowsConfiguration;
    body.properties.osProfile.linuxConfiguration = { disablePasswordAuthentication: true };
    body.properties.storageProfile.imageReference = { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' };
  }
  body.properties.networkProfile = { networkInterfaces: nicIds.map((id, i) => ({ id, properties: { primary: i === 0 } })) };
  return body;
}

export function scaleSet(sub: string, rg: string, name: string, capacity: number, poolIds: string[]): Json {
  const body = example('VirtualMachineScaleSet_Create_WithAzureLoadBalancer.json');
  body.name = name;
  body.id = ids.vmss(sub, rg, name);
  body.location = 'westeurope';
  body.sku.capacity = capacity;
  body.properties.provisioningState = 'Succeeded';
  body.properties.orchestrationMode = 'Uniform';
  const profile = body.properties.virtualMachineProfile;
  profile.osProfile.computerNamePrefix = name;
  const cfg = profile.networkProfile.networkInterfaceConfigurations[0];
  cfg.name = `${name}-nic`;
  const ipc = cfg.properties.ipConfigurations[0];
  ipc.name = 'ipconfig1';
  ipc.properties.subnet = { id: ids.subnet(sub, rg, 'vnet', 'backend') };
  delete ipc.properties.loadBalancerInboundNatPools;
  delete ipc.properties.publicIPAddressConfiguration;
  ipc.properties.loadBalancerBackendAddressPools = poolIds.map((id) => ({ id }));
  return body;
}

/** The NIC of one scale set instance (`.../virtualMachineScaleSets/S/virtualMachines/K/networkInterfaces/N`). */
export function scaleSetNic(sub: string, rg: string, scaleSetName: string, instance: number, ip: string, poolIds: string[]): Json {
  const body = example('VmssNetworkInterfaceGet.json');
  const vmId = `${ids.vmss(sub, rg, scaleSetName)}/virtualMachines/${instance}`;
  const id = `${vmId}/networkInterfaces/${scaleSetName}-nic`;
  body.name = `${scaleSetName}-nic`;
  body.id = id;
  const ipc = body.properties.ipConfigurations[0];
  ipc.id = `${id}/ipConfigurations/ipconfig1`;
  ipc.name = 'ipconfig1';
  ipc.properties.privateIPAddress = ip;
  ipc.properties.subnet = { id: ids.subnet(sub, rg, 'vnet', 'backend') };
  delete ipc.properties.publicIPAddress;
  delete ipc.properties.loadBalancerInboundNatRules;
  ipc.properties.loadBalancerBackendAddressPools = poolIds.map((p) => ({ id: p }));
  body.properties.virtualMachine = { id: vmId };
  return body;
}

/** A Resource Graph answer, shaped like the example's first page. */
export function resourceGraphPage(rows: Json[], totalRecords: number, skipToken: string | undefined): Json {
  const body = example('ResourcesFirstPageQuery.json');
  body.totalRecords = totalRecords;
  body.count = rows.length;
  body.data = rows;
  if (skipToken) body.$skipToken = skipToken;
  else delete body.$skipToken;
  return body;
}

/** A Resource Graph row: the resource's JSON with the columns Resource Graph adds (types in lower case). */
export function graphRow(resource: Json): Json {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)/i.exec(resource.id) ?? [];
  return { ...resource, type: String(resource.type).toLowerCase(), subscriptionId: m[1], resourceGroup: String(m[2]).toLowerCase() };
}
