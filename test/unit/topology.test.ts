/**
 * The topology view model (nodes, edges, subnet groups, hairpin marks and packet paths) on the
 * fixtures, its layout by elkjs, the SVG / Mermaid / DOT writers and the webview protocol.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { ALL_ENVIRONMENTS, buildTopology, buildTopologyStream, type TopologyOptions } from '../../src/core/topology/build';
import { chipText, layoutTopology, SIDE, type LaidOutTopology } from '../../src/core/topology/layout';
import { countBy, type TopologyModel, type TopologyNode } from '../../src/core/topology/model';
import { isFromWebview } from '../../src/core/topology/protocol';
import { arrowHead, escapeXml, legendEntries, nodeTextMarkup, renderTopologySvg, renderWalkSvg, silhouetteRuns, titleRect, type Rect, type SvgOptions } from '../../src/core/topology/svg';
import { escapeDot, escapeMermaid, toDot, toMermaid } from '../../src/core/topology/text-formats';
import { fitText, textWidth, wrapLines, wrapText } from '../../src/core/topology/text';
import { Workspace } from '../../src/core/workspace';
import { FIXTURES_DIR, REPO_ROOT, SEED_LAB, loadBalancer, nic, poolId, scaleSet, template, vm } from './helpers';
import { CORPUS, EXAMPLES, TEMPLATE_FILE } from './fix-helpers';
import { RULES } from '../../src/core/rules';

const SEED_BICEP = path.join(REPO_ROOT, 'examples', 'seed-lab-bicep', 'main.bicep');
const BICEP_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'bicep');
const CLI_PARAMS = path.join(REPO_ROOT, 'test', 'fixtures', 'workspace', 'cli-params');

function workspaceOf(files: Record<string, string>): Workspace {
  const ws = new Workspace();
  for (const [p, text] of Object.entries(files)) ws.setFile(p, text);
  return ws;
}

function fromDisk(...paths: string[]): Workspace {
  const files: Record<string, string> = {};
  const add = (p: string): void => {
    if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) add(path.join(p, e));
    else files[p] = fs.readFileSync(p, 'utf8');
  };
  for (const p of paths) add(p);
  return workspaceOf(files);
}

function model(ws: Workspace, options: TopologyOptions = { scope: 'workspace' }): TopologyModel {
  return buildTopology(ws.analyze(), options);
}

const kinds = (m: TopologyModel): Record<string, number> => countBy(m.nodes, (n) => n.kind);
const edgeKinds = (m: TopologyModel): Record<string, number> => countBy(m.edges, (e) => e.kind);
const byLabel = (m: TopologyModel, label: string): TopologyNode => {
  const found = m.nodes.filter((n) => n.label === label);
  assert.equal(found.length, 1, `one node labelled ${label}: ${m.nodes.map((n) => n.label).join(', ')}`);
  return found[0] as TopologyNode;
};

describe('topology: the seed lab', () => {
  for (const [name, file] of [
    ['ARM', SEED_LAB],
    ['Bicep', SEED_BICEP],
  ] as const) {
    describe(name, () => {
      const m = model(fromDisk(file), { scope: 'file', file });

      it('has the load balancer, its frontend, rule, probe and pool, and the web server in its subnet', () => {
        assert.deepEqual(kinds(m), { loadBalancer: 1, frontend: 1, rule: 1, probe: 1, pool: 1, member: 1 });
        assert.deepEqual(edgeKinds(m), { 'frontend-rule': 1, 'rule-pool': 1, 'rule-probe': 1, 'pool-member': 1 });
        assert.deepEqual(
          m.groups.map((g) => [g.label, g.details]),
          [['subnet snet-web', ['virtual network vnet-we-02-spoke']]],
        );
        const lb = byLabel(m, 'ilb-we-02-web');
        assert.equal(lb.kind, 'loadBalancer');
        assert.equal(lb.internal, true);
        for (const part of ['fe-web', 'rule-http', 'probe-http', 'be-web']) assert.equal(byLabel(m, part).parent, lb.id, part);
        const member = byLabel(m, 'VM-WE-02-Web01');
        assert.equal(member.memberType, 'vm');
        assert.equal(member.ip, '10.2.1.4');
        assert.equal(member.instances, 1);
        assert.equal(member.parent, m.groups[0]?.id);
        assert.deepEqual(byLabel(m, 'fe-web').details, ['10.2.1.100 · internal', 'ports: 80/TCP', 'subnet snet-web']);
        assert.deepEqual(byLabel(m, 'rule-http').details, ['TCP 80 → 80', 'floating IP off', '⚠ hairpin-prone: every call fails']);
        assert.deepEqual(byLabel(m, 'probe-http').details, ['TCP :80']);
        assert.equal(m.title, name === 'ARM' ? 'azuredeploy.json' : 'main.bicep');
        assert.deepEqual(m.environments, ['default']);
      });

      it('marks the rule and closes the loop member -> frontend -> rule -> pool -> member', () => {
        assert.equal(m.marks.length, 1);
        const mark = m.marks[0]!;
        const [member, fe, rule, pool] = ['VM-WE-02-Web01', 'fe-web', 'rule-http', 'be-web'].map((l) => byLabel(m, l).id);
        assert.equal(mark.rule, rule);
        assert.deepEqual(mark.loop, [member, fe, rule, pool, member]);
        assert.equal(mark.members, 1);
        assert.equal(mark.failureChance, 1);
        assert.match(mark.message, /^Hairpin-prone: internal load balancer ilb-we-02-web, rule rule-http/);
        assert.equal(byLabel(m, 'rule-http').hairpin, true);
        for (const l of ['fe-web', 'be-web', 'VM-WE-02-Web01']) assert.equal(byLabel(m, l).hairpin, true, l);
        assert.equal(byLabel(m, 'probe-http').hairpin, undefined);
        assert.deepEqual(
          m.edges.filter((e) => e.hairpin).map((e) => e.kind).sort(),
          ['frontend-rule', 'pool-member', 'rule-pool'],
        );
      });

      it('walks the failing packet as the seed does, then each fix', () => {
        const paths = m.marks[0]!.paths;
        assert.deepEqual(
          paths.map((p) => [p.kind, p.outcome]),
          [
            ['failing', 'fails'],
            ['floating-ip', 'works'],
            ['secondary-nic', 'works'],
            ['nginx-nva', 'works'],
            ['app-gateway', 'works'],
          ],
        );
        const failing = paths[0]!;
        assert.deepEqual(
          failing.steps.map((s) => [s.from, s.to]),
          [
            ['client', 'vip'],
            ['vip', 'rule'],
            ['rule', 'server'],
            ['server', 'client'],
          ],
        );
        assert.deepEqual(failing.steps[0]!.packet, { what: 'SYN', src: '10.2.1.4', dst: '10.2.1.100:80' });
        assert.deepEqual(failing.steps[2]!.packet, { what: 'SYN', src: '10.2.1.4', dst: '10.2.1.4:80' });
        assert.match(failing.steps[2]!.label, /DNAT/);
        assert.equal(failing.steps[3]!.outcome, 'fail');
        assert.match(failing.steps[3]!.label, /^no SYN-ACK/);
        // The same machine on both ends.
        const parts = new Map(failing.participants.map((p) => [p.id, p]));
        assert.equal(parts.get('client')?.node, parts.get('server')?.node);
        assert.equal(parts.get('client')?.node, byLabel(m, 'VM-WE-02-Web01').id);

        const floating = paths[1]!;
        assert.ok(floating.participants.some((p) => p.proposed && p.anchor === byLabel(m, 'VM-WE-02-Web01').id && /loopback 10\.2\.1\.100/.test(p.label)));
        assert.ok(floating.notes.some((n) => /Health probes/.test(n)));
        assert.equal(floating.unavailable, undefined);

        const nic2 = paths[2]!;
        assert.deepEqual(nic2.steps.map((s) => s.to), ['vip', 'rule', 'nic1', 'nic2']);
        assert.match(nic2.steps[3]!.label, /un-NATs/);
        assert.deepEqual(nic2.steps[3]!.packet, { what: 'SYN-ACK', src: '10.2.1.100:80', dst: "NIC2's IP" });

        const nva = paths[3]!;
        assert.ok(nva.steps.some((s) => s.packet?.dst === '10.2.1.4:80' && s.packet.src === 'NGINX IP'), 'NGINX proxies to the member IP directly');
      });

      it('gives each node a location in the file', () => {
        const text = fs.readFileSync(file, 'utf8');
        const withLocations = buildTopology(fromDisk(file).analyze(), {
          scope: 'file',
          file,
          locate: (span) => ({ file: span.file, range: { start: { line: text.slice(0, span.start).split('\n').length - 1, character: 0 }, end: { line: 0, character: 0 } } }),
        });
        for (const n of withLocations.nodes) {
          assert.equal(n.location?.file, file, n.label);
          assert.ok((n.location?.range.start.line ?? 0) > 0, n.label);
        }
        const lines = text.split('\n');
        const ruleLine = withLocations.nodes.find((n) => n.kind === 'rule')?.location?.range.start.line ?? -1;
        assert.match(lines.slice(ruleLine, ruleLine + 2).join('\n'), /rule-http/);
      });
    });
  }
});

describe('topology: the general case', () => {
  it('two NICs of a copy loop, each with its VM: two members, 1 in 2', () => {
    const m = model(fromDisk(path.join(FIXTURES_DIR, 'nic-copy-loop-two-vms.json')));
    assert.deepEqual(kinds(m), { loadBalancer: 1, frontend: 1, rule: 1, pool: 1, member: 2 });
    assert.deepEqual(
      m.nodes.filter((n) => n.kind === 'member').map((n) => [n.label, n.memberType, n.details[0]]),
      [
        ['vm-app-0', 'vm', 'NIC nic-app-0 · ipconfig1'],
        ['vm-app-1', 'vm', 'NIC nic-app-1 · ipconfig1'],
      ],
    );
    assert.equal(m.marks[0]?.members, 2);
    assert.ok(byLabel(m, 'rule-https').details.includes('⚠ hairpin-prone: 1 in 2 calls fail'));
    // The member's IP is not written: the walk says what it is instead of guessing one.
    assert.equal(m.marks[0]?.paths[0]?.steps[0]?.packet?.src, "the member's IP");
    assert.deepEqual(byLabel(m, 'vm-app-0').details.slice(1), ['IP: dynamic (assigned at deployment)']);
  });

  it('a scale set whose capacity is a parameter without a value: members of unknown count, said so', () => {
    const m = model(fromDisk(path.join(FIXTURES_DIR, 'vmss-capacity-param-no-default.json')));
    const ss = byLabel(m, 'vmss-scale');
    assert.equal(ss.memberType, 'scale-set');
    assert.equal(ss.instances, null);
    assert.equal(ss.unknown, true);
    assert.equal(ss.details[0], "capacity: unknown (parameter 'instanceCount' has no value)");
    assert.deepEqual(byLabel(m, 'be').details, ['1 member of unknown count']);
    assert.equal(m.marks[0]?.members, null);
    assert.ok(byLabel(m, 'rule-http').details.includes('⚠ hairpin-prone: 1 in N calls fail (N unknown)'));
    assert.deepEqual(
      [m.marks[0]?.paths[0]?.participants[0]?.label, m.marks[0]?.paths[0]?.participants[0]?.detail],
      ['vmss-scale (one instance)', "client · the instance's IP"],
    );
  });

  it('an IP-based pool entry, matched to the NIC that has the address', () => {
    const m = model(fromDisk(path.join(FIXTURES_DIR, 'ip-based-pool.json')));
    const entry = m.nodes.find((n) => n.kind === 'member');
    assert.equal(entry?.memberType, 'ip-address');
    assert.equal(entry?.tag, 'IP ENTRY');
    assert.deepEqual(entry?.details, ['IP 10.12.1.4', 'NIC nic-app01 · ipconfig1']);
    assert.ok(byLabel(m, 'be-ip').details.includes('IP-based'));
    assert.equal(m.marks.length, 1);
  });

  it('a registry module whose template is not read: a module member of unknown count', () => {
    const m = model(fromDisk(path.join(BICEP_FIXTURES, 'registry-module', 'main.bicep')));
    const mod = m.nodes.find((n) => n.kind === 'member');
    assert.equal(mod?.memberType, 'module');
    assert.equal(mod?.instances, null);
    assert.equal(mod?.unknown, true);
    assert.match(mod?.details[0] ?? '', /^template not read: registry module 'br:/);
    assert.equal(m.marks[0]?.members, null);
  });

  it('an unknown frontend IP and load balancer name are explicit unknowns', () => {
    const t = template({
      parameters: { feIp: { type: 'string' }, lbName: { type: 'string' } },
      resources: [loadBalancer({ name: "[parameters('lbName')]", frontendIp: "[parameters('feIp')]" }), nic('nic1', [poolId("[parameters('lbName')]", 'be')], { ip: '10.0.0.4' })],
    });
    const m = model(workspaceOf({ '/w/main.json': t }));
    const fe = byLabel(m, 'fe');
    assert.equal(fe.details[0], "IP: unknown (parameter 'feIp' has no value) · internal");
    assert.equal(fe.unknown, true);
    const lb = m.nodes.find((n) => n.kind === 'loadBalancer');
    assert.equal(lb?.label, "parameters('lbName')");
    assert.equal(lb?.unknown, true);
    // The finding needs a known frontend IP? No: it says the VIP is not known, and the walk names it.
    const walk = m.marks[0]?.paths[0];
    assert.equal(walk?.steps[0]?.packet?.dst, 'the VIP of fe:80');
  });

  it('every rule of the registry: each finding the user sees is a line of its rule\'s node, with its severity', () => {
    const m = model(fromDisk(path.join(REPO_ROOT, 'test', 'fixtures', 'host-workspace', 'rules', 'azuredeploy.json')));
    const lines = (label: string): string[] => byLabel(m, label).details.filter((d) => /^(error|warning|information|hint): /.test(d));
    assert.deepEqual(lines('rule-prone'), [], 'the hairpin-prone rule is drawn as its loop instead');
    assert.ok(byLabel(m, 'rule-prone').hairpin);
    assert.deepEqual(lines('rule-dsr'), ['warning: floating-ip-without-loopback']);
    assert.deepEqual(lines('rule-v6'), ['error: floating-ip-unsupported']);
    assert.deepEqual(lines('nat-admin'), ['warning: hairpin-prone-nat-rule']);
    assert.deepEqual(lines('nat-spare'), ['information: hairpin-prone-nat-rule']);
  });

  it('public frontends, NAT rules and floating IP on: nothing marked', () => {
    const pub = model(fromDisk(path.join(FIXTURES_DIR, 'public-lb.json')));
    assert.equal(pub.marks.length, 0);
    assert.deepEqual(byLabel(pub, 'fe-public').details, ['public IP pip-web · public', 'ports: 80/TCP']);
    assert.equal(pub.nodes.find((n) => n.kind === 'loadBalancer')?.internal, false);

    const nat = model(fromDisk(path.join(FIXTURES_DIR, 'nat-only-ilb.json')));
    assert.deepEqual(kinds(nat), { loadBalancer: 1, frontend: 1, natRule: 1, pool: 1, member: 1 });
    assert.deepEqual(edgeKinds(nat), { 'frontend-nat': 1, 'pool-member': 1 });
    // The NAT rule's own finding (hairpin-prone-nat-rule, information: no evidence) is a line of its node.
    assert.deepEqual(byLabel(nat, 'nat-ssh-vm1').details, ['TCP 50001 → 22', 'floating IP off', 'information: hairpin-prone-nat-rule']);
    assert.equal(nat.marks.length, 0);

    const on = model(fromDisk(path.join(FIXTURES_DIR, 'floating-ip-on.json')));
    assert.equal(on.marks.length, 0);
    assert.ok(on.nodes.some((n) => n.kind === 'rule' && n.details.includes('floating IP on')));
  });

  it('several load balancers, a scale set and VMs in two subnets; ids unique', () => {
    const subnet2 = "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'other')]";
    const nic2 = nic('nic-b', [poolId('lb-b', 'be')], { ip: '10.0.1.4' });
    ((nic2['properties'] as { ipConfigurations: { properties: Record<string, unknown> }[] }).ipConfigurations[0]!.properties)['subnet'] = { id: subnet2 };
    const t = template({
      resources: [
        loadBalancer({ name: 'lb-a', frontendIp: '10.0.0.10', rules: [{ name: 'r1' }, { name: 'r2', port: 443, floatingIp: true }] }),
        loadBalancer({ name: 'lb-b', frontendIp: '10.0.1.10' }),
        nic('nic-a', [poolId('lb-a', 'be')], { ip: '10.0.0.4' }),
        vm('vm-a', ["[resourceId('Microsoft.Network/networkInterfaces', 'nic-a')]"]),
        nic2,
        scaleSet('ss', [poolId('lb-a', 'be'), poolId('lb-b', 'be')], 3),
      ],
    });
    const m = model(workspaceOf({ '/w/main.json': t }));
    assert.deepEqual(kinds(m), { loadBalancer: 2, frontend: 2, rule: 3, pool: 2, member: 3 });
    assert.equal(new Set(m.nodes.map((n) => n.id)).size, m.nodes.length);
    assert.equal(new Set(m.edges.map((e) => e.id)).size, m.edges.length);
    // The scale set is one node in both pools.
    const ss = byLabel(m, 'ss');
    assert.equal(ss.details[0], 'capacity 3');
    assert.equal(m.edges.filter((e) => e.target === ss.id).length, 2);
    assert.deepEqual(m.groups.map((g) => g.label).sort(), ['subnet default', 'subnet other']);
    // r1 and lb-b's rule are prone (4 and 4 instances); r2 has floating IP on.
    assert.deepEqual(m.marks.map((x) => m.nodes.find((n) => n.id === x.rule)?.label).sort(), ['r1', 'rule']);
    assert.equal(m.marks.find((x) => x.rule === byLabel(m, 'r1').id)?.members, 4);
  });

  it('a suppressed finding is not marked', () => {
    const text = fs.readFileSync(SEED_LAB, 'utf8').replace('"enableFloatingIP": false,', '// ilb-hairpin-disable-next-line hairpin-prone-rule only external clients call it\n              "enableFloatingIP": false,');
    const m = model(workspaceOf({ '/w/azuredeploy.json': text }));
    assert.equal(m.marks.length, 0);
    assert.equal(m.nodes.filter((n) => n.hairpin).length, 0);
  });

  it('ids stay the same after an edit above the resources (selection and view survive live updates)', () => {
    const ws = fromDisk(SEED_LAB);
    const before = model(ws);
    const text = fs.readFileSync(SEED_LAB, 'utf8').replace('"parameters": {', '"parameters": {\n    "extra": { "type": "string", "defaultValue": "x" },');
    ws.setFile(SEED_LAB, text);
    const after = model(ws);
    assert.deepEqual(
      after.nodes.map((n) => n.id),
      before.nodes.map((n) => n.id),
    );
    assert.deepEqual(
      after.marks.map((x) => x.rule),
      before.marks.map((x) => x.rule),
    );
  });
});

describe('topology: scopes and environments', () => {
  const ws = fromDisk(CLI_PARAMS);
  const app = path.join(CLI_PARAMS, 'app', 'azuredeploy.json');

  it("a file's deployment: its load balancers and members only, in one environment at a time", () => {
    const dev = model(ws, { scope: 'file', file: app });
    assert.deepEqual(dev.environments, ['dev', 'prod']);
    assert.equal(dev.environment, 'dev');
    assert.equal(dev.title, 'azuredeploy.json (dev)');
    assert.deepEqual(dev.nodes.filter((n) => n.kind === 'loadBalancer').map((n) => n.label), ['ilb-app']);
    assert.equal(dev.nodes.filter((n) => n.kind === 'member').length, 2);
    assert.equal(dev.marks.length, 1);

    const prod = model(ws, { scope: 'file', file: app, environment: 'prod' });
    assert.equal(prod.environment, 'prod');
    assert.equal(prod.nodes.filter((n) => n.kind === 'member').length, 4);
    assert.equal(prod.marks.length, 0, 'prod turns floating IP on');
    assert.ok(byLabel(prod, 'rule-http').details.includes('floating IP on'));
  });

  it('a file with members only shows the load balancer of their pool, declared elsewhere', () => {
    const members = path.join(CLI_PARAMS, 'vms', 'members.json');
    const m = model(ws, { scope: 'file', file: members });
    assert.deepEqual(m.nodes.filter((n) => n.kind === 'loadBalancer').map((n) => [n.label, n.details[1]]), [['lbShared', 'in ilb.json']]);
    assert.ok(m.nodes.some((n) => n.kind === 'member' && n.label === 'vm-sql-0'));
  });

  it('the whole workspace merges the environments and says where they differ', () => {
    const all = model(ws);
    assert.equal(all.environment, 'all');
    assert.deepEqual(all.environments, ['all', 'dev', 'prod']);
    assert.deepEqual(all.nodes.filter((n) => n.kind === 'loadBalancer').map((n) => n.label).sort(), ['ilb-app', 'ilb-solo', 'lbShared']);
    const rule = all.nodes.find((n) => n.kind === 'rule' && n.parent === all.nodes.find((x) => x.label === 'ilb-app')?.id);
    // prod's floating IP without the VIP on a loopback is floating-ip-without-loopback's finding, in prod only.
    assert.deepEqual(rule?.details, ['TCP 80 → 80', '[dev] floating IP off', '[prod] floating IP on', '[prod] warning: floating-ip-without-loopback', '⚠ [dev] hairpin-prone: 1 in 2 calls fail']);
    assert.deepEqual(byLabel(all, 'vm-app-3').environments, ['prod']);
    assert.equal(byLabel(all, 'vm-app-0').environments, undefined, 'in every environment');
  });

  it('nothing in the file: an empty picture that says so', () => {
    const m = model(workspaceOf({ '/w/empty.json': template({ resources: [] }) }), { scope: 'file', file: '/w/empty.json' });
    assert.equal(m.nodes.length, 0);
    assert.match(m.notes[0] ?? '', /No load balancer or backend pool member is declared in empty\.json's deployment/);
    assert.deepEqual(layoutTopology(m).nodes, []);
  });
});

describe("topology: the stream (the CLI's JSON)", () => {
  /** Every template and parameter file under a folder, as one workspace (incremental or as the CLI reads it). */
  const folder = (dir: string, incremental: boolean): Workspace => {
    const ws = new Workspace({ incremental });
    const add = (p: string): void => {
      if (fs.statSync(p).isDirectory()) for (const e of fs.readdirSync(p)) add(path.join(p, e));
      else if (TEMPLATE_FILE.test(p)) ws.setFile(p, fs.readFileSync(p, 'utf8'));
    };
    add(dir);
    return ws;
  };
  /** A member in two pools of two load balancers, a scale set in both, a NIC reached twice through one pool. */
  const shared = (): Workspace => {
    const twice = nic('nic-twice', [poolId('lb-a', 'be'), poolId('lb-a', 'be'), poolId('lb-b', 'be')], { ip: '10.0.0.5' });
    const t = template({
      resources: [
        loadBalancer({ name: 'lb-a', frontendIp: '10.0.0.10', rules: [{ name: 'r1' }, { name: 'r2', port: 443, floatingIp: true }] }),
        loadBalancer({ name: 'lb-b', frontendIp: '10.0.1.10' }),
        nic('nic-a', [poolId('lb-a', 'be'), poolId('lb-b', 'be')], { ip: '10.0.0.4' }),
        vm('vm-a', ["[resourceId('Microsoft.Network/networkInterfaces', 'nic-a')]"]),
        twice,
        scaleSet('ss', [poolId('lb-a', 'be'), poolId('lb-b', 'be')], 3),
      ],
    });
    return workspaceOf({ '/w/main.json': t });
  };
  const cases: [string, () => Workspace][] = [
    ['members shared by pools', shared],
    ['the fixtures', () => folder(FIXTURES_DIR, true)],
    ['the fixtures, as the CLI reads them', () => folder(FIXTURES_DIR, false)],
    ['the Bicep fixtures', () => folder(BICEP_FIXTURES, true)],
    ['environments of parameter files', () => folder(CLI_PARAMS, false)],
    ['the examples', () => folder(EXAMPLES, false)],
    ['the corpus', () => folder(CORPUS, false)],
  ];

  it('has the nodes and edges of buildTopology, in the same order, for every scope and environment, read as often as asked', () => {
    let compared = 0;
    let members = 0;
    for (const [name, make] of cases) {
      const ws = make();
      const analysis = ws.analyze();
      const environments = [undefined, ALL_ENVIRONMENTS, ...analysis.graphs.map((g) => g.environment)];
      const files = [...new Set(analysis.findings.map((f) => f.span.file))];
      const scopes: TopologyOptions[] = [
        ...environments.map((environment): TopologyOptions => ({ scope: 'workspace', ...(environment ? { environment } : {}) })),
        ...files.map((file): TopologyOptions => ({ scope: 'file', file })),
      ];
      for (const options of scopes) {
        const withLocations: TopologyOptions = { ...options, locate: (span) => ({ file: span.file, range: ws.source(span.file)!.rangeOf(span) }) };
        const whole = buildTopology(analysis, withLocations);
        const stream = buildTopologyStream(analysis, withLocations);
        const expected = JSON.stringify(whole);
        assert.equal(JSON.stringify({ ...stream, nodes: [...stream.nodes], edges: [...stream.edges] }), expected, `${name}: ${JSON.stringify(options)}`);
        // Read again: the same (nothing is made twice into the kept nodes).
        assert.equal(JSON.stringify({ ...stream, nodes: [...stream.nodes], edges: [...stream.edges] }), expected, `${name}, read twice: ${JSON.stringify(options)}`);
        compared++;
        members += whole.nodes.filter((n) => n.kind === 'member').length;
      }
    }
    // (The cases are not empty: hundreds of pictures, with members.)
    assert.ok(compared > 100, `${compared} pictures`);
    assert.ok(members > 100, `${members} members`);
  });

  it('a member in two pools, and reached twice through one: one node, an edge per pool, marked where its rule is', () => {
    const stream = buildTopologyStream(shared().analyze(), { scope: 'workspace' });
    const nodes = [...stream.nodes];
    const edges = [...stream.edges];
    const twice = nodes.find((n) => n.label === 'nic-twice');
    assert.ok(twice);
    assert.deepEqual(
      edges.filter((e) => e.target === twice.id).map((e) => [e.source.replace(/^.*loadbalancers\//, ''), e.hairpin ?? false]),
      [
        ['lb-a/backendaddresspools/be', true],
        ['lb-b/backendaddresspools/be', true],
      ],
    );
    assert.equal(twice.hairpin, true);
    assert.equal(new Set(edges.map((e) => e.id)).size, edges.length);
  });

  it("uses the analysis's findings of each graph: the same as the rules checked on it again", () => {
    for (const incremental of [true, false]) {
      const analysis = folder(FIXTURES_DIR, incremental).analyze();
      for (const g of analysis.graphs) {
        assert.deepEqual(
          g.findings?.map((f) => [f.ruleId, f.span, f.message]),
          RULES.flatMap((r) => r.check(g.graph, {})).map((f) => [f.ruleId, f.span, f.message]),
        );
      }
    }
  });
});

describe('topology: layout by elkjs', () => {
  const seed = model(fromDisk(SEED_LAB));
  const laid = layoutTopology(seed);

  const inside = (a: { x: number; y: number; width: number; height: number }, b: { x: number; y: number; width: number; height: number }): boolean =>
    a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width + 0.5 && a.y + a.height <= b.y + b.height + 0.5;

  it('places every node, puts the parts inside their load balancer and the member inside its subnet', () => {
    assert.equal(laid.nodes.length, seed.nodes.length);
    for (const n of laid.nodes) assert.ok(n.width > 0 && n.height > 0, n.id);
    const lb = laid.nodes.find((n) => n.kind === 'loadBalancer');
    assert.equal(lb?.container, true);
    for (const n of laid.nodes.filter((x) => x.kind !== 'loadBalancer' && x.kind !== 'member')) assert.ok(lb && inside(n, lb), n.id);
    const member = laid.nodes.find((n) => n.kind === 'member');
    assert.ok(member && laid.groups[0] && inside(member, laid.groups[0]));
    assert.ok(laid.width >= Math.max(...laid.nodes.map((n) => n.x + n.width)));
  });

  it('nodes do not overlap, and flow left to right: frontend, rule, pool, member', () => {
    const leaves = laid.nodes.filter((n) => !n.container);
    for (const a of leaves)
      for (const b of leaves) {
        if (a === b) continue;
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        assert.ok(apart, `${a.id} overlaps ${b.id}`);
      }
    const x = (kind: string): number => laid.nodes.find((n) => n.kind === kind)?.x ?? NaN;
    assert.ok(x('frontend') < x('rule') && x('rule') < x('pool') && x('pool') < x('member'));
  });

  it('lays out a part once per shape: a second load balancer of the same shape is the first one moved, under its own ids', () => {
    // Two stamps of one application: the same parts and text widths (digits are one width), other names.
    const stamp = (i: number): Record<string, unknown>[] => [
      loadBalancer({ name: `ilb-${i}`, frontendIp: `10.0.7.${i}`, rules: [{ name: 'shape-web', port: 8081 }, { name: 'shape-api', port: 8082 }] }),
      ...['a', 'b'].flatMap((k) => [nic(`nic-${i}${k}`, [poolId(`ilb-${i}`, 'be')]), vm(`vm-${i}${k}`, [`[resourceId('Microsoft.Network/networkInterfaces', 'nic-${i}${k}')]`])]),
    ];
    const m = model(workspaceOf({ '/w/stamps.json': template({ resources: [...stamp(1), ...stamp(2)] }) }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const elk = require('../../src/core/topology/elk') as { elkLayout: (g: unknown) => unknown };
    const original = elk.elkLayout;
    const graphs: { children?: unknown[] }[] = [];
    elk.elkLayout = (g) => (graphs.push(g as { children?: unknown[] }), original(g));
    let l: LaidOutTopology;
    try {
      l = layoutTopology(m);
    } finally {
      elk.elkLayout = original;
    }
    // One layered layout for the two parts, then the packing of both.
    assert.equal(graphs.length, 2, 'ELK laid out the shape once, then packed the parts');
    assert.equal(graphs[1]?.children?.length, 2);
    assert.deepEqual(l.nodes.map((n) => n.id).sort(), m.nodes.map((n) => n.id).sort());
    const lbs = l.nodes.filter((n) => n.kind === 'loadBalancer');
    assert.equal(lbs.length, 2);
    const [one, two] = lbs as [LaidOutTopology['nodes'][number], LaidOutTopology['nodes'][number]];
    assert.deepEqual([one.width, one.height], [two.width, two.height]);
    // Each node of the second stamp stands where its twin of the first does, moved by the same step.
    const dx = two.x - one.x;
    const dy = two.y - one.y;
    const near = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;
    for (const n of l.nodes.filter((x) => x.id.includes('ilb-1') || x.id.includes('nic-1'))) {
      const twin = l.nodes.find((x) => x.id === n.id.replace('ilb-1', 'ilb-2').replace('nic-1', 'nic-2'));
      assert.ok(twin && twin !== n, n.id);
      assert.ok(near(twin.x - n.x, dx) && near(twin.y - n.y, dy), `${n.id} moved by (${twin.x - n.x}, ${twin.y - n.y}), its load balancer by (${dx}, ${dy})`);
      assert.deepEqual([twin.width, twin.height, twin.lines.map((t) => t.y)], [n.width, n.height, n.lines.map((t) => t.y)]);
    }
    for (const e of l.edges) assert.ok(e.sections.length > 0 && (e.sections[0]?.length ?? 0) >= 2, e.id);
    // The same edges of both stamps, moved alike.
    const sections = (id: string): number[] => (l.edges.find((e) => e.id === id)?.sections.flat() ?? []).flatMap((pt) => [pt.x, pt.y]);
    for (const e of l.edges.filter((x) => x.id.includes('ilb-1'))) {
      const twin = sections(e.id.replace(/ilb-1/g, 'ilb-2').replace(/nic-1/g, 'nic-2'));
      const own = sections(e.id);
      assert.equal(twin.length, own.length, e.id);
      assert.ok(own.every((v, i) => near(twin[i] as number, v + (i % 2 === 0 ? dx : dy))), e.id);
    }
  });

  it("a part's layout does not grow with its members: load balancers that differ only in their pools' sizes are laid out once", () => {
    const stamp = (i: number, members: number): Record<string, unknown>[] => [
      loadBalancer({ name: `ilb-${i}`, frontendIp: `10.0.7.${i}`, rules: [{ name: 'web', port: 8081 }] }),
      ...Array.from({ length: members }, (_, k) => [nic(`nic-${i}-${k}`, [poolId(`ilb-${i}`, 'be')]), vm(`vm-${i}-${k}`, [`[resourceId('Microsoft.Network/networkInterfaces', 'nic-${i}-${k}')]`])]).flat(),
    ];
    const m = model(workspaceOf({ '/w/sizes.json': template({ resources: [...stamp(1, 2), ...stamp(2, 5), ...stamp(3, 9)] }) }));
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const elk = require('../../src/core/topology/elk') as { elkLayout: (g: unknown) => unknown };
    const original = elk.elkLayout;
    const graphs: { children?: unknown[] }[] = [];
    elk.elkLayout = (g) => (graphs.push(g as { children?: unknown[] }), original(g));
    let l: LaidOutTopology;
    try {
      // (Another picture's parts may be remembered: a line of its own. The counts have one digit: the same text widths.)
      l = layoutTopology({ ...m, nodes: m.nodes.map((n) => (n.kind === 'rule' ? { ...n, details: [...n.details, 'a line of this test'] } : n)) });
    } finally {
      elk.elkLayout = original;
    }
    assert.equal(graphs.length, 2, 'one layered layout for the three parts, then the packing');
    for (const i of [1, 2, 3]) {
      const members = l.nodes.filter((n) => n.kind === 'member' && n.id.includes(`nic-${i}-`));
      const group = l.groups.find((g) => members.every((n) => inside(n, g)));
      assert.ok(group, `the members of ilb-${i} in one box`);
      assert.equal(members.length, [2, 5, 9][i - 1]);
    }
  });

  it('routes every edge, and lays out the same model the same way', () => {
    for (const e of laid.edges) assert.ok(e.sections.length > 0 && (e.sections[0]?.length ?? 0) >= 2, e.id);
    assert.deepEqual(layoutTopology(seed), laid);
  });

  it("a subnet's members stand in one column in the model's order; each pool enters the subnet at one port and branches to its members", () => {
    const subnet2 = "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'other')]";
    const nic2 = nic('nic-b', [poolId('lb-b', 'be')], { ip: '10.0.1.4' });
    ((nic2['properties'] as { ipConfigurations: { properties: Record<string, unknown> }[] }).ipConfigurations[0]!.properties)['subnet'] = { id: subnet2 };
    const resources: unknown[] = [loadBalancer({ name: 'lb-a', frontendIp: '10.0.0.10' }), loadBalancer({ name: 'lb-b', frontendIp: '10.0.1.10' }), nic2];
    for (let k = 0; k < 5; k++) {
      resources.push(nic(`nic-a${k}`, [poolId('lb-a', 'be')], { ip: `10.0.0.${k + 4}` }));
      resources.push(vm(`vm-a${k}`, [`[resourceId('Microsoft.Network/networkInterfaces', 'nic-a${k}')]`]));
    }
    resources.push(scaleSet('ss', [poolId('lb-a', 'be'), poolId('lb-b', 'be')], 3));
    const m = model(workspaceOf({ '/w/main.json': template({ resources }) }));
    const l = layoutTopology(m);
    const node = new Map(l.nodes.map((n) => [n.id, n]));
    const order = new Map(m.nodes.map((n, i) => [n.id, i]));
    assert.equal(l.groups.length, 2);
    for (const g of l.groups) {
      const members = l.nodes.filter((n) => m.nodes.find((x) => x.id === n.id)?.parent === g.id).sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
      assert.ok(members.length > 0, g.id);
      for (const [i, n] of members.entries()) {
        assert.ok(inside(n, g), n.id);
        assert.ok(n.y >= g.y + (g.lines.length * 15), `${n.id} below the subnet's header`);
        assert.equal(n.x, members[0]?.x, 'one column');
        if (i > 0) assert.ok(n.y >= (members[i - 1]?.y ?? 0) + (members[i - 1]?.height ?? 0), "the model's order, top to bottom, not overlapping");
      }
    }
    const busX = new Map<string, Set<number>>();
    for (const e of l.edges.filter((x) => x.kind === 'pool-member')) {
      const points = e.sections.flat();
      const pool = node.get(e.source);
      const member = node.get(e.target);
      assert.ok(pool && member && points.length >= 2, e.id);
      for (let i = 1; i < points.length; i++) {
        const [a, b] = [points[i - 1]!, points[i]!];
        assert.ok(Math.abs(a.x - b.x) < 0.01 || Math.abs(a.y - b.y) < 0.01, `${e.id}: segment ${i} is orthogonal`);
      }
      assert.ok(Math.abs((points[0]?.x ?? 0) - (pool.x + pool.width)) < 1, `${e.id} leaves the pool's right side`);
      assert.deepEqual(points.at(-1), { x: member.x, y: member.y + member.height / 2 }, `${e.id} ends at the member's left side`);
      const bus = points.at(-2);
      assert.ok(bus && bus.y === member.y + member.height / 2 && bus.x < member.x, `${e.id} branches from its bus to the member`);
      const group = m.nodes.find((x) => x.id === e.target)?.parent ?? '';
      const key = `${group} ${e.source}`;
      busX.set(key, (busX.get(key) ?? new Set()).add(bus.x));
    }
    // One bus per pool and subnet; two pools into one subnet: two buses side by side.
    for (const [key, xs] of busX) assert.equal(xs.size, 1, key);
    const intoDefault = [...busX].filter(([k]) => k.startsWith(m.groups.find((g) => g.label === 'subnet default')?.id ?? '?'));
    assert.equal(intoDefault.length, 2);
    assert.notEqual([...intoDefault[0]![1]][0], [...intoDefault[1]![1]][0]);
  });

  it('packs several unconnected load balancers and a 500-node workspace (time reported, not asserted)', (t) => {
    const big = largeWorkspace(20, 20);
    const m = model(big);
    assert.ok(m.nodes.length >= 500, `${m.nodes.length} nodes`);
    const started = process.hrtime.bigint();
    const l = layoutTopology(m);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const svgStart = process.hrtime.bigint();
    const svg = renderTopologySvg(l);
    const svgMs = Number(process.hrtime.bigint() - svgStart) / 1e6;
    t.diagnostic(`${m.nodes.length} nodes, ${m.edges.length} edges: layout ${ms.toFixed(0)} ms, SVG ${svgMs.toFixed(0)} ms (Node, this machine)`);
    assert.equal(l.nodes.length, m.nodes.length);
    assert.equal((svg.match(/ data-id="/g) ?? []).length, m.nodes.length);
    assert.equal(m.marks.length, 40, 'http and https of each load balancer');
  });
});

/** `lbs` load balancers with `members` NICs+VMs each, in one template per load balancer. */
function largeWorkspace(lbs: number, members: number): Workspace {
  const ws = new Workspace();
  for (let i = 0; i < lbs; i++) {
    const lb = `ilb-${i}`;
    const resources: unknown[] = [loadBalancer({ name: lb, frontendIp: `10.${i}.0.100`, rules: [{ name: 'http' }, { name: 'https', port: 443 }] })];
    for (let k = 0; k < members; k++) {
      resources.push(nic(`nic-${i}-${k}`, [poolId(lb, 'be')], { ip: `10.${i}.0.${k + 4}` }));
      resources.push(vm(`vm-${i}-${k}`, [`[resourceId('Microsoft.Network/networkInterfaces', 'nic-${i}-${k}')]`]));
    }
    ws.setFile(`/big/lb-${i}.json`, template({ resources }));
  }
  return ws;
}

describe('topology: SVG', () => {
  const seed = model(fromDisk(SEED_LAB));
  const laid: LaidOutTopology = layoutTopology(seed);
  const rule = seed.marks[0]!.rule;

  it("deferred text: the leaves' lines left out (and the edges' ids, and nothing else), to be added where renderTopologySvg draws them", () => {
    const big = layoutTopology(model(largeWorkspace(3, 3)));
    const full = renderTopologySvg(big);
    const deferred = renderTopologySvg(big, { deferText: true });
    const leaves = big.nodes.filter((x) => !x.container);
    assert.ok(leaves.length > 10 && big.nodes.some((x) => x.container));
    let rebuilt = deferred;
    for (const leaf of leaves) {
      const lines = nodeTextMarkup(leaf);
      assert.ok(lines.length > 0 && full.includes(lines), leaf.id);
      // After the leaf's stripe, where the webview inserts them.
      const at = rebuilt.indexOf(`data-id="${escapeXml(leaf.id)}"`);
      const stripe = rebuilt.indexOf('<rect class="stripe"', at);
      const after = rebuilt.indexOf('/>', stripe) + 2;
      rebuilt = rebuilt.slice(0, after) + lines + rebuilt.slice(after);
    }
    // (Without the edges' ids, which the webview does not read.)
    assert.ok(full.includes(' data-edge="') && !deferred.includes(' data-edge="'));
    assert.equal(rebuilt, full.replace(/ data-edge="[^"]*"/g, ''));
    // The accessible names and tooltips keep the text.
    const byId = new Map(big.model.nodes.map((x) => [x.id, x]));
    for (const leaf of leaves) {
      const at = deferred.indexOf(`data-id="${escapeXml(leaf.id)}"`);
      const open = deferred.slice(at, deferred.indexOf('>', at));
      const title = deferred.slice(deferred.indexOf('<title>', at), deferred.indexOf('</title>', at));
      for (const text of [byId.get(leaf.id)?.label ?? '?', ...(byId.get(leaf.id)?.details ?? [])]) {
        assert.ok(open.includes(escapeXml(text.replace(/^⚠\s*/, ''))) && title.includes(escapeXml(text)), `${leaf.id}: ${text}`);
      }
    }
  });

  it('merged edges: the same lines, one path per kind of edge, and an arrowhead per line where its marker was', () => {
    const seen = new Set<string>();
    for (const picture of [layoutTopology(model(largeWorkspace(3, 3))), laid]) {
      const each = renderTopologySvg(picture, { deferText: true });
      const merged = renderTopologySvg(picture, { deferText: true, mergeEdges: true });
      const edgePaths = /<path class="(edge[^"]*)" d="([^"]*)"(?: marker-end="url\(#ilbh-g-(arrow(?:-hairpin)?)\)")?\/>/g;
      const headPaths = /<path class="(arrow(?:-hairpin)?) heads" d="([^"]*)"\/>/g;
      // Everything else (groups, nodes) is the same markup.
      assert.equal(merged.replace(edgePaths, '').replace(headPaths, ''), each.replace(edgePaths, ''));
      const lines = (svg: string): Map<string, string[]> => {
        const out = new Map<string, string[]>();
        for (const [, cls, d] of svg.matchAll(edgePaths)) out.set(cls!, [...(out.get(cls!) ?? []), ...d!.split(/ (?=M)/)]);
        for (const v of out.values()) v.sort();
        return out;
      };
      const before = lines(each);
      assert.ok(before.size >= 2, [...before.keys()].join());
      assert.deepEqual(lines(merged), before);
      // One path per kind of edge in the merged picture; as many arrowheads of each colour as lines with that marker.
      assert.equal([...merged.matchAll(edgePaths)].length, before.size);
      const markers = new Map<string, number>();
      for (const x of each.matchAll(edgePaths)) markers.set(x[3]!, (markers.get(x[3]!) ?? 0) + 1);
      assert.equal([...merged.matchAll(headPaths)].length, markers.size);
      for (const [marker, count] of markers) {
        const heads = [...merged.matchAll(headPaths)].find((x) => x[1] === marker)?.[2] ?? '';
        assert.equal(heads.split('z').filter((x) => x.trim()).length, count, marker);
        seen.add(marker);
      }
    }
    // Lines of hairpin loops and others, so arrowheads of both colours.
    assert.deepEqual([...seen].sort(), ['arrow', 'arrow-hairpin']);
  });

  it('silhouettes: the plain leaves drawn as a box path and a stripe path per set of classes; their runs put back make the picture drawn without them', () => {
    const big = layoutTopology(model(largeWorkspace(3, 3)));
    const unknown = layoutTopology(model(fromDisk(path.join(FIXTURES_DIR, 'vmss-capacity-param-no-default.json'))));
    const rule = laid.model.marks[0]!.rule;
    const cases: [LaidOutTopology, SvgOptions][] = [
      [big, { deferText: true, mergeEdges: true }],
      [big, {}],
      [laid, { deferText: true, mergeEdges: true }],
      [laid, { selectedRule: rule, path: 'failing', deferText: true, mergeEdges: true }],
      [laid, { selectedRule: rule, path: 'floating-ip' }],
      [unknown, { deferText: true }],
    ];
    const layer = /<g class="silhouettes">((?:<g class="silhouette [^"]*"><path class="box" d="[^"]*"\/><path class="stripe" d="[^"]*"\/><\/g>)*)<\/g>/;
    let silhouetted = 0;
    for (const [picture, o] of cases) {
      const full = renderTopologySvg(picture, o);
      const drawn = renderTopologySvg(picture, { ...o, silhouettes: true });
      const { runs, markup } = silhouetteRuns(picture, o);
      const leaves = runs.flatMap((r) => r.leaves);
      // No leaf is drawn twice or left out: each is a node or in a run, never both.
      const ids = [...drawn.matchAll(/<g class="node[^"]*" data-id="([^"]*)"/g)].map((x) => x[1]);
      assert.equal(ids.length + leaves.length, picture.nodes.length);
      for (const leaf of leaves) assert.ok(!ids.includes(escapeXml(leaf.id)) && !leaf.container, leaf.id);
      // What is not plain stays a node: a hairpin rule (its icon), an unknown (its badge), the selection and its path.
      for (const x of picture.model.nodes) {
        const keeps = picture.model.marks.some((m) => m.rule === x.id) || x.unknown || x.id === o.selectedRule || picture.nodes.find((l) => l.id === x.id)?.container;
        if (keeps) assert.ok(ids.includes(escapeXml(x.id)), x.id);
      }
      if (o.selectedRule) assert.ok(/ on-path"/.test(drawn) && leaves.length > 0);
      // A path per set of classes: a rounded box and a stripe per leaf of those classes.
      const sets = [...(drawn.match(layer)?.[1] ?? '').matchAll(/<g class="silhouette ([^"]*)"><path class="box" d="([^"]*)"\/><path class="stripe" d="([^"]*)"\/>/g)];
      assert.equal(new Set(sets.map((x) => x[1])).size, sets.length);
      assert.equal(
        sets.reduce((sum, x) => sum + x[2]!.split('M').length - 1, 0),
        leaves.length,
      );
      for (const [, cls, boxes, stripes] of sets) assert.equal(boxes!.split('M').length, stripes!.split('M').length, cls);
      // Each run's markup before the node it comes before (or the layer), the layer removed: the picture drawn without silhouettes.
      let rebuilt = drawn;
      for (const run of runs) {
        const at = run.before === undefined ? rebuilt.indexOf('<g class="silhouettes">') : rebuilt.lastIndexOf('<g ', rebuilt.indexOf(` data-id="${escapeXml(run.before)}"`));
        assert.ok(at > 0);
        rebuilt = rebuilt.slice(0, at) + run.leaves.map(markup).join('') + rebuilt.slice(at);
      }
      assert.equal(rebuilt.replace(layer, ''), full);
      silhouetted += leaves.length;
    }
    assert.ok(silhouetted >= 30, String(silhouetted));
    // A box is the outline of <rect rx="5">, a stripe of <rect width="5" rx="2">: from where the rect's outline starts, clockwise.
    const leaf = big.nodes.find((x) => !x.container)!;
    const r = (v: number): number => Math.round(v * 10) / 10;
    const [x, y, w, hh] = [r(leaf.x), r(leaf.y), r(leaf.width), r(leaf.height)];
    const drawn = renderTopologySvg(big, { silhouettes: true });
    assert.ok(drawn.includes(`M${r(x + 5)},${y}h${r(w - 10)}a5,5 0 0 1 5,5v${r(hh - 10)}a5,5 0 0 1 -5,5h${r(10 - w)}a5,5 0 0 1 -5,-5v${r(10 - hh)}a5,5 0 0 1 5,-5z`));
    assert.ok(drawn.includes(`M${r(x + 2)},${y}h1a2,2 0 0 1 2,2v${r(hh - 4)}a2,2 0 0 1 -2,2h-1a2,2 0 0 1 -2,-2v${r(4 - hh)}a2,2 0 0 1 2,-2z`));
  });

  it("an arrowhead is the marker's triangle: its point one unit past the line's end, 7 stroke widths long, turned along the last segment", () => {
    const nums = (d: string): number[] => (d.match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
    const close = (a: number[], b: number[]): void => {
      assert.equal(a.length, b.length);
      a.forEach((x, i) => assert.ok(Math.abs(x - b[i]!) <= 0.06, `${a} vs ${b}`));
    };
    // Rightwards, stroke width 1 (one view-box unit = 0.7): base 9 units back, 5 either side; point 1 unit on.
    close(nums(arrowHead([{ x: 0, y: 0 }, { x: 100, y: 50 }, { x: 200, y: 50 }], 1)), [193.7, 46.5, 200.7, 50, 193.7, 53.5]);
    // Downwards with a repeated last point: the last segment of non-zero length gives the direction.
    close(nums(arrowHead([{ x: 10, y: 0 }, { x: 10, y: 100 }, { x: 10, y: 100 }], 2)), [17, 87.4, 10, 101.4, 3, 87.4]);
    assert.equal(arrowHead([{ x: 5, y: 5 }, { x: 5, y: 5 }], 1), '');
  });

  it('draws every node with its labels, focusable, the hairpin-prone rule marked in text and shape', () => {
    const svg = renderTopologySvg(laid);
    for (const label of ['ilb-we-02-web', 'fe-web', 'rule-http', 'be-web', 'probe-http', 'VM-WE-02-Web01', '10.2.1.100 · internal', 'IP 10.2.1.4', 'subnet snet-web']) {
      assert.ok(svg.includes(`>${escapeXml(label)}<`), label);
    }
    assert.equal((svg.match(/ tabindex="0"/g) ?? []).length, seed.nodes.length);
    assert.match(svg, new RegExp(`class="node k-rule hairpin" data-id="${escapeXml(rule).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`));
    assert.match(svg, /class="hairpin-text"[^>]*>hairpin-prone: every call fails</);
    assert.match(svg, /class="warn-icon"/);
    assert.match(svg, /aria-label="rule rule-http; TCP 80 → 80; floating IP off; hairpin-prone: every call fails; press Enter to show the failing path"/);
    // Classes only: the webview's CSP allows no inline style.
    assert.doesNotMatch(svg, / style="/);
    assert.doesNotMatch(svg, /<style>/);
  });

  it('the selected rule: its failing path numbered over the graph, the rest dimmed', () => {
    const svg = renderTopologySvg(laid, { selectedRule: rule });
    assert.match(svg, /class="ilbh dim"/);
    assert.equal((svg.match(/class="overlay-step"/g) ?? []).length, 4);
    assert.match(svg, /class="overlay-line fail"/);
    assert.match(svg, /<title>4\. no SYN-ACK/);
    const fix = renderTopologySvg(laid, { selectedRule: rule, path: 'floating-ip' });
    assert.match(fix, /data-path="floating-ip"/);
    assert.match(fix, /class="chip" data-participant="loopback"/);
    assert.match(fix, /\+ loopback 10\.2\.1\.100/);
  });

  it('standalone: CSS with fallbacks embedded, a background, the legend and the walk', () => {
    const svg = renderTopologySvg(laid, { standalone: true, legend: true, walk: true, selectedRule: rule });
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<style>[^<]*var\(--vscode-editor-background, #ffffff\)/);
    assert.match(svg, /class="canvas"/);
    assert.match(svg, />Legend</);
    assert.match(svg, />Failing path: the hairpin</);
    assert.match(svg, />SYN  10\.2\.1\.4 → 10\.2\.1\.100:80</);
    assert.match(svg, /FAILS: the call times out/);
  });

  it('the packet walk of each path, and the legend rows', () => {
    for (const p of seed.marks[0]!.paths) {
      const svg = renderWalkSvg(p);
      assert.equal((svg.match(/class="lane/g) ?? []).length, p.participants.length, p.kind);
      assert.equal((svg.match(/class="msg[ "]/g) ?? []).length, p.steps.length + (p.steps.some((s) => s.outcome === 'fail') ? 1 : 0), p.kind);
      assert.match(svg, p.outcome === 'fails' ? /FAILS/ : /WORKS/);
    }
    assert.match(renderWalkSvg(seed.marks[0]!.paths[2]!), /class="lane proposed"/);
    const legend = legendEntries('p-');
    for (const t of ['Hairpin-prone rule', 'Subnet', 'Some value is unknown', 'Selected packet path', 'Where the path fails']) assert.ok(legend.some((e) => e.text.includes(t)), t);
    const hairpin = legend.find((e) => e.text.startsWith('Hairpin-prone rule'));
    assert.match(hairpin?.swatch ?? '', /class="node k-rule hairpin"/);
    assert.match(hairpin?.swatch ?? '', /class="warn-icon"/);
    for (const e of legend.filter((x) => x.swatch.includes('marker-end'))) assert.match(e.swatch, /url\(#p-arrow/);
  });

  it('the walks drawn over the graph keep clear of titles and stay in the subnet box', () => {
    const member = laid.nodes.find((x) => x.kind === 'member')!;
    const subnet = laid.groups.find((g) => g.x <= member.x && g.x + g.width >= member.x + member.width)!;
    const lb = laid.nodes.find((x) => x.container)!;
    // The subnet's box keeps room beside the member for the loop and the widest chip a fix adds.
    const widest = Math.max(...seed.marks[0]!.paths.flatMap((p) => p.participants.filter((x) => !x.node && x.anchor === member.id).map((x) => chipText(x.label).width)));
    assert.ok(subnet.x + subnet.width >= member.x + member.width + SIDE.gap + widest, 'room for the chips');
    const titles: Rect[] = [titleRect(lb, lb.lines, 12), titleRect(subnet, subnet.lines, 10)];
    for (const p of seed.marks[0]!.paths) {
      const svg = renderTopologySvg(laid, { selectedRule: rule, path: p.kind });
      // Every straight stretch of every step (curves by their end points) misses both titles.
      for (const [, step, d] of svg.matchAll(/<g class="overlay-step" data-step="(\d+)"[^>]*>.*?<path class="overlay-line[^"]*" d="([^"]+)"/g)) {
        const points = [...d!.matchAll(/(-?[\d.]+),(-?[\d.]+)/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]) }));
        for (let i = 1; i < points.length; i++) {
          const a = points[i - 1]!;
          const b = points[i]!;
          for (const t of titles) {
            const crosses = Math.max(a.x, b.x) > t.x && Math.min(a.x, b.x) < t.x + t.width && Math.max(a.y, b.y) > t.y && Math.min(a.y, b.y) < t.y + t.height;
            assert.ok(!crosses, `${p.kind}, step ${step}: (${a.x},${a.y})-(${b.x},${b.y}) crosses a title`);
          }
        }
      }
      // The chips beside the member, and the loop, inside the subnet's box.
      for (const [, x, y, w, h] of svg.matchAll(/<g class="chip"[^>]*>.*?<rect class="box" x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"/g)) {
        const c = { x: Number(x), y: Number(y), w: Number(w), h: Number(h) };
        if (c.x < member.x) continue; // the NGINX tier stands before the frontend, outside the load balancer
        assert.ok(c.x >= subnet.x && c.x + c.w <= subnet.x + subnet.width && c.y >= subnet.y && c.y + c.h <= subnet.y + subnet.height, `${p.kind}: chip inside the subnet box`);
      }
      assert.match(svg, /data-step="1" data-shape="arc"|data-step="1" data-shape="beside"/, p.kind);
    }
    assert.match(renderTopologySvg(laid, { selectedRule: rule }), /data-step="4" data-shape="loop"/);
    assert.match(renderTopologySvg(laid, { selectedRule: rule, path: 'floating-ip' }), /data-step="1" data-shape="beside".*data-step="2" data-shape="beside".*data-step="3" data-shape="loop"/);
  });

  it('lane headers wrap names at a narrow width instead of cutting them', () => {
    for (const p of seed.marks[0]!.paths) {
      for (const width of [280, 400, 676]) {
        const svg = renderWalkSvg(p, { maxWidth: width });
        assert.doesNotMatch(svg, /…/, `${p.kind} at ${width} px: nothing cut`);
        const drawn = Number(/ width="(\d+)"/.exec(svg)?.[1]);
        assert.ok(drawn <= Math.max(width, 4 * 128), `${p.kind} at ${width} px is ${drawn} px wide`);
      }
    }
    const narrow = renderWalkSvg(seed.marks[0]!.paths[0]!, { maxWidth: 400 });
    assert.match(narrow, />VM-WE-02-<\/text><text class="label"[^>]*>Web01</);
  });

  it('escapes labels', () => {
    const weird: TopologyModel = {
      ...seed,
      nodes: seed.nodes.map((n) => (n.kind === 'member' ? { ...n, label: `<b>"x" & 'y'</b>` } : n)),
    };
    const svg = renderTopologySvg(layoutTopology(weird));
    assert.ok(svg.includes('&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;'));
    assert.ok(!svg.includes('<b>'));
  });
});

describe('topology: Mermaid and DOT', () => {
  const seed = model(fromDisk(SEED_LAB));

  it('Mermaid: a flowchart with the load balancer and the subnet as subgraphs, the rule styled, the loop closed', () => {
    const mmd = toMermaid(seed);
    assert.match(mmd, /^%% ilb-hairpin topology: Whole workspace\nflowchart LR\n/);
    assert.match(mmd, /subgraph n0\["LOAD BALANCER<br\/><b>ilb-we-02-web<\/b>/);
    assert.match(mmd, /subgraph g0\["SUBNET<br\/><b>snet-web<\/b>/);
    assert.match(mmd, /n2\["RULE<br\/><b>rule-http<\/b><br\/>TCP 80 → 80<br\/>floating IP off<br\/>⚠ hairpin-prone: every call fails"\]/);
    assert.match(mmd, /n4 -\. "hairpin: the member calls the VIP" \.-> n1/);
    assert.match(mmd, /class n2 hairpin/);
    assert.match(mmd, /n2 -\.->\|probe\| n5/);
    assert.equal((mmd.match(/-->|\.->/g) ?? []).length, seed.edges.length + 1);
  });

  it('DOT: clusters, the rule bold and dashed, the loop edge unconstrained', () => {
    const dot = toDot(seed);
    assert.match(dot, /^digraph "ilb-hairpin topology: Whole workspace" \{/);
    assert.match(dot, /subgraph cluster_0 \{\n {4}label="LOAD BALANCER\\nilb-we-02-web/);
    assert.match(dot, /n2 \[label="RULE\\nrule-http\\nTCP 80 → 80\\nfloating IP off\\n⚠ hairpin-prone: every call fails", color="#d01c00", penwidth=3/);
    assert.match(dot, /n4 -> n1 \[style=dashed, color="#d01c00", penwidth=2, constraint=false/);
    assert.match(dot, /\}\n$/);
  });

  it('escapes labels for each language', () => {
    assert.equal(escapeMermaid('a "b" #1 <c> & `d`'), 'a #34;b#34; #35;1 #60;c#62; #38; #96;d#96;');
    assert.equal(escapeDot('a "b" \\n c\nd'), 'a \\"b\\" \\\\n c\\nd');
    const weird: TopologyModel = { ...seed, title: 'x"y', nodes: seed.nodes.map((n) => (n.kind === 'member' ? { ...n, label: 'vm "one" # <two>' } : n)) };
    assert.match(toMermaid(weird), /<b>vm #34;one#34; #35; #60;two#62;<\/b>/);
    assert.match(toDot(weird), /digraph "ilb-hairpin topology: x\\"y"/);
    assert.match(toDot(weird), /label="VM\\nvm \\"one\\" # <two>\\n/);
  });
});

describe('topology: text metrics', () => {
  it('widths grow with the text, cut lines fit, wrapped lines fit', () => {
    assert.ok(textWidth('WWW', 12) > textWidth('iii', 12));
    assert.ok(textWidth('abc', 12, true) > textWidth('abc', 12));
    const cut = fitText('a'.repeat(200), 11, 100);
    assert.ok(cut.endsWith('…') && textWidth(cut, 11) <= 100);
    assert.equal(fitText('short', 11, 100), 'short');
    const lines = wrapText('the load balancer rewrites the destination but not the source', 12, 120);
    assert.ok(lines.length > 2);
    for (const l of lines) assert.ok(textWidth(l, 12) <= 120, l);
    // A name longer than a line is broken after a hyphen or a dot, never cut; nothing is lost.
    const name = wrapText('VM-WE-02-Web01-with-a-long-name.contoso.internal', 13, 90, true);
    assert.ok(name.length > 1 && name.every((l) => textWidth(l, 13, true) <= 90 && !l.endsWith('…')), name.join(' | '));
    assert.equal(name.join(''), 'VM-WE-02-Web01-with-a-long-name.contoso.internal');
    assert.match(name[0]!, /[-.]$/);
    assert.deepEqual(wrapText('x'.repeat(30), 10, 60).join(''), 'x'.repeat(30));
    // At most so many lines: only the rest is cut.
    const two = wrapLines('the load balancer rewrites the destination but not the source', 12, 120, 2);
    assert.equal(two.length, 2);
    assert.ok(two[1]!.endsWith('…'));
  });
});

describe('topology: the webview protocol', () => {
  it('accepts the messages the webview sends and nothing else', () => {
    const valid = [
      { type: 'ready', state: { scope: 'file' } },
      { type: 'ready', state: undefined },
      { type: 'rendered', version: 1, nodes: 6, edges: 4, groups: 1, marks: 1, layoutMs: 20, renderMs: 5 },
      { type: 'reveal', node: 'rule:x' },
      { type: 'select', rule: null },
      { type: 'select', rule: 'rule:x', path: 'secondary-nic' },
      { type: 'scope', scope: 'workspace', environment: 'prod' },
      { type: 'export', format: 'svg', target: 'clipboard', svg: '<svg/>' },
      { type: 'export', format: 'mermaid', target: 'file' },
      { type: 'error', message: 'x' },
    ];
    for (const m of valid) assert.ok(isFromWebview(m), JSON.stringify(m));
    const invalid = [
      null,
      'ready',
      { type: 'rendered', version: 1, nodes: '6' },
      { type: 'reveal' },
      { type: 'select', rule: 'x', path: 'teleport' },
      { type: 'scope', scope: 'universe' },
      { type: 'export', format: 'png', target: 'file' },
      { type: 'run', command: 'rm -rf /' },
    ];
    for (const m of invalid) assert.ok(!isFromWebview(m), JSON.stringify(m));
  });
});

describe('topology: the manifest and the webview assets', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8'));

  it('contributes the command, activates on the restored panel, and ships the built webview', () => {
    const cmd = pkg.contributes.commands.find((c: { command: string }) => c.command === 'ilbHairpin.showTopology');
    assert.deepEqual([cmd?.title, cmd?.category], ['Show Topology', 'ILB Hairpin']);
    assert.ok(pkg.activationEvents.includes('onWebviewPanel:ilbHairpin.topology'));
    assert.ok(pkg.devDependencies.elkjs, 'elkjs is bundled (into the webview, and beside the CLI as dist/elk-worker.js)');
    const ignore = fs.readFileSync(path.join(REPO_ROOT, '.vscodeignore'), 'utf8');
    for (const f of ['dist/webview/topology.js', 'dist/webview/topology.css']) {
      assert.ok(fs.existsSync(path.join(REPO_ROOT, f)), `${f} exists (npm run build)`);
      assert.ok(ignore.includes(`!${f}`), `.vscodeignore keeps ${f}`);
    }
  });

  it('the panel limits the webview to the built assets, with a nonce script and no inline style', () => {
    const panel = fs.readFileSync(path.join(REPO_ROOT, 'src', 'extension', 'topology-panel.ts'), 'utf8');
    assert.match(panel, /localResourceRoots: \[vscode\.Uri\.joinPath\(context\.extensionUri, 'dist', 'webview'\)\]/);
    assert.match(panel, /"default-src 'none'"/);
    assert.match(panel, /`script-src 'nonce-\$\{nonce\}'`/);
    assert.match(panel, /`style-src \$\{webview\.cspSource\}`/);
    assert.doesNotMatch(panel, /unsafe-inline|unsafe-eval/);
    // The extension bundle does not carry the layout engine; the webview's does.
    assert.ok(!fs.readFileSync(path.join(REPO_ROOT, 'dist', 'extension.js'), 'utf8').includes('rectpacking'));
    assert.ok(fs.readFileSync(path.join(REPO_ROOT, 'dist', 'webview', 'topology.js'), 'utf8').includes('rectpacking'));
  });
});
