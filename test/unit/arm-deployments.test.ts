/**
 * Nested and linked ARM deployments (`Microsoft.Resources/deployments`): inline templates in the
 * outer and inner expression scopes, copy loops of deployments, `reference()` of a deployment's
 * outputs, linked templates by `relativePath`, `uri()`, `_artifactsLocation` and https URLs,
 * missing links, cycles, the evaluation cache, and deployments to another resource group.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { scanPaths } from '../../src/cli/main';
import type { EvaluationProblem } from '../../src/core/evaluate/resources';
import { ruleSite, type Finding } from '../../src/core/rules/types';
import { Workspace, type WorkspaceAnalysis } from '../../src/core/workspace';
import { REPO_ROOT, loadBalancer, nic, poolId, template, textAt, vm } from './helpers';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'deployments');

// ------------------------------------------------------------------ builders

const nicIdOfCopy = (prefix: string): string => `[resourceId('Microsoft.Network/networkInterfaces', concat(${prefix}, copyIndex()))]`;

/**
 * `count` NICs (named `<prefix><i>`) in the pool whose ID is given, each attached to a VM
 * (`vm-<prefix><i>`). `prefix` and `count` are template values: expressions or literals.
 */
function members(opts: { prefix: string; pool: string; count: number | string; loop?: string }): Record<string, unknown>[] {
  const loop = opts.loop ?? 'nics';
  const prefix = opts.prefix.startsWith('[') ? opts.prefix.slice(1, -1) : `'${opts.prefix}'`;
  return [
    nic(`[concat(${prefix}, copyIndex())]`, [opts.pool], { copy: { name: loop, count: opts.count } }),
    vm(`[concat('vm-', ${prefix}, copyIndex())]`, [nicIdOfCopy(prefix)], { copy: { name: `${loop}-vms`, count: opts.count } }),
  ];
}

/** A `Microsoft.Resources/deployments` resource. */
function deployment(name: string, properties: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'Microsoft.Resources/deployments', apiVersion: '2022-09-01', name, ...extra, properties: { mode: 'Incremental', ...properties } };
}

/** An inline template object (not text) for `properties.template`. */
function inline(parts: Parameters<typeof template>[0]): Record<string, unknown> {
  return JSON.parse(template(parts)) as Record<string, unknown>;
}

/** `{ name: { value } }` for a deployment's `parameters`. */
function values(v: Record<string, unknown>): Record<string, { value: unknown }> {
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, { value: x }]));
}

const inner = { expressionEvaluationOptions: { scope: 'inner' } };

function workspace(files: Record<string, string>): Workspace {
  const ws = new Workspace();
  for (const [p, text] of Object.entries(files)) ws.setFile(p, text);
  return ws;
}

const show = (fs: Finding[]): string => fs.map((f) => `${f.span.file}: ${f.message}`).join('\n') || '(none)';

function only(findings: Finding[], what = 'findings'): Finding {
  assert.equal(findings.length, 1, `one finding expected in ${what}, got:\n${show(findings)}`);
  return findings[0] as Finding;
}

/** Findings at the rule itself (not the copies shown at a linking deployment). */
const direct = (a: WorkspaceAnalysis): Finding[] => a.findings.filter((f) => f.facts.viaModule === undefined);
const viaModule = (a: WorkspaceAnalysis): Finding[] => a.findings.filter((f) => f.facts.viaModule !== undefined);
const inFile = (a: WorkspaceAnalysis, file: string): Finding[] => a.findings.filter((f) => f.span.file === file);
const problemText = (ps: EvaluationProblem[]): string => ps.map((p) => `${p.severity}: ${p.message}`).join('\n') || '(none)';

const LB = 'ilb-app';
const POOL = poolId(LB, 'be');

// ------------------------------------------------------------------ 1. inline, outer scope

describe('nested deployment, inline template, outer scope (the default)', () => {
  it('LB in the parent, NICs in the nested template in a copy loop of the parent’s parameter -> members = that count', () => {
    const text = template({
      parameters: { vmCount: { type: 'int', defaultValue: 3 } },
      variables: { lbName: LB, prefix: 'nic-web-' },
      resources: [
        loadBalancer({ name: "[variables('lbName')]", frontendIp: '10.0.0.10' }),
        deployment('vms', {
          template: inline({
            resources: members({ prefix: "[variables('prefix')]", pool: poolId("[variables('lbName')]", 'be'), count: "[parameters('vmCount')]" }),
          }),
        }),
      ],
    });
    const a = workspace({ '/ws/app/azuredeploy.json': text }).analyze();
    const f = only(a.findings);
    assert.equal(f.span.file, '/ws/app/azuredeploy.json');
    assert.equal(f.facts.loadBalancer, LB);
    assert.equal(f.facts.members, 3);
    assert.equal(f.facts.viaModule, undefined, 'an inline template is no module');
    assert.match(f.message, /with 3 members \(VM vm-nic-web-0, VM vm-nic-web-1, VM vm-nic-web-2\)/);
    assert.equal(a.templates, 1);
  });

  it('the parent’s parameter file sets the count the nested NICs use', () => {
    const text = template({
      parameters: { vmCount: { type: 'int', defaultValue: 3 } },
      resources: [
        loadBalancer({ name: LB, frontendIp: '10.0.0.10' }),
        deployment('vms', { template: inline({ resources: members({ prefix: 'nic-', pool: POOL, count: "[parameters('vmCount')]" }) }) }),
      ],
    });
    const a = workspace({
      '/ws/app/azuredeploy.json': text,
      '/ws/app/azuredeploy.parameters.json': JSON.stringify({ contentVersion: '1.0.0.0', parameters: { vmCount: { value: 5 } } }),
    }).analyze();
    assert.equal(only(a.findings).facts.members, 5);
  });

  it('the reverse: LB in the nested template, NICs (copy of 2) in the parent', () => {
    const text = template({
      parameters: { lbName: { type: 'string', defaultValue: LB } },
      resources: [
        deployment('network', {
          template: inline({ resources: [loadBalancer({ name: "[parameters('lbName')]", frontendIp: '10.0.0.20' })] }),
        }),
        ...members({ prefix: 'nic-', pool: poolId("[parameters('lbName')]", 'be'), count: 2 }),
      ],
    });
    const a = workspace({ '/ws/app/azuredeploy.json': text }).analyze();
    const f = only(a.findings);
    assert.equal(f.span.file, '/ws/app/azuredeploy.json');
    assert.equal(f.facts.frontendIp, '10.0.0.20');
    assert.equal(f.facts.members, 2);
    assert.match(f.message, /VM vm-nic-0, VM vm-nic-1/);
    assert.match(textAt(text, f.span), /"rule"/, 'the finding sits on the rule inside the nested template');
  });

  it('nested in a nested template (outer in outer) still sees the parent’s parameters', () => {
    const text = template({
      parameters: { n: { type: 'int', defaultValue: 4 } },
      resources: [
        loadBalancer({ name: LB, frontendIp: '10.0.0.10' }),
        deployment('level1', {
          template: inline({
            resources: [deployment('level2', { template: inline({ resources: members({ prefix: 'nic-', pool: POOL, count: "[parameters('n')]" }) }) })],
          }),
        }),
      ],
    });
    assert.equal(only(workspace({ '/ws/app/azuredeploy.json': text }).analyze().findings).facts.members, 4);
  });
});

// ------------------------------------------------------------------ 2. inline, inner scope

describe('nested deployment, inline template, inner scope', () => {
  /** The nested template: its own parameters (lbName without default, count default 5) and variables. */
  const innerTemplate = (extraVariables: Record<string, unknown> = {}): Record<string, unknown> =>
    inline({
      parameters: { lbName: { type: 'string' }, count: { type: 'int', defaultValue: 5 }, prefix: { type: 'string', defaultValue: 'nic-inner-' } },
      variables: { poolId: poolId("[parameters('lbName')]", 'be'), ...extraVariables },
      resources: members({ prefix: "[parameters('prefix')]", pool: "[variables('poolId')]", count: "[parameters('count')]" }),
    });

  it('parameters passed in (lbName from the parent’s variable, count 2) beat the nested defaults', () => {
    const text = template({
      variables: { lb: LB },
      resources: [
        loadBalancer({ name: "[variables('lb')]", frontendIp: '10.0.0.10' }),
        deployment('vms', { ...inner, parameters: values({ lbName: "[variables('lb')]", count: 2 }), template: innerTemplate() }),
      ],
    });
    const f = only(workspace({ '/ws/app/azuredeploy.json': text }).analyze().findings);
    assert.equal(f.facts.members, 2, 'the value passed in, not the default 5');
    assert.match(f.message, /VM vm-nic-inner-0, VM vm-nic-inner-1\)/);
  });

  it('a parameter not passed takes the nested template’s default (count 5)', () => {
    const text = template({
      variables: { lb: LB },
      resources: [
        loadBalancer({ name: "[variables('lb')]", frontendIp: '10.0.0.10' }),
        deployment('vms', { ...inner, parameters: values({ lbName: "[variables('lb')]" }), template: innerTemplate() }),
      ],
    });
    assert.equal(only(workspace({ '/ws/app/azuredeploy.json': text }).analyze().findings).facts.members, 5);
  });

  it('inner scope: the nested template’s variables are its own (a same-named parent variable is not seen)', () => {
    // The parent's variable `lb` names ilb-app; the nested template's own `lb` names another LB.
    const nested = inline({
      variables: { lb: 'ilb-elsewhere' },
      resources: members({ prefix: 'nic-', pool: poolId("[variables('lb')]", 'be'), count: 2 }),
    });
    const text = template({
      variables: { lb: LB },
      resources: [loadBalancer({ name: "[variables('lb')]", frontendIp: '10.0.0.10' }), deployment('vms', { ...inner, template: nested })],
    });
    assert.deepEqual(workspace({ '/ws/app/azuredeploy.json': text }).analyze().findings, []);
  });

  it('outer scope with the same nested template: the parent’s variable is used (and joins)', () => {
    const nested = inline({ resources: members({ prefix: 'nic-', pool: poolId("[variables('lb')]", 'be'), count: 2 }) });
    const text = template({
      variables: { lb: LB },
      resources: [
        loadBalancer({ name: "[variables('lb')]", frontendIp: '10.0.0.10' }),
        deployment('vms', { expressionEvaluationOptions: { scope: 'outer' }, template: nested }),
      ],
    });
    assert.equal(only(workspace({ '/ws/app/azuredeploy.json': text }).analyze().findings).facts.members, 2);
  });

  it('a deployment in a copy loop (count 2), parameters using copyIndex(): each iteration’s NICs count (1 + 2 = 3)', () => {
    const text = template({
      variables: { lb: LB },
      resources: [
        loadBalancer({ name: "[variables('lb')]", frontendIp: '10.0.0.10' }),
        deployment(
          "[concat('node', copyIndex())]",
          {
            ...inner,
            parameters: values({
              lbName: "[variables('lb')]",
              count: '[add(copyIndex(), 1)]',
              prefix: "[concat('nic-node', copyIndex(), '-')]",
            }),
            template: innerTemplate(),
          },
          { copy: { name: 'nodes', count: 2 } },
        ),
      ],
    });
    const f = only(workspace({ '/ws/app/azuredeploy.json': text }).analyze().findings);
    assert.equal(f.facts.members, 3);
    assert.match(f.message, /VM vm-nic-node0-0, VM vm-nic-node1-0, VM vm-nic-node1-1\)/);
  });

  it('SQL AlwaysOn shape: NICs created without a pool, then re-declared per node by a nested deployment in a copy loop', () => {
    // The nested template only updates each NIC to add the pool (as the SQL AlwaysOn and RDS templates do).
    const updateNic = inline({
      parameters: { nicName: { type: 'string' }, poolId: { type: 'string' } },
      resources: [nic("[parameters('nicName')]", ["[parameters('poolId')]"])],
    });
    const text = template({
      parameters: { nodes: { type: 'int', defaultValue: 2 } },
      variables: { lb: 'sqlLoadBalancer', nicPrefix: 'sqlnic' },
      resources: [
        loadBalancer({ name: "[variables('lb')]", frontendIp: '10.0.1.100', rules: [{ name: 'SQLAlwaysOnEndPointListener', port: 1433 }] }),
        nic("[concat(variables('nicPrefix'), copyIndex())]", [], { copy: { name: 'nicLoop', count: "[parameters('nodes')]" } }),
        vm("[concat('sqlvm', copyIndex())]", [nicIdOfCopy("variables('nicPrefix')")], { copy: { name: 'vmLoop', count: "[parameters('nodes')]" } }),
        deployment(
          "[concat('UpdateSqlNic', copyIndex())]",
          {
            ...inner,
            parameters: values({ nicName: "[concat(variables('nicPrefix'), copyIndex())]", poolId: poolId("[variables('lb')]", 'be') }),
            template: updateNic,
          },
          { copy: { name: 'updateLoop', count: "[parameters('nodes')]" } },
        ),
      ],
    });
    const f = only(workspace({ '/ws/sql/azuredeploy.json': text }).analyze().findings);
    assert.equal(f.facts.lbRule, 'SQLAlwaysOnEndPointListener');
    assert.equal(f.facts.members, 2);
    assert.match(f.message, /VM sqlvm0, VM sqlvm1\)/);
  });
});

// ------------------------------------------------------------------ 3. reference() of outputs

describe('reference() of a nested deployment’s outputs', () => {
  /** `lbDeploy` declares the LB and outputs its pool ID; `vmsDeploy` gets it through `poolRef`. */
  const withReference = (poolRef: string, vmsFirst: boolean): string => {
    const lbDeploy = deployment('lbDeploy', {
      ...inner,
      template: inline({
        resources: [loadBalancer({ name: LB, frontendIp: '10.0.0.30' })],
        outputs: { poolId: { type: 'string', value: POOL } },
      }),
    });
    const vmsDeploy = deployment(
      'vmsDeploy',
      {
        ...inner,
        parameters: values({ poolId: poolRef }),
        template: inline({ parameters: { poolId: { type: 'string' } }, resources: members({ prefix: 'nic-', pool: "[parameters('poolId')]", count: 2 }) }),
      },
      { dependsOn: ["[resourceId('Microsoft.Resources/deployments', 'lbDeploy')]"] },
    );
    return template({ resources: vmsFirst ? [vmsDeploy, lbDeploy] : [lbDeploy, vmsDeploy] });
  };

  for (const [label, ref] of [
    ["reference('lbDeploy')", "[reference('lbDeploy').outputs.poolId.value]"],
    ["reference(resourceId('Microsoft.Resources/deployments', 'lbDeploy'))", "[reference(resourceId('Microsoft.Resources/deployments', 'lbDeploy')).outputs.poolId.value]"],
    ["reference('lbDeploy', '2022-09-01')", "[reference('lbDeploy', '2022-09-01').outputs.poolId.value]"],
  ] as const) {
    for (const vmsFirst of [false, true]) {
      it(`${label}.outputs.poolId.value passes the pool ID to the other deployment’s NICs (${vmsFirst ? 'reader declared first' : 'declared in order'})`, () => {
        const a = workspace({ '/ws/app/azuredeploy.json': withReference(ref, vmsFirst) }).analyze();
        const f = only(a.findings);
        assert.equal(f.facts.frontendIp, '10.0.0.30');
        assert.equal(f.facts.members, 2);
        assert.match(f.message, /VM vm-nic-0, VM vm-nic-1\)/);
      });
    }
  }

  it('an output that does not exist gives no pool ID, no finding and no crash', () => {
    const a = workspace({ '/ws/app/azuredeploy.json': withReference("[reference('lbDeploy').outputs.nothing.value]", false) }).analyze();
    assert.deepEqual(a.findings, []);
  });

  it('reference() of a deployment that is not declared here stays unknown (no match, no crash)', () => {
    const a = workspace({ '/ws/app/azuredeploy.json': withReference("[reference('elsewhere').outputs.poolId.value]", false) }).analyze();
    assert.deepEqual(a.findings, []);
  });

  it("reference(..., 'Full').properties.outputs.poolId.value (the full resource shape) passes the pool ID too", {
  }, () => {
    const ref = "[reference(resourceId('Microsoft.Resources/deployments', 'lbDeploy'), '2022-09-01', 'Full').properties.outputs.poolId.value]";
    const f = only(workspace({ '/ws/app/azuredeploy.json': withReference(ref, false) }).analyze().findings);
    assert.equal(f.facts.members, 2);
  });

  it('the outputs of an outer-scope nested template (evaluated in the parent) serve reference() too', () => {
    const text = template({
      parameters: { lbName: { type: 'string', defaultValue: LB } },
      resources: [
        deployment('lbDeploy', {
          template: inline({
            resources: [loadBalancer({ name: "[parameters('lbName')]", frontendIp: '10.0.0.31' })],
            outputs: { poolId: { type: 'string', value: poolId("[parameters('lbName')]", 'be') } },
          }),
        }),
        deployment('vmsDeploy', {
          ...inner,
          parameters: values({ poolId: "[reference('lbDeploy').outputs.poolId.value]" }),
          template: inline({ parameters: { poolId: { type: 'string' } }, resources: members({ prefix: 'nic-', pool: "[parameters('poolId')]", count: 3 }) }),
        }),
      ],
    });
    const f = only(workspace({ '/ws/app/azuredeploy.json': text }).analyze().findings);
    assert.equal(f.facts.frontendIp, '10.0.0.31');
    assert.equal(f.facts.members, 3);
  });

  it('linked to linked: one linked template’s output (the pool ID) feeds another linked template’s NICs', () => {
    const mainText = template({
      resources: [
        deployment('net', { templateLink: { relativePath: 'nested/net.json' } }),
        deployment('vms', { templateLink: { relativePath: 'nested/vms.json' }, parameters: values({ poolId: "[reference('net').outputs.poolId.value]", vmCount: 2 }) }),
      ],
    });
    const net = template({ resources: [loadBalancer({ name: 'ilb-net', frontendIp: '10.0.0.32' })], outputs: { poolId: { type: 'string', value: poolId('ilb-net', 'be') } } });
    const a = workspace({ [MAIN]: mainText, '/ws/app/nested/net.json': net, [VMS]: vmsTemplate() }).analyze();
    assert.deepEqual(direct(a), [], 'reported once, at the linking deployment');
    const via = only(viaModule(a));
    assert.equal(ruleSite(via).file, '/ws/app/nested/net.json');
    assert.equal(via.facts.members, 2, 'the caller’s 2, and the vms.json default pool (ilb-app) is never used');
    assert.equal(via.facts.viaModule, 'net');
    assert.equal(via.span.file, MAIN);
    assert.equal(a.templates, 1);
  });
});

// ------------------------------------------------------------------ 4. linked templates

const MAIN = '/ws/app/azuredeploy.json';
const VMS = '/ws/app/nested/vms.json';
const LINKED_LB = '/ws/app/nested/lb.json';

/** The linked members' template: defaults that would give 5 members in ilb-app if read alone. */
const vmsTemplate = (countExpr = "[parameters('vmCount')]"): string =>
  template({
    parameters: { poolId: { type: 'string', defaultValue: POOL }, vmCount: { type: 'int', defaultValue: 5 } },
    resources: members({ prefix: 'nic-linked-', pool: "[parameters('poolId')]", count: countExpr }),
  });

/** A linked template with its own ILB (frontend 10.0.0.40) and `count` members (default 7). */
const lbTemplate = template({
  parameters: { count: { type: 'int', defaultValue: 7 } },
  resources: [loadBalancer({ name: 'ilb-linked', frontendIp: '10.0.0.40' }), ...members({ prefix: 'nic-l-', pool: poolId('ilb-linked', 'be'), count: "[parameters('count')]" })],
});

interface LinkForm {
  label: string;
  /** `templateLink` for a target `nested/<file>`. */
  link: (file: string) => Record<string, unknown>;
  parameters?: Record<string, unknown>;
}

const ARTIFACTS_SAS = { type: 'securestring', defaultValue: '' };

const LINK_FORMS: LinkForm[] = [
  { label: "relativePath 'nested/<file>'", link: (f) => ({ relativePath: `nested/${f}` }) },
  { label: "uri(deployment().properties.templateLink.uri, 'nested/<file>')", link: (f) => ({ uri: `[uri(deployment().properties.templateLink.uri, 'nested/${f}')]` }) },
  {
    label: "uri(parameters('_artifactsLocation'), concat('nested/<file>', sas)) with _artifactsLocation = deployment().properties.templateLink.uri",
    link: (f) => ({ uri: `[uri(parameters('_artifactsLocation'), concat('nested/${f}', parameters('_artifactsLocationSasToken')))]` }),
    parameters: { _artifactsLocation: { type: 'string', defaultValue: '[deployment().properties.templateLink.uri]' }, _artifactsLocationSasToken: ARTIFACTS_SAS },
  },
  {
    label: "concat(parameters('_artifactsLocation'), 'nested/<file>', sas) with _artifactsLocation = deployment().properties.templateLink.uri",
    link: (f) => ({ uri: `[concat(parameters('_artifactsLocation'), 'nested/${f}', parameters('_artifactsLocationSasToken'))]` }),
    parameters: { _artifactsLocation: { type: 'string', defaultValue: '[deployment().properties.templateLink.uri]' }, _artifactsLocationSasToken: ARTIFACTS_SAS },
  },
  {
    label: "concat(parameters('_artifactsLocation'), 'nested/<file>', sas) with no default for _artifactsLocation",
    link: (f) => ({ uri: `[concat(parameters('_artifactsLocation'), 'nested/${f}', parameters('_artifactsLocationSasToken'))]` }),
    parameters: { _artifactsLocation: { type: 'string' }, _artifactsLocationSasToken: ARTIFACTS_SAS },
  },
  {
    label: "concat(parameters('_artifactsLocation'), 'nested/<file>', sas) with no default for either",
    link: (f) => ({ uri: `[concat(parameters('_artifactsLocation'), 'nested/${f}', parameters('_artifactsLocationSasToken'))]` }),
    parameters: { _artifactsLocation: { type: 'string' }, _artifactsLocationSasToken: { type: 'securestring' } },
  },
  {
    label: "concat(parameters('_artifactsLocation'), 'nested/<file>') with a GitHub folder default",
    link: (f) => ({ uri: `[concat(parameters('_artifactsLocation'), 'nested/${f}')]` }),
    parameters: { _artifactsLocation: { type: 'string', defaultValue: 'https://raw.githubusercontent.com/org/repo/main/app/' } },
  },
  { label: 'an https URL naming the workspace file', link: (f) => ({ uri: `https://raw.githubusercontent.com/org/repo/main/app/nested/${f}` }) },
  { label: 'a file:// URL of the workspace file', link: (f) => ({ uri: `file:///ws/app/nested/${f}` }) },
];

/** The main template: `ilb-app` here, its 2 members in nested/vms.json through deployment `linkedVms`. */
const mainWithLinkedMembers = (form: LinkForm, vmCount = 2): string =>
  template({
    ...(form.parameters ? { parameters: form.parameters } : {}),
    resources: [
      loadBalancer({ name: LB, frontendIp: '10.0.0.10' }),
      deployment('linkedVms', { templateLink: { ...form.link('vms.json'), contentVersion: '1.0.0.0' }, parameters: values({ poolId: POOL, vmCount }) }),
    ],
  });

/** The main template linking nested/lb.json (through deployment `linkedLb`) with count 3. */
const mainWithLinkedLb = (form: LinkForm): string =>
  template({
    ...(form.parameters ? { parameters: form.parameters } : {}),
    resources: [deployment('linkedLb', { templateLink: form.link('lb.json'), parameters: values({ count: 3 }) })],
  });

describe('linked templates', () => {
  for (const form of LINK_FORMS) {
    describe(form.label, () => {
      it('members in the linked template: one finding, in the LB’s file, with the count passed (2, not the linked default 5)', () => {
        const ws = workspace({ [MAIN]: mainWithLinkedMembers(form), [VMS]: vmsTemplate() });
        const a = ws.analyze();
        const f = only(a.findings);
        assert.equal(f.span.file, MAIN);
        assert.equal(f.facts.members, 2);
        assert.match(f.message, /VM vm-nic-linked-0, VM vm-nic-linked-1\)/);
        assert.ok(
          f.related.some((r) => r.span.file === VMS && /^member: /.test(r.message)),
          `a related location in the linked file: ${f.related.map((r) => `${r.span.file}: ${r.message}`).join(' | ')}`,
        );
        assert.equal(a.evaluated, 1, 'the linked template is evaluated through its caller only');
        assert.equal(a.templates, 1, 'the linked template is no root of its own');
        assert.ok(!a.problems.some((p) => /not in the workspace/.test(p.message)), problemText(a.problems));
      });

      it('a rule inside the linked template: reported once (count passed, 3), at the linking deployment’s name, the rule as related information', () => {
        const mainText = mainWithLinkedLb(form);
        const a = workspace({ [MAIN]: mainText, [LINKED_LB]: lbTemplate }).analyze();
        assert.deepEqual(direct(a), [], 'not a second time in the linked template');
        const via = only(viaModule(a), 'the linking deployment');
        assert.equal(via.related[0]?.span.file, LINKED_LB, 'the rule in the linked template comes first among the related locations');
        assert.equal(via.facts.members, 3, 'the caller’s 3, not the linked default 7');
        assert.equal(via.span.file, MAIN);
        assert.equal(textAt(mainText, via.span), '"linkedLb"');
        assert.equal(via.facts.viaModule, 'linkedLb');
        assert.equal(via.facts.members, 3);
        assert.ok(via.message.startsWith('Through module linkedLb (lb.json): Hairpin-prone'), via.message);
        assert.ok(via.related.some((r) => r.span.file === LINKED_LB && r.message === 'the rule in lb.json'));
      });
    });
  }

  it('the linked template read alone would have a different count: no second finding from its defaults', () => {
    // With vmCount 0 from the caller there are no members at all; the linked default (5) is never used.
    const a = workspace({ [MAIN]: mainWithLinkedMembers(LINK_FORMS[0] as LinkForm, 0), [VMS]: vmsTemplate() }).analyze();
    assert.deepEqual(a.findings, [], show(a.findings));
  });

  it('a template linked by two callers is evaluated once per caller, with each caller’s values', () => {
    const other = template({
      resources: [
        loadBalancer({ name: 'ilb-other', frontendIp: '10.0.0.11' }),
        deployment('linkedVms', { templateLink: { relativePath: '../app/nested/vms.json' }, parameters: values({ poolId: poolId('ilb-other', 'be'), vmCount: 4 }) }),
      ],
    });
    const a = workspace({ [MAIN]: mainWithLinkedMembers(LINK_FORMS[0] as LinkForm), [VMS]: vmsTemplate(), '/ws/other/azuredeploy.json': other }).analyze();
    assert.equal(a.findings.length, 2, show(a.findings));
    assert.equal(only(inFile(a, MAIN)).facts.members, 2);
    assert.equal(only(inFile(a, '/ws/other/azuredeploy.json')).facts.members, 4);
    assert.equal(a.evaluated, 2);
  });

  it('a linked template that also has its own parameter file: the caller’s finding keeps the caller’s count, the default is never used', () => {
    const a = workspace({
      [MAIN]: mainWithLinkedLb(LINK_FORMS[0] as LinkForm),
      [LINKED_LB]: lbTemplate,
      '/ws/app/nested/lb.parameters.json': JSON.stringify({ contentVersion: '1.0.0.0', parameters: { count: { value: 4 } } }),
    }).analyze();
    assert.equal(only(viaModule(a)).facts.members, 3, show(a.findings));
    const counts = a.findings.map((f) => f.facts.members);
    assert.ok(counts.includes(3), show(a.findings));
    assert.ok(counts.every((n) => n === 3 || n === 4), `the caller’s 3 or the parameter file’s 4, never the default 7: ${counts.join(', ')}`);
    assert.ok(a.findings.every((f) => ruleSite(f).file === LINKED_LB));
  });

  it(
    'a linked members template that also has its own parameter file: the same NICs are not counted twice',
    () => {
      const a = workspace({
        [MAIN]: template({
          resources: [loadBalancer({ name: LB, frontendIp: '10.0.0.10' }), deployment('vms', { templateLink: { relativePath: 'nested/vms.json' }, parameters: values({ vmCount: 2 }) })],
        }),
        [VMS]: vmsTemplate(),
        '/ws/app/nested/vms.parameters.json': JSON.stringify({ contentVersion: '1.0.0.0', parameters: { vmCount: { value: 3 } } }),
      }).analyze();
      const f = only(a.findings);
      assert.ok(!/ x2\b/.test(f.message), f.message);
      assert.ok(f.facts.members === 2 || f.facts.members === 3, `2 (the caller) or 3 (all distinct NICs), got ${f.facts.members}`);
    },
  );

  it(
    'parametersLink: the linked template gets the values of the parameter file it names',
    () => {
      const mainText = template({
        resources: [
          loadBalancer({ name: LB, frontendIp: '10.0.0.10' }),
          deployment('vms', {
            templateLink: { relativePath: 'nested/vms.json' },
            parametersLink: { uri: "[uri(deployment().properties.templateLink.uri, 'nested/vms.values.json')]" },
          }),
        ],
      });
      const a = workspace({
        [MAIN]: mainText,
        [VMS]: vmsTemplate(),
        // Not named <template>.parameters.json, and two templates in its folder: no template is its by convention.
        '/ws/app/nested/vms.values.json': JSON.stringify({
          $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#',
          contentVersion: '1.0.0.0',
          parameters: { vmCount: { value: 2 } },
        }),
        [LINKED_LB]: lbTemplate,
      }).analyze();
      assert.equal(only(inFile(a, MAIN)).facts.members, 2);
    },
  );

  it('a linked template nested two levels deep: the outermost caller’s name carries the finding', () => {
    const middle = template({
      parameters: { count: { type: 'int' } },
      resources: [deployment('inner', { templateLink: { relativePath: 'lb.json' }, parameters: values({ count: "[parameters('count')]" }) })],
    });
    const mainText = template({ resources: [deployment('outer', { templateLink: { relativePath: 'nested/middle.json' }, parameters: values({ count: 2 }) })] });
    const a = workspace({ [MAIN]: mainText, '/ws/app/nested/middle.json': middle, [LINKED_LB]: lbTemplate }).analyze();
    assert.deepEqual(direct(a), []);
    const via = only(viaModule(a));
    assert.equal(via.facts.members, 2);
    assert.equal(ruleSite(via).file, LINKED_LB);
    assert.equal(via.span.file, MAIN);
    assert.equal(via.facts.viaModule, 'outer');
    assert.equal(a.evaluated, 1);
  });
});

// ------------------------------------------------------------------ 5. a linked template not in the workspace

describe('a linked template that is not in the workspace', () => {
  const mainText = (link: Record<string, unknown>): string =>
    template({
      resources: [
        loadBalancer({ name: LB, frontendIp: '10.0.0.10' }),
        deployment('missingVms', {
          templateLink: link,
          parameters: values({
            vmCount: 2,
            ipConfig: { name: 'ipconfig1', properties: { loadBalancerBackendAddressPools: [{ id: POOL }] } },
          }),
        }),
      ],
    });

  for (const [label, link, shown] of [
    ['relativePath', { relativePath: 'nested/missing.json' }, 'nested/missing.json'],
    ['https uri', { uri: 'https://example.com/templates/missing.json' }, 'https://example.com/templates/missing.json'],
  ] as const) {
    it(`${label}: no crash, an info problem naming the link, the pool reference passed to it is a member of unknown number`, () => {
      const a = workspace({ [MAIN]: mainText(link) }).analyze();
      const missing = a.problems.filter((p) => p.message.includes(shown));
      assert.equal(missing.length, 1, problemText(a.problems));
      assert.equal(missing[0]?.severity, 'info');
      assert.equal(missing[0]?.span.file, MAIN);
      assert.match(missing[0]?.message ?? '', /not in the workspace/);
      const f = only(a.findings);
      assert.equal(f.span.file, MAIN);
      assert.equal(f.facts.members, null);
      assert.equal(f.facts.failureChance, null);
      assert.match(f.message, /an unknown number of members/);
      assert.match(f.message, /module missingVms \(.*missing\.json\), whose template is not read/);
      assert.match(f.message, /not read/);
    });
  }

  it('no pool reference in the parameters: no finding, still the info problem', () => {
    const text = template({
      resources: [loadBalancer({ name: LB, frontendIp: '10.0.0.10' }), deployment('missingVms', { templateLink: { relativePath: 'nested/missing.json' }, parameters: values({ vmCount: 2 }) })],
    });
    const a = workspace({ [MAIN]: text }).analyze();
    assert.deepEqual(a.findings, []);
    assert.ok(a.problems.some((p) => p.severity === 'info' && p.message.includes('nested/missing.json')), problemText(a.problems));
  });

  it(
    'a template spec (templateLink.id): the info problem names the template spec',
    () => {
      const text = template({
        resources: [
          loadBalancer({ name: LB, frontendIp: '10.0.0.10' }),
          deployment('fromSpec', {
            templateLink: { id: "[resourceId('Microsoft.Resources/templateSpecs/versions', 'webSpec', '1.0')]" },
            parameters: values({ ipConfig: { name: 'ipconfig1', properties: { loadBalancerBackendAddressPools: [{ id: POOL }] } } }),
          }),
        ],
      });
      const a = workspace({ [MAIN]: text }).analyze();
      assert.equal(only(a.findings).facts.members, null);
      const p = a.problems.find((x) => x.severity === 'info' && /not in the workspace/.test(x.message));
      assert.ok(p, problemText(a.problems));
      assert.match(p.message, /webSpec/);
    },
  );

  it('a templateLink whose uri cannot be evaluated (unknown base, no file name): no crash, an info problem', () => {
    const text = template({
      parameters: { templateUri: { type: 'string' } },
      resources: [loadBalancer({ name: LB, frontendIp: '10.0.0.10' }), deployment('d', { templateLink: { uri: "[parameters('templateUri')]" } })],
    });
    const a = workspace({ [MAIN]: text }).analyze();
    assert.deepEqual(a.findings, []);
    assert.ok(a.problems.some((p) => p.severity === 'info' && /not in the workspace/.test(p.message)), problemText(a.problems));
  });
});

// ------------------------------------------------------------------ 6. cycles

describe('linked templates that link each other', () => {
  const A = '/ws/cycle/a.json';
  const B = '/ws/cycle/b.json';
  const aText = template({
    resources: [loadBalancer({ name: LB, frontendIp: '10.0.0.10' }), deployment('toB', { templateLink: { relativePath: 'b.json' } })],
  });
  const bText = template({
    resources: [...members({ prefix: 'nic-b-', pool: POOL, count: 2 }), deployment('toA', { templateLink: { relativePath: 'a.json' } })],
  });

  it('a -> b -> a: no hang, a problem about the cycle, a finding at a.json’s rule with the 2 members of b.json', () => {
    const a = workspace({ [A]: aText, [B]: bText }).analyze();
    assert.ok(a.problems.some((p) => /links back to itself/.test(p.message)), problemText(a.problems));
    assert.ok(
      direct(a).some((f) => f.span.file === A && f.facts.members === 2),
      show(a.findings),
    );
  });

  it(
    'a -> b -> a: the rule is reported once, its pool listed once and its members counted once',
    () => {
      const a = workspace({ [A]: aText, [B]: bText }).analyze();
      const here = direct(a);
      assert.equal(here.length, 1, show(a.findings));
      assert.equal(here[0]?.span.file, A);
      assert.equal(here[0]?.facts.members, 2, show(here));
      assert.match(here[0]?.message ?? '', /sends to pool be with 2 members/);
    },
  );

  it('a -> a (a template linking itself): no hang, a problem, the finding once', () => {
    const self = template({
      resources: [
        loadBalancer({ name: LB, frontendIp: '10.0.0.10' }),
        ...members({ prefix: 'nic-', pool: POOL, count: 1 }),
        deployment('again', { templateLink: { relativePath: 'self.json' } }),
      ],
    });
    const a = workspace({ '/ws/cycle/self.json': self }).analyze();
    assert.ok(a.problems.some((p) => /links back to itself/.test(p.message)), problemText(a.problems));
    assert.equal(only(direct(a)).facts.members, 1);
  });

  it('a -> b -> c -> a with a caller outside the cycle: no hang, one finding', () => {
    const c = template({ resources: [deployment('toA', { templateLink: { relativePath: 'a.json' } })] });
    const b2 = template({
      resources: [...members({ prefix: 'nic-b-', pool: POOL, count: 2 }), deployment('toC', { templateLink: { relativePath: 'c.json' } })],
    });
    const top = template({ resources: [deployment('start', { templateLink: { relativePath: 'a.json' } })] });
    const a = workspace({ [A]: aText, [B]: b2, '/ws/cycle/c.json': c, '/ws/cycle/top.json': top }).analyze();
    assert.ok(a.problems.some((p) => /links back to itself/.test(p.message)), problemText(a.problems));
    const here = a.findings;
    assert.equal(here.length, 1, show(a.findings));
    assert.equal(here[0]?.facts.members, 2);
    assert.equal(a.templates, 1, 'only top.json is a root');
  });
});

// ------------------------------------------------------------------ 7. caching

describe('linked templates and the evaluation cache', () => {
  const form = LINK_FORMS[0] as LinkForm;

  it('editing the linked template re-evaluates its caller’s root and changes the finding', () => {
    const ws = workspace({ [MAIN]: mainWithLinkedMembers(form), [VMS]: vmsTemplate() });
    assert.equal(only(ws.analyze().findings).facts.members, 2);
    assert.equal(ws.analyze().evaluated, 0, 'nothing changed');

    ws.setFile(VMS, vmsTemplate("[add(parameters('vmCount'), 1)]"));
    const edited = ws.analyze();
    assert.ok(edited.evaluated > 0, 'the caller is evaluated again');
    assert.equal(edited.evaluated, 1);
    assert.equal(only(edited.findings).facts.members, 3);

    ws.setFile(VMS, template({ resources: [] }));
    const emptied = ws.analyze();
    assert.equal(emptied.evaluated, 1);
    assert.deepEqual(emptied.findings, []);
  });

  it('adding the missing linked template later makes the finding appear; removing it makes it go', () => {
    // The caller passes only the LB name: without the linked file nothing refers to the pool.
    const mainText = template({
      resources: [
        loadBalancer({ name: LB, frontendIp: '10.0.0.10' }),
        deployment('linkedVms', { templateLink: { relativePath: 'nested/byname.json' }, parameters: values({ lbName: LB }) }),
      ],
    });
    const linked = template({
      parameters: { lbName: { type: 'string' } },
      resources: members({ prefix: 'nic-', pool: poolId("[parameters('lbName')]", 'be'), count: 2 }),
    });
    const ws = workspace({ [MAIN]: mainText });
    const before = ws.analyze();
    assert.deepEqual(before.findings, []);
    assert.ok(before.problems.some((p) => p.message.includes('nested/byname.json')), problemText(before.problems));

    ws.setFile('/ws/app/nested/byname.json', linked);
    const added = ws.analyze();
    assert.ok(added.evaluated > 0);
    assert.equal(only(added.findings).facts.members, 2);
    assert.ok(!added.problems.some((p) => p.message.includes('nested/byname.json')), problemText(added.problems));
    assert.equal(added.templates, 1);

    ws.removeFile('/ws/app/nested/byname.json');
    const removed = ws.analyze();
    assert.ok(removed.evaluated > 0);
    assert.deepEqual(removed.findings, []);
  });

  it('an unrelated file’s edit does not re-evaluate the caller', () => {
    const ws = workspace({ [MAIN]: mainWithLinkedMembers(form), [VMS]: vmsTemplate(), '/ws/other/lb.json': template({ resources: [loadBalancer({ name: 'x' })] }) });
    ws.analyze();
    ws.setFile('/ws/other/lb.json', template({ resources: [loadBalancer({ name: 'y' })] }));
    assert.equal(ws.analyze().evaluated, 1, 'only other/lb.json');
  });
});

// ------------------------------------------------------------------ 8. another resource group

describe('a deployment to another resource group (`resourceGroup` on the deployment)', () => {
  /** The LB as deployed to other-rg, its own references written explicitly for that group. */
  const otherRgLb = loadBalancer({ name: 'lb', frontendIp: '10.0.0.50' });
  const qualify = (v: unknown): unknown => JSON.parse(JSON.stringify(v).replace(/\[resourceId\('Microsoft.Network\/loadBalancers/g, "[resourceId('other-rg', 'Microsoft.Network/loadBalancers"));

  const parentWith = (scope: 'inner' | 'outer', poolRef: string, lb: unknown = otherRgLb): string =>
    template({
      resources: [
        deployment('network', { expressionEvaluationOptions: { scope }, template: inline({ resources: [lb] }) }, { resourceGroup: 'other-rg' }),
        ...members({ prefix: 'nic-', pool: poolRef, count: 2 }),
      ],
    });

  it('inner scope: its resources’ IDs are in other-rg (the LB’s own resourceId() calls evaluate there)', () => {
    const a = workspace({ [MAIN]: parentWith('inner', POOL.replace('ilb-app', 'lb')) }).analyze();
    const lb = a.graphs[0]?.graph.loadBalancers.find((l) => l.name === 'lb');
    assert.ok(lb, 'the LB is in the graph');
    assert.match(String(lb.key), /\/resourcegroups\/other-rg\/providers\/microsoft\.network\/loadbalancers\/lb$/);
  });

  it('inner scope: a NIC here referencing resourceId(pool, lb, be) (this group) does not join the LB in other-rg', () => {
    const a = workspace({ [MAIN]: parentWith('inner', poolId('lb', 'be')) }).analyze();
    assert.deepEqual(a.findings, [], show(a.findings));
  });

  it('inner scope: a NIC referencing resourceId(\'other-rg\', pool, lb, be) joins it', () => {
    const a = workspace({ [MAIN]: parentWith('inner', "[resourceId('other-rg', 'Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'be')]") }).analyze();
    const f = only(a.findings);
    assert.equal(f.facts.members, 2);
    assert.equal(f.facts.frontendIp, '10.0.0.50');
  });

  it('inner scope with resourceGroup from a parameter: the same', () => {
    const text = template({
      parameters: { netRg: { type: 'string', defaultValue: 'other-rg' } },
      resources: [
        deployment('network', { ...inner, template: inline({ resources: [otherRgLb] }) }, { resourceGroup: "[parameters('netRg')]" }),
        ...members({ prefix: 'nic-', pool: "[resourceId(parameters('netRg'), 'Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'be')]", count: 2 }),
        ...members({ prefix: 'nic-here-', pool: poolId('lb', 'be'), count: 1, loop: 'here' }),
      ],
    });
    const f = only(workspace({ [MAIN]: text }).analyze().findings);
    assert.equal(f.facts.members, 2, 'only the NICs that name other-rg');
  });

  it('subscriptionId + resourceGroup: only a reference naming both joins', () => {
    const text = template({
      resources: [
        deployment('network', { ...inner, template: inline({ resources: [otherRgLb] }) }, { subscriptionId: 'sub-2', resourceGroup: 'rg-2' }),
        ...members({ prefix: 'nic-both-', pool: "[resourceId('sub-2', 'rg-2', 'Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'be')]", count: 2, loop: 'both' }),
        ...members({ prefix: 'nic-rg-', pool: "[resourceId('rg-2', 'Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'be')]", count: 1, loop: 'rg' }),
        ...members({ prefix: 'nic-here-', pool: poolId('lb', 'be'), count: 1, loop: 'here' }),
      ],
    });
    const f = only(workspace({ [MAIN]: text }).analyze().findings);
    assert.equal(f.facts.members, 2);
    assert.match(f.message, /VM vm-nic-both-0, VM vm-nic-both-1\)/);
  });

  it('a linked template deployed to other-rg: its LB is in other-rg', () => {
    const linked = template({ resources: [otherRgLb] });
    const text = template({
      resources: [
        deployment('network', { templateLink: { relativePath: 'nested/net.json' } }, { resourceGroup: 'other-rg' }),
        ...members({ prefix: 'nic-', pool: poolId('lb', 'be'), count: 1, loop: 'here' }),
        ...members({ prefix: 'nic-o-', pool: "[resourceId('other-rg', 'Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'be')]", count: 2 }),
      ],
    });
    const a = workspace({ [MAIN]: text, '/ws/app/nested/net.json': linked }).analyze();
    const f = only(a.findings);
    assert.equal(ruleSite(f).file, '/ws/app/nested/net.json');
    assert.equal(f.facts.members, 2);
  });


  it('outer scope (the default): the resources’ IDs are in other-rg', () => {
    const a = workspace({ [MAIN]: parentWith('outer', poolId('lb', 'be'), qualify(otherRgLb)) }).analyze();
    const lb = a.graphs[0]?.graph.loadBalancers.find((l) => l.name === 'lb');
    assert.ok(lb, 'the LB is in the graph');
    assert.match(String(lb.key), /\/resourcegroups\/other-rg\/providers\/microsoft\.network\/loadbalancers\/lb$/);
  });

  it('outer scope: a NIC naming this group’s pool does not join the LB deployed to other-rg', () => {
    // Outer scope evaluates the nested template's expressions in the parent, but ARM still deploys
    // its resources to the deployment's resource group (so the LB's own references name other-rg).
    const a = workspace({ [MAIN]: parentWith('outer', poolId('lb', 'be'), qualify(otherRgLb)) }).analyze();
    const lb = a.graphs[0]?.graph.loadBalancers.find((l) => l.name === 'lb');
    assert.ok(lb);
    assert.deepEqual(
      lb.pools.map((p) => p.members.length),
      [0],
      'the NICs reference a pool of this resource group, not the LB’s',
    );
    assert.deepEqual(a.findings, [], show(a.findings));
  });

  it('outer scope: a NIC referencing resourceId(\'other-rg\', pool, lb, be) joins the LB deployed there', () => {
    const a = workspace({
      [MAIN]: parentWith('outer', "[resourceId('other-rg', 'Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'be')]", qualify(otherRgLb)),
    }).analyze();
    assert.equal(only(a.findings).facts.members, 2);
  });
});

// ------------------------------------------------------------------ the CLI over a folder with a linked template

describe('cli: a folder with a main template and its linked templates', () => {
  const root = path.join(FIXTURES, 'linked');

  it('reports the LB’s finding once with the caller’s count, the linked rule at the deployment name, no parse errors', () => {
    const r = scanPaths(['.'], root);
    assert.deepEqual(r.parseErrors, []);
    assert.deepEqual(r.readErrors, []);
    assert.equal(r.scanned.files, 3);
    const summary = r.findings.map((f) => [f.file, f.loadBalancer, f.members, f.message.startsWith('Through module') ? 'via' : 'direct']);
    assert.deepEqual(
      summary.sort((x, y) => String(x).localeCompare(String(y))),
      [
        ['app/azuredeploy.json', 'ilb-app', 2, 'direct'],
        // Once per (rule, deployment): the linked rule at the linking deployment only.
        ['app/azuredeploy.json', 'ilb-linked', 3, 'via'],
      ],
      JSON.stringify(r.findings.map((f) => f.message), null, 1),
    );
  });
});
