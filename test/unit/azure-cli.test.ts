/**
 * `ilb-hairpin azure` and `topology --azure`: the built CLI (dist/cli.js) as a process, against
 * the fake Resource Manager, trusted through NODE_EXTRA_CA_CERTS, signed in with
 * ILB_HAIRPIN_ARM_TOKEN (which no output may show).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import type { FakeArm } from '../azure/fake-arm';
import { fakeArmServers } from '../azure/serve';
import { lab, RG, SUB1, SUB2, SUB3, TOKEN } from '../azure/scenarios';
import { REPO_ROOT } from './helpers';

const CLI = path.join(REPO_ROOT, 'dist', 'cli.js');
const skip = !fs.existsSync(CLI) && 'dist/cli.js is missing (npm run build)';
const serve = fakeArmServers();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI against a server (asynchronously: the server answers in this process). */
function run(server: FakeArm, ...argv: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ILB_HAIRPIN_ARM_TOKEN: TOKEN, NODE_EXTRA_CA_CERTS: server.caFile };
    delete env['AZURE_SUBSCRIPTION_ID'];
    const child = spawn(process.execPath, [CLI, ...argv, '--arm-endpoint', server.url], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // The token never shows, whatever happened.
      assert.ok(!stdout.includes(TOKEN) && !stderr.includes(TOKEN), 'the token is not printed');
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const RULE_ID = `/subscriptions/${SUB1}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/ilb-we-02-web/loadBalancingRules/http`;

describe('cli: azure', { skip }, () => {
  it('text: the seed lab deployed, located by the rule resource ID with a portal link; exit 1', async () => {
    const server = await serve({ resources: lab() });
    const r = await run(server, 'azure', '--subscription', SUB1, '--cloud', 'AzureCloud');
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stdout.startsWith(`${RULE_ID} warning hairpin-prone-rule: Hairpin-prone: internal load balancer ilb-we-02-web, rule http:`), r.stdout);
    assert.match(r.stdout, /every connection fails/);
    assert.match(r.stdout, /\n {4}portal: https:\/\/portal\.azure\.com\/#@\/resource\/subscriptions\/.*\/loadBalancers\/ilb-we-02-web\/loadBalancingRules\n/);
    assert.match(r.stdout, /1 hairpin-prone rule in 1 deployed load balancer; 1 subscription read through Azure Resource Manager \(subscription 1111/);
  });

  it('json and sarif: resourceId, portalUrl, logicalLocations', async () => {
    const server = await serve({ resources: lab({ members: 2 }) });
    const json = await run(server, 'azure', '--subscription', SUB1, '--format', 'json');
    assert.equal(json.code, 1);
    const report = JSON.parse(json.stdout);
    assert.equal(report.findings.length, 1);
    assert.equal(report.findings[0].resourceId, RULE_ID);
    assert.equal(report.findings[0].file, RULE_ID);
    assert.equal(report.findings[0].members, 2);
    assert.equal(report.findings[0].portalUrl, undefined, 'a custom endpoint without --cloud has no portal');
    assert.deepEqual(report.azure.subscriptions, [{ id: SUB1, status: 'read', loadBalancers: 1 }]);
    assert.equal(report.loadBalancers[0].resourceId, RULE_ID.replace(/\/loadBalancingRules\/http$/, ''));
    const sarif = JSON.parse((await run(server, 'azure', '--subscription', SUB1, '--format', 'sarif')).stdout);
    const result = sarif.runs[0].results[0];
    assert.deepEqual(result.locations[0].logicalLocations, [{ fullyQualifiedName: RULE_ID, name: 'http', kind: 'resource' }]);
    assert.ok(result.relatedLocations.every((l: { logicalLocations?: unknown[] }) => l.logicalLocations?.length === 1));
    assert.equal(sarif.runs[0].invocations[0].executionSuccessful, true);
  });

  it('--fail-on none, floating IP on: exit 0', async () => {
    const server = await serve({ resources: [...lab(), ...lab({ lbName: 'ilb-dsr', floatingIp: true })] });
    const r = await run(server, 'azure', '--subscription', SUB1, '--fail-on', 'none');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /1 hairpin-prone rule in 2 deployed load balancers/);
  });

  it('one forbidden subscription among three: named, partial results, exit by the findings', async () => {
    const server = await serve({ resources: [...lab({ sub: SUB1 }), ...lab({ sub: SUB3, lbName: 'ilb-three', floatingIp: true })], faults: [{ match: new RegExp(`/subscriptions/${SUB2}/`), status: 403, code: 'AuthorizationFailed' }] });
    const r = await run(server, 'azure', '--subscription', SUB1, '--subscription', SUB2, '--subscription', SUB3);
    assert.equal(r.code, 1);
    assert.match(r.stdout, new RegExp(`subscription ${SUB2} error not read: .*access denied \\(403 AuthorizationFailed\\)`));
    assert.match(r.stdout, /2 subscriptions read through Azure Resource Manager; 1 could not be read/);
    const clean = await run(server, 'azure', '--subscription', SUB2, '--subscription', SUB3, '--format', 'json');
    assert.equal(clean.code, 0, 'partial results without findings: exit 0');
    assert.deepEqual(JSON.parse(clean.stdout).azure.subscriptions.map((s: { status: string }) => s.status), ['failed', 'read']);
  });

  it('nothing could be read (expired token): exit 2 with the reason', async () => {
    const server = await serve({ resources: lab(), tokenExpired: true });
    const r = await run(server, 'azure', '--subscription', SUB1);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nothing could be read from Azure: .*the token was refused \(401 ExpiredAuthenticationToken\)/);
    assert.match(r.stdout, new RegExp(`subscription ${SUB1} error not read`));
  });

  it('--all-subscriptions through Resource Graph (two queries); --source arm lists the subscriptions first', async () => {
    const server = await serve({ resources: [...lab({ sub: SUB1 }), ...lab({ sub: SUB2, lbName: 'ilb-two', members: 3 })], subscriptions: [{ id: SUB1, name: 'one' }, { id: SUB2, name: 'two' }] });
    const graph = await run(server, 'azure', '--all-subscriptions', '--format', 'json');
    assert.equal(graph.code, 1, graph.stderr);
    const report = JSON.parse(graph.stdout);
    assert.equal(report.azure.source, 'resource-graph');
    assert.deepEqual(report.findings.map((f: { members: number }) => f.members).sort(), [1, 3]);
    assert.equal(server.requests.length, 2);
    const arm = await run(server, 'azure', '--all-subscriptions', '--source', 'arm', '--format', 'json');
    assert.deepEqual(JSON.parse(arm.stdout).azure.subscriptions.map((s: { name: string }) => s.name), ['one', 'two']);
    assert.deepEqual(JSON.parse(arm.stdout).findings.map((f: { message: string }) => f.message).sort(), report.findings.map((f: { message: string }) => f.message).sort());
  });

  it('usage errors: exit 2 with a message', async () => {
    const server = await serve({ resources: [] });
    for (const [argv, message] of [
      [['azure', '--subscription', 'nope'], /--subscription takes a subscription ID/],
      [['azure'], /Name a subscription/],
      [['azure', '--all-subscriptions', '--subscription', SUB1], /exclude each other/],
      [['azure', '--subscription', SUB1, '--cloud', 'Mars'], /--cloud takes one of AzureCloud, AzureUSGovernment, AzureChinaCloud/],
      [['topology', '--subscription', SUB1], /need --azure/],
    ] as const) {
      const r = await run(server, ...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.match(r.stderr, message);
    }
    assert.equal(server.requests.length, 0);
  });
});

describe('cli: topology --azure', { skip }, () => {
  it('draws the deployed graph with the hairpin-prone rule marked', async () => {
    const server = await serve({ resources: lab({ members: 2 }) });
    const r = await run(server, 'topology', '--azure', '--subscription', SUB1);
    assert.equal(r.code, 0, r.stderr);
    const model = JSON.parse(r.stdout);
    assert.match(model.title, /^Deployed: subscription 1111/);
    assert.equal(model.marks.length, 1);
    assert.ok(model.nodes.some((n: { kind: string; label: string }) => n.kind === 'loadBalancer' && n.label === 'ilb-we-02-web'));
    assert.equal(model.nodes.filter((n: { kind: string }) => n.kind === 'member').length, 2);
    const mermaid = await run(server, 'topology', '--azure', '--subscription', SUB1, '--format', 'mermaid');
    assert.match(mermaid.stdout, /^(flowchart|graph) /m);
  });
});
