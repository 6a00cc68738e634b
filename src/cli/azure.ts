/**
 * `ilb-hairpin azure` and `ilb-hairpin topology --azure`: what is deployed, read through the
 * Azure SDK (core/azure), judged by the same rule, printed in the same formats.
 */
import type { TokenCredential } from '@azure/core-auth';
import { analyzeEstate, type DeployedAnalysis, type DeployedEstate } from '../core/azure/estate';
import { NothingRead, readEstate, describeScope } from '../core/azure/read';
import { analyzeEstateForReport, deployedReport } from '../core/azure/report';
import { staticTokenCredential } from '../core/azure/credential';
import { describeError } from '../core/azure/pipeline';
import { cloudEndpoints } from '../core/azure/clouds';
import { reaches } from '../core/report';
import { buildTopology } from '../core/topology/build';
import type { AzureArgs, AzureTarget, TopologyArgs } from './args';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import type { CliIo } from './io';
import { writeTopology } from './topology';

/** The environment variable a bearer token for Resource Manager can be given in. */
export const TOKEN_VARIABLE = 'ILB_HAIRPIN_ARM_TOKEN';

async function credentialFor(target: AzureTarget, env: NodeJS.ProcessEnv): Promise<TokenCredential> {
  const token = env[TOKEN_VARIABLE]?.trim();
  if (token) return staticTokenCredential(token);
  const { DefaultAzureCredential, AzureAuthorityHosts } = await import('@azure/identity');
  const authorityHost = target.cloud === 'AzureUSGovernment' ? AzureAuthorityHosts.AzureGovernment : target.cloud === 'AzureChinaCloud' ? AzureAuthorityHosts.AzureChina : undefined;
  return new DefaultAzureCredential(authorityHost ? { authorityHost } : {});
}

interface Read {
  estate: DeployedEstate;
  analysis: DeployedAnalysis | undefined;
  /** Set when nothing could be read. */
  failure?: string;
}

/** Reads and analyses the target: for the report alone (`azure`: the graph is let go part by part), or keeping the graph (`topology --azure`). */
async function read(target: AzureTarget, io: CliIo, env: NodeJS.ProcessEnv, keepGraph: boolean): Promise<Read> {
  const scope = { subscriptions: target.subscriptions, allSubscriptions: target.allSubscriptions, ...(target.resourceGroup !== undefined ? { resourceGroup: target.resourceGroup } : {}), ...(target.source ? { source: target.source } : {}) };
  const progress = env['ILB_HAIRPIN_PROGRESS'] === '1' ? (m: string) => io.stderr(`${m}…\n`) : undefined;
  try {
    const credential = await credentialFor(target, env);
    const estate = await readEstate(scope, {
      credential,
      ...(target.cloud ? { cloud: target.cloud } : {}),
      ...(target.armEndpoint ? { armEndpoint: target.armEndpoint } : {}),
      ...(progress ? { onProgress: progress } : {}),
    });
    return { estate, analysis: keepGraph ? analyzeEstate(estate) : analyzeEstateForReport(estate) };
  } catch (e) {
    if (e instanceof NothingRead) return { estate: e.estate, analysis: undefined, failure: e.message };
    const endpoint = cloudEndpoints(target.cloud, target.armEndpoint).arm;
    const message = describeError(e, 'Azure', endpoint);
    return { estate: { source: target.source ?? 'arm', scope: describeScope(scope), resources: [], subscriptions: [], notes: [], requests: 0, portal: undefined }, analysis: undefined, failure: message };
  }
}

export async function azureScan(args: AzureArgs, io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { estate, analysis, failure } = await read(args.target, io, env, false);
  const report = deployedReport(estate, analysis);
  io.stdout(args.format === 'json' ? formatJson(report) : args.format === 'sarif' ? formatSarif(report) : formatText(report));
  if (failure !== undefined) {
    io.stderr(`ilb-hairpin: nothing could be read from Azure: ${failure}\n`);
    return 2;
  }
  return report.findings.some((f) => reaches(f.severity, args.failOn)) ? 1 : 0;
}

export async function azureTopology(args: TopologyArgs & { azure: AzureTarget }, io: CliIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const { estate, analysis, failure } = await read(args.azure, io, env, true);
  if (failure !== undefined || !analysis) {
    io.stderr(`ilb-hairpin: nothing could be read from Azure: ${failure ?? 'no answer'}\n`);
    return 2;
  }
  for (const s of estate.subscriptions) if (s.status !== 'read') io.stderr(`ilb-hairpin: subscription ${s.id}: ${s.message ?? s.status}\n`);
  for (const n of estate.notes) io.stderr(`ilb-hairpin: note: ${n}\n`);
  // A deployed resource's "file" is `azure:<resource ID>`: named by its resource group.
  const fileName = (p: string): string => /\/resourceGroups\/([^/]+)/i.exec(p)?.[1] ?? p;
  const model = buildTopology(analysis, { scope: 'workspace', fileName });
  model.title = `Deployed: ${estate.scope}`;
  if (model.nodes.length === 0) model.notes = [`No load balancer is deployed in ${estate.scope}.`, ...model.notes.slice(1)];
  return writeTopology(model, args, io, (p) => p, 0);
}
