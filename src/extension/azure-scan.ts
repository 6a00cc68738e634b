/**
 * The deployed scan of `ILB Hairpin: Scan Azure Subscription`: sign-in, the tenant and
 * subscription pickers, the read (the CLI's reader, core/azure) and its analysis. Bundled apart
 * (dist/azure-scan.js, with the Azure SDK) and loaded when the command first runs, so activation
 * neither loads nor parses the SDK. It hands back plain data only (the tree's view, topology
 * models), never engine objects: the extension's bundle has its own copy of the engine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import { listSubscriptions, listTenants, type SubscriptionInfo } from '../core/azure/accounts';
import type { TokenCredential } from '@azure/core-auth';
import { describeError } from '../core/azure/pipeline';
import type { AzureReadOptions, AzureScope } from '../core/azure/read';
import type { DeployedView } from '../core/azure/view';
import type { TopologyModel } from '../core/topology/model';
import type { FromAzureWorker, ToAzureWorker, WorkerReadOptions } from './azure-protocol';
import { environmentToken, signIn, SignInCancelled } from './azure-auth';
import type { AzureSettings } from './azure-settings';

/** What the command can be given (tests, other extensions): without it, the pickers ask. */
export interface ScanRequest {
  /** Subscription IDs, or `all`: every subscription the identity can read (through Resource Graph). */
  subscriptions?: string[] | 'all';
  resourceGroup?: string;
  /** A tenant ID to sign in to (a VS Code session only). */
  tenant?: string;
  source?: 'arm' | 'resource-graph';
  /** Cancels the read as the notification's Cancel does (for a caller that runs the command). */
  cancellation?: vscode.CancellationToken;
}

export interface ScanResult {
  view: DeployedView;
  /**
   * The topology of one load balancer (its `azure:<resource ID>` "file") or, without one, of
   * everything read (built in the worker); undefined when nothing was read.
   */
  topology: ((file: string | undefined) => Promise<TopologyModel | undefined>) | undefined;
  /** Ends the worker that holds the analysis (when the next scan replaces this one). */
  dispose(): void;
  /** Set when nothing could be read. */
  failure?: string;
  account: string;
  /** Time the analysis took in the extension host, ms (logged). */
  analysisMs: number;
}

const ALL = '$all';

function anyOf(a: vscode.CancellationToken, b: vscode.CancellationToken): vscode.CancellationToken {
  const source = new vscode.CancellationTokenSource();
  a.onCancellationRequested(() => source.cancel());
  b.onCancellationRequested(() => source.cancel());
  if (a.isCancellationRequested || b.isCancellationRequested) source.cancel();
  return source.token;
}

/**
 * Reads and analyzes in a worker thread (azure-worker.ts): the host only answers its token
 * requests and shows its progress, so a large read never holds the host's event loop.
 */
function readInWorker(scope: AzureScope, options: WorkerReadOptions, credential: TokenCredential, account: string, progress: vscode.Progress<{ message?: string }>, token: vscode.CancellationToken): Promise<ScanResult> {
  const worker = new Worker(join(__dirname, 'azure-worker.js'));
  const post = (m: ToAzureWorker): void => worker.postMessage(m);
  let nextId = 0;
  const models = new Map<number, (m: TopologyModel | undefined) => void>();
  const dispose = (): void => {
    for (const resolve of models.values()) resolve(undefined);
    models.clear();
    void worker.terminate();
  };
  const topology = (file: string | undefined): Promise<TopologyModel | undefined> =>
    new Promise((resolve) => {
      const id = ++nextId;
      models.set(id, resolve);
      post({ type: 'topology', id, ...(file !== undefined ? { file } : {}) });
    });
  return new Promise<ScanResult>((resolve, reject) => {
    let settled = false;
    const cancel = token.onCancellationRequested(() => post({ type: 'cancel' }));
    if (token.isCancellationRequested) post({ type: 'cancel' });
    const fail = (e: Error): void => {
      cancel.dispose();
      dispose();
      if (!settled) reject(e);
      settled = true;
    };
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => {
      if (!settled) fail(new Error(`the scan's worker stopped (exit code ${code})`));
      for (const r of models.values()) r(undefined);
      models.clear();
    });
    worker.on('message', (m: FromAzureWorker) => {
      switch (m.type) {
        case 'progress':
          progress.report({ message: m.message });
          break;
        case 'getToken':
          credential.getToken(m.scopes).then(
            (t) => post({ type: 'token', id: m.id, ...(t ? { token: t.token, expiresOnTimestamp: t.expiresOnTimestamp } : { error: 'no token' }) }),
            (e: unknown) => post({ type: 'token', id: m.id, error: e instanceof Error ? e.message : String(e) }),
          );
          break;
        case 'topology':
          models.get(m.id)?.(m.model);
          models.delete(m.id);
          break;
        case 'error':
          fail(new Error(m.message));
          break;
        case 'done':
          cancel.dispose();
          settled = true;
          if (m.failure !== undefined) dispose();
          resolve({ view: m.view, topology: m.failure === undefined ? topology : undefined, account, analysisMs: m.analysisMs, dispose, ...(m.failure !== undefined ? { failure: m.failure } : {}) });
          break;
      }
    });
    post({ type: 'scan', scope, options });
  });
}

async function pickTenant(settings: AzureSettings, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const first = await signIn(settings, undefined);
  let tenants: Awaited<ReturnType<typeof listTenants>>;
  try {
    tenants = await listTenants(readOptions(settings, first.credential));
  } catch (e) {
    // Without the list, the account's own tenant is scanned (the session already made is for it).
    log.warn(`${(e as Error).message}; scanning the account's default tenant.`);
    return undefined;
  }
  log.info(`Signed in as ${first.account}; ${tenants.length} tenant(s).`);
  // One tenant: the session already made is for it; no second sign-in.
  if (tenants.length <= 1) return undefined;
  const picked = await vscode.window.showQuickPick(
    tenants.map((t) => ({ label: t.displayName ?? t.tenantId, description: t.defaultDomain, detail: t.tenantId, tenantId: t.tenantId })),
    { title: 'ILB Hairpin: the tenant to scan', placeHolder: 'Pick a tenant', ignoreFocusOut: true },
  );
  if (!picked) throw new SignInCancelled();
  return picked.tenantId;
}

async function pickSubscriptions(subs: SubscriptionInfo[]): Promise<string[] | 'all'> {
  type Item = vscode.QuickPickItem & { id: string };
  const items: Item[] = [
    { label: '$(globe) All subscriptions', description: 'every subscription the identity can read, through Azure Resource Graph', id: ALL },
    ...subs.map((s) => ({ label: s.displayName ?? s.subscriptionId, description: s.subscriptionId, ...(s.state && s.state !== 'Enabled' ? { detail: s.state } : {}), id: s.subscriptionId })),
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'ILB Hairpin: the subscriptions to scan', placeHolder: 'Pick one or more subscriptions', canPickMany: true, ignoreFocusOut: true });
  if (!picked || picked.length === 0) throw new SignInCancelled();
  return picked.some((p) => p.id === ALL) ? 'all' : picked.map((p) => p.id);
}

/**
 * The certificate authorities of NODE_EXTRA_CA_CERTS (a private CA, as Azure Stack Hub's) with
 * Node's own. VS Code's extension host answers HTTPS connections' trust with its own list (its
 * proxy support), which leaves that variable out; the SDK's clients are given the list instead.
 */
function trusted(): string | undefined {
  const file = process.env.NODE_EXTRA_CA_CERTS;
  if (!file) return undefined;
  try {
    return [...rootCertificates, readFileSync(file, 'utf8')].join('\n');
  } catch {
    return undefined;
  }
}

function readOptions(settings: AzureSettings, credential: AzureReadOptions['credential']): AzureReadOptions {
  const ca = trusted();
  return { credential, ...(ca !== undefined ? { ca } : {}), ...(settings.portalCloud ? { cloud: settings.portalCloud } : {}), ...(settings.armEndpoint ? { armEndpoint: settings.armEndpoint } : {}) };
}

/**
 * Signs in, asks what to scan (unless told), reads it with a cancellable progress notification
 * and analyzes it. Undefined when the user cancelled a picker or the sign-in.
 */
export async function runScan(settings: AzureSettings, request: ScanRequest, log: vscode.LogOutputChannel): Promise<ScanResult | undefined> {
  try {
    const tenant = request.tenant ?? (environmentToken() || request.subscriptions ? undefined : await pickTenant(settings, log));
    const { credential, account } = await signIn(settings, tenant);
    const names = new Map<string, string>();
    const pick = async (): Promise<string[] | 'all'> => {
      const listed = await listSubscriptions(readOptions(settings, credential));
      for (const s of listed) if (s.displayName) names.set(s.subscriptionId.toLowerCase(), s.displayName);
      return pickSubscriptions(listed);
    };
    const subscriptions = request.subscriptions ?? (await pick());
    const scope: AzureScope = {
      subscriptions: subscriptions === 'all' ? [] : subscriptions,
      allSubscriptions: subscriptions === 'all',
      ...(request.resourceGroup ? { resourceGroup: request.resourceGroup } : {}),
      ...(request.source ? { source: request.source } : {}),
    };
    log.info(`Scanning Azure (${settings.endpoints.arm}) as ${account}.`);
    const { credential: _c, ...options } = readOptions(settings, credential);
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ILB Hairpin: reading Azure', cancellable: true }, (progress, token) =>
      readInWorker(scope, options, credential, account, progress, request.cancellation ? anyOf(token, request.cancellation) : token),
    );
    // The names the picker showed (a scan by ID through Resource Manager has none of its own).
    for (const s of result.view.subscriptions) if (s.name === undefined && names.has(s.id.toLowerCase())) s.name = names.get(s.id.toLowerCase());
    log.info(`Read ${result.view.subscriptions.length} subscription(s) in ${result.view.requests} requests; analyzed in the worker in ${result.analysisMs.toFixed(0)} ms.`);
    return result;
  } catch (e) {
    if (e instanceof SignInCancelled) return undefined;
    const message = e instanceof Error && /^the list of|could not sign in/.test(e.message) ? e.message : describeError(e, 'Azure', settings.endpoints.arm);
    throw new Error(message);
  }
}
