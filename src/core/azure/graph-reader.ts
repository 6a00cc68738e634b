/**
 * Reads many subscriptions at once through Azure Resource Graph: one query for the load
 * balancers and one for what joins their pools (NICs, VMs, scale sets), each paged with
 * `$skipToken` at 1,000 rows a page. Resource Graph returns Resource Manager's JSON, the shape
 * the graph takes. It is eventually consistent: seconds to minutes behind Resource Manager.
 */
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { getPath, getProp, isObject, stringInterner, type Value, type ValueObject } from '../evaluate/value';
import { countInstances, scaleSetInstance, type SubscriptionResult } from './estate';
import { describeError, modularClientOptions, type ReaderContext } from './pipeline';
import { pruneRow } from './prune';

/** Rows a page (the most Resource Graph returns). */
export const PAGE_ROWS = 1000;
/** Subscriptions one query may name. */
const SUBSCRIPTIONS_PER_QUERY = 1000;

const LB_TYPE = 'microsoft.network/loadbalancers';
const MEMBER_TYPES = ['microsoft.network/networkinterfaces', 'microsoft.compute/virtualmachines', 'microsoft.compute/virtualmachinescalesets'];

/** KQL string literal. */
function kql(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function loadBalancerQuery(resourceGroup: string | undefined): string {
  return [`Resources`, `| where type =~ ${kql(LB_TYPE)}`, ...(resourceGroup !== undefined ? [`| where resourceGroup =~ ${kql(resourceGroup)}`] : []), `| project id, name, type, location, sku, subscriptionId, resourceGroup, properties`, `| order by id asc`].join('\n');
}

/** Everything that can be a member: pools name members of other resource groups too, so no group filter. */
export function memberQuery(): string {
  return [`Resources`, `| where type in~ (${MEMBER_TYPES.map(kql).join(', ')})`, `| project id, name, type, sku, subscriptionId, resourceGroup, properties`, `| order by id asc`].join('\n');
}

export function subscriptionsQuery(): string {
  return `ResourceContainers\n| where type =~ 'microsoft.resources/subscriptions'\n| project subscriptionId, name\n| order by subscriptionId asc`;
}

export interface GraphRead {
  resources: ValueObject[];
  results: SubscriptionResult[];
  /** Set when the load balancers could not be read at all. */
  failure?: string;
}

/** Runs one query to its last page (or the page bound). */
export async function queryAll(ctx: ReaderContext, client: ResourceGraphClient, query: string, subscriptions: string[] | undefined, what: string, intern?: (s: string) => string): Promise<ValueObject[]> {
  const rows: ValueObject[] = [];
  const chunks = subscriptions === undefined ? [undefined] : chunk(subscriptions, SUBSCRIPTIONS_PER_QUERY);
  for (const subs of chunks) {
    let skipToken: string | undefined;
    let pages = 0;
    do {
      const started = performance.now();
      const response = await client.resources(
        { query, ...(subs ? { subscriptions: subs } : {}), options: { top: PAGE_ROWS, resultFormat: 'objectArray', ...(skipToken ? { skipToken } : {}) } },
        ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {},
      );
      ctx.stats.sdkMs += performance.now() - started;
      const data: unknown = response.data;
      if (!Array.isArray(data)) throw new Error(`the answer to the ${what} query has no row list (data is ${data === null ? 'null' : typeof data})`);
      for (const row of data) if (isObject(row as Value)) rows.push(pruneRow(row as ValueObject, intern));
      skipToken = typeof response.skipToken === 'string' && response.skipToken !== '' ? response.skipToken : undefined;
      if (++pages >= ctx.maxPages && skipToken) {
        ctx.notes.push(`${what}: stopped after ${pages} pages of Resource Graph rows (the page bound); the rest is not read`);
        break;
      }
    } while (skipToken);
  }
  return rows;
}

function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export function resourceGraphClient(ctx: ReaderContext): ResourceGraphClient {
  return new ResourceGraphClient(ctx.credential, modularClientOptions(ctx));
}

export async function readResourceGraph(ctx: ReaderContext, subscriptions: string[] | undefined, resourceGroup: string | undefined): Promise<GraphRead> {
  const client = resourceGraphClient(ctx);
  const endpoint = ctx.endpoints.arm;
  const intern = stringInterner();
  let lbs: ValueObject[];
  try {
    lbs = await queryAll(ctx, client, loadBalancerQuery(resourceGroup), subscriptions, 'load balancers (Resource Graph)', intern);
  } catch (e) {
    return { resources: [], results: [], failure: describeError(e, 'load balancers (Resource Graph)', endpoint) };
  }
  const bySubscription = new Map<string, number>();
  for (const s of subscriptions ?? []) bySubscription.set(s.toLowerCase(), 0);
  for (const lb of lbs) {
    const sub = subscriptionOf(lb);
    if (sub) bySubscription.set(sub, (bySubscription.get(sub) ?? 0) + 1);
  }
  let members: ValueObject[] = [];
  let memberProblem: string | undefined;
  if (lbs.length) {
    try {
      // Members may sit in other subscriptions than their load balancer: the query spans the same scope.
      members = await queryAll(ctx, client, memberQuery(), subscriptions, 'pool members (Resource Graph)', intern);
    } catch (e) {
      memberProblem = describeError(e, 'pool members (Resource Graph)', endpoint);
    }
  }
  // A Uniform scale set's members are the instances its pools list now.
  const instances = new Map<string, string[]>();
  for (const lb of lbs) {
    for (const pool of objects(getPath(lb, 'properties', 'backendAddressPools'))) {
      for (const ref of objects(getPath(pool, 'properties', 'backendIPConfigurations'))) {
        const id = getProp(ref, 'id');
        const inst = typeof id === 'string' ? scaleSetInstance(id) : undefined;
        if (inst) instances.set(inst.scaleSet, [...(instances.get(inst.scaleSet) ?? []), inst.instance]);
      }
    }
  }
  for (const m of members) {
    const type = getProp(m, 'type');
    const id = getProp(m, 'id');
    if (typeof type === 'string' && type.toLowerCase() === 'microsoft.compute/virtualmachinescalesets' && typeof id === 'string' && !/flexible/i.test(String(getPath(m, 'properties', 'orchestrationMode') ?? ''))) {
      countInstances(m, instances.get(id.toLowerCase()) ?? []);
    }
  }
  const results: SubscriptionResult[] = [...bySubscription].map(([id, n]) => {
    const r: SubscriptionResult = { id, status: memberProblem ? 'partial' : 'read', loadBalancers: n };
    if (memberProblem && n) r.message = memberProblem;
    return r;
  });
  return { resources: [...lbs, ...members], results };
}

function subscriptionOf(row: ValueObject): string | undefined {
  const s = getProp(row, 'subscriptionId');
  if (typeof s === 'string') return s.toLowerCase();
  const id = getProp(row, 'id');
  return typeof id === 'string' ? /^\/subscriptions\/([^/]+)/i.exec(id)?.[1]?.toLowerCase() : undefined;
}

function objects(v: Value | undefined): ValueObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}
