/**
 * What an identity can pick from before a scan: its tenants (`GET /tenants`) and subscriptions
 * (`GET /subscriptions`), read through the same pipeline policies as the SDK clients (read-only
 * guard, retry, request bound, count), every `nextLink` page to the page bound.
 */
import { bearerTokenAuthenticationPolicy, createDefaultHttpClient, createPipelineFromOptions, createPipelineRequest, RestError, type Pipeline } from '@azure/core-rest-pipeline';
import { getProp, isObject, type Value, type ValueObject } from '../evaluate/value';
import { additionalPolicies, describeError, readerContext, type AzureReadOptions, type ReaderContext } from './pipeline';

/** The Subscriptions API version of both lists (Microsoft.Resources). */
const API_VERSION = '2022-12-01';

export interface TenantInfo {
  tenantId: string;
  displayName?: string;
  defaultDomain?: string;
}

export interface SubscriptionInfo {
  subscriptionId: string;
  displayName?: string;
  tenantId?: string;
  /** Enabled, Disabled, Warned, PastDue, Deleted. */
  state?: string;
}

function pipelineOf(ctx: ReaderContext): Pipeline {
  const pipeline = createPipelineFromOptions({
    retryOptions: ctx.retry,
    userAgentOptions: { userAgentPrefix: 'ilb-hairpin' },
    ...(ctx.ca !== undefined ? { tlsOptions: { ca: ctx.ca } } : {}),
  });
  pipeline.addPolicy(bearerTokenAuthenticationPolicy({ credential: ctx.credential, scopes: [ctx.endpoints.scope] }), { phase: 'Sign' });
  for (const p of additionalPolicies(ctx)) pipeline.addPolicy(p.policy, p.position === 'perRetry' ? { afterPhase: 'Retry' } : {});
  return pipeline;
}

/** Every item of a Resource Manager list, following `nextLink` (only on the same host) to the page bound. */
async function listAll(ctx: ReaderContext, path: string, what: string): Promise<ValueObject[]> {
  const pipeline = pipelineOf(ctx);
  const client = createDefaultHttpClient();
  const origin = new URL(ctx.endpoints.arm).origin;
  let url: string | undefined = `${ctx.endpoints.arm}${path}?api-version=${API_VERSION}`;
  const out: ValueObject[] = [];
  for (let pages = 0; url !== undefined; ) {
    const request = createPipelineRequest({ url, method: 'GET', ...(ctx.abortSignal ? { abortSignal: ctx.abortSignal } : {}) });
    const response = await pipeline.sendRequest(client, request);
    if (response.status !== 200) {
      let code: string | undefined;
      try {
        code = (JSON.parse(response.bodyAsText ?? '') as { error?: { code?: string } }).error?.code;
      } catch {
        // no ARM error body
      }
      throw new RestError(`${what}: ${response.status}`, { statusCode: response.status, ...(code ? { code } : {}), request, response });
    }
    let body: Value;
    try {
      body = JSON.parse(response.bodyAsText ?? '') as Value;
    } catch (e) {
      throw new RestError(`Error parsing the response body of ${what}: ${(e as Error).message}`, { code: 'PARSE_ERROR', statusCode: 200, request, response });
    }
    const items = isObject(body) ? getProp(body, 'value') : undefined;
    if (!Array.isArray(items)) throw new RestError(`Error parsing the response body of ${what}: no value list`, { code: 'PARSE_ERROR', statusCode: 200, request, response });
    for (const x of items) if (isObject(x)) out.push(x);
    const next = isObject(body) ? getProp(body, 'nextLink') : undefined;
    url = typeof next === 'string' && next !== '' ? next : undefined;
    if (url !== undefined && new URL(url).origin !== origin) throw new Error(`${what}: the next page is on another host (${new URL(url).origin}); the token is not sent there`);
    if (++pages >= ctx.maxPages && url !== undefined) {
      ctx.notes.push(`${what}: stopped after ${pages} pages (the page bound); the rest of the list is not read`);
      break;
    }
  }
  return out;
}

const str = (o: ValueObject, k: string): string | undefined => {
  const v = getProp(o, k);
  return typeof v === 'string' ? v : undefined;
};

/** The tenants the identity belongs to. Throws an Error whose message says what went wrong. */
export async function listTenants(options: AzureReadOptions): Promise<TenantInfo[]> {
  const ctx = readerContext(options);
  try {
    return (await listAll(ctx, '/tenants', 'the list of tenants')).flatMap((t) => {
      const tenantId = str(t, 'tenantId');
      if (!tenantId) return [];
      const displayName = str(t, 'displayName');
      const defaultDomain = str(t, 'defaultDomain');
      return [{ tenantId, ...(displayName ? { displayName } : {}), ...(defaultDomain ? { defaultDomain } : {}) }];
    });
  } catch (e) {
    throw new Error(describeError(e, 'the list of tenants', ctx.endpoints.arm));
  }
}

/** The subscriptions the identity can read (in the tenant its token is for). */
export async function listSubscriptions(options: AzureReadOptions): Promise<SubscriptionInfo[]> {
  const ctx = readerContext(options);
  try {
    return (await listAll(ctx, '/subscriptions', 'the list of subscriptions')).flatMap((s) => {
      const subscriptionId = str(s, 'subscriptionId');
      if (!subscriptionId) return [];
      const displayName = str(s, 'displayName');
      const tenantId = str(s, 'tenantId');
      const state = str(s, 'state');
      return [{ subscriptionId, ...(displayName ? { displayName } : {}), ...(tenantId ? { tenantId } : {}), ...(state ? { state } : {}) }];
    });
  } catch (e) {
    throw new Error(describeError(e, 'the list of subscriptions', ctx.endpoints.arm));
  }
}
