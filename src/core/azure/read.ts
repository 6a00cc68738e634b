/**
 * A deployed scan's entry: what to read (a resource group, subscriptions, every subscription),
 * through which source (Resource Manager per subscription, or Resource Graph for many), and
 * with which identity and cloud. Returns the estate; never writes to Azure.
 */
import type { AzureSource, DeployedEstate, SubscriptionResult } from './estate';
import { readSubscriptionArm } from './arm-reader';
import { queryAll, readResourceGraph, resourceGraphClient, subscriptionsQuery } from './graph-reader';
import { describeError, readerContext, type AzureReadOptions } from './pipeline';
import { getProp, type ValueObject } from '../evaluate/value';

// (The options and what a scan's requests share are in pipeline.ts: the extension's host side reads
// the accounts through them without loading the Resource Manager and Resource Graph clients.)
export type { AzureReadOptions } from './pipeline';

export interface AzureScope {
  subscriptions: string[];
  resourceGroup?: string;
  allSubscriptions?: boolean;
  /** Default: `arm` for named subscriptions or a resource group, `resource-graph` for all subscriptions. */
  source?: AzureSource;
}

/** A scan with nothing that could be read at all. */
export class NothingRead extends Error {
  constructor(
    message: string,
    /** What was tried: every subscription with why it failed. */
    readonly estate: DeployedEstate,
  ) {
    super(message);
  }
}

export function defaultSource(scope: AzureScope): AzureSource {
  return scope.source ?? (scope.allSubscriptions ? 'resource-graph' : 'arm');
}

export function describeScope(scope: AzureScope): string {
  const subs = scope.allSubscriptions ? 'every subscription the identity can read' : `subscription${scope.subscriptions.length === 1 ? '' : 's'} ${scope.subscriptions.join(', ')}`;
  return scope.resourceGroup !== undefined ? `resource group ${scope.resourceGroup} in ${subs}` : subs;
}

export async function readEstate(scope: AzureScope, options: AzureReadOptions): Promise<DeployedEstate> {
  const ctx = readerContext(options);
  const endpoints = ctx.endpoints;
  const source = defaultSource(scope);
  const estate: DeployedEstate = { source, scope: describeScope(scope), resources: [], subscriptions: [], notes: ctx.notes, requests: 0, portal: endpoints.portal };
  const finish = (): DeployedEstate => {
    estate.requests = ctx.stats.requests;
    estate.sdkMs = ctx.stats.sdkMs;
    return estate;
  };

  if (source === 'resource-graph') {
    options.onProgress?.('Querying Azure Resource Graph');
    const read = await readResourceGraph(ctx, scope.allSubscriptions ? undefined : scope.subscriptions, scope.resourceGroup);
    if (read.failure) {
      estate.subscriptions = (scope.allSubscriptions ? [] : scope.subscriptions).map((id) => ({ id, status: 'failed', message: read.failure, loadBalancers: 0 }));
      finish();
      throw new NothingRead(read.failure, estate);
    }
    estate.resources = read.resources;
    estate.subscriptions = read.results;
    return finish();
  }

  let subscriptions: { id: string; name?: string }[] = scope.subscriptions.map((id) => ({ id }));
  if (scope.allSubscriptions) {
    options.onProgress?.('Listing subscriptions');
    try {
      const rows = await queryAll(ctx, resourceGraphClient(ctx), subscriptionsQuery(), undefined, 'subscriptions (Resource Graph)');
      subscriptions = rows.flatMap((r: ValueObject) => {
        const id = getProp(r, 'subscriptionId');
        const name = getProp(r, 'name');
        return typeof id === 'string' ? [typeof name === 'string' ? { id, name } : { id }] : [];
      });
    } catch (e) {
      finish();
      throw new NothingRead(describeError(e, 'the list of subscriptions', endpoints.arm), estate);
    }
  }
  const results: SubscriptionResult[] = new Array(subscriptions.length);
  const resources: ValueObject[][] = new Array(subscriptions.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < subscriptions.length) {
      const i = next++;
      const sub = subscriptions[i] as { id: string; name?: string };
      options.onProgress?.(`Reading subscription ${sub.name ?? sub.id} (${i + 1} of ${subscriptions.length})`);
      const read = await readSubscriptionArm(ctx, sub.id, scope.resourceGroup);
      results[i] = sub.name !== undefined ? { ...read.result, name: sub.name } : read.result;
      resources[i] = read.resources;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, subscriptions.length)) }, worker));
  estate.subscriptions = results;
  estate.resources = resources.flat();
  finish();
  if (options.abortSignal?.aborted) throw new NothingRead('cancelled', estate);
  if (subscriptions.length > 0 && results.every((r) => r.status === 'failed')) throw new NothingRead(results.map((r) => r.message).join('; '), estate);
  return estate;
}
