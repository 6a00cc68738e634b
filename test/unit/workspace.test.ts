/**
 * The workspace: parameter files (by name, by `metadata.template`, by folder), members in one
 * template joining pools declared in another, one deployment per template (no double counting, no
 * matching through parameters that have no value), environments, the evaluation cache, and the
 * CLI over a folder of templates with their parameter files.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { runCli, scanPaths } from '../../src/cli/main';
import type { ReportFinding, ScanReport } from '../../src/core/report';
import { ruleMembers } from '../../src/core/graph/query';
import type { Finding } from '../../src/core/rules/types';
import { Workspace, type WorkspaceAnalysis } from '../../src/core/workspace';
import { REPO_ROOT, loadBalancer, nic, poolId, template, textAt, vm } from './helpers';

const PARAMS_SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#';
const CLI_FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'workspace', 'cli-params');

// ------------------------------------------------------------------ builders

/** A deployment parameters file: each value becomes `{ "value": v }`; `raw` entries are written as they are. */
function parameterFile(values: Record<string, unknown>, extra: { raw?: Record<string, unknown>; metadata?: Record<string, unknown> } = {}): string {
  const parameters: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) parameters[k] = { value: v };
  Object.assign(parameters, extra.raw ?? {});
  const doc: Record<string, unknown> = { $schema: PARAMS_SCHEMA, contentVersion: '1.0.0.0' };
  if (extra.metadata) doc['metadata'] = extra.metadata;
  doc['parameters'] = parameters;
  return JSON.stringify(doc, null, 2);
}

const nicIdOfCopy = (prefix: string): string => `[resourceId('Microsoft.Network/networkInterfaces', concat('${prefix}', copyIndex()))]`;
const nicId = (name: string): string => `[resourceId('Microsoft.Network/networkInterfaces', '${name}')]`;

/**
 * An ILB `lb` (frontend 10.0.0.10, pool `be`, rule `http` with floating IP from the `floating`
 * parameter) and `vmCount` NICs + VMs in its pool. Defaults as given; a missing default is omitted.
 */
function appTemplate(opts: { lb?: string; vmCount?: number; floating?: boolean; prefix?: string } = {}): string {
  const lb = opts.lb ?? 'ilb-app';
  const prefix = opts.prefix ?? 'app';
  const parameters: Record<string, unknown> = {
    vmCount: { type: 'int', ...(opts.vmCount !== undefined ? { defaultValue: opts.vmCount } : {}) },
    floating: { type: 'bool', defaultValue: opts.floating ?? false },
  };
  return template({
    parameters,
    resources: [
      loadBalancer({ name: lb, frontendIp: '10.0.0.10', rules: [{ name: 'http', floatingIp: "[parameters('floating')]" }] }),
      nic(`[concat('nic-${prefix}-', copyIndex())]`, [poolId(lb, 'be')], { copy: { name: 'nics', count: "[parameters('vmCount')]" } }),
      vm(`[concat('vm-${prefix}-', copyIndex())]`, [nicIdOfCopy(`nic-${prefix}-`)], { copy: { name: 'vms', count: "[parameters('vmCount')]" } }),
    ],
  });
}

/** Only an ILB `name` with pool `pool` and rule `r` (no members). */
function lbOnlyTemplate(name: string): string {
  return template({ resources: [loadBalancer({ name, frontendIp: '10.0.0.100', pools: [{ name: 'pool' }], rules: [{ name: 'r', pools: ['pool'] }] })] });
}

/** NICs + VMs that join `lb`'s pool `pool` from another template (or none with `join: false`). */
function membersTemplate(lb: string, names: string[], join = true): string {
  return template({
    resources: names.flatMap((n) => [nic(`nic-${n}`, join ? [poolId(lb, 'pool')] : []), vm(`vm-${n}`, [nicId(`nic-${n}`)])]),
  });
}

/**
 * A workspace whose analysis keeps the hairpin-prone findings: these tests turn floating IP on
 * and off through parameter files, and floating IP on without a loopback is another rule's
 * finding (floating-ip-without-loopback, tested with its fixtures).
 */
class HairpinWorkspace extends Workspace {
  override analyze(): WorkspaceAnalysis {
    const a = super.analyze();
    return { ...a, findings: a.findings.filter((f) => f.ruleId === 'hairpin-prone-rule') };
  }
}

function workspace(files: Record<string, string>): Workspace {
  const ws = new HairpinWorkspace();
  for (const [p, text] of Object.entries(files)) ws.setFile(p, text);
  return ws;
}

function only(findings: Finding[], what = 'findings'): Finding {
  assert.equal(findings.length, 1, `one finding expected in ${what}, got: ${findings.map((f) => f.message).join(' | ')}`);
  return findings[0] as Finding;
}

function findingsIn(a: WorkspaceAnalysis, file: string): Finding[] {
  return a.findings.filter((f) => f.span.file === file);
}

/** The members behind the first rule of load balancer `lb` in the graph of `environment`. */
function graphMembers(a: WorkspaceAnalysis, environment: string, lb: string): number | null {
  const g = a.graphs.find((x) => x.environment === environment);
  assert.ok(g, `a graph for ${environment}; have ${a.graphs.map((x) => x.environment).join(', ')}`);
  const node = g.graph.loadBalancers.find((l) => l.name === lb);
  assert.ok(node, `load balancer ${lb} in the ${environment} graph`);
  return ruleMembers(node.rules[0] as NonNullable<(typeof node.rules)[number]>).total;
}

function sources(f: Finding): string[] {
  return (f.facts.parameterSource ?? '').split(', ').filter((s) => s !== '');
}

// ------------------------------------------------------------------ 1. parameter files

describe('workspace: parameter files', () => {
  it('uses azuredeploy.parameters.json beside azuredeploy.json (copy count 3 -> members=3)', () => {
    const ws = workspace({
      '/ws/app/azuredeploy.json': appTemplate({ vmCount: 1 }),
      '/ws/app/azuredeploy.parameters.json': parameterFile({ vmCount: 3 }),
    });
    const a = ws.analyze();
    const f = only(a.findings);
    assert.equal(f.span.file, '/ws/app/azuredeploy.json');
    assert.equal(f.facts.members, 3);
    assert.equal(f.facts.membersKnown, 3);
    assert.equal(f.facts.parameterSource, 'azuredeploy.parameters.json');
    assert.match(f.message, /with 3 members \(VM vm-app-0, VM vm-app-1, VM vm-app-2\)/);
    assert.match(f.message, /1 in 3 connections fail/);
    assert.ok(f.message.endsWith('[with azuredeploy.parameters.json]'), f.message);
    assert.equal(a.templates, 1, 'the parameter file is not a template');
    assert.equal(a.evaluated, 1, 'evaluated once, with the parameter file, not also with the defaults');
    assert.deepEqual(a.parseErrors, []);
    assert.equal(ws.role('/ws/app/azuredeploy.parameters.json'), 'armParameters');
    assert.equal(ws.role('/ws/app/azuredeploy.json'), 'armTemplate');
  });

  it('without its parameter file the same template uses its defaults (no [with ...])', () => {
    const a = workspace({ '/ws/app/azuredeploy.json': appTemplate({ vmCount: 1 }) }).analyze();
    const f = only(a.findings);
    assert.equal(f.facts.members, 1);
    assert.equal(f.facts.parameterSource, undefined);
    assert.ok(!f.message.includes('[with'), f.message);
    assert.match(f.message, /every connection fails/);
  });

  it('dev and prod parameter files: evaluated once with each and not with the defaults; only dev is prone', () => {
    const ws = workspace({
      '/ws/app/azuredeploy.json': appTemplate({ vmCount: 2, floating: true }),
      '/ws/app/azuredeploy.parameters.dev.json': parameterFile({ floating: false }),
      '/ws/app/azuredeploy.parameters.prod.json': parameterFile({ floating: true }),
    });
    const a = ws.analyze();
    assert.equal(a.evaluated, 2, 'one evaluation per parameter file, none with the bare defaults');
    assert.deepEqual(a.graphs.map((g) => g.environment).sort(), ['dev', 'prod']);
    const f = only(a.findings);
    assert.equal(f.facts.parameterSource, 'azuredeploy.parameters.dev.json');
    assert.ok(f.message.endsWith('[with azuredeploy.parameters.dev.json]'), f.message);
    assert.ok(!f.message.includes('prod'), f.message);
    assert.equal(f.facts.members, 2);
    assert.equal(a.templates, 1);
  });

  it('dev and prod both prone: ONE finding naming both files', () => {
    const a = workspace({
      '/ws/app/azuredeploy.json': appTemplate({ vmCount: 2, floating: true }),
      '/ws/app/azuredeploy.parameters.dev.json': parameterFile({ floating: false }),
      '/ws/app/azuredeploy.parameters.prod.json': parameterFile({ floating: 'false' }),
    }).analyze();
    const f = only(a.findings);
    assert.deepEqual(sources(f).sort(), ['azuredeploy.parameters.dev.json', 'azuredeploy.parameters.prod.json']);
    assert.match(f.message, /\[with azuredeploy\.parameters\.(dev|prod)\.json, azuredeploy\.parameters\.(dev|prod)\.json\]$/);
    assert.equal((f.message.match(/\[with /g) ?? []).length, 1, 'one [with ...] suffix');
  });

  it('the defaults are not evaluated when parameter files exist: prone defaults, safe files -> no finding', () => {
    const a = workspace({
      '/ws/app/azuredeploy.json': appTemplate({ vmCount: 2, floating: false }),
      '/ws/app/azuredeploy.parameters.dev.json': parameterFile({ floating: true }),
      '/ws/app/azuredeploy.parameters.prod.json': parameterFile({ floating: true }),
    }).analyze();
    assert.deepEqual(a.findings, []);
    assert.equal(a.evaluated, 2);
  });

  it('a deploymentParameters file with another name names its template in metadata.template (relative)', () => {
    const ws = workspace({
      '/ws/app/main.json': appTemplate({ vmCount: 1 }),
      // A second template in the folder: the folder convention cannot decide, metadata does.
      '/ws/app/other.json': appTemplate({ lb: 'ilb-other', vmCount: 1, prefix: 'other' }),
      '/ws/app/config/staging.json': parameterFile({ vmCount: 3 }, { metadata: { template: '../main.json' } }),
    });
    const a = ws.analyze();
    assert.equal(ws.role('/ws/app/config/staging.json'), 'armParameters');
    assert.equal(a.templates, 2);
    assert.equal(a.evaluated, 2, 'main.json with staging.json, other.json with its defaults');
    const main = only(findingsIn(a, '/ws/app/main.json'), 'main.json');
    assert.equal(main.facts.members, 3);
    assert.equal(main.facts.parameterSource, 'staging.json');
    assert.ok(main.message.endsWith('[with staging.json]'), main.message);
    const other = only(findingsIn(a, '/ws/app/other.json'), 'other.json');
    assert.equal(other.facts.members, 1);
    assert.equal(other.facts.parameterSource, undefined);
  });

  it('metadata.template beside the template (./name) also works', () => {
    const a = workspace({
      '/ws/app/main.json': appTemplate({ vmCount: 1 }),
      '/ws/app/other.json': appTemplate({ lb: 'ilb-other', vmCount: 1, prefix: 'other' }),
      '/ws/app/settings.json': parameterFile({ vmCount: 2 }, { metadata: { template: './other.json' } }),
    }).analyze();
    assert.equal(only(findingsIn(a, '/ws/app/other.json')).facts.members, 2);
    assert.equal(only(findingsIn(a, '/ws/app/other.json')).facts.parameterSource, 'settings.json');
    assert.equal(only(findingsIn(a, '/ws/app/main.json')).facts.members, 1);
  });

  it('folder convention: a parameter file beside the only template of its folder is that template’s', () => {
    const a = workspace({
      '/ws/solo/main.json': appTemplate({ vmCount: 1 }),
      '/ws/solo/values.json': parameterFile({ vmCount: 4 }),
    }).analyze();
    const f = only(a.findings);
    assert.equal(f.facts.members, 4);
    assert.equal(f.facts.parameterSource, 'values.json');
    assert.equal(a.templates, 1);
  });

  it('folder convention: two templates in the folder -> the parameter file targets neither', () => {
    const a = workspace({
      '/ws/duo/a.json': appTemplate({ vmCount: 1 }),
      '/ws/duo/b.json': appTemplate({ lb: 'ilb-b', vmCount: 1, prefix: 'b' }),
      '/ws/duo/values.json': parameterFile({ vmCount: 4 }),
    }).analyze();
    assert.equal(a.findings.length, 2);
    for (const f of a.findings) {
      assert.equal(f.facts.members, 1, 'defaults');
      assert.equal(f.facts.parameterSource, undefined);
    }
  });

  it('parameter names in the file match the template’s case-insensitively', () => {
    const a = workspace({
      '/ws/app/azuredeploy.json': appTemplate({ vmCount: 1 }),
      '/ws/app/azuredeploy.parameters.json': parameterFile({ VMCOUNT: 3 }),
    }).analyze();
    assert.equal(only(a.findings).facts.members, 3);
  });

  it(
    'azuredeploy.parameters.json without $schema (contentVersion + parameters) is still the template’s parameter file',
    () => {
      const ws = workspace({
        '/ws/app/azuredeploy.json': appTemplate({ vmCount: 1 }),
        '/ws/app/azuredeploy.parameters.json': JSON.stringify({ contentVersion: '1.0.0.0', parameters: { vmCount: { value: 3 } } }),
      });
      const f = only(ws.analyze().findings);
      assert.equal(f.facts.parameterSource, 'azuredeploy.parameters.json');
      assert.equal(f.facts.members, 3);
    },
  );

  it('a Key Vault reference (parameter without default) stays unknown', () => {
    const a = workspace({
      '/ws/kv/azuredeploy.json': appTemplate({}),
      '/ws/kv/azuredeploy.parameters.json': parameterFile(
        { floating: false },
        { raw: { vmCount: { reference: { keyVault: { id: '/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv' }, secretName: 'vmCount' } } } },
      ),
    }).analyze();
    const f = only(a.findings);
    assert.equal(f.facts.members, null, 'not guessed');
    assert.equal(f.facts.failureChance, null);
    assert.equal(f.facts.parameterSource, 'azuredeploy.parameters.json');
    assert.match(f.message, /an unknown number of members/);
    assert.match(f.message, /1 in N connections fail/);
  });

  it(
    'a Key Vault reference stays unknown even when the template has a default (the default is not the value)',
    () => {
      const a = workspace({
        '/ws/kv/azuredeploy.json': appTemplate({ vmCount: 2 }),
        '/ws/kv/azuredeploy.parameters.json': parameterFile(
          { floating: false },
          { raw: { vmCount: { reference: { keyVault: { id: '/subscriptions/0/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv' }, secretName: 'vmCount' } } } },
        ),
      }).analyze();
      const f = only(a.findings);
      assert.equal(f.facts.members, null, `the secret's value is not known; got ${f.facts.members}`);
    },
  );
});

// ------------------------------------------------------------------ 2. cross-file membership

describe('workspace: members in one template join a pool declared in another', () => {
  const A = '/ws/net/lb.json';
  const B = '/ws/vms/members.json';

  it('one finding in A whose related locations include B’s pool reference', () => {
    const bText = membersTemplate('lbA', ['b1', 'b2']);
    const a = workspace({ [A]: lbOnlyTemplate('lbA'), [B]: bText }).analyze();
    const f = only(a.findings);
    assert.equal(f.span.file, A);
    assert.equal(f.facts.loadBalancer, 'lbA');
    assert.equal(f.facts.members, 2);
    assert.match(f.message, /VM vm-b1, VM vm-b2/);
    const inB = f.related.filter((r) => r.span.file === B);
    assert.equal(inB.length, 2, f.related.map((r) => `${r.span.file}: ${r.message}`).join('\n'));
    for (const r of inB) {
      assert.match(r.message, /^member: VM vm-b[12]$/);
      assert.match(textAt(bText, r.span), /backendAddressPools', 'lbA', 'pool'/);
    }
    assert.ok(f.related.some((r) => r.span.file === A && /backend pool pool/.test(r.message)));
    assert.equal(a.templates, 2);
  });

  it('removeFile(B) makes the finding go; adding B back brings it; dropping the pool reference makes it go', () => {
    const ws = workspace({ [A]: lbOnlyTemplate('lbA'), [B]: membersTemplate('lbA', ['b1']) });
    assert.equal(ws.analyze().findings.length, 1);

    ws.removeFile(B);
    assert.equal(ws.has(B), false);
    const gone = ws.analyze();
    assert.deepEqual(gone.findings, []);
    assert.equal(gone.templates, 1);

    ws.setFile(B, membersTemplate('lbA', ['b1']));
    const back = ws.analyze();
    assert.equal(only(back.findings).span.file, A);
    assert.equal(back.evaluated, 1, 'only B is evaluated again');

    ws.setFile(B, membersTemplate('lbA', ['b1'], false));
    const dropped = ws.analyze();
    assert.deepEqual(dropped.findings, []);
    assert.equal(dropped.evaluated, 1);
  });

  it('A alone (no members anywhere) has no finding', () => {
    assert.deepEqual(workspace({ [A]: lbOnlyTemplate('lbA') }).analyze().findings, []);
  });

  it('a NIC joining another LB name does not join A', () => {
    assert.deepEqual(workspace({ [A]: lbOnlyTemplate('lbA'), [B]: membersTemplate('lbZ', ['b1']) }).analyze().findings, []);
  });
});

// ------------------------------------------------------------------ 3. no double counting

describe('workspace: two unrelated templates declaring the same load balancer ID', () => {
  const quickstart = (vms: number, prefix: string): string =>
    template({
      resources: [
        loadBalancer({ name: 'myLoadBalancer', frontendIp: '10.0.0.4' }),
        nic(`[concat('nic-${prefix}-', copyIndex())]`, [poolId('myLoadBalancer', 'be')], { copy: { name: 'nics', count: vms } }),
        vm(`[concat('vm-${prefix}-', copyIndex())]`, [nicIdOfCopy(`nic-${prefix}-`)], { copy: { name: 'vms', count: vms } }),
      ],
    });

  const check = (a: WorkspaceAnalysis): void => {
    assert.equal(a.findings.length, 2);
    const q1 = only(findingsIn(a, '/ws/q1/azuredeploy.json'), 'q1');
    const q2 = only(findingsIn(a, '/ws/q2/azuredeploy.json'), 'q2');
    assert.equal(q1.facts.members, 2);
    assert.equal(q2.facts.members, 3);
    assert.match(q1.message, /with 2 members \(VM vm-q1-0, VM vm-q1-1\)/);
    assert.match(q2.message, /with 3 members \(VM vm-q2-0, VM vm-q2-1, VM vm-q2-2\)/);
    assert.ok(q1.related.every((r) => r.span.file === '/ws/q1/azuredeploy.json'), 'q1 lists only its own places');
    assert.ok(q2.related.every((r) => r.span.file === '/ws/q2/azuredeploy.json'), 'q2 lists only its own places');
  };

  it('each finding counts only its own template’s members (defaults)', () => {
    check(workspace({ '/ws/q1/azuredeploy.json': quickstart(2, 'q1'), '/ws/q2/azuredeploy.json': quickstart(3, 'q2') }).analyze());
  });

  it('also when both have an azuredeploy.parameters.json (same environment, two deployments)', () => {
    const a = workspace({
      '/ws/q1/azuredeploy.json': quickstart(2, 'q1'),
      '/ws/q1/azuredeploy.parameters.json': parameterFile({}),
      '/ws/q2/azuredeploy.json': quickstart(3, 'q2'),
      '/ws/q2/azuredeploy.parameters.json': parameterFile({}),
    }).analyze();
    assert.deepEqual(a.graphs.map((g) => g.environment), ['default']);
    check(a);
  });
});

// ------------------------------------------------------------------ 4. environments

describe('workspace: environments', () => {
  const files = {
    '/ws/env/azuredeploy.json': appTemplate({ vmCount: 1 }),
    '/ws/env/azuredeploy.parameters.dev.json': parameterFile({ vmCount: 2 }),
    '/ws/env/azuredeploy.parameters.prod.json': parameterFile({ vmCount: 4 }),
  };

  it('one graph per environment with its own member count (dev 2, prod 4)', () => {
    const a = workspace(files).analyze();
    assert.deepEqual(a.graphs.map((g) => g.environment).sort(), ['dev', 'prod']);
    assert.equal(graphMembers(a, 'dev', 'ilb-app'), 2);
    assert.equal(graphMembers(a, 'prod', 'ilb-app'), 4);
    for (const { graph } of a.graphs) assert.equal(graph.loadBalancers.length, 1, 'one environment never sees the other’s deployment');
  });

  it('environments that differ give one finding each, naming its parameter file and its count', () => {
    const a = workspace(files).analyze();
    assert.equal(a.findings.length, 2);
    const dev = a.findings.find((f) => f.facts.parameterSource === 'azuredeploy.parameters.dev.json');
    const prod = a.findings.find((f) => f.facts.parameterSource === 'azuredeploy.parameters.prod.json');
    assert.match(dev?.message ?? '', /2 members.*\[with azuredeploy\.parameters\.dev\.json\]$/);
    assert.match(prod?.message ?? '', /4 members.*\[with azuredeploy\.parameters\.prod\.json\]$/);
  });

  it(
    'the merged finding states prod’s member count too (4), not only dev’s',
    () => {
      const a = workspace(files).analyze();
      for (const f of a.findings) {
        if (sources(f).includes('azuredeploy.parameters.prod.json')) {
          assert.ok(f.facts.members === 4 || /\b4 members\b/.test(f.message), `prod has 4 members: ${f.message}`);
        }
        if (sources(f).includes('azuredeploy.parameters.dev.json')) {
          assert.ok(f.facts.members === 2 || /\b2 members\b/.test(f.message), `dev has 2 members: ${f.message}`);
        }
      }
    },
  );

  it('with equal counts in both environments the merged finding is exact', () => {
    const a = workspace({ ...files, '/ws/env/azuredeploy.parameters.prod.json': parameterFile({ vmCount: 2 }) }).analyze();
    const f = only(a.findings);
    assert.equal(f.facts.members, 2);
    assert.deepEqual(sources(f).sort(), ['azuredeploy.parameters.dev.json', 'azuredeploy.parameters.prod.json']);
  });

  it('a template with no parameter file joins every environment (cross-file, members per environment)', () => {
    // The ILB has no parameter file; its members' template has dev (1 VM) and prod (3 VMs).
    const members = template({
      parameters: { vmCount: { type: 'int', defaultValue: 1 } },
      resources: [
        nic("[concat('nic-m-', copyIndex())]", [poolId('lbA', 'pool')], { copy: { name: 'nics', count: "[parameters('vmCount')]" } }),
        vm("[concat('vm-m-', copyIndex())]", [nicIdOfCopy('nic-m-')], { copy: { name: 'vms', count: "[parameters('vmCount')]" } }),
      ],
    });
    const a = workspace({
      '/ws/net/lb.json': lbOnlyTemplate('lbA'),
      '/ws/vms/members.json': members,
      '/ws/vms/members.parameters.dev.json': parameterFile({ vmCount: 1 }),
      '/ws/vms/members.parameters.prod.json': parameterFile({ vmCount: 3 }),
    }).analyze();
    assert.deepEqual(a.graphs.map((g) => g.environment).sort(), ['dev', 'prod']);
    assert.equal(graphMembers(a, 'dev', 'lbA'), 1);
    assert.equal(graphMembers(a, 'prod', 'lbA'), 3);
    assert.ok(a.findings.length >= 1);
    assert.ok(a.findings.every((f) => f.span.file === '/ws/net/lb.json'));
  });

  it(
    'cross-file: findings for the ILB tell each environment’s member count (dev 1, prod 3)',
    () => {
      const members = template({
        parameters: { vmCount: { type: 'int', defaultValue: 1 } },
        resources: [
          nic("[concat('nic-m-', copyIndex())]", [poolId('lbA', 'pool')], { copy: { name: 'nics', count: "[parameters('vmCount')]" } }),
          vm("[concat('vm-m-', copyIndex())]", [nicIdOfCopy('nic-m-')], { copy: { name: 'vms', count: "[parameters('vmCount')]" } }),
        ],
      });
      const a = workspace({
        '/ws/net/lb.json': lbOnlyTemplate('lbA'),
        '/ws/vms/members.json': members,
        '/ws/vms/members.parameters.dev.json': parameterFile({ vmCount: 1 }),
        '/ws/vms/members.parameters.prod.json': parameterFile({ vmCount: 3 }),
      }).analyze();
      const said = a.findings.map((f) => `${f.facts.members}:${f.message}`).join('\n');
      assert.ok(
        a.findings.some((f) => f.facts.members === 3 || /\b3 members\b/.test(f.message)),
        `prod's 3 members are reported somewhere:\n${said}`,
      );
    },
  );
  it(
    'members whose template has a plain .parameters.json meet an ILB evaluated per environment (dev, prod)',
    () => {
      const lbWithEnvs = template({
        parameters: { sku: { type: 'string', defaultValue: 'Standard' } },
        resources: [loadBalancer({ name: 'lbA', frontendIp: '10.0.0.100', pools: [{ name: 'pool' }], rules: [{ name: 'r', pools: ['pool'] }] })],
      });
      const a = workspace({
        '/ws/net/lb.json': lbWithEnvs,
        '/ws/net/lb.parameters.dev.json': parameterFile({ sku: 'Standard' }),
        '/ws/net/lb.parameters.prod.json': parameterFile({ sku: 'Standard' }),
        '/ws/vms/members.json': membersTemplate('lbA', ['b1']),
        '/ws/vms/members.parameters.json': parameterFile({}),
      }).analyze();
      const f = only(a.findings);
      assert.equal(f.span.file, '/ws/net/lb.json');
      assert.equal(f.facts.members, 1);
    },
  );

  it('the same without the plain parameter file: the members join both environments', () => {
    const a = workspace({
      '/ws/net/lb.json': lbOnlyTemplate('lbA'),
      '/ws/net/lb.parameters.dev.json': parameterFile({}),
      '/ws/net/lb.parameters.prod.json': parameterFile({}),
      '/ws/vms/members.json': membersTemplate('lbA', ['b1']),
    }).analyze();
    assert.equal(graphMembers(a, 'dev', 'lbA'), 1);
    assert.equal(graphMembers(a, 'prod', 'lbA'), 1);
    const f = only(a.findings);
    assert.deepEqual(sources(f).sort(), ['lb.parameters.dev.json', 'lb.parameters.prod.json']);
    assert.equal(f.facts.members, 1);
  });
});

// ------------------------------------------------------------------ 5. caching

describe('workspace: evaluations are cached by file versions', () => {
  const files = (): Record<string, string> => ({
    '/ws/net/lb.json': lbOnlyTemplate('lbA'),
    '/ws/vms/members.json': membersTemplate('lbA', ['b1']),
    '/ws/env/azuredeploy.json': appTemplate({ vmCount: 1 }),
    '/ws/env/azuredeploy.parameters.dev.json': parameterFile({ vmCount: 2 }),
    '/ws/env/azuredeploy.parameters.prod.json': parameterFile({ vmCount: 4 }),
  });

  it('first analyze evaluates every root; a second with no change evaluates none', () => {
    const ws = workspace(files());
    const first = ws.analyze();
    assert.equal(first.evaluated, 4, 'lb.json, members.json, azuredeploy.json x (dev, prod)');
    const second = ws.analyze();
    assert.equal(second.evaluated, 0);
    assert.equal(second.findings.length, first.findings.length);
    assert.deepEqual(
      second.findings.map((f) => f.message),
      first.findings.map((f) => f.message),
    );
  });

  it('setting a file to the same text is no change', () => {
    const ws = workspace(files());
    ws.analyze();
    for (const [p, t] of Object.entries(files())) ws.setFile(p, t);
    assert.equal(ws.analyze().evaluated, 0);
  });

  it('changing a template re-evaluates only the roots that read it', () => {
    const ws = workspace(files());
    ws.analyze();
    ws.setFile('/ws/env/azuredeploy.json', appTemplate({ vmCount: 7, floating: true }));
    const env = ws.analyze();
    assert.equal(env.evaluated, 2, 'the template is read by its dev and prod roots');
    assert.deepEqual(findingsIn(env, '/ws/env/azuredeploy.json'), [], 'the new default turns floating IP on (no file sets it)');
    assert.equal(graphMembers(env, 'prod', 'ilb-app'), 4, 'the file still sets the count, not the new default');

    ws.setFile('/ws/vms/members.json', membersTemplate('lbA', ['b1', 'b2']));
    const m = ws.analyze();
    assert.equal(m.evaluated, 1);
    assert.equal(only(findingsIn(m, '/ws/net/lb.json')).facts.members, 2, 'the cached lb.json meets the new members');

    ws.setFile('/ws/net/lb.json', lbOnlyTemplate('lbA').replace('10.0.0.100', '10.0.0.101'));
    const l = ws.analyze();
    assert.equal(l.evaluated, 1);
    assert.equal(only(findingsIn(l, '/ws/net/lb.json')).facts.frontendIp, '10.0.0.101');
  });

  it('changing a parameter file re-evaluates its template’s root only', () => {
    const ws = workspace(files());
    ws.analyze();
    ws.setFile('/ws/env/azuredeploy.parameters.prod.json', parameterFile({ vmCount: 5 }));
    const a = ws.analyze();
    assert.equal(a.evaluated, 1);
    assert.equal(graphMembers(a, 'prod', 'ilb-app'), 5);
    assert.equal(graphMembers(a, 'dev', 'ilb-app'), 2, 'dev comes from the cache, unchanged');
    assert.equal(ws.analyze().evaluated, 0);
  });

  it('adding and removing a parameter file changes the roots', () => {
    const ws = workspace({ '/ws/app/azuredeploy.json': appTemplate({ vmCount: 1 }) });
    assert.equal(ws.analyze().evaluated, 1);
    ws.setFile('/ws/app/azuredeploy.parameters.json', parameterFile({ vmCount: 3 }));
    const withFile = ws.analyze();
    assert.equal(withFile.evaluated, 1);
    assert.equal(only(withFile.findings).facts.members, 3);
    ws.removeFile('/ws/app/azuredeploy.parameters.json');
    const without = ws.analyze();
    assert.equal(without.evaluated, 1, 'back to the defaults');
    assert.equal(only(without.findings).facts.members, 1);
    assert.equal(only(without.findings).facts.parameterSource, undefined);
  });
});

// ------------------------------------------------------------------ 6. symbolic parameters

describe('workspace: parameters without a value are per deployment', () => {
  const lbByParam = template({
    parameters: { lbName: { type: 'string' } },
    resources: [loadBalancer({ name: "[parameters('lbName')]", frontendIp: '10.0.0.50', pools: [{ name: 'pool' }], rules: [{ name: 'r', pools: ['pool'] }] })],
  });
  const nicByParam = template({
    parameters: { lbName: { type: 'string' } },
    resources: [nic('nic-x', [poolId("[parameters('lbName')]", 'pool')]), vm('vm-x', [nicId('nic-x')])],
  });

  it('template A’s LB and template B’s NIC, both named by a parameter lbName without default, do not match', () => {
    const a = workspace({ '/ws/a/lb.json': lbByParam, '/ws/b/nic.json': nicByParam }).analyze();
    assert.deepEqual(a.findings, []);
    const lb = a.graphs[0]?.graph.loadBalancers[0];
    assert.ok(lb);
    assert.equal(lb.pools[0]?.members.length, 0);
  });

  it('within one template they do match', () => {
    const one = template({
      parameters: { lbName: { type: 'string' } },
      resources: [
        loadBalancer({ name: "[parameters('lbName')]", frontendIp: '10.0.0.50', pools: [{ name: 'pool' }], rules: [{ name: 'r', pools: ['pool'] }] }),
        nic('nic-x', [poolId("[parameters('lbName')]", 'pool')]),
        vm('vm-x', [nicId('nic-x')]),
      ],
    });
    const a = workspace({ '/ws/one/azuredeploy.json': one }).analyze();
    const f = only(a.findings);
    assert.equal(f.facts.members, 1);
    assert.match(f.message, /VM vm-x/);
  });

  it('two copies of that template in two folders each match only themselves', () => {
    const one = template({
      parameters: { lbName: { type: 'string' } },
      resources: [
        loadBalancer({ name: "[parameters('lbName')]", frontendIp: '10.0.0.50', pools: [{ name: 'pool' }], rules: [{ name: 'r', pools: ['pool'] }] }),
        nic('nic-x', [poolId("[parameters('lbName')]", 'pool')]),
      ],
    });
    const a = workspace({ '/ws/one/azuredeploy.json': one, '/ws/two/azuredeploy.json': one }).analyze();
    assert.equal(a.findings.length, 2);
    for (const f of a.findings) assert.equal(f.facts.members, 1);
  });

  it('once a parameter file gives both the same value, they do match', () => {
    const a = workspace({
      '/ws/a/lb.json': lbByParam,
      '/ws/a/lb.parameters.json': parameterFile({ lbName: 'lbShared' }),
      '/ws/b/nic.json': nicByParam,
      '/ws/b/nic.parameters.json': parameterFile({ lbName: 'lbShared' }),
    }).analyze();
    const f = only(a.findings);
    assert.equal(f.span.file, '/ws/a/lb.json');
    assert.equal(f.facts.loadBalancer, 'lbShared');
    assert.equal(f.facts.members, 1);
  });
});

// ------------------------------------------------------------------ 7. the CLI over a folder

describe('cli: a folder of templates with parameter files', () => {
  // The hairpin-prone findings (prod's floating IP without a loopback is floating-ip-without-loopback's).
  const hairpin = (r: ScanReport): ReportFinding[] => r.findings.filter((f) => f.ruleId === 'hairpin-prone-rule');
  const byFile = (r: ScanReport, file: string): ReportFinding[] => hairpin(r).filter((f) => f.file === file);

  it('scanPaths: parameterSource, template counts, no parameter file as template or parse error', () => {
    const r = scanPaths(['.'], CLI_FIXTURE);
    assert.deepEqual(r.scanned, { files: 7, templates: 4 });
    assert.deepEqual(r.parseErrors, []);
    assert.deepEqual(r.readErrors, []);

    const app = byFile(r, 'app/azuredeploy.json');
    assert.equal(app.length, 1, 'prod sets floating IP on: only dev is prone');
    assert.equal(app[0]?.parameterSource, 'azuredeploy.parameters.dev.json');
    assert.equal(app[0]?.members, 2);
    assert.ok(app[0]?.message.endsWith('[with azuredeploy.parameters.dev.json]'));

    const solo = byFile(r, 'solo/main.json');
    assert.equal(solo.length, 1);
    assert.equal(solo[0]?.parameterSource, 'values.json');
    assert.equal(solo[0]?.members, 3);

    const shared = byFile(r, 'net/ilb.json');
    assert.equal(shared.length, 1);
    assert.equal(shared[0]?.members, 1);
    assert.equal(shared[0]?.parameterSource, undefined);
    assert.ok(shared[0]?.related.some((rel) => rel.file === 'vms/members.json' && /VM vm-sql-0/.test(rel.message)));

    assert.equal(hairpin(r).length, 3);
    assert.deepEqual(
      r.findings.filter((f) => f.ruleId !== 'hairpin-prone-rule').map((f) => [f.ruleId, f.file, f.parameterSource]),
      [['floating-ip-without-loopback', 'app/azuredeploy.json', 'azuredeploy.parameters.prod.json']],
    );
    const paramFile = /parameters|values\.json/;
    for (const f of r.findings) {
      assert.ok(!paramFile.test(f.file), f.file);
      for (const rel of f.related) assert.ok(!paramFile.test(rel.file), rel.file);
    }
    assert.ok(r.loadBalancers.every((lb) => !paramFile.test(lb.file)));
    assert.deepEqual(r.loadBalancers.map((lb) => lb.file).sort(), ['app/azuredeploy.json', 'net/ilb.json', 'solo/main.json']);
  });

  it('runCli --format json prints the same report and exits 1', () => {
    let stdout = '';
    let stderr = '';
    const code = runCli(['scan', '--format', 'json'], { cwd: CLI_FIXTURE, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    assert.equal(code, 1);
    assert.equal(stderr, '');
    const report = JSON.parse(stdout) as ScanReport;
    assert.deepEqual(report.scanned, { files: 7, templates: 4 });
    assert.deepEqual(report.parseErrors, []);
    assert.deepEqual(
      hairpin(report).map((f) => [f.file, f.parameterSource ?? null, f.members]),
      [
        ['app/azuredeploy.json', 'azuredeploy.parameters.dev.json', 2],
        ['net/ilb.json', null, 1],
        ['solo/main.json', 'values.json', 3],
      ],
    );
    assert.deepEqual(report, JSON.parse(JSON.stringify(scanPaths(['.'], CLI_FIXTURE))));
  });

  it('text output counts templates, not parameter files', () => {
    let stdout = '';
    runCli(['scan', '.'], { cwd: CLI_FIXTURE, stdout: (s) => (stdout += s), stderr: () => undefined });
    assert.match(stdout, /3 hairpin-prone rules in 3 files, 1 floating-ip-without-loopback; 4 templates in 7 files scanned\.\n$/);
    assert.ok(!/error parse/.test(stdout), stdout);
  });
});

describe('a Bicep module whose ARM target declares nothing the graph reads', () => {
  it('is said not to be evaluated (and why), never to be missing from the workspace', () => {
    const ws = new Workspace();
    ws.setFile('/w/child/storage.json', template({ resources: [{ type: 'Microsoft.Storage/storageAccounts', apiVersion: '2023-01-01', name: 'st', location: 'x' }] }));
    ws.setFile('/w/main.bicep', "module st './child/storage.json' = {\n  name: 'st'\n}\n");
    const notes = ws.analyze().problems.map((p) => p.message);
    assert.ok(notes.some((m) => /Module '\.\/child\/storage\.json' is not evaluated: it declares no load balancer/.test(m)), notes.join('\n'));
    assert.ok(!notes.some((m) => /not in the workspace/.test(m)), notes.join('\n'));
  });
});

describe('an ARM linked template that declares nothing the graph reads', () => {
  it('is said not to be evaluated (and why), never to be missing from the workspace', () => {
    const ws = new Workspace();
    ws.setFile('/w/nested/storage.json', template({ resources: [{ type: 'Microsoft.Storage/storageAccounts', apiVersion: '2023-01-01', name: 'st', location: 'x' }] }));
    ws.setFile(
      '/w/main.json',
      template({
        resources: [
          { type: 'Microsoft.Resources/deployments', apiVersion: '2022-09-01', name: 'st', properties: { mode: 'Incremental', templateLink: { relativePath: 'nested/storage.json' } } },
        ],
      }),
    );
    const notes = ws.analyze().problems.map((p) => p.message);
    assert.ok(notes.some((m) => /Linked template nested\/storage\.json is not evaluated: it declares no load balancer/.test(m)), notes.join('\n'));
    assert.ok(!notes.some((m) => /not in the workspace/.test(m)), notes.join('\n'));
  });
});

describe('a linked template or module that is in the workspace but is no template', () => {
  const link = (rel: string, parameters?: Record<string, unknown>): string =>
    template({
      resources: [
        loadBalancer({ name: 'ilb-x', frontendIp: '10.0.0.10' }),
        { type: 'Microsoft.Resources/deployments', apiVersion: '2022-09-01', name: 'vms', properties: { mode: 'Incremental', templateLink: { relativePath: rel }, ...(parameters ? { parameters } : {}) } },
      ],
    });

  it('a JSON file without a deployment-template $schema: said so, never "not in the workspace"; pool references passed to it count as members of unknown number', () => {
    const ws = new Workspace();
    ws.setFile('/w/nested/vms.json', JSON.stringify({ resources: [{ type: 'Microsoft.Network/networkInterfaces', name: 'nic' }] }));
    ws.setFile('/w/main.json', link('nested/vms.json', { poolIds: { value: [{ id: poolId('ilb-x', 'be') }] }, nic: { value: { loadBalancerBackendAddressPools: [{ id: poolId('ilb-x', 'be') }] } } }));
    const a = ws.analyze();
    const notes = a.problems.map((p) => p.message);
    assert.ok(notes.some((m) => m === 'Linked template nested/vms.json is not evaluated: it is not a deployment template (its $schema does not name deploymentTemplate.json); its resources, members and outputs are unknown.'), notes.join('\n'));
    assert.ok(!notes.some((m) => /not in the workspace/.test(m)), notes.join('\n'));
    const f = a.findings.find((x) => x.ruleId === 'hairpin-prone-rule');
    assert.ok(f, 'the pool reference passed to it is a member of unknown number');
    assert.equal(f.facts.members, null);
    assert.match(f.message, /is not evaluated: it is not a deployment template/);
  });

  it('a parameter file named as the linked template', () => {
    const ws = new Workspace();
    ws.setFile('/w/nested/vms.parameters.json', JSON.stringify({ $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#', contentVersion: '1.0.0.0', parameters: {} }));
    ws.setFile('/w/main.json', link('nested/vms.parameters.json'));
    const notes = ws.analyze().problems.map((p) => p.message);
    assert.ok(notes.some((m) => /Linked template nested\/vms\.parameters\.json is not evaluated: it is a parameter file, not a template/.test(m)), notes.join('\n'));
    assert.ok(!notes.some((m) => /not in the workspace/.test(m)), notes.join('\n'));
  });

  it('a Bicep module whose target is a JSON file that is no template', () => {
    const ws = new Workspace();
    ws.setFile('/w/child/data.json', JSON.stringify({ values: [1, 2] }));
    ws.setFile('/w/main.bicep', "module d './child/data.json' = {\n  name: 'd'\n}\n");
    const notes = ws.analyze().problems.map((p) => p.message);
    assert.ok(notes.some((m) => /Module '\.\/child\/data\.json' is not evaluated: it is not a deployment template/.test(m)), notes.join('\n'));
    assert.ok(!notes.some((m) => /not in the workspace/.test(m)), notes.join('\n'));
  });

  it('a file that is really missing is still said to be missing', () => {
    const ws = new Workspace();
    ws.setFile('/w/main.json', link('nested/gone.json'));
    const notes = ws.analyze().problems.map((p) => p.message);
    assert.ok(notes.some((m) => /Linked template nested\/gone\.json is not in the workspace/.test(m)), notes.join('\n'));
  });
});
