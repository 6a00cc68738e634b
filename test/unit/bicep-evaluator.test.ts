/**
 * The Bicep evaluator through `evaluateBicep` on small programs: parameters, variables, operators,
 * safe access, interpolation, symbolic references to resources and their sub-resources, scopes,
 * user functions and lambdas, loops and conditions, modules through a host, registry modules,
 * .bicepparam values, and half-typed files. It never throws; what cannot be known is an Unknown.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { evaluateBicep, evaluateBicepParams, type BicepEvaluation, type BicepEvaluationOptions, type LoadedTemplate, type ModuleHost } from '../../src/core/evaluate/bicep-evaluator';
import { ARM_COPY_LIMIT, idKey, type EvaluatedResource } from '../../src/core/evaluate/resources';
import { Unknown, getPath, type Value } from '../../src/core/evaluate/value';
import { parseArm } from '../../src/core/parse/arm';
import { parseBicep, type Diagnostic } from '../../src/core/parse/bicep';
import { SourceFile } from '../../src/core/source';
import { assertUnknown, template } from './helpers';

const MAIN = '/t/main.bicep';

function evaluate(text: string, options: BicepEvaluationOptions = {}, file = MAIN): { evaluation: BicepEvaluation; diagnostics: Diagnostic[] } {
  const parsed = parseBicep(text, { fileKind: 'bicep' });
  return { evaluation: evaluateBicep(new SourceFile(file, text), parsed.program, options), diagnostics: parsed.diagnostics };
}

function evaluated(text: string, options: BicepEvaluationOptions = {}, file = MAIN): BicepEvaluation {
  const { evaluation, diagnostics } = evaluate(text, options, file);
  assert.deepEqual(diagnostics, [], 'the test program is valid Bicep');
  return evaluation;
}

/** The outputs of a valid program. */
function outputsOf(text: string, options: BicepEvaluationOptions = {}): Record<string, Value> {
  return evaluated(text, options).outputs();
}

/** One output's value. */
function out(text: string, name = 'x', options: BicepEvaluationOptions = {}): Value {
  const o = outputsOf(text, options);
  assert.ok(name in o, `output ${name} in ${JSON.stringify(Object.keys(o))}`);
  return o[name] as Value;
}

/** An expression's value, as the output `x` of a file with `prelude` before it. */
function value(expression: string, prelude = ''): Value {
  return out(`${prelude}\noutput x object = ${expression}\n`);
}

/** The key two references to one resource share (case folded, the current scope left out). */
function key(v: Value | undefined): string | undefined {
  return idKey(v);
}

function problemsOf(e: BicepEvaluation): string[] {
  return e.problems.map((p) => p.message);
}

function byType(e: BicepEvaluation, type: string): EvaluatedResource[] {
  return e.resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
}

/** A host over in-memory files (absolute paths); records every load. */
class FakeHost implements ModuleHost {
  readonly loads: string[] = [];
  constructor(private readonly files: Record<string, string>) {}
  load(fromFile: string, rel: string): LoadedTemplate | undefined {
    const target = path.posix.resolve(path.posix.dirname(fromFile), rel);
    this.loads.push(target);
    const text = this.files[target];
    if (text === undefined) return undefined;
    const file = new SourceFile(target, text);
    if (target.endsWith('.json')) return { kind: 'arm', document: parseArm(file) };
    return { kind: 'bicep', file, program: parseBicep(text, { fileKind: 'bicep' }).program };
  }
}

const LB = (name: string, extra = ''): string => `
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: '${name}'
  properties: {
    frontendIPConfigurations: [
      {
        name: 'fe'
        properties: {
          privateIPAddress: '10.0.0.10'
        }
      }
    ]
    backendAddressPools: [
      {
        name: 'be'
      }
    ]
  }${extra}
}
`;

// ------------------------------------------------------------------ parameters and variables

describe('bicep evaluator: parameters', () => {
  it('uses the default, a supplied value over the default, and a default built from another parameter', () => {
    const text = "param a string = 'def'\nparam b string = '${a}-b'\noutput a string = a\noutput b string = b\n";
    assert.deepEqual(outputsOf(text), { a: 'def', b: 'def-b' });
    assert.deepEqual(outputsOf(text, { parameters: { a: 'given' } }), { a: 'given', b: 'given-b' });
    assert.deepEqual(outputsOf(text, { parameters: { b: 'only-b' } }), { a: 'def', b: 'only-b' });
  });

  it('supplied values of every type, including a value for a parameter without a default', () => {
    const text = 'param n int\nparam flag bool\nparam list array\nparam o object\noutput n int = n + 1\noutput f bool = !flag\noutput l int = length(list)\noutput k string = o.k\n';
    assert.deepEqual(outputsOf(text, { parameters: { n: 41, flag: false, list: [1, 2, 3], o: { k: 'v' } } }), { n: 42, f: true, l: 3, k: 'v' });
  });

  it('a parameter without a value is a symbolic Unknown scoped to the deployment', () => {
    const text = 'param lbName string\noutput x string = lbName\noutput y string = \'${lbName}-pool\'\n';
    const o = outputsOf(text, { symbolScope: 'root-1' });
    const x = assertUnknown(o['x'], "parameter 'lbName' has no value");
    assert.equal(x.symbol, "root-1#parameters('lbname')");
    const y = o['y'];
    assert.ok(y instanceof Unknown && y.symbol === "{root-1#parameters('lbname')}-pool", String(y));
    // Another deployment's parameter of the same name is another value.
    const other = outputsOf(text, { symbolScope: 'root-2' })['x'];
    assert.ok(other instanceof Unknown && other.symbol !== x.symbol);
  });

  it('a default that refers to itself is Unknown with a problem', () => {
    const e = evaluated('param a int = a + 1\noutput x int = a\n');
    assertUnknown(e.outputs()['x']);
    assert.ok(problemsOf(e).some((m) => /refers to itself/.test(m)), problemsOf(e).join('\n'));
  });
});

describe('bicep evaluator: variables', () => {
  it('chains of variables, objects, arrays and typed variables', () => {
    const o = outputsOf("var a = 2\nvar b = a * 3\nvar c string = 'n${b}'\nvar d = {\n  list: [\n    a\n    b\n  ]\n  name: c\n}\noutput x object = d\n");
    assert.deepEqual(o['x'], { list: [2, 6], name: 'n6' });
  });

  it('a cycle between variables is Unknown with a problem, and does not hang', () => {
    const e = evaluated('var a = b\nvar b = c\nvar c = a\noutput x int = a\noutput y string = \'${c}\'\n');
    const o = e.outputs();
    assertUnknown(o['x'], 'refers to itself');
    assertUnknown(o['y']);
    assert.ok(problemsOf(e).some((m) => /Variable '.' refers to itself/.test(m)), problemsOf(e).join('\n'));
  });

  it('a variable that refers to itself', () => {
    const e = evaluated('var a = length(a)\noutput x int = a\n');
    assertUnknown(e.outputs()['x'], 'refers to itself');
    assert.equal(e.problems.filter((p) => /refers to itself/.test(p.message)).length, 1, 'reported once');
  });

  it('an undeclared name is Unknown', () => {
    const { evaluation } = evaluate('output x string = nowhere\n');
    assertUnknown(evaluation.outputs()['x'], "'nowhere' is not declared");
  });
});

// ------------------------------------------------------------------ operators

describe('bicep evaluator: operators and precedence', () => {
  const cases: [string, Value][] = [
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 + 3 * 4 - 6 / 2', 11],
    ['7 % 3', 1],
    ['-7 % 3', -1],
    ['7 / 2', 3],
    ['-7 / 2', -3],
    ['5 % 2 == 1 && !true || false', false],
    ['5 % 2 == 1 && !false', true],
    ['1 + 2 == 3', true],
    ['1 < 2 == 2 > 1', true],
    ['1 < 2 && 3 >= 3 && 4 <= 3', false],
    ["'abc' < 'abd'", true],
    ["'ABC' =~ 'abc'", true],
    ["'ABC' !~ 'abc'", false],
    ["'ABC' == 'abc'", false],
    ["'ABC' != 'abc'", true],
    ['[1, 2] == [1, 2]', true],
    ['{ a: 1 } == { a: 1 }', true],
    ['null ?? 2', 2],
    ['1 ?? 2', 1],
    ['null ?? null ?? 3', 3],
    ['true ? 1 : 2 + 3', 1],
    ['false ? 1 : 2 + 3', 5],
    ['false ? 1 : true ? 2 : 3', 2],
    ['1 == 1 ? null ?? 4 : 5', 4],
    ['!(1 == 2)', true],
    ['-(2 + 3)', -5],
  ];
  for (const [expression, expected] of cases) {
    it(`${expression} = ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(value(expression), expected);
    });
  }

  it('&& and || short-circuit and settle beside an Unknown', () => {
    const prelude = 'param u bool';
    assert.equal(value('false && u', prelude), false);
    assert.equal(value('u && false', prelude), false);
    assert.equal(value('true || u', prelude), true);
    assert.equal(value('u || true', prelude), true);
    assertUnknown(value('u && true', prelude));
    assertUnknown(value('true && u', prelude));
    assertUnknown(value('u || false', prelude));
    assertUnknown(value('u == true', prelude));
  });

  it('&& and || do not evaluate the side they skip (no problem from a cycle there)', () => {
    const e = evaluated('var loop = loop\noutput x bool = false && loop\noutput y bool = true || loop\noutput z int = 1 ?? loop\n');
    assert.deepEqual(e.outputs(), { x: false, y: true, z: 1 });
    assert.deepEqual(problemsOf(e), []);
  });

  it('?? keeps an Unknown on the left; ?: with an Unknown condition is known only when both sides agree', () => {
    const prelude = 'param u string\nparam c bool';
    assertUnknown(value("u ?? 'fallback'", prelude));
    assert.equal(value("c ? 'same' : 'same'", prelude), 'same');
    assertUnknown(value("c ? 'a' : 'b'", prelude));
  });

  it('type errors are Unknowns, not throws', () => {
    assertUnknown(value("1 =~ 'a'"));
    assertUnknown(value("1 && true"));
    assertUnknown(value("!'x'"));
    assertUnknown(value("-'x'"));
  });
});

// ------------------------------------------------------------------ access and strings

describe('bicep evaluator: property and index access', () => {
  const prelude = "var o = {\n  a: {\n    b: 'deep'\n  }\n  n: null\n}\nvar arr = [\n  'zero'\n  'one'\n]";

  it('safe access .? and [?] give null where a plain access is Unknown', () => {
    assert.equal(value('o.?missing', prelude), null);
    assert.equal(value('o.?missing.?more', prelude), null);
    assert.equal(value("o.?missing ?? 'default'", prelude), 'default');
    assert.equal(value('o.n.?x', prelude), null);
    assert.equal(value('arr[?5]', prelude), null);
    assert.equal(value("o[?'missing']", prelude), null);
    assert.equal(value('o.?a.b', prelude), 'deep');
    assertUnknown(value('o.missing', prelude), "no property 'missing'");
    assertUnknown(value('arr[5]', prelude), 'outside');
  });

  it('index by int and string, from the end with ^, property names case-insensitively', () => {
    assert.equal(value('arr[1]', prelude), 'one');
    assert.equal(value('arr[^1]', prelude), 'one');
    assert.equal(value("o['a'].b", prelude), 'deep');
    assert.equal(value('o.A.B', prelude), 'deep');
    assert.equal(value('o!.a.b', prelude), 'deep');
    assertUnknown(value("arr['x']", prelude));
  });
});

describe('bicep evaluator: strings', () => {
  it('interpolation of strings, ints, bools, nested interpolation and escapes', () => {
    assert.equal(value("'n-${1}-${'x'}'"), 'n-1-x');
    assert.equal(value("'${true}/${false}'"), 'True/False');
    assert.equal(value("'it\\'s ${'nested ${2 + 2}'} \\${notinterp}'"), "it's nested 4 ${notinterp}");
    assert.equal(value("'''\nraw ${x}\n'''"), 'raw ${x}\n');
  });

  it('interpolating an object writes JSON; interpolating an Unknown keeps its symbol', () => {
    assert.equal(value("'${list}'", 'var list = [\n  1\n  2\n]'), '[1,2]');
    const v = value("'vm-${name}-01'", 'param name string');
    assert.ok(v instanceof Unknown && v.symbol?.endsWith('-01') && v.symbol.startsWith('vm-{'), String(v));
  });

  it('object and array spread', () => {
    const prelude = "var base = {\n  a: 1\n  b: 2\n}\nvar list = [\n  1\n  2\n]";
    assert.deepEqual(value('{\n  ...base\n  b: 3\n  c: 4\n}', prelude), { a: 1, b: 3, c: 4 });
    assert.deepEqual(value('[\n  0\n  ...list\n  3\n]', prelude), [0, 1, 2, 3]);
  });

  it('interpolated object keys', () => {
    assert.deepEqual(value("{\n  '${k}-key': 1\n}", "var k = 'my'"), { 'my-key': 1 });
  });
});

// ------------------------------------------------------------------ resources and references

describe('bicep evaluator: resources and symbolic references', () => {
  it('lb.id, lb.name, lb.type and the implied IDs of inline sub-resources', () => {
    const o = outputsOf(
      `${LB('ilb-1')}
output id string = lb.id
output name string = lb.name
output type string = lb.type
output pool string = lb.properties.backendAddressPools[0].id
output fe string = lb.properties.frontendIPConfigurations[0].id
output ip string = lb.properties.frontendIPConfigurations[0].properties.privateIPAddress
output whole object = lb.properties.backendAddressPools[0]
`,
    );
    assert.equal(key(o['id']), '/providers/microsoft.network/loadbalancers/ilb-1');
    assert.equal(o['name'], 'ilb-1');
    assert.equal(o['type'], 'Microsoft.Network/loadBalancers');
    assert.equal(key(o['pool']), '/providers/microsoft.network/loadbalancers/ilb-1/backendaddresspools/be');
    assert.equal(key(o['fe']), '/providers/microsoft.network/loadbalancers/ilb-1/frontendipconfigurations/fe');
    assert.equal(o['ip'], '10.0.0.10');
    assert.equal(getPath(o['whole'], 'name'), 'be');
    assert.equal(key(getPath(o['whole'], 'id')), key(o['pool']));
  });

  it('the implied pool ID equals resourceId() of the pool', () => {
    const o = outputsOf(`${LB('ilb-2')}
output a string = lb.properties.backendAddressPools[0].id
output b string = resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-2', 'be')
output c string = '\${lb.id}/backendAddressPools/be'
`);
    assert.equal(key(o['a']), key(o['b']));
    assert.equal(key(o['a']), key(o['c']));
  });

  it('an evaluated resource: type without API version, name, ID, body, symbolic name, deployment', () => {
    const e = evaluated(LB('ilb-3'), { symbolScope: 'scope-x' });
    const [lb] = byType(e, 'Microsoft.Network/loadBalancers');
    assert.ok(lb);
    assert.equal(lb.type, 'Microsoft.Network/loadBalancers');
    assert.equal(lb.name, 'ilb-3');
    assert.equal(lb.symbolicName, 'lb');
    assert.equal(lb.deployment, 'scope-x');
    assert.equal(lb.condition, true);
    assert.equal(lb.existing, false);
    assert.equal(lb.file, MAIN);
    assert.equal(getPath(lb.body(), 'properties', 'backendAddressPools', 0, 'name'), 'be');
    assert.equal(lb.copy, undefined);
  });

  it('nics[i].id on a resource loop, and a VM loop that uses it', () => {
    const e = evaluated(`
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for i in range(0, 3): {
  name: 'nic-\${i}'
}]
resource vms 'Microsoft.Compute/virtualMachines@2023-09-01' = [for i in range(0, 3): {
  name: 'vm-\${i}'
  properties: {
    networkProfile: {
      networkInterfaces: [
        {
          id: nics[i].id
        }
      ]
    }
  }
}]
output second string = nics[1].id
output last string = nics[^1].name
output names array = [for n in nics: n.name]
output count int = length(nics)
`);
    const o = e.outputs();
    assert.equal(key(o['second']), '/providers/microsoft.network/networkinterfaces/nic-1');
    assert.equal(o['last'], 'nic-2');
    assert.deepEqual(o['names'], ['nic-0', 'nic-1', 'nic-2']);
    assert.equal(o['count'], 3);
    const vms = byType(e, 'Microsoft.Compute/virtualMachines');
    assert.deepEqual(
      vms.map((v) => key(getPath(v.body(), 'properties', 'networkProfile', 'networkInterfaces', 0, 'id'))),
      [0, 1, 2].map((i) => `/providers/microsoft.network/networkinterfaces/nic-${i}`),
    );
    assert.deepEqual(
      vms.map((v) => v.copy),
      [0, 1, 2].map((i) => ({ loopName: undefined, index: i, countKnown: true })),
    );
  });

  it(
    'a filtered resource loop keeps its iteration indexes: nics[i] is the NIC of iteration i',
    () => {
      const o = outputsOf(`
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for i in range(0, 3): if (i != 1) {
  name: 'nic-\${i}'
}]
output n0 string = nics[0].name
output n2 string = nics[2].name
output id2 string = nics[2].id
`);
      assert.equal(o['n0'], 'nic-0');
      assert.equal(o['n2'], 'nic-2');
      assert.equal(key(o['id2']), '/providers/microsoft.network/networkinterfaces/nic-2');
    },
  );

  it('lb::pool.id for a pool nested in the load balancer, and a child declared with parent:', () => {
    const e = evaluated(`${LB(
      'ilb-4',
      `

  resource pool 'backendAddressPools' = {
    name: 'nested'
  }`,
    )}
resource other 'Microsoft.Network/loadBalancers/backendAddressPools@2023-09-01' = {
  parent: lb
  name: 'byparent'
}
output nested string = lb::pool.id
output nestedName string = lb::pool.name
output byParent string = other.id
output byParentName string = other.name
`);
    const o = e.outputs();
    assert.equal(key(o['nested']), '/providers/microsoft.network/loadbalancers/ilb-4/backendaddresspools/nested');
    assert.equal(o['nestedName'], 'nested');
    assert.equal(key(o['byParent']), '/providers/microsoft.network/loadbalancers/ilb-4/backendaddresspools/byparent');
    assert.equal(o['byParentName'], 'byparent');
    const pools = byType(e, 'Microsoft.Network/loadBalancers/backendAddressPools');
    assert.deepEqual(pools.map((p) => p.name).sort(), ['ilb-4/byparent', 'ilb-4/nested']);
    for (const p of pools) assert.equal(p.parent?.symbolicName, 'lb');
  });

  it(
    'a child of a load balancer whose name is a parameter without a value still gets a symbolic ID',
    () => {
      const o = outputsOf(`
param lbName string
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: lbName

  resource pool 'backendAddressPools' = {
    name: 'be'
  }
}
resource byParent 'Microsoft.Network/loadBalancers/backendAddressPools@2023-09-01' = {
  parent: lb
  name: 'be2'
}
output nested string = lb::pool.id
output byParent string = byParent.id
output viaResourceId string = resourceId('Microsoft.Network/loadBalancers/backendAddressPools', lbName, 'be')
`);
      assert.ok(key(o['nested']) !== undefined, `a symbolic ID: ${String(o['nested'])}`);
      assert.equal(key(o['nested']), key(o['viaResourceId']));
      assert.ok(key(o['byParent'])?.endsWith('/backendaddresspools/be2'), String(o['byParent']));
    },
  );

  it('an existing resource: ID and name from the declaration, properties Unknown, not deployed', () => {
    const e = evaluated(`
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' existing = {
  name: 'ilb-elsewhere'

  resource pool 'backendAddressPools' existing = {
    name: 'be'
  }
}
output id string = lb.id
output pool string = lb::pool.id
output props object = lb.properties
`);
    const o = e.outputs();
    assert.equal(key(o['id']), '/providers/microsoft.network/loadbalancers/ilb-elsewhere');
    assert.equal(key(o['pool']), '/providers/microsoft.network/loadbalancers/ilb-elsewhere/backendaddresspools/be');
    assertUnknown(o['props'], 'existing');
    assert.ok(e.resources.every((r) => r.existing));
  });

  it("scope: resourceGroup('other') and resourceGroup(sub, rg) put the resource in that group", () => {
    const o = outputsOf(`
resource a 'Microsoft.Network/loadBalancers@2023-09-01' existing = {
  name: 'ilb-a'
  scope: resourceGroup('net-rg')
}
resource b 'Microsoft.Network/loadBalancers@2023-09-01' existing = {
  name: 'ilb-b'
  scope: resourceGroup('0000-sub', 'hub-rg')
}
resource c 'Microsoft.Network/loadBalancers@2023-09-01' existing = {
  name: 'ilb-c'
  scope: resourceGroup()
}
output a string = a.id
output b string = b.id
output c string = c.id
output rid string = resourceId('net-rg', 'Microsoft.Network/loadBalancers', 'ilb-a')
output rgName string = resourceGroup('net-rg').name
`);
    assert.equal(key(o['a']), '/subscriptions/{subscription().subscriptionid}/resourcegroups/net-rg/providers/microsoft.network/loadbalancers/ilb-a');
    assert.equal(key(o['a']), key(o['rid']));
    assert.equal(o['b'], '/subscriptions/0000-sub/resourceGroups/hub-rg/providers/Microsoft.Network/loadBalancers/ilb-b');
    assert.equal(key(o['c']), '/providers/microsoft.network/loadbalancers/ilb-c');
    assert.equal(o['rgName'], 'net-rg');
  });

  it('an extension resource scoped to a resource gets an ID under it', () => {
    const o = outputsOf(`${LB('ilb-5')}
resource lock 'Microsoft.Authorization/locks@2020-05-01' = {
  name: 'no-delete'
  scope: lb
  properties: {
    level: 'CanNotDelete'
  }
}
output id string = lock.id
`);
    assert.equal(key(o['id']), '/providers/microsoft.network/loadbalancers/ilb-5/providers/microsoft.authorization/locks/no-delete');
  });

  it('references in both directions resolve; a resource that refers to itself is Unknown with a problem', () => {
    const e = evaluated(`
resource a 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: 'nic-\${b.name}'
}
resource b 'Microsoft.Compute/virtualMachines@2023-09-01' = {
  name: 'vm'
}
resource c 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: c.properties.x
  properties: {
    x: 'y'
  }
}
`);
    assert.equal(e.resources.find((r) => r.symbolicName === 'a')?.name, 'nic-vm');
    assert.ok(e.resources.find((r) => r.symbolicName === 'c')?.name instanceof Unknown);
    assert.ok(problemsOf(e).some((m) => /refers to itself/.test(m)), problemsOf(e).join('\n'));
  });

  it('list*() and getSecret() on a resource are Unknown', () => {
    const o = outputsOf(`
resource sa 'Microsoft.Storage/storageAccounts@2023-01-01' existing = {
  name: 'sa'
}
output k object = sa.listKeys()
`);
    assertUnknown(o['k'], 'deployment');
  });
});

// ------------------------------------------------------------------ functions and lambdas

describe('bicep evaluator: functions and lambdas', () => {
  it('a user-defined func, calling another func, with the az. and sys. namespaces', () => {
    const o = outputsOf(`
func buildName(prefix string, i int) string => '\${prefix}-\${padLeft(i, 2, '0')}'
func twice(prefix string) string => '\${buildName(prefix, 1)}/\${buildName(prefix, 2)}'
output a string = buildName('vm', 3)
output b string = twice('nic')
output c string = sys.concat('a', 'b')
output d string = az.resourceGroup('rg-x').name
`);
    assert.deepEqual(o, { a: 'vm-03', b: 'nic-01/nic-02', c: 'ab', d: 'rg-x' });
  });

  it("a func does not see the caller's loop variable; a func that calls itself is Unknown with a problem", () => {
    const e = evaluated(`
func leak() string => i
func again(n int) int => again(n)
output a array = [for i in range(0, 2): leak()]
output b int = again(1)
`);
    const o = e.outputs();
    assert.ok(Array.isArray(o['a']));
    for (const v of o['a'] as Value[]) assertUnknown(v, 'not declared');
    assertUnknown(o['b'], 'calls itself');
    assert.ok(problemsOf(e).some((m) => /calls itself/.test(m)));
  });

  it('map, filter, reduce, toObject, sort, groupBy, mapValues', () => {
    const o = outputsOf(`
var servers = [
  {
    name: 'b'
    ip: '10.0.0.5'
    role: 'web'
  }
  {
    name: 'a'
    ip: '10.0.0.4'
    role: 'web'
  }
  {
    name: 'c'
    ip: '10.0.0.6'
    role: 'db'
  }
]
output doubled array = map(range(0, 3), i => i * 2)
output indexed array = map(servers, (s, i) => '\${i}:\${s.name}')
output web array = filter(servers, s => s.role == 'web')
output afterFirst array = map(filter(servers, (s, i) => i > 0), s => s.name)
output sum int = reduce(range(1, 3), 0, (acc, x) => acc + x)
output joined string = reduce(servers, '', (acc, s) => '\${acc}\${s.name}')
output byName object = toObject(servers, s => s.name, s => s.ip)
output whole object = toObject(servers, s => s.name)
output sorted array = map(sort(servers, (x, y) => x.name < y.name), s => s.name)
output grouped object = groupBy(map(servers, s => s.role), r => r)
output upper object = mapValues({
  a: 'x'
  b: 'y'
}, v => toUpper(v))
`);
    assert.deepEqual(o['doubled'], [0, 2, 4]);
    assert.deepEqual(o['indexed'], ['0:b', '1:a', '2:c']);
    assert.deepEqual((o['web'] as Value[]).map((s) => getPath(s, 'name')), ['b', 'a']);
    assert.deepEqual(o['afterFirst'], ['a', 'c']);
    assert.equal(o['sum'], 6);
    assert.equal(o['joined'], 'bac');
    assert.deepEqual(o['byName'], { b: '10.0.0.5', a: '10.0.0.4', c: '10.0.0.6' });
    assert.equal(getPath(o['whole'], 'c', 'role'), 'db');
    assert.deepEqual(o['sorted'], ['a', 'b', 'c']);
    assert.deepEqual(o['grouped'], { web: ['web', 'web'], db: ['db'] });
    assert.deepEqual(o['upper'], { a: 'X', b: 'Y' });
  });

  it('a lambda over an Unknown array is Unknown; a lambda sees the variables around it', () => {
    const o = outputsOf(`
param names array
var suffix = '-x'
output a array = map(names, n => n)
output b array = map(['p', 'q'], n => '\${n}\${suffix}')
`);
    assertUnknown(o['a']);
    assert.deepEqual(o['b'], ['p-x', 'q-x']);
  });

  it('items() of an object: key and value, sorted by key, in a loop', () => {
    const o = outputsOf(`
var apps = {
  web: {
    port: 80
  }
  api: {
    port: 8080
  }
}
output list array = items(apps)
output ports array = [for app in items(apps): '\${app.key}:\${app.value.port}']
`);
    assert.deepEqual(o['list'], [
      { key: 'api', value: { port: 8080 } },
      { key: 'web', value: { port: 80 } },
    ]);
    assert.deepEqual(o['ports'], ['api:8080', 'web:80']);
  });

  it('the ARM function library: resourceId, uniqueString symbols, string and array functions', () => {
    const o = outputsOf(`
output rid string = resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default')
output u1 string = uniqueString(resourceGroup().id)
output u2 string = uniqueString(resourceGroup().id)
output s string = toLower(replace('A-B', '-', '_'))
output l int = length(union([1, 2], [2, 3]))
output c bool = contains({
  k: 1
}, 'k')
output env object = environment()
output ld string = loadTextContent('x.txt')
`);
    assert.equal(key(o['rid']), '/providers/microsoft.network/virtualnetworks/vnet/subnets/default');
    assert.ok(o['u1'] instanceof Unknown && o['u1'].symbol !== undefined, 'uniqueString of a fixed value is symbolic');
    assert.equal((o['u1'] as Unknown).symbol, (o['u2'] as Unknown).symbol);
    assert.equal(o['s'], 'a_b');
    assert.equal(o['l'], 3);
    assert.equal(o['c'], true);
    assertUnknown(o['env']);
    assertUnknown(o['ld'], 'not read');
  });
});

// ------------------------------------------------------------------ loops and conditions

describe('bicep evaluator: loops and conditions', () => {
  it('loops over arrays of objects with (item, index), and over a resource collection', () => {
    const e = evaluated(`
var servers = [
  {
    name: 'alpha'
  }
  {
    name: 'beta'
  }
]
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for (s, i) in servers: {
  name: 'nic-\${s.name}-\${i + 1}'
}]
resource vms 'Microsoft.Compute/virtualMachines@2023-09-01' = [for nic in nics: {
  name: 'vm-for-\${nic.name}'
}]
`);
    assert.deepEqual(byType(e, 'Microsoft.Network/networkInterfaces').map((r) => r.name), ['nic-alpha-1', 'nic-beta-2']);
    assert.deepEqual(byType(e, 'Microsoft.Compute/virtualMachines').map((r) => r.name), ['vm-for-nic-alpha-1', 'vm-for-nic-beta-2']);
  });

  it('a filtered loop deploys the iterations whose condition holds, with their own indexes', () => {
    const e = evaluated(`
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for i in range(0, 3): if (i != 1) {
  name: 'nic-\${i}'
}]
`);
    const nics = byType(e, 'Microsoft.Network/networkInterfaces');
    assert.deepEqual(nics.map((r) => r.name), ['nic-0', 'nic-2']);
    assert.deepEqual(nics.map((r) => r.copy?.index), [0, 2]);
  });

  it('if (param) with a default false: not deployed; true: deployed; Unknown: deployed with an Unknown condition', () => {
    const text = `
param deployVm bool = false
resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = if (deployVm) {
  name: 'nic-cond'
}
output name string = nic.name
`;
    const off = evaluated(text);
    assert.equal(off.resources.length, 0);
    assertUnknown(off.outputs()['name'], 'not deployed');
    const on = evaluated(text, { parameters: { deployVm: true } });
    assert.equal(on.resources[0]?.condition, true);
    assert.equal(on.outputs()['name'], 'nic-cond');
    const unknown = evaluated(text.replace('param deployVm bool = false', 'param deployVm bool'));
    assert.ok(unknown.resources[0]?.condition instanceof Unknown);
  });

  it('a loop over an Unknown array: one stand-in instance, index Unknown, count not known', () => {
    const e = evaluated(`
param names array
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for (n, i) in names: {
  name: 'nic-\${i}'
}]
output second string = nics[1].id
`);
    assert.equal(e.resources.length, 1);
    const copy = e.resources[0]?.copy;
    assert.ok(copy);
    assert.equal(copy.countKnown, false);
    assert.ok(copy.index instanceof Unknown);
    assert.ok(e.resources[0]?.name instanceof Unknown);
    assertUnknown(e.outputs()['second']);
  });

  it('range() with an Unknown count is a loop of unknown length too', () => {
    const e = evaluated(`
param count int
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for i in range(0, count): {
  name: 'nic-\${i}'
}]
`);
    assert.deepEqual(e.resources.map((r) => r.copy?.countKnown), [false]);
  });

  it(
    'a loop over a resource collection of unknown length is of unknown length',
    () => {
      const e = evaluated(`
param n int
resource pips 'Microsoft.Network/publicIPAddresses@2023-09-01' = [for i in range(0, n): {
  name: 'pip-\${i}'
}]
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for (pip, i) in pips: {
  name: 'nic-\${i}'
}]
`);
      const nics = byType(e, 'Microsoft.Network/networkInterfaces');
      assert.deepEqual(nics.map((r) => r.copy?.countKnown), [false]);
    },
  );

  it(`a loop of more than ${ARM_COPY_LIMIT} iterations: a problem, and only the first ${ARM_COPY_LIMIT}`, () => {
    const e = evaluated(`
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for i in range(0, 801): {
  name: 'nic-\${i}'
}]
`);
    assert.equal(e.resources.length, ARM_COPY_LIMIT);
    assert.ok(problemsOf(e).some((m) => m.includes('801 iterations') && m.includes(String(ARM_COPY_LIMIT))), problemsOf(e).join('\n'));
    const exactly = evaluated(`
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for i in range(0, ${ARM_COPY_LIMIT}): {
  name: 'nic-\${i}'
}]
`);
    assert.equal(exactly.resources.length, ARM_COPY_LIMIT);
    assert.deepEqual(problemsOf(exactly), []);
  });

  it('a loop over something that is not an array is a problem, not a throw', () => {
    const e = evaluated(`
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for i in 'abc': {
  name: 'nic'
}]
`);
    assert.ok(problemsOf(e).some((m) => /needs an array/.test(m)));
  });

  it('a for expression in a variable, with (item, index)', () => {
    assert.deepEqual(value("[for (s, i) in ['a', 'b']: {\n  n: '${s}${i}'\n}]"), [{ n: 'a0' }, { n: 'b1' }]);
  });

  it('the evaluation budget stops a runaway evaluation with a problem', () => {
    const e = evaluated('var big = [for i in range(0, 800): [for j in range(0, 800): i * j]]\noutput x int = length(big)\n', { budget: 10_000 });
    assertUnknown(e.outputs()['x']);
    assert.ok(problemsOf(e).some((m) => /Evaluation stopped/.test(m)));
  });
});

// ------------------------------------------------------------------ as the Bicep compiler compiles it

describe('bicep evaluator: what the compiler writes into the ARM template', () => {
  it("interpolated multi-line strings, with any number of '$'", () => {
    assert.equal(value("$'''\nHello ${name}\n'''", "var name = 'Ann'"), 'Hello Ann\n');
    assert.equal(value("$$'''${name} $${name} $$$${name}'''", "var name = 'Ann'"), '${name} Ann $$Ann');
  });

  it('nameof(): a symbol, the last property or string index', () => {
    assert.deepEqual(value("[nameof(cfg), nameof(cfg.westus), nameof(cfg['server-name'])]", "var cfg = { westus: 1, 'server-name': 2 }"), ['cfg', 'westus', 'server-name']);
  });

  it("the 'az:' namespace of a resource type is not part of the ARM type", () => {
    const e = evaluated("resource r 'az:Microsoft.Network/networkInterfaces@2023-09-01' = {\n  name: 'nic'\n}\n");
    assert.equal(e.resources[0]?.type, 'Microsoft.Network/networkInterfaces');
  });

  it("a nested resource is deployed only with its parent: and(parent's condition, its own)", () => {
    const e = evaluated(`
param p bool
param c bool
resource parent 'Microsoft.Network/virtualNetworks@2023-09-01' = if (p) {
  name: 'vnet'
  resource child 'subnets' = if (c) {
    name: 's'
  }
  resource always 'subnets' = {
    name: 't'
  }
}
`, { symbolScope: 'x' });
    const [vnet, child, always] = e.resources;
    assert.ok(vnet && child && always);
    assert.ok(child.condition instanceof Unknown && always.condition instanceof Unknown && vnet.condition instanceof Unknown);
    assert.equal(always.condition.symbol, vnet.condition.symbol, "no condition of its own: its parent's");
    assert.equal(child.condition.symbol, `{and({${vnet.condition.symbol}},{x#parameters('c')})}`);
  });

  it("a module without a name: '<symbol>-${uniqueString('<symbol>', deployment().name)}', fixed but not known", () => {
    const host = { load: () => ({ kind: 'bicep' as const, file: new SourceFile('/t/m.bicep', ''), program: parseBicep('').program }) };
    const e = evaluated("module mod './m.bicep' = {}\noutput n string = mod.name\n", { host });
    const n = e.outputs()['n'];
    assert.ok(n instanceof Unknown);
    assert.equal(n.symbol, 'mod-{uniquestring("mod",{deployment().name})}');
    assert.equal(e.resources[0]?.name, n);
  });

  it("an item picked by an index that is not known is not the index's own symbol", () => {
    const e = evaluated("param i int\nvar names = ['a', 'b']\noutput x string = names[i]\noutput y int = i\n", { symbolScope: 'x' });
    const { x, y } = e.outputs() as { x: Value; y: Value };
    assert.ok(x instanceof Unknown && y instanceof Unknown);
    assert.notEqual(x.symbol, y.symbol);
  });
});

// ------------------------------------------------------------------ modules

describe('bicep evaluator: modules', () => {
  const LB_MODULE = `
param lbName string
param floating bool = false
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: lbName
  properties: {
    backendAddressPools: [
      {
        name: 'be'
      }
    ]
    loadBalancingRules: [
      {
        name: 'r'
        properties: {
          enableFloatingIP: floating
        }
      }
    ]
  }
}
output poolId string = lb.properties.backendAddressPools[0].id
output lbName string = lb.name
`;

  it('parameters in, outputs out through host.load; resources carry the module call in via', () => {
    const host = new FakeHost({ '/t/network/lb.bicep': LB_MODULE });
    const e = evaluated(
      `
module net 'network/lb.bicep' = {
  name: 'net-deploy'
  params: {
    lbName: 'ilb-m'
  }
}
output pool string = net.outputs.poolId
output name string = net.outputs.lbName
output deployment string = net.name
`,
      { host, symbolScope: 'root' },
    );
    assert.deepEqual(host.loads, ['/t/network/lb.bicep']);
    const o = e.outputs();
    assert.equal(key(o['pool']), '/providers/microsoft.network/loadbalancers/ilb-m/backendaddresspools/be');
    assert.equal(o['name'], 'ilb-m');
    assert.equal(o['deployment'], 'net-deploy');
    const [deployment, lb] = e.resources;
    assert.ok(deployment && lb);
    assert.deepEqual([deployment.type, deployment.name, deployment.opaque, deployment.file], ['Microsoft.Resources/deployments', 'net-deploy', undefined, MAIN], 'the module is a deployment, as in the compiled template');
    assert.deepEqual(getPath(deployment.body(), 'properties', 'parameters'), { lbName: 'ilb-m' });
    assert.equal(lb.file, '/t/network/lb.bicep');
    assert.equal(lb.deployment, 'root', 'a module deploys into its caller’s deployment');
    assert.deepEqual(
      lb.via?.map((v) => ({ file: v.file, name: v.name, target: v.target })),
      [{ file: MAIN, name: 'net', target: '/t/network/lb.bicep' }],
    );
    assert.equal(getPath(lb.body(), 'properties', 'loadBalancingRules', 0, 'properties', 'enableFloatingIP'), false, 'the default applies when the caller omits it');
  });

  it('a module loop: one deployment per iteration, outputs by index', () => {
    const host = new FakeHost({ '/t/lb.bicep': LB_MODULE });
    const e = evaluated(
      `
module lbs './lb.bicep' = [for i in range(0, 2): {
  name: 'lb-\${i}'
  params: {
    lbName: 'ilb-\${i}'
    floating: i == 1
  }
}]
output second string = lbs[1].outputs.lbName
`,
      { host },
    );
    assert.deepEqual(e.resources.map((r) => r.name), ['lb-0', 'ilb-0', 'lb-1', 'ilb-1']);
    assert.deepEqual(e.resources.map((r) => r.copy?.index), [0, undefined, 1, undefined], 'each deployment is one iteration of the loop');
    assert.deepEqual(
      e.resources.filter((r) => r.type !== 'Microsoft.Resources/deployments').map((r) => getPath(r.body(), 'properties', 'loadBalancingRules', 0, 'properties', 'enableFloatingIP')),
      [false, true],
    );
    assert.equal(e.outputs()['second'], 'ilb-1');
  });

  it('nested modules and an ARM JSON module target', () => {
    const host = new FakeHost({
      '/t/a/mid.bicep': "module inner '../b/inner.json' = {\n  name: 'inner'\n  params: {\n    nicName: 'nic-deep'\n  }\n}\noutput n string = inner.outputs.nicName\n",
      '/t/b/inner.json': template({
        parameters: { nicName: { type: 'string' } },
        resources: [{ type: 'Microsoft.Network/networkInterfaces', apiVersion: '2023-09-01', name: "[parameters('nicName')]", properties: {} }],
        outputs: { nicName: { type: 'string', value: "[parameters('nicName')]" } },
      }),
    });
    const e = evaluated("module mid 'a/mid.bicep' = {\n  name: 'mid'\n}\noutput n string = mid.outputs.n\n", { host });
    assert.equal(e.outputs()['n'], 'nic-deep');
    assert.deepEqual(e.resources.map((r) => r.name), ['mid', 'inner', 'nic-deep']);
    const nic = e.resources[2];
    assert.equal(nic?.name, 'nic-deep');
    assert.deepEqual(nic?.via?.map((v) => v.name), ['mid', 'inner']);
  });

  it('a module that includes itself: a problem, no hang', () => {
    const text = "module me './main.bicep' = {\n  name: 'me'\n}\n";
    const e = evaluated(text, { host: new FakeHost({ [MAIN]: text }) });
    assert.ok(problemsOf(e).some((m) => /includes itself/.test(m)), problemsOf(e).join('\n'));
  });

  it('a cycle of two modules: a problem, no hang', () => {
    const a = "module b './b.bicep' = {\n  name: 'b'\n}\n";
    const b = "module a './a.bicep' = {\n  name: 'a'\n}\n";
    const e = evaluated(a, { host: new FakeHost({ '/t/a.bicep': a, '/t/b.bicep': b }) }, '/t/a.bicep');
    assert.ok(problemsOf(e).some((m) => /includes itself/.test(m)), problemsOf(e).join('\n'));
  });

  it(
    'a cycle of two modules does not deploy the root file a second time',
    () => {
      const a = "module b './b.bicep' = {\n  name: 'b'\n}\nresource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {\n  name: 'nic-a'\n}\n";
      const b = "module a './a.bicep' = {\n  name: 'a'\n}\n";
      const e = evaluated(a, { host: new FakeHost({ '/t/a.bicep': a, '/t/b.bicep': b }) }, '/t/a.bicep');
      assert.deepEqual(e.resources.map((r) => r.name), ['b', 'nic-a'], "b's deployment; a's is not made again");
    },
  );

  it('a module deep chain stops with a problem', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 20; i++) files[`/t/m${i}.bicep`] = `module next './m${i + 1}.bicep' = {\n  name: 'm${i + 1}'\n}\n`;
    const e = evaluated(files['/t/m0.bicep'] as string, { host: new FakeHost(files) }, '/t/m0.bicep');
    assert.ok(problemsOf(e).some((m) => /nest more than/.test(m)), problemsOf(e).join('\n'));
  });

  it('a local module that is not in the workspace: an opaque deployment and an info problem', () => {
    const e = evaluated("module gone './missing.bicep' = {\n  name: 'gone'\n}\noutput x string = gone.outputs.x\n", { host: new FakeHost({}) });
    const [r] = e.resources;
    assert.equal(r?.opaque?.path, './missing.bicep');
    assert.ok(e.problems.some((p) => p.severity === 'info' && /not in the workspace/.test(p.message)));
    assertUnknown(e.outputs()['x'], 'not in the workspace');
  });

  it('a registry module is not read: an opaque deployment holding its parameters, outputs Unknown, an info problem', () => {
    const host = new FakeHost({});
    const e = evaluated(
      `${LB('ilb-r')}
module nic 'br:mcr.microsoft.com/bicep/avm/res/network/network-interface:0.4.0' = {
  name: 'nic-deploy'
  params: {
    ipConfigurations: [
      {
        name: 'ipconfig1'
        loadBalancerBackendAddressPools: [
          {
            id: lb.properties.backendAddressPools[0].id
          }
        ]
      }
    ]
  }
}
output x string = nic.outputs.resourceId
`,
      { host },
    );
    assert.deepEqual(host.loads, [], 'the host is not asked for a registry module');
    const [opaque] = e.resources.filter((r) => r.opaque);
    assert.ok(opaque);
    assert.equal(opaque.type, 'Microsoft.Resources/deployments');
    assert.equal(opaque.name, 'nic-deploy');
    assert.equal(opaque.symbolicName, 'nic');
    assert.equal(opaque.opaque?.path, 'br:mcr.microsoft.com/bicep/avm/res/network/network-interface:0.4.0');
    assert.match(opaque.opaque?.reason ?? '', /registry module .* is not read/);
    const poolId = getPath(opaque.body(), 'properties', 'parameters', 'ipConfigurations', 0, 'loadBalancerBackendAddressPools', 0, 'id');
    assert.equal(key(poolId), '/providers/microsoft.network/loadbalancers/ilb-r/backendaddresspools/be');
    assertUnknown(e.outputs()['x'], 'not read');
    assert.ok(e.problems.some((p) => p.severity === 'info' && /Registry module/.test(p.message)));
  });

  it('a module whose condition is false deploys nothing; its outputs are Unknown', () => {
    const host = new FakeHost({ '/t/lb.bicep': LB_MODULE });
    const e = evaluated("module m './lb.bicep' = if (false) {\n  name: 'm'\n  params: {\n    lbName: 'x'\n  }\n}\noutput x string = m.outputs.lbName\n", { host });
    assert.equal(e.resources.length, 0);
    assertUnknown(e.outputs()['x'], 'not deployed');
  });

  it(
    "a module deployed to resourceGroup('net-rg') puts its resources in that group",
    () => {
      const host = new FakeHost({ '/t/lb.bicep': LB_MODULE });
      const e = evaluated("module m './lb.bicep' = {\n  name: 'm'\n  scope: resourceGroup('net-rg')\n  params: {\n    lbName: 'ilb-hub'\n  }\n}\noutput pool string = m.outputs.poolId\n", { host });
      const expected = '/subscriptions/{subscription().subscriptionid}/resourcegroups/net-rg/providers/microsoft.network/loadbalancers/ilb-hub';
      assert.equal(key(e.resources[1]?.id), expected);
      assert.equal(key(e.resources[0]?.id), '/subscriptions/{subscription().subscriptionid}/resourcegroups/net-rg/providers/microsoft.resources/deployments/m');
      assert.equal(key(e.outputs()['pool']), `${expected}/backendaddresspools/be`);
    },
  );

  it('problems met while reading a resource body later are kept (root file)', () => {
    const e = evaluated(`
var a = b
var b = a
resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: 'nic'
  properties: {
    x: a
  }
}
`);
    for (const r of e.resources) r.body();
    assert.ok(problemsOf(e).some((m) => /refers to itself/.test(m)), problemsOf(e).join('\n'));
  });

  it(
    "problems met while reading a module resource's body later are kept",
    () => {
      const host = new FakeHost({
        '/t/child.bicep': "var a = b\nvar b = a\nresource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {\n  name: 'nic'\n  properties: {\n    x: a\n  }\n}\n",
      });
      const e = evaluated("module c './child.bicep' = {\n  name: 'c'\n}\n", { host });
      for (const r of e.resources) r.body();
      assert.ok(problemsOf(e).some((m) => /refers to itself/.test(m)), problemsOf(e).join('\n') || 'no problems');
    },
  );
});

// ------------------------------------------------------------------ .bicepparam

describe('bicep evaluator: .bicepparam values', () => {
  it('param assignments, with variables and expressions', () => {
    const text = "using './main.bicep'\n\nvar prefix = 'prod'\nparam vmCount = 2 * 2\nparam floating = true\nparam name = '${prefix}-lb'\nparam tags = {\n  env: prefix\n}\nparam zones = [\n  '1'\n  '2'\n]\n";
    const parsed = parseBicep(text, { fileKind: 'bicepparam' });
    assert.deepEqual(parsed.diagnostics, []);
    const { values, problems } = evaluateBicepParams(new SourceFile('/t/main.bicepparam', text), parsed.program);
    assert.deepEqual(values, { vmCount: 4, floating: true, name: 'prod-lb', tags: { env: 'prod' }, zones: ['1', '2'] });
    assert.deepEqual(problems, []);
  });

  it('values known only at deployment are Unknown', () => {
    const text = "using './main.bicep'\nparam secret = readEnvironmentVariable('SECRET')\nparam kv = az.getSecret('sub', 'rg', 'kv', 'name')\n";
    const parsed = parseBicep(text, { fileKind: 'bicepparam' });
    const { values } = evaluateBicepParams(new SourceFile('/t/main.bicepparam', text), parsed.program);
    assertUnknown(values['secret'], 'deployment');
    assert.ok(values['kv'] instanceof Unknown);
  });

  it('the values feed evaluateBicep as parameters, with the parameter source on each resource', () => {
    const paramsText = "using './main.bicep'\nparam count = 3\n";
    const { values } = evaluateBicepParams(new SourceFile('/t/main.bicepparam', paramsText), parseBicep(paramsText, { fileKind: 'bicepparam' }).program);
    const e = evaluated(
      "param count int = 1\nresource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for i in range(0, count): {\n  name: 'nic-${i}'\n}]\n",
      { parameters: values, parameterSource: 'main.bicepparam' },
    );
    assert.equal(e.resources.length, 3);
    assert.equal(e.parameterSource, 'main.bicepparam');
    assert.ok(e.resources.every((r) => r.parameterSource === 'main.bicepparam'));
  });
});

// ------------------------------------------------------------------ half-typed files

describe('bicep evaluator: half-typed Bicep', () => {
  it('a resource header with no body yet: the declarations before and after it are still evaluated', () => {
    const { evaluation, diagnostics } = evaluate(`param prefix string = 'app'
var before = '\${prefix}-before'
resource x 'Microsoft.Network/loadBalancers@2023-09-01' = {
var after = '\${prefix}-after'
resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: 'nic-\${prefix}'
}
output b string = before
output a string = after
`);
    assert.ok(diagnostics.length > 0, 'the parser reports the missing brace');
    const nic = evaluation.resources.find((r) => r.symbolicName === 'nic');
    assert.equal(nic?.name, 'nic-app');
    const lb = evaluation.resources.find((r) => r.symbolicName === 'x');
    assert.ok(lb, 'the half-typed resource is still a declaration');
    assert.ok(lb.name instanceof Unknown);
    assert.deepEqual(evaluation.outputs(), { b: 'app-before', a: 'app-after' });
  });

  it('a file that ends in the middle of a property', () => {
    const { evaluation, diagnostics } = evaluate(`var subnet = 'default'
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'ilb-typing'
}
resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: 'nic-\${subnet}'
  properties: {
    ipConfigurations: [
      {
        name: `);
    assert.ok(diagnostics.length > 0);
    assert.deepEqual(evaluation.resources.map((r) => r.name), ['ilb-typing', 'nic-default']);
    const nic = evaluation.resources[1];
    assert.doesNotThrow(() => nic?.body());
  });

  it('garbage and truncations never throw', () => {
    const source = `${LB('ilb-g')}
resource nics 'Microsoft.Network/networkInterfaces@2023-09-01' = [for (s, i) in range(0, 2): if (i > 0) {
  name: 'nic-\${i}'
  properties: {
    x: lb.properties.backendAddressPools[?0].?id ?? map(range(0, i), j => j)
  }
}]
module m 'br/public:x:1' = {
  name: 'm'
}
output o array = [for n in nics: n.id]
`;
    for (let cut = 0; cut <= source.length; cut += 7) {
      const text = source.slice(0, cut);
      assert.doesNotThrow(() => {
        const { evaluation } = evaluate(text);
        evaluation.outputs();
        for (const r of evaluation.resources) r.body();
      }, `cut at ${cut}`);
    }
  });
});
