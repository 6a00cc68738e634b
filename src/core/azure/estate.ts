/**
 * What a deployed scan read (the estate), and its analysis by the same graph and rules as the
 * templates': one graph across every subscription read (or, for a report alone, its parts that
 * share no link token, one at a time), its findings located by resource ID.
 */
import type { EvaluatedResource } from '../evaluate/resources';
import { getPath, getProp, isObject, type Value, type ValueObject } from '../evaluate/value';
import { buildGraph } from '../graph/build';
import { linkTokens, partitionByTokens } from '../graph/links';
import type { NetworkGraph } from '../graph/model';
import { reportLoadBalancers, type ReportLoadBalancer } from '../report';
import { RULES } from '../rules';
import { withoutSubject, type Finding } from '../rules/types';
import { deployedResource, forgetDeployed } from './resources';

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
  /** The deployed graph (none when analysed for the report alone: see analyzeEstateForReport). */
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
  return wrap([...estate.resources, ...standInVms(estate.resources)], estate.portal);
}

/** The stand-in VMs (Resource Manager JSON) of the NICs attached to VMs that were not read. */
function standInVms(rows: readonly ValueObject[]): ValueObject[] {
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

function wrap(rows: readonly ValueObject[], portal: string | undefined): EvaluatedResource[] {
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

const RULE_ORDER = new Map(RULES.map((r, i) => [r.id, i]));

/**
 * The findings and the report's load balancers, as analyzeEstate and the report give them, for a
 * scan that needs nothing else (the CLI's `azure`): the estate's rows are taken out of it and
 * analysed in parts that share no link token (graph/links.ts: the graph of each part is what one
 * graph of all would hold of it), and each part's rows and graph are let go once its findings and
 * load balancers are summarised. A tenant's memory then holds the rows read and what is found,
 * never the rows, the whole graph and the findings at once.
 */
export function analyzeEstateForReport(estate: Pick<DeployedEstate, 'resources' | 'portal'>): DeployedAnalysis & { loadBalancers: ReportLoadBalancer[] } {
  const rows = [...estate.resources, ...standInVms(estate.resources)];
  estate.resources = [];
  const parts: (ValueObject[] | undefined)[] = partitionByTokens(rows, rowTokens);
  rows.length = 0;
  const findings: Finding[] = [];
  const loadBalancers: ReportLoadBalancer[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as ValueObject[];
    parts[i] = undefined;
    const graph = buildGraph(wrap(part, estate.portal));
    const found = RULES.flatMap((rule) => rule.check(graph, {}));
    for (const lb of reportLoadBalancers([{ graph }], found, (p) => p)) loadBalancers.push(lb);
    for (const f of found) findings.push(withoutSubject(f));
    for (const row of part) forgetDeployed(row);
  }
  // In rule order, as from one graph (a stable sort keeps the order of the parts within a rule).
  findings.sort((a, b) => (RULE_ORDER.get(a.ruleId) ?? 0) - (RULE_ORDER.get(b.ruleId) ?? 0));
  return { findings, graphs: [], loadBalancers };
}

/** A row's link tokens, read afresh (the row's body is read once per pass, never kept). */
function rowTokens(row: ValueObject): ReturnType<typeof linkTokens> {
  const type = getProp(row, 'type');
  return linkTokens([{ type: typeof type === 'string' ? type : '', existing: false, id: getProp(row, 'id') ?? '', body: () => row }], { cache: false });
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
