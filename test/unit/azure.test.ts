/**
 * The deployed-state source against the fake Resource Manager (test/azure/fake-arm.ts), with
 * the real SDK clients: what is read, the findings it gives, and each fault's message.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TokenCredential } from '@azure/core-auth';
import { analyzeEstate } from '../../src/core/azure/estate';
import { analyzeEstateForReport, deployedReport } from '../../src/core/azure/report';
import { NothingRead, readEstate, type AzureReadOptions, type AzureScope } from '../../src/core/azure/read';
import * as https from 'node:https';
import { NetworkManagementClient } from '@azure/arm-network';
import { cloudEndpoints, portalUrl } from '../../src/core/azure/clouds';
import { networkClientOptions } from '../../src/core/azure/pipeline';
import { buildReport } from '../../src/core/report';
import { formatSarif } from '../../src/cli/format/sarif';
import { formatText } from '../../src/cli/format/text';
import type { FakeArm, FakeEstate } from '../azure/fake-arm';
import { fakeArmServers } from '../azure/serve';
import { generatedTenant, ipPoolLab, lab, many, RG, scaleSetLab, SUB1, SUB2, SUB3, subscriptionId, TOKEN } from '../azure/scenarios';

const credential = (token = TOKEN): TokenCredential => ({ getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3600_000 }) });
const serve = fakeArmServers();

function options(server: FakeArm, extra: Partial<AzureReadOptions> = {}): AzureReadOptions {
  return { credential: credential(), armEndpoint: server.url, ca: server.ca, retry: { retryDelayInMs: 5, maxRetryDelayInMs: 20 }, ...extra };
}

async function scan(estate: Omit<FakeEstate, 'token'>, scope: Partial<AzureScope> = {}, extra: Partial<AzureReadOptions> = {}) {
  const server = await serve(estate);
  const read = await readEstate({ subscriptions: [SUB1], ...scope }, options(server, extra));
  return { server, estate: read, analysis: analyzeEstate(read) };
}

/** Every request a scan sent was a read. */
function onlyReads(server: FakeArm): void {
  for (const r of server.requests) assert.ok(r.method === 'GET' || (r.method === 'POST' && /resourcegraph\/resources$/i.test(r.path)), `${r.method} ${r.path}`);
}

describe('azure: deployed load balancers through Resource Manager', () => {
  it('the seed lab deployed (one VM): every call fails, located by the rule resource ID', async () => {
    const { server, analysis, estate } = await scan({ resources: lab() }, {}, { cloud: 'AzureCloud' });
    assert.equal(analysis.findings.length, 1);
    const f = analysis.findings[0]!;
    assert.match(f.message, /internal load balancer ilb-we-02-web, rule http: frontend 10\.2\.1\.100:80 \(TCP\) sends to pool web with 1 member \(VM ilb-we-02-web-web01\)/);
    assert.match(f.message, /every connection fails/);
    const ruleId = `/subscriptions/${SUB1}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/ilb-we-02-web/loadBalancingRules/http`;
    assert.equal(f.span.resource?.id, ruleId);
    assert.equal(f.span.resource?.portal, `https://portal.azure.com/#@/resource/subscriptions/${SUB1}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/ilb-we-02-web/loadBalancingRules`);
    assert.deepEqual(estate.subscriptions, [{ id: SUB1, status: 'read', loadBalancers: 1 }]);
    assert.ok(server.requests.every((r) => r.authorization === `Bearer ${TOKEN}`));
    onlyReads(server);
    // Related locations: the frontend, the pool, the member's ipConfiguration, by their IDs.
    assert.deepEqual(
      f.related.map((r) => r.span.resource?.id.split('/').slice(-2).join('/')),
      ['frontendIPConfigurations/fe', 'backendAddressPools/web', 'ipConfigurations/ipconfig1'],
    );
  });

  it('two members: 1 in 2 connections fail; floating IP on or a public frontend: nothing', async () => {
    const two = await scan({ resources: lab({ members: 2 }) });
    assert.equal(two.analysis.findings.length, 1);
    assert.match(two.analysis.findings[0]!.message, /2 members \(VM ilb-we-02-web-web01, VM ilb-we-02-web-web02\).*1 in 2 connections fail \(50%\)/);
    assert.equal((await scan({ resources: lab({ members: 2, floatingIp: true }) })).analysis.findings.length, 0);
    const pub = await scan({ resources: lab({ members: 2, public: true }) });
    assert.equal(pub.analysis.findings.length, 0);
    assert.equal(pub.analysis.graphs[0]!.graph.loadBalancers.length, 1, 'the public load balancer is read');
  });

  it('a scale set: its members are the instances whose NICs exist (not sku.capacity)', async () => {
    const { resources, scaleSetNics } = scaleSetLab(5, 3);
    const { analysis, server } = await scan({ resources, scaleSetNics });
    assert.equal(analysis.findings.length, 1);
    assert.equal(analysis.findings[0]!.facts.members, 3);
    assert.match(analysis.findings[0]!.message, /scale set vmss-app \(capacity 3\).*1 in 3 connections fail/);
    assert.ok(server.requests.some((r) => /virtualMachineScaleSets\/vmss-app\/networkInterfaces$/i.test(r.path)));
  });

  it('an IP-based pool: addresses matched to NICs by IP', async () => {
    const { analysis } = await scan({ resources: ipPoolLab() });
    assert.equal(analysis.findings.length, 1);
    assert.match(analysis.findings[0]!.message, /2 members \(VM vm-ip1 by IP 10\.2\.1\.21, IP 10\.2\.1\.22\)/);
  });

  it('a deployed NIC that no VM attaches is a member, said without "templates"', async () => {
    const resources = lab();
    delete resources[1].properties.virtualMachine;
    resources.splice(2, 1);
    const { analysis } = await scan({ resources });
    assert.match(analysis.findings[0]!.message, /1 member \(NIC ilb-we-02-web-web01-nic \(no VM attaches it\)\)/);
  });

  it('a resource group: only its load balancers', async () => {
    const { analysis, server } = await scan({ resources: [...lab(), ...lab({ rg: 'rg-other', lbName: 'ilb-other' })] }, { resourceGroup: RG });
    assert.deepEqual(analysis.findings.map((f) => f.facts.loadBalancer), ['ilb-we-02-web']);
    assert.ok(server.requests.some((r) => r.path.includes(`/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers`)));
  });

  it('paging: every page of a list is read (nextLink over three pages)', async () => {
    const { analysis, server } = await scan({ resources: many(5), pageSize: 2 });
    assert.equal(analysis.findings.length, 5);
    assert.equal(server.requests.filter((r) => /Microsoft\.Network\/loadBalancers$/.test(r.path)).length, 3);
  });

  it('pages that never end: stopped at the bound, and said so', async () => {
    const { estate } = await scan({ resources: lab(), endless: /loadBalancers$/ }, {}, { maxPages: 4 });
    assert.ok(estate.notes.some((n) => /load balancers of subscription .*: stopped after 4 pages/.test(n)), estate.notes.join('\n'));
  });
});

describe('azure: faults', () => {
  it('429 with Retry-After, then success: the SDK retries', async () => {
    const { analysis, server } = await scan({ resources: lab(), faults: [{ match: /GET .*loadBalancers$/, status: 429, times: 1, headers: { 'retry-after': '0' }, code: 'TooManyRequests' }] });
    assert.equal(analysis.findings.length, 1);
    assert.deepEqual(server.requests.filter((r) => /loadBalancers$/.test(r.path)).map((r) => r.status), [429, 200]);
  });

  it('one forbidden subscription among three: named, the others read', async () => {
    const server = await serve({ resources: [...lab({ sub: SUB1 }), ...lab({ sub: SUB3, lbName: 'ilb-three' })], faults: [{ match: new RegExp(`/subscriptions/${SUB2}/`), status: 403, code: 'AuthorizationFailed' }] });
    const estate = await readEstate({ subscriptions: [SUB1, SUB2, SUB3] }, options(server));
    assert.deepEqual(estate.subscriptions.map((s) => s.status), ['read', 'failed', 'read']);
    assert.match(estate.subscriptions[1]!.message!, /access denied \(403 AuthorizationFailed\): the identity needs the Reader role/);
    assert.equal(analyzeEstate(estate).findings.length, 2);
    const report = buildReport({ source: () => undefined }, { ...analyzeEstate(estate), parseErrors: [], problems: [], templates: 0 }, { relative: (p) => p, filesScanned: 0, readErrors: [] });
    report.azure = { source: estate.source, scope: estate.scope, subscriptions: estate.subscriptions, notes: estate.notes, requests: estate.requests };
    const text = formatText(report);
    assert.match(text, new RegExp(`subscription ${SUB2} error not read: load balancers of subscription ${SUB2}: access denied`));
    assert.match(text, /2 hairpin-prone rules in 2 deployed load balancers; 2 subscriptions read through Azure Resource Manager; 1 could not be read/);
    const sarif = JSON.parse(formatSarif(report));
    assert.equal(sarif.runs[0].results[0].locations[0].logicalLocations[0].kind, 'resource');
    assert.match(sarif.runs[0].results[0].locations[0].logicalLocations[0].fullyQualifiedName, /loadBalancingRules\/http$/);
    assert.equal(sarif.runs[0].results[0].locations[0].physicalLocation, undefined);
    assert.equal(sarif.runs[0].invocations[0].executionSuccessful, false);
  });

  it('a scale set deleted during the scan (404): left out, with a note', async () => {
    const { resources } = scaleSetLab(2, 2);
    const { estate, analysis } = await scan({ resources, scaleSetNics: new Map() });
    assert.ok(estate.notes.some((n) => /scale set vmss-app .* was deleted during the scan \(404\)/.test(n)), estate.notes.join('\n'));
    assert.equal(analysis.findings.length, 0);
  });

  it('5xx: retried by the SDK, then reported; the load balancers still read', async () => {
    const { estate, server } = await scan({ resources: lab(), faults: [{ match: /networkInterfaces$/, status: 503, headers: { 'retry-after': '0' }, code: 'ServiceUnavailable' }] });
    assert.equal(estate.subscriptions[0]!.status, 'partial');
    assert.match(estate.subscriptions[0]!.message!, /network interfaces of subscription .*: Resource Manager answered 503 ServiceUnavailable, still after the retries/);
    assert.ok(server.requests.filter((r) => /networkInterfaces$/.test(r.path)).length > 1, 'retried');
  });

  it('the network is down (a closed port): a clear error, no hang', async () => {
    const server = await serve({ resources: [] });
    const url = server.url;
    await server.close();
    await assert.rejects(readEstate({ subscriptions: [SUB1] }, { ...options(server), armEndpoint: url }), (e: unknown) => e instanceof NothingRead && /cannot reach https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/.test(e.message));
  });

  it('an expired token (401): says to sign in again, never shows the token', async () => {
    const server = await serve({ resources: lab(), tokenExpired: true });
    await assert.rejects(readEstate({ subscriptions: [SUB1] }, options(server)), (e: unknown) => e instanceof NothingRead && /the token was refused \(401 ExpiredAuthenticationToken\)/.test(e.message) && !e.message.includes(TOKEN));
  });

  it('malformed or cut-short JSON: a clear message', async () => {
    for (const raw of ['{"value": [ {"id": ', 'not json at all']) {
      const server = await serve({ resources: lab(), faults: [{ match: /loadBalancers$/, status: 200, raw }] });
      await assert.rejects(readEstate({ subscriptions: [SUB1] }, options(server)), (e: unknown) => e instanceof NothingRead && /the answer is not valid JSON/.test(e.message));
    }
  });

  it('the server refuses anything but reads (405); the product refuses to send a write', async () => {
    const server = await serve({ resources: lab() });
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(`${server.url}/subscriptions/${SUB1}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/x`, { method: 'DELETE', ca: server.ca, headers: { authorization: `Bearer ${TOKEN}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 405);
    assert.deepEqual(server.requests.map((r) => [r.method, r.status]), [['DELETE', 405]]);
    // The SDK client the scan builds never lets a write leave the process.
    const ctx = { credential: credential(), endpoints: cloudEndpoints(undefined, server.url), maxPages: 10, retry: {}, requestTimeoutMs: 5000, stats: { requests: 0, sdkMs: 0 }, notes: [], ca: server.ca };
    const client = new NetworkManagementClient(ctx.credential, SUB1, networkClientOptions(ctx));
    await assert.rejects(client.loadBalancers.beginDelete(RG, 'x'), /refused to send DELETE .*: the scan only reads/);
    assert.equal(server.requests.length, 1, 'nothing more reached the server');
    await readEstate({ subscriptions: [SUB1] }, options(server));
    onlyReads({ ...server, requests: server.requests.slice(1) });
  });

  it('portal links: a rule opens its load balancer page, a NIC its overview', () => {
    const lb = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/loadBalancers/lb';
    assert.equal(portalUrl('https://portal.azure.us', `${lb}/probes/p`), `https://portal.azure.us/#@/resource${lb}/healthprobes`);
    assert.equal(portalUrl('https://portal.azure.com', '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/n/ipConfigurations/c'), 'https://portal.azure.com/#@/resource/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/n/overview');
    assert.equal(portalUrl(undefined, lb), undefined);
  });
});

describe('azure: Resource Graph', () => {
  it('gives the same findings as Resource Manager for the same estate, in two queries', async () => {
    const resources = [...lab({ members: 2 }), ...ipPoolLab(), ...lab({ sub: SUB2, lbName: 'ilb-two', floatingIp: true })];
    const arm = await scan({ resources }, { subscriptions: [SUB1, SUB2] });
    const graph = await scan({ resources }, { subscriptions: [SUB1, SUB2], source: 'resource-graph' });
    const messages = (a: typeof arm) => a.analysis.findings.map((f) => [f.span.resource?.id, f.message]).sort();
    assert.deepEqual(messages(graph), messages(arm));
    assert.equal(graph.server.requests.length, 2);
    onlyReads(graph.server);
    assert.deepEqual(graph.estate.subscriptions.map((s) => [s.id, s.loadBalancers]), [[SUB1, 2], [SUB2, 1]]);
  });

  it('a scale set through Resource Graph: instances counted from the pools', async () => {
    const { resources } = scaleSetLab(5, 3);
    const { analysis } = await scan({ resources }, { source: 'resource-graph' });
    assert.equal(analysis.findings[0]?.facts.members, 3);
  });
});

describe('azure: a generated tenant of 1,000 subscriptions and 20,000 load balancers', () => {
  it('is read through Resource Graph in ceil(rows / 1000) + 2 requests at most, and judged whole', async () => {
    const tenant = generatedTenant(1000, 20_000);
    const server = await serve({ graph: tenant, subscriptions: Array.from({ length: 1000 }, (_, i) => ({ id: subscriptionId(i), name: `sub-${i}` })) });
    const estate = await readEstate({ subscriptions: [], allSubscriptions: true }, options(server));
    assert.ok(server.requests.length <= Math.ceil(tenant.rows / 1000) + 2, `${server.requests.length} requests for ${tenant.rows} rows`);
    assert.equal(estate.requests, server.requests.length);
    const copy = { ...estate, resources: structuredClone(estate.resources) };
    const analysis = analyzeEstate(estate);
    assert.equal(analysis.graphs[0]!.graph.loadBalancers.length, 20_000);
    assert.equal(analysis.findings.length, 16_000, 'floating IP is on for every fifth');
    assert.ok(analysis.findings.every((f) => f.facts.members === 2));
    assert.equal(estate.subscriptions.length, 1000);
    onlyReads(server);
    // As `ilb-hairpin azure` judges it: in parts (one per load balancer here), the same report.
    assert.deepEqual(deployedReport(copy, analyzeEstateForReport(copy)), deployedReport(estate, analysis));
  });
});
