import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { evaluateArmTemplate, type ArmEvaluationOptions, type TemplateEvaluation } from '../../src/core/evaluate/arm-evaluator';
import { idKey } from '../../src/core/evaluate/resources';
import { Unknown, getPath, type Value } from '../../src/core/evaluate/value';
import { parseArm } from '../../src/core/parse/arm';
import { SourceFile } from '../../src/core/source';
import { assertUnknown, template } from './helpers';
import { forgetOrigin, propertySpan, setOrigin, spanOf } from '../../src/core/evaluate/origin';

type Parts = Parameters<typeof template>[0];

function evaluate(text: string, options: ArmEvaluationOptions = {}): TemplateEvaluation {
  return evaluateArmTemplate(parseArm(new SourceFile('/virtual/t.json', text)), options);
}

/** Evaluates `expr` (a template string such as "[concat('a')]") as an output of a template. */
function value(expr: Value, parts: Parts = {}, options: ArmEvaluationOptions = {}): { v: Value; problems: string[] } {
  const ev = evaluate(template({ ...parts, outputs: { ...(parts.outputs ?? {}), result: { type: 'object', value: expr } } }), options);
  const v = ev.outputs()['result'] as Value;
  return { v, problems: ev.problems.map((p) => p.message) };
}

const storage = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'Microsoft.Storage/storageAccounts',
  apiVersion: '2023-01-01',
  name,
  location: 'westeurope',
  ...extra,
});

describe('parameters', () => {
  const parameters = {
    prefix: { type: 'string', defaultValue: 'web' },
    name: { type: 'string', defaultValue: "[concat(parameters('prefix'), '-lb')]" },
    noDefault: { type: 'string' },
  };

  it('defaults are used when no value is supplied', () => {
    assert.equal(value("[parameters('prefix')]", { parameters }).v, 'web');
  });

  it('a default may refer to another parameter', () => {
    assert.equal(value("[parameters('name')]", { parameters }).v, 'web-lb');
  });

  it('supplied values win over defaults, matched case-insensitively, also inside other defaults', () => {
    const opts = { parameters: { PREFIX: 'api' } };
    assert.equal(value("[parameters('prefix')]", { parameters }, opts).v, 'api');
    assert.equal(value("[parameters('Name')]", { parameters }, opts).v, 'api-lb');
  });

  it('parameter names in templates are case-insensitive', () => {
    assert.equal(value("[parameters('PREFIX')]", { parameters }).v, 'web');
  });

  it('a parameter without a default or value is a symbolic Unknown naming it', () => {
    const u = assertUnknown(value("[parameters('noDefault')]", { parameters }).v, 'noDefault', 'no value');
    assert.equal(u.text, "parameters('noDefault')");
    assert.ok(u.symbol, 'two uses of the same parameter are the same value');
  });

  it('an undeclared parameter is Unknown and says so', () => {
    assertUnknown(value("[parameters('nope')]", { parameters }).v, 'not declared');
  });

  it('a default that refers to itself is Unknown with a problem', () => {
    const r = value("[parameters('p')]", { parameters: { p: { type: 'string', defaultValue: "[concat(parameters('p'), 'x')]" } } });
    assert.ok(r.v instanceof Unknown);
    assert.ok(r.problems.some((m) => m.includes("'p'") && /itself/.test(m)), r.problems.join('\n'));
  });
});

describe('variables', () => {
  it('nested objects and arrays with expressions inside are evaluated, names case-insensitive', () => {
    const variables = { Net: { inner: { list: ['a', "[concat('b', variables('SUFFIX'))]"] } }, suffix: '!' };
    assert.equal(value("[variables('net').inner.list[1]]", { variables }).v, 'b!');
    assert.equal(value("[variables('NET')['Inner'].list[0]]", { variables }).v, 'a');
  });

  it('are lazy: a variable nobody reads is never evaluated (its problems do not appear)', () => {
    const variables = { used: 'x', selfish: "[variables('selfish')]", copy: [{ name: 'huge', count: 100000, input: 'y' }] };
    const unused = value("[variables('used')]", { variables });
    assert.equal(unused.v, 'x');
    assert.deepEqual(unused.problems, []);
    // The same variables, read: each now reports its problem.
    const read = value("[createArray(variables('selfish'), length(variables('huge')))]", { variables });
    assert.ok(read.problems.some((m) => /selfish/.test(m)), read.problems.join('\n'));
    assert.ok(read.problems.some((m) => /800/.test(m)), read.problems.join('\n'));
  });

  it('a cycle through other variables is Unknown with exactly one problem naming the variable', () => {
    const variables = { a: "[variables('b')]", b: "[concat(variables('c'), '-x')]", c: "[variables('a')]" };
    const ev = evaluate(template({ variables, resources: [storage("[variables('a')]"), storage("[variables('b')]")] }));
    for (const r of ev.resources) assert.ok(r.name instanceof Unknown, 'names on the cycle are unknown');
    const cycleProblems = ev.problems.filter((p) => /refers to itself/.test(p.message));
    assert.equal(cycleProblems.length, 1, ev.problems.map((p) => p.message).join('\n'));
    assert.match(cycleProblems[0]!.message, /Variable '(a|b|c)'/);
  });

  it('an undeclared variable is Unknown and names it', () => {
    assertUnknown(value("[variables('missing')]").v, 'missing', 'not declared');
  });

  it('a variable copy block builds an array with copyIndex(name, offset)', () => {
    const variables = {
      copy: [
        { name: 'names', count: 3, input: "[concat('nic-', copyIndex('names', 1))]" },
        { name: 'objs', count: "[length(variables('names'))]", input: { i: "[copyIndex('objs')]", n: "[variables('names')[copyIndex('objs')]]" } },
      ],
    };
    assert.deepEqual(value("[variables('names')]", { variables }).v, ['nic-1', 'nic-2', 'nic-3']);
    assert.deepEqual(value("[variables('objs')]", { variables }).v, [
      { i: 0, n: 'nic-1' },
      { i: 1, n: 'nic-2' },
      { i: 2, n: 'nic-3' },
    ]);
  });
});

describe('resource copy loops', () => {
  it('count from an expression; copyIndex() with offset and with the loop name in any case', () => {
    const ev = evaluate(
      template({
        parameters: { n: { type: 'int', defaultValue: 2 } },
        resources: [
          storage("[concat('st', copyIndex(10))]", {
            copy: { name: 'stLoop', count: "[add(parameters('n'), 1)]" },
            properties: { i: "[copyIndex('stloop')]", j: "[copyIndex('STLOOP', 5)]" },
          }),
        ],
      }),
    );
    assert.deepEqual(
      ev.resources.map((r) => r.name),
      ['st10', 'st11', 'st12'],
    );
    assert.deepEqual(
      ev.resources.map((r) => r.body()['properties']),
      [
        { i: 0, j: 5 },
        { i: 1, j: 6 },
        { i: 2, j: 7 },
      ],
    );
    assert.deepEqual(
      ev.resources.map((r) => r.copy),
      [0, 1, 2].map((index) => ({ loopName: 'stloop', index, countKnown: true })),
    );
  });

  it('a count given as a numeric string is a number', () => {
    const ev = evaluate(template({ resources: [storage("[concat('s', copyIndex())]", { copy: { name: 'l', count: "[string(2)]" } })] }));
    assert.equal(ev.resources.length, 2);
  });

  it('count 100000 is clamped to 800 with a problem stating ARM\'s limit', () => {
    const ev = evaluate(template({ resources: [storage("[concat('s', copyIndex())]", { copy: { name: 'l', count: 100000 } })] }));
    assert.equal(ev.resources.length, 800);
    assert.equal(ev.problems.length, 1);
    assert.match(ev.problems[0]!.message, /100000/);
    assert.match(ev.problems[0]!.message, /at most 800/);
  });

  it('a negative count gives no instances and a problem', () => {
    const ev = evaluate(template({ resources: [storage("[concat('s', copyIndex())]", { copy: { name: 'l', count: -3 } })] }));
    assert.equal(ev.resources.length, 0);
    assert.equal(ev.problems.length, 1);
    assert.match(ev.problems[0]!.message, /-3/);
  });

  it('an unknown count gives one stand-in instance whose index is unknown', () => {
    const ev = evaluate(
      template({
        parameters: { n: { type: 'int' } },
        resources: [storage("[concat('s', copyIndex())]", { copy: { name: 'l', count: "[parameters('n')]" } })],
      }),
    );
    assert.equal(ev.resources.length, 1);
    const r = ev.resources[0]!;
    assert.equal(r.copy?.countKnown, false);
    assert.ok(r.copy?.index instanceof Unknown);
    assertUnknown(r.name, 'count');
    assert.equal((r.name as Unknown).text, "[concat('s', copyIndex())]", 'the name keeps its source text');
  });

  it('copyIndex() outside a loop is Unknown', () => {
    assertUnknown(value('[copyIndex()]').v, 'outside');
    assertUnknown(value("[copyIndex('nope')]").v, 'nope');
  });
});

describe('property copy', () => {
  it('builds the named array from input, with copyIndex(name)', () => {
    const ev = evaluate(
      template({
        resources: [
          storage('s', {
            properties: {
              keep: true,
              copy: [{ name: 'disks', count: 3, input: { lun: "[copyIndex('disks')]", name: "[concat('d', copyIndex('disks', 1))]" } }],
            },
          }),
        ],
      }),
    );
    assert.deepEqual(ev.resources[0]!.body()['properties'], {
      keep: true,
      disks: [
        { lun: 0, name: 'd1' },
        { lun: 1, name: 'd2' },
        { lun: 2, name: 'd3' },
      ],
    });
  });

  it("copyIndex() without a name inside a property copy is the resource loop's index", () => {
    const ev = evaluate(
      template({
        resources: [
          storage("[concat('s', copyIndex())]", {
            copy: { name: 'accounts', count: 2 },
            properties: { copy: [{ name: 'subnets', count: 2, input: { name: "[format('sub-{0}-{1}', copyIndex(), copyIndex('subnets'))]" } }] },
          }),
        ],
      }),
    );
    assert.deepEqual(
      ev.resources.map((r) => getPath(r.body(), 'properties', 'subnets')),
      [
        [{ name: 'sub-0-0' }, { name: 'sub-0-1' }],
        [{ name: 'sub-1-0' }, { name: 'sub-1-1' }],
      ],
    );
  });

  it('an unknown count makes the array Unknown', () => {
    const ev = evaluate(
      template({
        parameters: { n: { type: 'int' } },
        resources: [storage('s', { properties: { copy: [{ name: 'items', count: "[parameters('n')]", input: { a: 1 } }] } })],
      }),
    );
    assertUnknown(getPath(ev.resources[0]!.body(), 'properties', 'items'), 'items');
  });
});

describe('child resources', () => {
  it('nested (short type and name) and top-level (full type, name lb/pool) give the same full type and name', () => {
    const ev = evaluate(
      template({
        resources: [
          {
            type: 'Microsoft.Network/loadBalancers',
            apiVersion: '2023-09-01',
            name: 'lb',
            resources: [
              { type: 'backendAddressPools', apiVersion: '2023-09-01', name: 'nested' },
              { type: 'Microsoft.Network/loadBalancers/backendAddressPools', apiVersion: '2023-09-01', name: 'lb/nestedFull' },
            ],
          },
          { type: 'Microsoft.Network/loadBalancers/backendAddressPools', apiVersion: '2023-09-01', name: 'lb/top' },
        ],
      }),
    );
    assert.deepEqual(
      ev.resources.map((r) => [r.type, r.name]),
      [
        ['Microsoft.Network/loadBalancers', 'lb'],
        ['Microsoft.Network/loadBalancers/backendAddressPools', 'lb/nested'],
        ['Microsoft.Network/loadBalancers/backendAddressPools', 'lb/nestedFull'],
        ['Microsoft.Network/loadBalancers/backendAddressPools', 'lb/top'],
      ],
    );
    const nested = ev.resources[1]!;
    assert.equal(nested.parent, ev.resources[0]);
    assert.equal(idKey(nested.id), '/providers/microsoft.network/loadbalancers/lb/backendaddresspools/nested');
    assert.equal(idKey(ev.resources[3]!.id), '/providers/microsoft.network/loadbalancers/lb/backendaddresspools/top');
  });
});

describe('languageVersion 2.0', () => {
  it('resources keyed by symbolic name are evaluated with their symbolic names', () => {
    const text = JSON.stringify({
      $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
      languageVersion: '2.0',
      contentVersion: '1.0.0.0',
      resources: { first: storage('one'), second: storage("[concat('t', 'wo')]") },
    });
    assert.deepEqual(
      evaluate(text).resources.map((r) => [r.symbolicName, r.name]),
      [
        ['first', 'one'],
        ['second', 'two'],
      ],
    );
  });
});

describe('conditions', () => {
  it('false leaves the resource out; true and string "true" keep it; unknown keeps it with the Unknown', () => {
    const ev = evaluate(
      template({
        parameters: { deploy: { type: 'bool' }, env: { type: 'string', defaultValue: 'prod' } },
        resources: [
          storage('off', { condition: false }),
          storage('offExpr', { condition: "[equals(parameters('env'), 'dev')]" }),
          storage('on', { condition: "[equals(parameters('env'), 'prod')]" }),
          storage('onString', { condition: 'true' }),
          storage('maybe', { condition: "[parameters('deploy')]" }),
        ],
      }),
    );
    assert.deepEqual(
      ev.resources.map((r) => r.name),
      ['on', 'onString', 'maybe'],
    );
    assert.equal(ev.resources[0]!.condition, true);
    assertUnknown(ev.resources[2]!.condition, 'deploy');
  });

  it('a supplied parameter value flips a condition', () => {
    const t = template({ parameters: { deploy: { type: 'bool', defaultValue: true } }, resources: [storage('s', { condition: "[parameters('deploy')]" })] });
    assert.equal(evaluate(t).resources.length, 1);
    assert.equal(evaluate(t, { parameters: { Deploy: false } }).resources.length, 0);
  });
});

describe('resource IDs', () => {
  const scope = '/subscriptions/{subscription().subscriptionId}/resourceGroups/{resourceGroup().name}';

  it('resourceId(type, name): in the deployment\'s own, symbolic, resource group', () => {
    const u = assertUnknown(value("[resourceId('Microsoft.Network/loadBalancers', 'lb')]").v);
    assert.equal(u.symbol, `${scope}/providers/Microsoft.Network/loadBalancers/lb`);
    assert.equal(idKey(u), '/providers/microsoft.network/loadbalancers/lb');
  });

  it('resourceId(type, name1, name2) for a child; resourceId(rg, type, name)', () => {
    const child = assertUnknown(value("[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'pool')]").v);
    assert.equal(child.symbol, `${scope}/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/pool`);
    const otherRg = assertUnknown(value("[resourceId('rg-net', 'Microsoft.Network/loadBalancers', 'lb')]").v);
    assert.equal(otherRg.symbol, '/subscriptions/{subscription().subscriptionId}/resourceGroups/rg-net/providers/Microsoft.Network/loadBalancers/lb');
  });

  it('resourceId(sub, rg, type, names...) is fully known', () => {
    assert.equal(
      value("[resourceId('0000', 'rg-net', 'Microsoft.Network/loadBalancers/backendAddressPools', 'lb', 'pool')]").v,
      '/subscriptions/0000/resourceGroups/rg-net/providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/pool',
    );
  });

  it('the wrong number of names is Unknown and says how many are needed', () => {
    assertUnknown(value("[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'lb')]").v, 'needs 2');
  });

  it('subscriptionResourceId, tenantResourceId, extensionResourceId', () => {
    assert.equal(
      value("[subscriptionResourceId('0000', 'Microsoft.Resources/resourceGroups', 'rg')]").v,
      '/subscriptions/0000/providers/Microsoft.Resources/resourceGroups/rg',
    );
    assert.equal(
      assertUnknown(value("[subscriptionResourceId('Microsoft.Resources/resourceGroups', 'rg')]").v).symbol,
      '/subscriptions/{subscription().subscriptionId}/providers/Microsoft.Resources/resourceGroups/rg',
    );
    assert.equal(value("[tenantResourceId('Microsoft.Management/managementGroups', 'mg')]").v, '/providers/Microsoft.Management/managementGroups/mg');
    assert.equal(
      value("[extensionResourceId('/subscriptions/0/resourceGroups/r/providers/Microsoft.Network/loadBalancers/lb', 'Microsoft.Authorization/locks', 'lock')]").v,
      '/subscriptions/0/resourceGroups/r/providers/Microsoft.Network/loadBalancers/lb/providers/Microsoft.Authorization/locks/lock',
    );
  });

  it('a resource\'s own id matches resourceId() of its type and name, case-insensitively', () => {
    const ev = evaluate(template({ resources: [storage('MyStorage')] }));
    const ref = value("[resourceId('MICROSOFT.STORAGE/storageaccounts', 'mystorage')]").v;
    assert.equal(idKey(ev.resources[0]!.id), idKey(ref));
  });
});

describe('user-defined functions and lambdas', () => {
  const functions = [
    {
      namespace: 'contoso',
      members: {
        lbName: {
          parameters: [{ name: 'app', type: 'string' }, { name: 'n', type: 'int' }],
          output: { type: 'string', value: "[format('ilb-{0}-{1}', parameters('app'), parameters('n'))]" },
        },
        loop: { parameters: [], output: { type: 'string', value: '[contoso.loop()]' } },
      },
    },
  ];

  it('a user function evaluates its output with its own parameters, case-insensitively', () => {
    assert.equal(value("[contoso.lbName('web', 2)]", { functions }).v, 'ilb-web-2');
    assert.equal(value("[CONTOSO.LBNAME('api', 7)]", { functions }).v, 'ilb-api-7');
  });

  it('a user function does not see template parameters of the same name', () => {
    const parameters = { app: { type: 'string', defaultValue: 'template-level' } };
    assert.equal(value("[contoso.lbName('fn-level', 1)]", { functions, parameters }).v, 'ilb-fn-level-1');
  });

  it('a function calling itself stops with a problem instead of hanging', () => {
    const r = value('[contoso.loop()]', { functions });
    assert.ok(r.v instanceof Unknown);
    assert.ok(r.problems.some((m) => /too deeply/.test(m)), r.problems.join('\n'));
  });

  it('map and filter with lambda', () => {
    assert.deepEqual(value("[map(createArray(1, 2, 3), lambda('x', mul(lambdaVariables('x'), 2)))]").v, [2, 4, 6]);
    assert.deepEqual(value("[filter(createArray(1, 2, 3, 4), lambda('x', greater(lambdaVariables('x'), 2)))]").v, [3, 4]);
    assert.deepEqual(
      value("[map(variables('names'), lambda('n', concat(lambdaVariables('n'), '-nic')))]", { variables: { names: ['a', 'b'] } }).v,
      ['a-nic', 'b-nic'],
    );
  });
});

describe('values known only at deployment', () => {
  it('reference() and list*() are Unknown with a reason', () => {
    assertUnknown(value("[reference('stg').primaryEndpoints.blob]").v, 'reference()');
    assertUnknown(value("[listKeys(resourceId('Microsoft.Storage/storageAccounts', 's'), '2023-01-01').keys[0].value]").v, 'listKeys');
    assertUnknown(value("[LISTSECRETS('x', '2020-01-01')]").v, 'LISTSECRETS');
  });

  it('an Unknown flowing through functions keeps the source text as written', () => {
    const expr = "[toUpper(reference('stg').primaryEndpoints.blob)]";
    const u = assertUnknown(value(expr).v, 'reference()');
    assert.equal(u.text, expr);
    const parameters = { site: { type: 'string' } };
    const viaConcat = assertUnknown(value("[concat('pre-', parameters('site'))]", { parameters }).v, 'site');
    assert.ok(viaConcat.text?.includes("parameters('site')"), viaConcat.text);
    assert.ok(viaConcat.text?.startsWith('pre-'), viaConcat.text);
  });

  it('an Unknown name keeps the text it was written with in the resource', () => {
    const ev = evaluate(template({ resources: [storage("[toLower(reference('x').name)]")] }));
    assert.equal((ev.resources[0]!.name as Unknown).text, "[toLower(reference('x').name)]");
  });

  it('an expression that does not parse is Unknown with a problem located in the string', () => {
    const text = template({ resources: [storage("[concat('a', ]")] });
    const ev = evaluate(text);
    assertUnknown(ev.resources[0]!.name, 'does not parse');
    assert.equal(ev.problems.length, 1);
    const at = ev.problems[0]!.span.start;
    assert.ok(text.slice(0, at).endsWith("[concat('a', "), `problem at ${JSON.stringify(text.slice(at - 15, at + 5))}`);
  });
});

describe('origins of evaluated values', () => {
  it('locate an object and its properties, and are invisible to JSON, keys, spreads, assign and structured clones', () => {
    const text = template({ resources: [{ type: 'Microsoft.Network/loadBalancers', apiVersion: '2023-09-01', name: 'lb', properties: { frontendIPConfigurations: [{ name: 'fe' }] } }] });
    const [lb] = evaluate(text).resources;
    assert.ok(lb);
    const props = lb.body()['properties'] as Record<string, Value>;
    const span = spanOf(props);
    assert.ok(span);
    assert.equal(text.slice(span.start, span.start + 1), '{');
    const fe = propertySpan(props, 'frontendIPConfigurations');
    assert.ok(fe);
    assert.equal(text.slice(fe.start, fe.start + 1), '[');
    assert.deepEqual(Object.keys(props), ['frontendIPConfigurations']);
    assert.equal(JSON.stringify(props), '{"frontendIPConfigurations":[{"name":"fe"}]}');
    assert.equal(spanOf({ ...props }), undefined, 'a spread copy has no origin');
    assert.equal(spanOf(Object.assign({}, props)), undefined, 'nor an assigned one');
    assert.equal(spanOf(structuredClone(props)), undefined, 'nor a structured clone');
    assert.deepStrictEqual(structuredClone(props), { frontendIPConfigurations: [{ name: 'fe' }] });
  });
  it('are kept for a frozen value, and forgotten on request', () => {
    const frozen = Object.freeze({ a: 1 });
    setOrigin(frozen, { span: { file: 'f', start: 1, end: 2 } });
    assert.deepEqual(spanOf(frozen), { file: 'f', start: 1, end: 2 });
    const open: Record<string, number> = { a: 1 };
    setOrigin(open, () => ({ span: { file: 'g', start: 3, end: 4 } }));
    assert.deepEqual(spanOf(open), { file: 'g', start: 3, end: 4 });
    forgetOrigin(open);
    forgetOrigin(frozen);
    assert.equal(spanOf(open), undefined);
    assert.equal(spanOf(frozen), undefined);
    assert.deepEqual(Object.keys(open), ['a']);
  });
});
