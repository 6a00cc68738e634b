/**
 * The deployed scan's worker (dist/azure-worker.js): reads Azure through the SDK (the CLI's
 * reader) and analyzes what it read on a `worker_threads` thread, so a tenant of thousands of
 * load balancers never holds the extension host's event loop. It keeps the analysis to answer
 * topology requests while its result is shown. Tokens come from the host on request.
 */
import { parentPort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { analyzeEstate, type DeployedAnalysis } from '../core/azure/estate';
import { describeError } from '../core/azure/pipeline';
import { NothingRead, readEstate } from '../core/azure/read';
import { deployedView } from '../core/azure/view';
import { cloudEndpoints } from '../core/azure/clouds';
import { buildTopology } from '../core/topology/build';
import type { FromAzureWorker, ToAzureWorker } from './azure-protocol';

const port = parentPort;
if (!port) throw new Error('azure-worker.js runs as a worker thread of the extension');
const send = (m: FromAzureWorker): void => port.postMessage(m);

let analysis: DeployedAnalysis | undefined;
const abort = new AbortController();
let nextToken = 0;
const waiting = new Map<number, { resolve: (t: AccessToken) => void; reject: (e: Error) => void }>();

/** The host's session token, asked for each time the SDK wants one (the host caches nothing either). */
const credential: TokenCredential = {
  getToken: (scopes) =>
    new Promise<AccessToken>((resolve, reject) => {
      const id = ++nextToken;
      waiting.set(id, { resolve, reject });
      send({ type: 'getToken', id, scopes: Array.isArray(scopes) ? scopes : [scopes] });
    }),
};

/** A deployed resource's "file" is `azure:<resource ID>`: named by its resource group, as in the CLI. */
const fileName = (p: string): string => /\/resourceGroups\/([^/]+)/i.exec(p)?.[1] ?? p;

port.on('message', (m: ToAzureWorker) => {
  switch (m.type) {
    case 'token': {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (!w) return;
      if (m.token !== undefined) w.resolve({ token: m.token, expiresOnTimestamp: m.expiresOnTimestamp ?? Date.now() + 300_000 });
      else w.reject(Object.assign(new Error(m.error ?? 'no token'), { name: 'AuthenticationError' }));
      return;
    }
    case 'cancel':
      abort.abort();
      return;
    case 'topology': {
      const model = analysis ? buildTopology(analysis, m.file !== undefined ? { scope: 'file', file: m.file, fileName } : { scope: 'workspace', fileName }) : undefined;
      send({ type: 'topology', id: m.id, model });
      return;
    }
    case 'scan':
      void scan(m);
      return;
  }
});

async function scan(m: Extract<ToAzureWorker, { type: 'scan' }>): Promise<void> {
  try {
    const estate = await readEstate(m.scope, { credential, ...m.options, abortSignal: abort.signal, onProgress: (message) => send({ type: 'progress', message }) });
    send({ type: 'progress', message: `Analyzing ${estate.resources.length} resources` });
    const started = performance.now();
    analysis = analyzeEstate(estate);
    const view = deployedView(estate, analysis);
    send({ type: 'done', view, analysisMs: performance.now() - started });
  } catch (e) {
    if (e instanceof NothingRead) send({ type: 'done', view: deployedView(e.estate, undefined), failure: abort.signal.aborted ? 'cancelled' : e.message, analysisMs: 0 });
    else send({ type: 'error', message: describeError(e, 'Azure', cloudEndpoints(m.options.cloud, m.options.armEndpoint).arm) });
  }
}
