/**
 * Reads one subscription (or one resource group) through Azure Resource Manager with the SDK's
 * clients: load balancers, network interfaces, VMs and scale sets (every page, to the bound),
 * the network interfaces of the scale sets that join pools (their instances are the members),
 * and the NICs in pools that live outside a resource group that was asked for.
 */
import { NetworkManagementClient, type NetworkInterface } from '@azure/arm-network';
import { ComputeManagementClient } from '@azure/arm-compute';
import { getPath, getProp, isObject, type ValueObject } from '../evaluate/value';
import { countInstances, scaleSetInstance, type SubscriptionResult } from './estate';
import { describeError, modularClientOptions, networkClientOptions, readPages, statusOf, type ReaderContext } from './pipeline';
import { loadBalancerJson, networkInterfaceJson, scaleSetJson, virtualMachineJson } from './rest-shape';

/** NICs outside the resource group fetched one by one before the rest are left out. */
const MAX_OUTSIDE_NICS = 200;

export interface SubscriptionRead {
  result: SubscriptionResult;
  resources: ValueObject[];
}

function resourceGroupOf(id: string): string | undefined {
  return /\/resourceGroups\/([^/]+)/i.exec(id)?.[1];
}

export async function readSubscriptionArm(ctx: ReaderContext, subscriptionId: string, resourceGroup: string | undefined): Promise<SubscriptionRead> {
  const network = new NetworkManagementClient(ctx.credential, subscriptionId, networkClientOptions(ctx));
  const compute = new ComputeManagementClient(ctx.credential, subscriptionId, modularClientOptions(ctx));
  const opts = ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {};
  const where = resourceGroup !== undefined ? `resource group ${resourceGroup} of subscription ${subscriptionId}` : `subscription ${subscriptionId}`;
  const problems: string[] = [];
  const endpoint = ctx.endpoints.arm;

  // Load balancers first: without them nothing is worth reading.
  let lbs: ValueObject[];
  try {
    const pages = resourceGroup !== undefined ? network.loadBalancers.list(resourceGroup, opts) : network.loadBalancers.listAll(opts);
    lbs = (await readPages(ctx, `load balancers of ${where}`, pages.byPage())).map(loadBalancerJson);
  } catch (e) {
    return { result: { id: subscriptionId, status: 'failed', message: describeError(e, `load balancers of ${where}`, endpoint), loadBalancers: 0 }, resources: [] };
  }
  if (lbs.length === 0) return { result: { id: subscriptionId, status: 'read', loadBalancers: 0 }, resources: [] };

  const list = async <T>(what: string, read: () => AsyncIterable<T[]>): Promise<T[]> => {
    try {
      return await readPages(ctx, `${what} of ${where}`, read());
    } catch (e) {
      problems.push(describeError(e, `${what} of ${where}`, endpoint));
      return [];
    }
  };
  const [nics, vms, scaleSets] = await Promise.all([
    list('network interfaces', () => (resourceGroup !== undefined ? network.networkInterfaces.list(resourceGroup, opts) : network.networkInterfaces.listAll(opts)).byPage()),
    list('virtual machines', () => (resourceGroup !== undefined ? compute.virtualMachines.list(resourceGroup, opts) : compute.virtualMachines.listAll(opts)).byPage()),
    list('scale sets', () => (resourceGroup !== undefined ? compute.virtualMachineScaleSets.list(resourceGroup, opts) : compute.virtualMachineScaleSets.listAll(opts)).byPage()),
  ]);
  const resources: ValueObject[] = [...lbs, ...nics.map(networkInterfaceJson), ...vms.map(virtualMachineJson)];

  // A Uniform scale set's members are its instances' NICs: the ones that exist now.
  for (const ss of scaleSets.map(scaleSetJson)) {
    const id = getProp(ss, 'id');
    const name = getProp(ss, 'name');
    const joinsPool = JSON.stringify(getPath(ss, 'properties', 'virtualMachineProfile', 'networkProfile') ?? null).toLowerCase().includes('loadbalancerbackendaddresspools');
    if (typeof id !== 'string' || typeof name !== 'string' || !joinsPool || /flexible/i.test(String(getPath(ss, 'properties', 'orchestrationMode') ?? ''))) {
      resources.push(ss);
      continue;
    }
    const rg = resourceGroupOf(id) ?? '';
    try {
      const instanceNics: NetworkInterface[] = await readPages(ctx, `network interfaces of scale set ${name}`, network.networkInterfaces.listVirtualMachineScaleSetNetworkInterfaces(rg, name, opts).byPage());
      const instances = instanceNics.flatMap((n) => {
        const inPool = n.ipConfigurations?.some((c) => c.loadBalancerBackendAddressPools?.length);
        const vm = n.virtualMachine?.id;
        return inPool && vm ? [vm] : [];
      });
      countInstances(ss, instances);
      resources.push(ss);
    } catch (e) {
      if (statusOf(e) === 404) ctx.notes.push(`scale set ${name} (${id}) was deleted during the scan (404): it is left out`);
      else problems.push(describeError(e, `network interfaces of scale set ${name}`, endpoint));
    }
  }

  // Pools can hold NICs of other resource groups: fetch those the lists did not return.
  if (resourceGroup !== undefined) {
    const read = new Set(nics.map((n) => (n.id ?? '').toLowerCase()));
    const wanted = new Set<string>();
    for (const lb of lbs) {
      for (const pool of asObjects(getPath(lb, 'properties', 'backendAddressPools'))) {
        for (const ref of asObjects(getPath(pool, 'properties', 'backendIPConfigurations'))) {
          const ipc = getProp(ref, 'id');
          const nicId = typeof ipc === 'string' ? /^(.*\/networkInterfaces\/[^/]+)\/ipConfigurations\//i.exec(ipc)?.[1] : undefined;
          if (nicId && !scaleSetInstance(nicId) && !read.has(nicId.toLowerCase())) wanted.add(nicId);
        }
      }
    }
    let fetched = 0;
    for (const nicId of wanted) {
      if (fetched++ >= MAX_OUTSIDE_NICS) {
        ctx.notes.push(`${wanted.size - MAX_OUTSIDE_NICS} NICs of other resource groups in the pools of ${where} were not read (bound ${MAX_OUTSIDE_NICS})`);
        break;
      }
      const name = nicId.split('/').pop() ?? '';
      try {
        resources.push(networkInterfaceJson(await network.networkInterfaces.get(resourceGroupOf(nicId) ?? '', name, opts)));
      } catch (e) {
        if (statusOf(e) === 404) ctx.notes.push(`network interface ${name} (${nicId}) was deleted during the scan (404): it is left out`);
        else problems.push(describeError(e, `network interface ${name}`, endpoint));
      }
    }
  }

  const result: SubscriptionResult = { id: subscriptionId, status: problems.length ? 'partial' : 'read', loadBalancers: lbs.length };
  if (problems.length) result.message = problems.join('; ');
  return { result, resources };
}

function asObjects(v: unknown): ValueObject[] {
  return Array.isArray(v) ? v.filter((x): x is ValueObject => isObject(x)) : [];
}
