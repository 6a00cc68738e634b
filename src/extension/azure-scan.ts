/**
 * The deployed scan of `ILB Hairpin: Scan Azure Subscription`: sign-in, the tenant and
 * subscription pickers, the read (the CLI's reader, core/azure) and its analysis. Bundled apart
 * (dist/azure-scan.js, with the Azure SDK) and loaded when the command first runs, so activation
 * neither loads nor parses the SDK. It hands back plain data only (the tree's view, topology
 * models), never engine objects: the extension's bundle has its own copy of the engine.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import * as vscode from 'vscode';
import { listSubscriptions, listTenants, type SubscriptionInfo } from '../core/azure/accounts';
import { analyzeEstate, type DeployedAnalysis } from '../core/azure/estate';
import { describeError } from '../core/azure/pipeline';
import { NothingRead, readEstate, type AzureReadOptions, type AzureScope } from '../core/azure/read';
import { deployedView, type DeployedView } from '../core/azure/view';
import { buildTopology } from '../core/topology/build';
import type { TopologyModel } from '../core/topology/model';
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
}

export interface ScanResult {
  view: DeployedView;
  /**
   * The topology of one load balancer (its `azure:<resource ID>` "file") or, without one, of
   * everything read; undefined when nothing was read.
   */
  topology: ((file: string | undefined) => TopologyModel) | undefined;
  /** Set when nothing could be read. */
  failure?: string;
  account: string;
  /** Time the analysis took in the extension host, ms (logged). */
  analysisMs: number;
}

const ALL = '$all';

/** A deployed resource's "file" is `azure:<resource ID>`: named by its resource group, as in the CLI. */
const fileName = (p: string): string => /\/resourceGroups\/([^/]+)/i.exec(p)?.[1] ?? p;

function topologyOf(analysis: DeployedAnalysis): (file: string | undefined) => TopologyModel {
  return (file) => buildTopology(analysis, file !== undefined ? { scope: 'file', file, fileName } : { scope: 'workspace', fileName });
}

async function pickTenant(settings: AzureSettings, log: vscode.LogOutputChannel): Promise<string | undefined> {
  const first = await signIn(settings, undefined);
  const tenants = await listTenants(readOptions(settings, first.credential));
  log.info(`Signed in as ${first.account}; ${tenants.length} tenant(s).`);
  if (tenants.length <= 1) return tenants[0]?.tenantId;
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
    const subscriptions = request.subscriptions ?? (await pickSubscriptions(await listSubscriptions(readOptions(settings, credential))));
    const scope: AzureScope = {
      subscriptions: subscriptions === 'all' ? [] : subscriptions,
      allSubscriptions: subscriptions === 'all',
      ...(request.resourceGroup ? { resourceGroup: request.resourceGroup } : {}),
      ...(request.source ? { source: request.source } : {}),
    };
    log.info(`Scanning Azure (${settings.endpoints.arm}) as ${account}.`);
    return await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'ILB Hairpin: reading Azure', cancellable: true }, async (progress, token) => {
      const abort = new AbortController();
      const cancel = token.onCancellationRequested(() => abort.abort());
      try {
        const estate = await readEstate(scope, { ...readOptions(settings, credential), abortSignal: abort.signal, onProgress: (message) => progress.report({ message }) });
        progress.report({ message: `Analyzing ${estate.resources.length} resources` });
        const started = performance.now();
        const analysis = analyzeEstate(estate);
        const view = deployedView(estate, analysis);
        const analysisMs = performance.now() - started;
        log.info(`Read ${estate.resources.length} resources in ${estate.requests} requests; analyzed in ${analysisMs.toFixed(0)} ms.`);
        return { view, topology: topologyOf(analysis), account, analysisMs };
      } catch (e) {
        if (e instanceof NothingRead) {
          const failure = abort.signal.aborted ? 'cancelled' : e.message;
          return { view: deployedView(e.estate, undefined), topology: undefined, failure, account, analysisMs: 0 };
        }
        throw e;
      } finally {
        cancel.dispose();
      }
    });
  } catch (e) {
    if (e instanceof SignInCancelled) return undefined;
    const message = e instanceof Error && /^the list of|could not sign in/.test(e.message) ? e.message : describeError(e, 'Azure', settings.endpoints.arm);
    throw new Error(message);
  }
}
