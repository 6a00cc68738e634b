/**
 * What the deployed scan (azure-scan.ts, in the extension host) and its worker thread
 * (azure-worker.ts: the read through the SDK and the analysis) say to each other: plain data.
 * The worker has no token of its own: it asks the host, which asks VS Code's session.
 */
import type { CloudName } from '../core/azure/clouds';
import type { AzureScope } from '../core/azure/read';
import type { DeployedView } from '../core/azure/view';
import type { TopologyModel } from '../core/topology/model';

export interface WorkerReadOptions {
  cloud?: CloudName;
  armEndpoint?: string;
  /** Trusted certificate authorities (PEM). */
  ca?: string;
}

export type ToAzureWorker =
  | { type: 'scan'; scope: AzureScope; options: WorkerReadOptions }
  | { type: 'token'; id: number; token?: string; expiresOnTimestamp?: number; error?: string }
  | { type: 'cancel' }
  /** The topology of one load balancer's `azure:<resource ID>` "file", or of everything read. */
  | { type: 'topology'; id: number; file?: string };

export type FromAzureWorker =
  | { type: 'progress'; message: string }
  | { type: 'getToken'; id: number; scopes: string[] }
  | { type: 'done'; view: DeployedView; failure?: string; analysisMs: number }
  | { type: 'error'; message: string }
  | { type: 'topology'; id: number; model: TopologyModel | undefined };
