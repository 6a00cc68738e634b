/**
 * What a deployed scan read (the estate), and its analysis by the same graph and rules as the
 * templates': one graph across every subscription read (or, for a report alone, its parts that
 * share no link token, one at a time), its findings located by resource ID.
 */
import type { EvaluatedResource } from '../evaluate/resources';
import { getPath, getProp, isObject, type Value, type ValueObject } from '../evaluate/value';
import { buildGraph } from '../graph/build';
import type { NetworkGraph } from '../graph/model';
import type { ReportLoadBalancer } from '../report';
import { RULES } from '../rules';
import type { Finding } from '../rules/types';
import { deployedResource } from './resources';

export type AzureSource = 'arm' | 'resource-graph';

/** One subscription's outcome: read (maybe partly: see its notes) or failed, and why. */
export interface SubscriptionResult {
  id: string;
  name?: string;
  status: 'read' | 'partial' | 'failed';
  message?: string;
  loadBalancers: number;
}

export interface DeployedEstate {
  source: AzureSource;
  /** What was asked: a resource group, subscriptions, or every subscription. */
  scope: string;
  /** Resource Manager JSON of load balancers, NICs, VMs and scale sets (REST shape). */
  resources: ValueObject[];
  subscriptions: SubscriptionResult[];
  /** What the reader could not do completely (bounded paging, deleted resources, partial reads). */
  notes: string[];
  /** HTTP requests sent (each retry counted). */
  requests: number;
  /** Time spent awaiting the SDK's answers (receiving and parsing them), ms. */
  sdkMs?: number;
  /** The portal origin for links, when the cloud has a known portal. */
  portal: string | undefined;
}

export interface DeployedAnalysis {
  findings: Finding[];
  /** The deployed graph (none when analysed for the report alone: see azure/report.ts). */
  graphs: { environment: string; graph: NetworkGraph }[];
  /** The report's load balancers, when they were summarised as the graph was built part by part. */
  loadBalancers?: ReportLoadBalancer[];
}

/** The environment name of the deployed graph (the topology shows it). */
export const DEPLOYED_ENVIRONMENT = 'deployed';

const lower = (v: Value | undefined): string => (typeof v === 'string' ? v.toLowerCase() : '');

/**
 * The graph's input from the estate's JSON. A NIC attached to a VM that was not read (outside the
 * resource group) gets a stand-in VM named after the VM's resource ID, so the member reads as
 * that VM. Scale sets in Flexible orchestration are left out: their instances are plain VMs with
 * their own NICs, which are the members.
 */
export function estateResources(estate: Pick<DeployedEstate, 'resources' | 'portal'>): EvaluatedResource[] {
  return wrapRows([...estate.resources, ...standInVms(estate.resources)], estate.portal);
}

/** The stand-in VMs (Resource Manager JSON) of the NICs attached to VMs that were not read. */
export function standInVms(rows: readonly ValueObject[]): ValueObject[] {
  const vmIds = new Set<string>();
  for (const r of rows) if (lower(getProp(r, 'type')) === 'microsoft.compute/virtualmachines') vmIds.add(lower(getProp(r, 'id')));
  const standIns = new Map<string, ValueObject>();
  for (const r of rows) {
    if (lower(getProp(r, 'type')) !== 'microsoft.network/networkinterfaces') continue;
    const vmId = getPath(r, 'properties', 'virtualMachine', 'id');
    // A scale set instance (`.../virtualMachineScaleSets/S/virtualMachines/K`) is counted by its scale set.
    if (typeof vmId === 'string' && !/\/virtualmachinescalesets\//i.test(vmId) && !vmIds.has(vmId.toLowerCase())) {
      const key = vmId.toLowerCase();
      const vm = standIns.get(key) ?? { id: vmId, name: vmId.split('/').pop() ?? vmId, type: 'Microsoft.Compute/virtualMachines', properties: { networkProfile: { networkInterfaces: [] } } };
      const list = getPath(vm, 'properties', 'networkProfile', 'networkInterfaces');
      if (Array.isArray(list)) list.push({ id: getProp(r, 'id') ?? null });
      standIns.set(key, vm);
    }
  }
  return [...standIns.values()];
}

/** The rows as the graph takes them (without Flexible scale sets). */
export function wrapRows(rows: readonly ValueObject[], portal: string | undefined): EvaluatedResource[] {
  const out: EvaluatedResource[] = [];
  for (const r of rows) {
    if (lower(getProp(r, 'type')) === 'microsoft.compute/virtualmachinescalesets' && lower(getPath(r, 'properties', 'orchestrationMode')) === 'flexible') continue;
    const resource = deployedResource(r, portal);
    if (resource) out.push(resource);
  }
  return out;
}

/** The same graph, rules and findings as for templates, over what is deployed. */
export function analyzeEstate(estate: Pick<DeployedEstate, 'resources' | 'portal'>): DeployedAnalysis {
  const graph = buildGraph(estateResources(estate));
  const findings = RULES.flatMap((rule) => rule.check(graph, {}));
  return { findings, graphs: [{ environment: DEPLOYED_ENVIRONMENT, graph }] };
}

/**
 * Sets a Uniform scale set's `sku.capacity` to the instances that exist, given the instance IDs
 * (`.../virtualMachineScaleSets/S/virtualMachines/K`) seen in its NICs or in the pools.
 */
export function countInstances(scaleSet: ValueObject, instanceIds: Iterable<string>): void {
  const count = new Set([...instanceIds].map((x) => x.toLowerCase())).size;
  const sku = getProp(scaleSet, 'sku');
  if (isObject(sku)) sku.capacity = count;
  else scaleSet.sku = { capacity: count };
}

/** The scale set an instance's resource ID belongs to, and the instance's own ID. */
export function scaleSetInstance(id: string): { scaleSet: string; instance: string } | undefined {
  const m = /^(.*\/providers\/microsoft\.compute\/virtualmachinescalesets\/[^/]+)\/virtualmachines\/([^/]+)/i.exec(id);
  return m ? { scaleSet: (m[1] as string).toLowerCase(), instance: `${m[1]}/virtualMachines/${m[2]}` } : undefined;
}
