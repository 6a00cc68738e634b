/**
 * What every SDK client of a deployed scan shares: the endpoint and token scope, the SDK's own
 * retry policy (429 with Retry-After, 5xx, network errors), a per-request time limit, a count
 * of requests, and a guard that lets only read operations leave the process.
 */
import type { TokenCredential } from '@azure/core-auth';
import { isRestError, type PipelinePolicy, type PipelineRetryOptions } from '@azure/core-rest-pipeline';

/** A policy added to an SDK client's pipeline (the clients' `additionalPolicies` option). */
interface AdditionalPolicyConfig {
  policy: PipelinePolicy;
  position: 'perCall' | 'perRetry';
}
import { cloudEndpoints, type CloudEndpoints, type CloudName } from './clouds';

export interface ReaderContext {
  credential: TokenCredential;
  endpoints: CloudEndpoints;
  /** Pages read of one list before the rest is left out (and a note says so). */
  maxPages: number;
  abortSignal?: AbortSignal;
  retry: PipelineRetryOptions;
  /** Milliseconds one request may take (the SDK sets none). */
  requestTimeoutMs: number;
  /** Extra trusted certificate authorities (PEM), for a private CA such as Azure Stack Hub's. */
  ca?: string;
  stats: { requests: number; /** Time spent awaiting the SDK's answers (receive and parse), ms. */ sdkMs: number };
  notes: string[];
}

export const DEFAULT_MAX_PAGES = 1000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 100_000;

/** The only POST a scan sends: a Resource Graph query (it reads). */
const RESOURCE_GRAPH_QUERY = /\/providers\/microsoft\.resourcegraph\/resources(\?|$)/i;

export function additionalPolicies(ctx: ReaderContext): AdditionalPolicyConfig[] {
  return [
    {
      position: 'perCall',
      policy: {
        name: 'ilbHairpinReadOnly',
        sendRequest: (request, next) => {
          if (request.method !== 'GET' && !(request.method === 'POST' && RESOURCE_GRAPH_QUERY.test(new URL(request.url).pathname))) {
            return Promise.reject(new Error(`refused to send ${request.method} ${new URL(request.url).pathname}: the scan only reads`));
          }
          if (!request.timeout) request.timeout = ctx.requestTimeoutMs;
          return next(request);
        },
      },
    },
    {
      position: 'perRetry',
      policy: {
        name: 'ilbHairpinCount',
        sendRequest: (request, next) => {
          ctx.stats.requests++;
          return next(request);
        },
      },
    },
  ];
}

/** Options for the AutoRest clients (NetworkManagementClient). */
export function networkClientOptions(ctx: ReaderContext): Record<string, unknown> {
  return {
    endpoint: ctx.endpoints.arm,
    $host: ctx.endpoints.arm,
    credentialScopes: [ctx.endpoints.scope],
    retryOptions: ctx.retry,
    ...(ctx.ca !== undefined ? { tlsOptions: { ca: ctx.ca } } : {}),
    additionalPolicies: additionalPolicies(ctx),
    userAgentOptions: { userAgentPrefix: 'ilb-hairpin' },
  };
}

/** Options for the TypeSpec clients (ComputeManagementClient, ResourceGraphClient). */
export function modularClientOptions(ctx: ReaderContext): Record<string, unknown> {
  return {
    endpoint: ctx.endpoints.arm,
    credentials: { scopes: [ctx.endpoints.scope] },
    retryOptions: ctx.retry,
    ...(ctx.ca !== undefined ? { tlsOptions: { ca: ctx.ca } } : {}),
    additionalPolicies: additionalPolicies(ctx),
    userAgentOptions: { userAgentPrefix: 'ilb-hairpin' },
  };
}

/** HTTP status of an SDK error, if it has one. */
export function statusOf(e: unknown): number | undefined {
  return isRestError(e) ? e.statusCode : undefined;
}

const NETWORK_CODES = /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ESOCKETTIMEDOUT|EHOSTUNREACH|ENETUNREACH|CERT_|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO)/;

/**
 * One line that says what went wrong reading `what`, and what to do. SDK error messages carry no
 * request headers; they are cut short, since a parse error repeats the body it could not read.
 */
export function describeError(e: unknown, what: string, endpoint: string): string {
  const short = (s: string): string => {
    const one = s.replace(/\s+/g, ' ').trim();
    return one.length > 200 ? `${one.slice(0, 200)}…` : one;
  };
  const err = e as { name?: string; code?: string; message?: string; statusCode?: number; cause?: { code?: string } };
  if (err?.name === 'AbortError') return `${what}: cancelled`;
  if (/^(CredentialUnavailableError|AuthenticationError|AggregateAuthenticationError)$/.test(err?.name ?? '')) {
    return `${what}: could not sign in (${short(err?.message ?? '')}): run az login, or set ILB_HAIRPIN_ARM_TOKEN`;
  }
  const status = statusOf(e);
  const code = err?.code && err.code !== String(status) ? ` ${err.code}` : '';
  if (status === 401) return `${what}: the token was refused (401${code}): it has expired or is not for this cloud or tenant; sign in again (az login) or renew ILB_HAIRPIN_ARM_TOKEN`;
  if (status === 403) return `${what}: access denied (403${code}): the identity needs the Reader role there`;
  if (status === 404) return `${what}: not found (404${code}): it was deleted, or the name is wrong`;
  if (status === 429) return `${what}: throttled (429) by Resource Manager, still after the retries`;
  if (status !== undefined && status >= 500) return `${what}: Resource Manager answered ${status}${code}, still after the retries`;
  if (err?.code === 'PARSE_ERROR' || /parsing the response body|Unexpected (end|token)|JSON/i.test(err?.message ?? '')) return `${what}: the answer is not valid JSON (malformed or cut short): ${short(err?.message ?? '')}`;
  const netCode = [err?.code, err?.cause?.code].find((c) => c && NETWORK_CODES.test(c));
  if (netCode || err?.code === 'REQUEST_SEND_ERROR') return `${what}: cannot reach ${endpoint} (${netCode ?? short(err?.message ?? 'network error')})`;
  if (status !== undefined) return `${what}: Resource Manager answered ${status}${code}: ${short(err?.message ?? '')}`;
  return `${what}: ${short(err?.message ?? String(e))}`;
}

/**
 * Reads a paged list through the SDK's iterator (which follows `nextLink`) up to the page bound;
 * past it, a note says what was left out.
 */
export async function readPages<T>(ctx: ReaderContext, what: string, pages: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  let n = 0;
  const started = performance.now();
  try {
    for await (const page of pages) {
      out.push(...page);
      if (++n >= ctx.maxPages) {
        ctx.notes.push(`${what}: stopped after ${n} pages (the page bound); the rest of the list is not read`);
        break;
      }
    }
  } finally {
    ctx.stats.sdkMs += performance.now() - started;
  }
  return out;
}

export interface AzureReadOptions {
  credential: TokenCredential;
  cloud?: CloudName;
  armEndpoint?: string;
  maxPages?: number;
  abortSignal?: AbortSignal;
  retry?: PipelineRetryOptions;
  requestTimeoutMs?: number;
  /** Extra trusted certificate authorities (PEM) for a custom endpoint with a private CA. */
  ca?: string;
  /** Subscriptions read at once through Resource Manager. */
  concurrency?: number;
  onProgress?: (message: string) => void;
}

/** What every request of one scan shares (endpoints, retry, bounds, counters), from its options. */
export function readerContext(options: AzureReadOptions): ReaderContext {
  return {
    credential: options.credential,
    endpoints: cloudEndpoints(options.cloud, options.armEndpoint),
    maxPages: options.maxPages ?? DEFAULT_MAX_PAGES,
    retry: options.retry ?? {},
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    stats: { requests: 0, sdkMs: 0 },
    notes: [],
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    ...(options.ca !== undefined ? { ca: options.ca } : {}),
  };
}
