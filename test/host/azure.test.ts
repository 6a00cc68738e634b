/**
 * ILB Hairpin: Scan Azure Subscription in the real host, against the fake Resource Manager and
 * Resource Graph of test/azure/fake-arm.ts on 127.0.0.1 (its certificate trusted through
 * NODE_EXTRA_CA_CERTS, set by scripts/host-test.mjs before VS Code starts). The token comes from
 * ILB_HAIRPIN_ARM_TOKEN; the endpoint from ilbHairpin.azure.armEndpoint. No request leaves the machine.
 */
import * as assert from 'node:assert/strict';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { RenderedReport } from '../../src/core/topology/protocol';
import type { DeployedNode, DeployedTree } from '../../src/extension/azure-tree';
import type { ScanResult } from '../../src/extension/azure-scan';
import { startFakeArm, type FakeArm } from '../azure/fake-arm';
import { generatedTenant, lab, seedLabDeployed, SUB1, SUB2, SUB3, TOKEN } from '../azure/scenarios';
import { fixture, ours, waitFor } from './helpers';

const SCAN = 'ilbHairpin.scanAzure';

function tree(): DeployedTree {
  const ext = vscode.extensions.getExtension('ilb-hairpin.ilb-hairpin');
  return (ext?.exports as { deployed: DeployedTree }).deployed;
}

function label(node: DeployedNode): string {
  const l = tree().getTreeItem(node).label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

function describeItem(node: DeployedNode): string {
  const item = tree().getTreeItem(node);
  return `${label(node)}${item.description ? ` — ${String(item.description)}` : ''}`;
}

function tooltip(node: DeployedNode): string {
  const t = tree().getTreeItem(node).tooltip;
  return typeof t === 'string' ? t : (t?.value ?? '');
}

function child(of: DeployedNode | undefined, match: RegExp): DeployedNode {
  const all = tree().getChildren(of);
  const found = all.find((n) => match.test(label(n)));
  assert.ok(found, `no item ${match} among: ${all.map(describeItem).join(' | ')}`);
  return found;
}

describe('Scan Azure Subscription against the fake Resource Manager', function () {
  this.timeout(120_000);
  let server: FakeArm;
  const savedToken = process.env.ILB_HAIRPIN_ARM_TOKEN;

  before(async () => {
    assert.ok(process.env.NODE_EXTRA_CA_CERTS && process.env.ILB_HAIRPIN_TEST_CERT_DIR, 'scripts/host-test.mjs sets NODE_EXTRA_CA_CERTS for the fake server');
    server = await startFakeArm({
      token: TOKEN,
      resources: [
        // The seed lab deployed as its template says: one VM, every call fails.
        ...seedLabDeployed({ sub: SUB1 }).resources,
        // The same load balancer in another subscription with a second VM the template does not have.
        ...seedLabDeployed({ sub: SUB2, rg: 'rg-two', vms: ['VM-WE-02-Web01', 'VM-WE-02-Web02'] }).resources,
        ...lab({ sub: SUB2, rg: 'rg-two', lbName: 'ilb-two', members: 2 }),
      ],
      subscriptions: [
        { id: SUB1, name: 'Lab' },
        { id: SUB2, name: 'Two members' },
        { id: SUB3, name: 'Forbidden' },
      ],
      faults: [{ match: new RegExp(`^GET /subscriptions/${SUB3}/`, 'i'), status: 403, code: 'AuthorizationFailed' }],
    });
    await vscode.workspace.getConfiguration('ilbHairpin.azure').update('armEndpoint', server.url, vscode.ConfigurationTarget.Global);
    process.env.ILB_HAIRPIN_ARM_TOKEN = TOKEN;
    // The workspace's templates analyzed (the drift compares with them).
    const seed = fixture('seed-lab', 'azuredeploy.json');
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(seed));
    await waitFor('the analysis of the seed lab', () => ours(seed)[0]);
  });

  after(async () => {
    if (savedToken === undefined) delete process.env.ILB_HAIRPIN_ARM_TOKEN;
    else process.env.ILB_HAIRPIN_ARM_TOKEN = savedToken;
    await vscode.workspace.getConfiguration('ilbHairpin.azure').update('armEndpoint', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await server?.close();
  });

  it('three subscriptions: the seed lab (every call fails), two members with drift, and a forbidden one named with its 403', async () => {
    const result = await vscode.commands.executeCommand<ScanResult | undefined>(SCAN, { subscriptions: [SUB1, SUB2, SUB3] });
    assert.ok(result, 'the scan ran');
    assert.equal(result.failure, undefined);
    console.log(`      (read in ${server.requests.length} requests; analyzed in the worker in ${result.analysisMs.toFixed(1)} ms)`);

    const top = tree().getChildren();
    assert.deepEqual(top.map(describeItem), [`${SUB1} — 1 load balancer`, `${SUB2} — 2 load balancers`, `${SUB3} — could not be read`]);
    const forbidden = tree().getChildren(top[2]);
    assert.equal(forbidden.length, 1);
    assert.match(label(forbidden[0] as DeployedNode), /^load balancers of subscription 33333333-.*: access denied \(403 AuthorizationFailed\): the identity needs the Reader role there$/);

    // Subscription 1: the seed lab, one finding, its template found, no drift.
    const seed = child(top[0], /^ilb-we-02-web$/);
    assert.equal(tree().getTreeItem(seed).description, 'rg-ilb-lab · 1 finding');
    const seedChildren = tree().getChildren(seed).map(describeItem);
    assert.equal(seedChildren[0], 'rule-http: hairpin-prone, 1 member: every call from it to the frontend fails — hairpin-prone-rule');
    assert.match(tooltip(tree().getChildren(seed)[0] as DeployedNode), /^Hairpin-prone: internal load balancer ilb-we-02-web, rule rule-http: frontend 10\.2\.1\.100:80 \(TCP\) sends to pool be-web with 1 member/);
    assert.match(tooltip(tree().getChildren(seed)[0] as DeployedNode), /every connection fails/);
    assert.ok(seedChildren.includes('Template: seed-lab/azuredeploy.json — same name; no drift'), seedChildren.join(' | '));
    assert.ok(!seedChildren.some((c) => c.startsWith('Drift:')), seedChildren.join(' | '));

    // Subscription 2: the same load balancer with a VM more than the templates (ARM and Bicep) have.
    const drifted = child(top[1], /^ilb-we-02-web$/);
    const driftLabels = tree().getChildren(drifted).map(label).filter((l) => l.startsWith('Drift:'));
    assert.ok(driftLabels.includes('Drift: pool be-web: members in Azure, not in the template: VM-WE-02-Web02 (seed-lab/azuredeploy.json)'), driftLabels.join(' | '));
    const two = child(top[1], /^ilb-two$/);
    assert.equal(label(tree().getChildren(two)[0] as DeployedNode), 'http: hairpin-prone, 2 members: 1 in 2 calls from a member to the frontend fail');
    assert.match(tooltip(tree().getChildren(two)[0] as DeployedNode), /1 in 2 connections fail \(50%\)/);

    // Read-only, with the token from the environment, and only from the fake server.
    assert.ok(server.requests.length > 0);
    assert.ok(server.requests.every((r) => r.method === 'GET' && r.authorization === `Bearer ${TOKEN}`), JSON.stringify(server.requests.map((r) => `${r.method} ${r.path}`)));
  });

  it('a drift item opens the template where it says so; Copy Resource ID copies the load balancer ID', async () => {
    const sub2 = tree().getChildren()[1];
    const drifted = child(sub2, /^ilb-we-02-web$/);
    const drift = child(drifted, /^Drift: pool be-web: .*\(seed-lab\/azuredeploy\.json\)$/);
    const command = tree().getTreeItem(drift).command;
    assert.ok(command);
    await vscode.commands.executeCommand(command.command, ...(command.arguments ?? []));
    const editor = await waitFor('the template open', () => (vscode.window.activeTextEditor?.document.uri.path.endsWith('seed-lab/azuredeploy.json') ? vscode.window.activeTextEditor : undefined));
    assert.match(editor.document.lineAt(editor.selection.active.line).text, /"name": "be-web"/);

    await vscode.commands.executeCommand('ilbHairpin.azure.copyResourceId', drifted);
    assert.equal(await vscode.env.clipboard.readText(), `/subscriptions/${SUB2}/resourceGroups/rg-two/providers/Microsoft.Network/loadBalancers/ilb-we-02-web`);
  });

  it("Show Topology on a finding opens the topology panel with the deployed load balancer and its rule marked", async () => {
    const seed = child(tree().getChildren()[0], /^ilb-we-02-web$/);
    const finding = tree().getChildren(seed)[0] as DeployedNode;
    const report = await vscode.commands.executeCommand<RenderedReport | undefined>('ilbHairpin.azure.showTopology', finding);
    assert.ok(report, 'the webview answered');
    // The load balancer, its frontend, rule, probe and pool, and the VM; the rule marked.
    assert.equal(report.nodes, 6);
    assert.equal(report.marks, 1);
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('ilbHairpin.topology'));
    assert.deepEqual(tabs.map((t) => t.label), ['Topology: ilb-we-02-web (deployed)']);
  });

  it("Open in Portal: offered with the cloud's portal when the cloud is named; not for a bare custom endpoint", async () => {
    const seedOf = (): DeployedNode => child(tree().getChildren()[0], /^ilb-we-02-web$/);
    assert.equal(tree().getTreeItem(seedOf()).contextValue, 'ilbHairpin.deployedLoadBalancer', 'a custom endpoint alone has no portal');
    await vscode.workspace.getConfiguration('ilbHairpin.azure').update('cloud', 'AzureUSGovernment', vscode.ConfigurationTarget.Global);
    try {
      await vscode.commands.executeCommand(SCAN, { subscriptions: [SUB1] });
      const seed = seedOf();
      assert.equal(tree().getTreeItem(seed).contextValue, 'ilbHairpin.deployedLoadBalancer.portal');
      assert.ok(seed.kind === 'loadBalancer');
      assert.equal(seed.lb.portal, `https://portal.azure.us/#@/resource/subscriptions/${SUB1}/resourceGroups/rg-ilb-lab/providers/Microsoft.Network/loadBalancers/ilb-we-02-web/overview`);
      const finding = tree().getChildren(seed)[0] as DeployedNode;
      assert.ok(finding.kind === 'finding');
      assert.equal(finding.finding.portal, `https://portal.azure.us/#@/resource/subscriptions/${SUB1}/resourceGroups/rg-ilb-lab/providers/Microsoft.Network/loadBalancers/ilb-we-02-web/loadBalancingRules`);
    } finally {
      await vscode.workspace.getConfiguration('ilbHairpin.azure').update('cloud', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('all subscriptions go through Resource Graph', async () => {
    const before = server.requests.length;
    const result = await vscode.commands.executeCommand<ScanResult | undefined>(SCAN, { subscriptions: 'all' });
    assert.equal(result?.view.source, 'resource-graph');
    const sent = server.requests.slice(before);
    assert.ok(sent.every((r) => r.method === 'POST' && /ResourceGraph\/resources$/i.test(r.path)), JSON.stringify(sent.map((r) => `${r.method} ${r.path}`)));
    assert.deepEqual(tree().getChildren().map(describeItem), [`${SUB1} — 1 load balancer`, `${SUB2} — 2 load balancers`]);
  });

  it('Cancel aborts the requests in flight: the scan ends as cancelled, and nothing more is asked', async () => {
    const slow = await startFakeArm({ token: TOKEN, resources: seedLabDeployed({ sub: SUB1 }).resources, delayMs: 400 });
    await vscode.workspace.getConfiguration('ilbHairpin.azure').update('armEndpoint', slow.url, vscode.ConfigurationTarget.Global);
    try {
      const cancel = new vscode.CancellationTokenSource();
      const running = vscode.commands.executeCommand<ScanResult | undefined>(SCAN, { subscriptions: [SUB1, SUB2, SUB3], cancellation: cancel.token });
      await waitFor('the first request', () => (slow.requests.length > 0 ? true : undefined));
      cancel.cancel();
      const result = await running;
      assert.equal(result?.failure, 'cancelled');
      assert.match(label(tree().getChildren()[0] as DeployedNode), /^Nothing could be read: cancelled$/);
      const asked = slow.requests.length;
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(slow.requests.length, asked, 'no request after the cancel');
      // Three subscriptions read in full ask for their load balancers, then NICs, VMs and scale sets.
      assert.ok(asked < 6, `${asked} requests`);
    } finally {
      await vscode.workspace.getConfiguration('ilbHairpin.azure').update('armEndpoint', server.url, vscode.ConfigurationTarget.Global);
      await slow.close();
    }
  });

  it('an endpoint that would get the token in clear text is refused before anything is sent', async () => {
    const asked = server.requests.length;
    await vscode.workspace.getConfiguration('ilbHairpin.azure').update('armEndpoint', 'http://management.example.com', vscode.ConfigurationTarget.Global);
    try {
      const result = await vscode.commands.executeCommand<ScanResult | undefined>(SCAN, { subscriptions: [SUB1] });
      assert.equal(result, undefined);
      assert.equal(server.requests.length, asked);
    } finally {
      await vscode.workspace.getConfiguration('ilbHairpin.azure').update('armEndpoint', server.url, vscode.ConfigurationTarget.Global);
    }
  });

  it('a generated tenant of 2,000 load balancers in 100 subscriptions through Resource Graph: read and analyzed in the worker', async () => {
    const tenant = generatedTenant(100, 2000);
    const big = await startFakeArm({ token: TOKEN, graph: tenant });
    await vscode.workspace.getConfiguration('ilbHairpin.azure').update('armEndpoint', big.url, vscode.ConfigurationTarget.Global);
    // The host's event loop while the worker reads and analyzes (printed; tests never assert times).
    const delay = monitorEventLoopDelay({ resolution: 10 });
    try {
      delay.enable();
      const result = await vscode.commands.executeCommand<ScanResult | undefined>(SCAN, { subscriptions: 'all' });
      delay.disable();
      assert.equal(result?.failure, undefined);
      const lbs = result?.view.subscriptions.reduce((n, s) => n + s.loadBalancerViews.length, 0);
      assert.equal(lbs, 2000);
      assert.equal(result?.view.subscriptions.length, 100);
      // Every fifth has floating IP on; the other 1,600 are hairpin-prone with two members.
      const prone = result?.view.subscriptions.flatMap((s) => s.loadBalancerViews).filter((l) => l.findings.some((f) => f.ruleId === 'hairpin-prone-rule')).length;
      assert.equal(prone, 1600);
      assert.equal(big.requests.length, Math.ceil(2000 / 1000) + Math.ceil(8000 / 1000));
      const top = tree().getChildren();
      assert.equal(top.length, 100);
      console.log(`      (${tenant.rows} rows in ${big.requests.length} requests; analysis in the worker ${result?.analysisMs.toFixed(0)} ms; host event loop during the scan: max ${(delay.max / 1e6).toFixed(0)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(0)} ms)`);
    } finally {
      delay.disable();
      await vscode.workspace.getConfiguration('ilbHairpin.azure').update('armEndpoint', server.url, vscode.ConfigurationTarget.Global);
      await big.close();
    }
  });

  it('a refused token: nothing could be read, said in the tree', async () => {
    process.env.ILB_HAIRPIN_ARM_TOKEN = 'not-the-token';
    try {
      const result = await vscode.commands.executeCommand<ScanResult | undefined>(SCAN, { subscriptions: [SUB1] });
      assert.match(result?.failure ?? '', /the token was refused \(401/);
      const top = tree().getChildren().map(label);
      assert.match(top[0] ?? '', /^Nothing could be read: .*401/);
      assert.ok(!top.join('\n').includes('not-the-token'), 'the token is never shown');
    } finally {
      process.env.ILB_HAIRPIN_ARM_TOKEN = TOKEN;
    }
  });
});
