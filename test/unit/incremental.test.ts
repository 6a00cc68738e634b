/**
 * Re-analysis after an edit takes over what the edit left alone (Bicep statements and their
 * evaluations, ARM syntax trees). Its results must be exactly those of a fresh analysis.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Workspace, type WorkspaceAnalysis } from '../../src/core/workspace';
import type { EvaluatedResource } from '../../src/core/evaluate/resources';
import { getPath, type Value } from '../../src/core/evaluate/value';

const ROOT = path.resolve(__dirname, '../../..');

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Everything an analysis says, with locations as offsets read now. */
function summary(a: WorkspaceAnalysis): string {
  return JSON.stringify({
    findings: a.findings.map((f) => [f.ruleId, f.message, f.span.file, f.span.start, f.span.end, f.related.map((r) => [r.message, r.span.file, r.span.start, r.span.end])]).sort(),
    problems: a.problems.map((p) => [p.message, p.span.file, p.span.start, p.span.end]).sort(),
  });
}

/** A deterministic sequence of numbers in [0, 1). */
function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

/** One edit a person could make while typing: insert, delete or replace a character. */
function edit(text: string, rand: () => number): string {
  const at = Math.floor(rand() * (text.length + 1));
  const ch = "abcxyz019 '{}[]().:=\n"[Math.floor(rand() * 21)] as string;
  const op = rand();
  if (op < 0.4) return text.slice(0, at) + ch + text.slice(at);
  if (op < 0.7) return text.slice(0, at) + text.slice(at + 1);
  return text.slice(0, at) + ch + text.slice(at + 1);
}

/** A workspace of these files; `incremental: false` is the reference: one graph of everything, no groups kept. */
function workspaceOf(files: Map<string, string>, options: { incremental?: boolean } = {}): Workspace {
  const ws = new Workspace(options);
  for (const [p, t] of files) ws.setFile(p, t);
  return ws;
}

describe('incremental re-analysis equals a fresh analysis', () => {
  const folders = [
    ...fs.readdirSync(path.join(ROOT, 'test/fixtures/bicep')).map((d) => path.join(ROOT, 'test/fixtures/bicep', d)),
    path.join(ROOT, 'examples'),
    path.join(ROOT, 'test/fixtures/workspace/cli-params'),
  ];
  for (const folder of folders) {
    it(`${path.relative(ROOT, folder)}: random one-character edits, three seeds`, () => {
      const files = new Map(filesUnder(folder).filter((f) => /\.(bicep|bicepparam|json)$/.test(f)).map((f) => [f.split(path.sep).join('/'), fs.readFileSync(f, 'utf8')]));
      const editable = [...files.keys()].filter((f) => /\.(bicep|json)$/.test(f));
      assert.ok(editable.length > 0);
      for (const seed of [7919, 104729, 1299709]) {
        const ws = workspaceOf(files);
        ws.analyze();
        const rand = random(seed + path.basename(folder).length);
        for (let i = 0; i < 30; i++) {
          const file = editable[Math.floor(rand() * editable.length)] as string;
          files.set(file, edit(files.get(file) as string, rand));
          ws.setFile(file, files.get(file) as string);
          const incremental = ws.analyze();
          assert.equal(summary(incremental), summary(workspaceOf(files, { incremental: false }).analyze()), `seed ${seed}, after edit ${i + 1} of ${file}`);
        }
      }
    });
  }

  it('typing inside a string of a large ARM template keeps the locations right', () => {
    const file = '/ws/big.json';
    let text = fs.readFileSync(path.join(ROOT, 'examples/seed-lab/azuredeploy.json'), 'utf8');
    const ws = new Workspace();
    ws.setFile(file, text);
    const first = ws.analyze();
    assert.equal(first.findings.length, 1);
    for (const f of first.findings) void f.span.start; // builds the syntax tree
    const rand = random(11);
    for (let i = 0; i < 30; i++) {
      // Type inside a string (a name, an expression, a key), as a person would.
      const strings = [...text.matchAll(/"([^"\\\n]{2,})"/g)];
      const m = strings[Math.floor(rand() * strings.length)] as RegExpMatchArray;
      const at = (m.index as number) + 1 + Math.floor(rand() * (m[1] as string).length);
      text = rand() < 0.5 ? text.slice(0, at) + 'x' + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
      ws.setFile(file, text);
      const fresh = new Workspace({ incremental: false });
      fresh.setFile(file, text);
      assert.equal(summary(ws.analyze()), summary(fresh.analyze()), `after edit ${i + 1}`);
    }
  });
});

describe('groups of deployments: the graph and the rules run again only where an edit reaches', () => {
  const CORPUS = path.resolve(ROOT, '../shared/corpus');

  it('the whole shared corpus as one workspace: the groups say what one graph of everything says, before and after edits', { skip: !fs.existsSync(CORPUS) && 'shared/corpus is not present' }, () => {
    const files = new Map(filesUnder(CORPUS).filter((f) => /\.(bicep|bicepparam|json)$/.test(f)).map((f) => [f.split(path.sep).join('/'), fs.readFileSync(f, 'utf8')]));
    const ws = workspaceOf(files);
    const first = ws.analyze();
    assert.ok(first.findings.length > 5 && first.groups.total > 5, `${first.findings.length} findings in ${first.groups.total} groups`);
    assert.equal(summary(first), summary(workspaceOf(files, { incremental: false }).analyze()));
    const editable = [...files.keys()].filter((f) => /\.(bicep|json)$/.test(f));
    const rand = random(31337);
    for (let i = 0; i < 6; i++) {
      const file = editable[Math.floor(rand() * editable.length)] as string;
      files.set(file, edit(files.get(file) as string, rand));
      ws.setFile(file, files.get(file) as string);
      assert.equal(summary(ws.analyze()), summary(workspaceOf(files, { incremental: false }).analyze()), `after edit ${i + 1} of ${file}`);
    }
  });

  const lb = (name: string, ip: string): string =>
    JSON.stringify({
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      resources: [
        {
          type: 'Microsoft.Network/loadBalancers',
          apiVersion: '2023-09-01',
          name,
          location: 'westeurope',
          sku: { name: 'Standard' },
          properties: {
            frontendIPConfigurations: [{ name: 'fe', properties: { privateIPAddress: ip, privateIPAllocationMethod: 'Static', subnet: { id: "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'app')]" } } }],
            backendAddressPools: [{ name: 'be' }],
            loadBalancingRules: [
              {
                name: 'http',
                properties: {
                  frontendIPConfiguration: { id: `[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', '${name}', 'fe')]` },
                  backendAddressPool: { id: `[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', '${name}', 'be')]` },
                  protocol: 'Tcp',
                  frontendPort: 80,
                  backendPort: 80,
                },
              },
            ],
          },
        },
      ],
    }, null, 2);
  const nics = (lbName: string, count: number): string =>
    JSON.stringify({
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      contentVersion: '1.0.0.0',
      resources: [
        {
          type: 'Microsoft.Network/networkInterfaces',
          apiVersion: '2023-09-01',
          name: "[concat('nic-', copyIndex())]",
          location: 'westeurope',
          copy: { name: 'nics', count },
          properties: {
            ipConfigurations: [
              {
                name: 'ipconfig1',
                properties: {
                  subnet: { id: "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet2', 'app')]" },
                  loadBalancerBackendAddressPools: [{ id: `[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', '${lbName}', 'be')]` }],
                },
              },
            ],
          },
        },
      ],
    }, null, 2);
  const members = (a: WorkspaceAnalysis, lbName: string): number | null | undefined => a.findings.find((f) => f.ruleId === 'hairpin-prone-rule' && f.facts.loadBalancer === lbName)?.facts.members;

  it('an edit checks only its own group, a link made or broken moves members between groups, and the results match one graph', () => {
    const files = new Map([
      ['/ws/a/lb.json', lb('ilb-a', '10.0.1.10')],
      ['/ws/b/lb.json', lb('ilb-b', '10.0.2.10')],
      ['/ws/members/nics.json', nics('ilb-a', 3)],
    ]);
    const ws = workspaceOf(files);
    const first = ws.analyze();
    assert.deepEqual(first.groups, { checked: 2, total: 2 });
    assert.equal(members(first, 'ilb-a'), 3);
    assert.equal(members(first, 'ilb-b'), undefined, 'ilb-b has no members: no finding');

    // An edit of ilb-b (its frontend address) reaches its group only.
    files.set('/ws/b/lb.json', lb('ilb-b', '10.0.2.11'));
    ws.setFile('/ws/b/lb.json', files.get('/ws/b/lb.json') as string);
    const second = ws.analyze();
    assert.deepEqual(second.groups, { checked: 1, total: 2 });
    assert.equal(members(second, 'ilb-a'), 3);
    assert.equal(summary(second), summary(workspaceOf(files, { incremental: false }).analyze()));

    // The NICs move to ilb-b's pool: the groups are {ilb-a} and {ilb-b, NICs}; both are checked again.
    files.set('/ws/members/nics.json', nics('ilb-b', 2));
    ws.setFile('/ws/members/nics.json', files.get('/ws/members/nics.json') as string);
    const third = ws.analyze();
    assert.deepEqual(third.groups, { checked: 2, total: 2 });
    assert.equal(members(third, 'ilb-a'), undefined);
    assert.equal(members(third, 'ilb-b'), 2);
    assert.equal(summary(third), summary(workspaceOf(files, { incremental: false }).analyze()));
    // The graph across the groups is the whole graph: both load balancers, the pool with its members.
    const graph = third.graphs[0]?.graph;
    assert.deepEqual(graph?.loadBalancers.map((l) => l.name).sort(), ['ilb-a', 'ilb-b']);
    assert.equal(graph?.pools.values().find((p) => p.lb?.name === 'ilb-b')?.members.length, 2, 'the two NICs of the copy loop in the pool');

    // A member file with a syntax error links to nothing: its group goes, the rest is kept.
    ws.setFile('/ws/members/nics.json', '{ "$schema": ');
    const fourth = ws.analyze();
    assert.equal(members(fourth, 'ilb-b'), undefined);
    assert.equal(fourth.groups.checked, 1);
  });

  it("after an edit that re-checks one group, its findings take their places in the last merge; a change of their number or of a suppression merges all again; always in a fresh analysis' order", () => {
    const app = (x: string, ip: string, count: number): [string, string][] => [
      [`/ws/${x}/lb.json`, lb(`ilb-${x}`, ip)],
      [`/ws/${x}/nics.json`, nics(`ilb-${x}`, count).replace(/nic-/g, `nic-${x}-`)],
    ];
    const files = new Map([...app('a', '10.0.1.10', 1), ...app('b', '10.0.2.10', 3), ...app('c', '10.0.3.10', 4)]);
    const ws = workspaceOf(files);
    // In order: the findings' order is what the Problems panel and the reports show.
    const inOrder = (a: WorkspaceAnalysis): string => JSON.stringify(a.findings.map((f) => [f.ruleId, f.severity, f.message, f.span.file, f.span.start, f.span.end]));
    const fresh = (): WorkspaceAnalysis => workspaceOf(files, { incremental: false }).analyze();
    const step = (file: string, text: string): WorkspaceAnalysis => {
      files.set(file, text);
      ws.setFile(file, text);
      return ws.analyze();
    };
    const first = ws.analyze();
    assert.deepEqual(first.groups, { checked: 3, total: 3 });
    assert.equal(first.merged, first.findings.length);
    assert.equal(inOrder(first), inOrder(fresh()));
    const ofApp = (a: WorkspaceAnalysis, x: string): number => a.findings.filter((f) => f.span.file.startsWith(`/ws/${x}/`)).length;
    assert.ok(ofApp(first, 'a') > 0 && ofApp(first, 'b') > 0 && ofApp(first, 'c') > 0);

    // b's frontend address: b's group is checked again, and only its findings are merged.
    const second = step('/ws/b/lb.json', lb('ilb-b', '10.0.2.11'));
    assert.deepEqual(second.groups, { checked: 1, total: 3 });
    assert.equal(second.merged, ofApp(second, 'b'));
    assert.equal(inOrder(second), inOrder(fresh()));
    assert.notEqual(second.findings, first.findings);

    // a's pool from 1 member to 2: other findings (the chance of failure changes), still b's alone.
    const third = step('/ws/a/nics.json', nics('ilb-a', 2).replace(/nic-/g, 'nic-a-'));
    assert.equal(third.groups.checked, 1);
    assert.equal(inOrder(third), inOrder(fresh()));

    // c's hairpin-prone rule suppressed by a comment line: the same findings made, one of them now
    // suppressed, so all are merged again; it is gone, as in a fresh analysis.
    const rule = third.findings.find((f) => f.ruleId === 'hairpin-prone-rule' && f.span.file === '/ws/c/lb.json');
    assert.ok(rule, 'c has a hairpin-prone rule');
    const text = files.get('/ws/c/lb.json') as string;
    const lineStart = text.lastIndexOf('\n', rule.span.start) + 1;
    const fourth = step('/ws/c/lb.json', `${text.slice(0, lineStart)}// ilb-hairpin-disable-next-line hairpin-prone-rule accepted for the test\n${text.slice(lineStart)}`);
    assert.equal(fourth.merged, ofApp(fourth, 'a') + ofApp(fourth, 'b') + ofApp(fourth, 'c') + 1, 'all merged again, the suppressed one with them');
    assert.ok(!fourth.findings.some((f) => f.ruleId === 'hairpin-prone-rule' && f.span.file === '/ws/c/lb.json'));
    assert.equal(inOrder(fourth), inOrder(fresh()));

    // The next edit of b merges b's alone again, the suppression kept.
    const fifth = step('/ws/b/lb.json', lb('ilb-b', '10.0.2.12'));
    assert.equal(fifth.merged, ofApp(fifth, 'b'));
    assert.equal(inOrder(fifth), inOrder(fresh()));

    // An analysis with nothing changed merges nothing; with c's members gone, c's findings go.
    assert.equal(ws.analyze().merged, 0);
    const sixth = step('/ws/c/nics.json', nics('ilb-c', 0).replace(/nic-/g, 'nic-c-'));
    assert.equal(inOrder(sixth), inOrder(fresh()));
    assert.ok(sixth.merged >= ofApp(sixth, 'a') + ofApp(sixth, 'b'), 'the number of findings changed: all merged again');
  });

  it('an IP-based pool and the NIC with that address, in two templates, are one group', () => {
    const pool = JSON.parse(lb('ilb-ip', '10.0.3.10'));
    pool.resources[0].properties.backendAddressPools = [{ name: 'be', properties: { loadBalancerBackendAddresses: [{ name: 'a1', properties: { ipAddress: '10.0.3.4', virtualNetwork: { id: "[resourceId('Microsoft.Network/virtualNetworks', 'vnet')]" } } }] } }];
    const nic = JSON.parse(nics('none', 1));
    nic.resources[0].copy = undefined;
    nic.resources[0].name = 'nic-ip';
    nic.resources[0].properties.ipConfigurations[0].properties = { privateIPAddress: '10.0.3.4', privateIPAllocationMethod: 'Static', subnet: { id: "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet9', 'app')]" } };
    const files = new Map([
      ['/ws/pool.json', JSON.stringify(pool)],
      ['/ws/nic.json', JSON.stringify(nic)],
    ]);
    const grouped = workspaceOf(files).analyze();
    assert.equal(grouped.groups.total, 1);
    assert.equal(summary(grouped), summary(workspaceOf(files, { incremental: false }).analyze()));
    const member = grouped.graphs[0]?.graph.pools.values()[0]?.members[0];
    assert.equal(member?.displayName, 'nic-ip', 'the address is matched to the NIC of the other template');
  });
});

describe('a Bicep edit of what the graph does not read', () => {
  /** A storage account (not in the graph) whose ID the load balancer's tags read, and an ILB with two NICs; `edits` replace unique strings. */
  const FIXTURE = fs.readFileSync(path.join(ROOT, 'test/fixtures/bicep/identity-reads/main.bicep'), 'utf8');
  const template = (o: { sku?: string; name?: string; tag?: string; extra?: string } = {}): string => {
    let text = FIXTURE;
    const swap = (from: string, to: string): void => {
      assert.equal(text.split(from).length, 2, `one ${from} in the fixture`);
      text = text.replace(from, to);
    };
    if (o.name !== undefined) swap("name: 'stdiag'", `name: '${o.name}'`);
    if (o.sku !== undefined) swap("name: 'Standard_LRS'", `name: '${o.sku}'`);
    if (o.tag !== undefined) swap('diagnostics: st.id', `diagnostics: ${o.tag}`);
    if (o.extra !== undefined) swap("kind: 'StorageV2'", `kind: 'StorageV2'${o.extra}`);
    return text;
  };
  const file = '/ws/main.bicep';
  const fresh = (text: string): WorkspaceAnalysis => {
    const ws = new Workspace({ incremental: false });
    ws.setFile(file, text);
    return ws.analyze();
  };
  const lbOf = (a: WorkspaceAnalysis): EvaluatedResource => {
    const lb = a.graphs[0]?.graph.loadBalancers[0];
    assert.ok(lb, 'the load balancer is in the graph');
    return lb.resource;
  };
  const tag = (r: EvaluatedResource): Value | undefined => getPath(r.body(), 'tags', 'diagnostics');

  it("an edit of the storage account's body (its SKU, a line added) leaves the load balancer that reads only its ID as it was; the findings' places follow the edit", () => {
    const ws = new Workspace();
    let text = template();
    ws.setFile(file, text);
    const first = ws.analyze();
    assert.equal(first.findings.filter((f) => f.ruleId === 'hairpin-prone-rule').length, 1);
    const lb = lbOf(first);
    text = template({ sku: 'Standard_GRS', extra: '\n  // a comment on a line of its own' });
    ws.setFile(file, text);
    const second = ws.analyze();
    assert.equal(lbOf(second), lb, 'the load balancer was not evaluated again');
    assert.equal(summary(second), summary(fresh(text)), 'the same findings, at the places of the edited text');
    assert.ok((second.findings[0]?.span.start ?? 0) > (first.findings[0]?.span.start ?? 0), 'the finding moved down with the added line');
  });

  it("an edit of the storage account's name changes its ID: the load balancer that reads it is evaluated again", () => {
    const ws = new Workspace();
    ws.setFile(file, template());
    const lb = lbOf(ws.analyze());
    assert.match(String(tag(lb)), /stdiag'?\)?$|stdiag/);
    const text = template({ name: 'stlogs' });
    ws.setFile(file, text);
    const second = ws.analyze();
    assert.notEqual(lbOf(second), lb);
    assert.match(String(tag(lbOf(second))), /stlogs/);
    assert.equal(summary(second), summary(fresh(text)));
  });

  it("a reader of the storage account's body (its SKU) is evaluated again when the body changes", () => {
    const ws = new Workspace();
    ws.setFile(file, template({ tag: 'st.sku.name' }));
    assert.equal(tag(lbOf(ws.analyze())), 'Standard_LRS');
    const text = template({ tag: 'st.sku.name', sku: 'Premium_LRS' });
    ws.setFile(file, text);
    const second = ws.analyze();
    assert.equal(tag(lbOf(second)), 'Premium_LRS');
    assert.equal(summary(second), summary(fresh(text)));
  });

  /** A full collection, once the job that made the test's WeakRefs has ended (a WeakRef's target lives until then). */
  const collect = async (): Promise<void> => {
    setFlagsFromString('--expose-gc');
    await new Promise((resolve) => setImmediate(resolve));
    (runInNewContext('gc') as () => void)();
  };

  it('keeps no earlier evaluation of the file alive: each keystroke used to hold every one before it', async () => {
    const ws = new Workspace();
    ws.setFile(file, template({ tag: 'st.sku.name' }));
    ws.analyze();
    // Each edit re-evaluates the storage account and the load balancer (its tags read the SKU).
    // (The first evaluation lives on with the virtual network it made, never evaluated again.)
    ws.setFile(file, template({ tag: 'st.sku.name', sku: 'A' }));
    const edited = new WeakRef(lbOf(ws.analyze()).body() as object);
    for (const sku of ['B', 'C', 'D']) {
      ws.setFile(file, template({ tag: 'st.sku.name', sku }));
      ws.analyze();
    }
    await collect();
    assert.equal(edited.deref(), undefined, "the first edit's evaluation is collected");
  });

  it('an analysis that is kept (the host keeps the last one, for fixes and the topology) keeps no evaluation of the analysis before it', async () => {
    const ws = new Workspace();
    ws.setFile(file, template({ tag: 'st.sku.name' }));
    ws.analyze();
    ws.setFile(file, template({ tag: 'st.sku.name', sku: 'A' }));
    const before = new WeakRef(lbOf(ws.analyze()).body() as object);
    ws.setFile(file, template({ tag: 'st.sku.name', sku: 'B' }));
    const kept = ws.analyze();
    assert.equal(tag(lbOf(kept)), 'B', 'the load balancer was evaluated again');
    await collect();
    assert.equal(before.deref(), undefined, "the analysis before the kept one is collected, with its evaluation of the load balancer");
    assert.ok(kept.findings.length > 0, 'the kept analysis still gives its findings');
  });
});
