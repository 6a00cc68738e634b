/**
 * Bad input never throws and never hangs: every case gets a result, and a problem where the
 * template is wrong. Each test has a timeout as a hang guard (not a speed assertion).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';

import { analyzeArmText, type TemplateAnalysis } from '../../src/core/engine';
import { Unknown, display } from '../../src/core/evaluate/value';
import { SEED_LAB, TEMPLATE_SCHEMA, assertUnknown, loadBalancer, nic, poolId, template } from './helpers';

const HANG_GUARD = { timeout: 60_000 };

/** Analyzes and fails the test (instead of crashing the run) if the engine throws. */
function safe(text: string, path = '/virtual/robust.json'): TemplateAnalysis {
  let result: TemplateAnalysis | undefined;
  assert.doesNotThrow(() => {
    result = analyzeArmText(path, text);
  });
  assert.ok(result);
  return result;
}

describe('robustness: text that is not (yet) a template', () => {
  it('empty file', HANG_GUARD, () => {
    const a = safe('');
    assert.equal(a.isTemplate, false);
    assert.deepEqual(a.findings, []);
  });

  it('a lone "{"', HANG_GUARD, () => {
    const a = safe('{');
    assert.equal(a.isTemplate, false);
    assert.ok(a.document.errors.length > 0, 'the syntax error is known');
    assert.deepEqual(a.findings, []);
  });

  it('a half-typed template is a template with parse errors', HANG_GUARD, () => {
    const text = `{\n  "$schema": "${TEMPLATE_SCHEMA}",\n  "resources": [\n    { "type": "Microsoft.Network/loadBalancers", "name": "[concat('a'`;
    const a = safe(text);
    assert.equal(a.isTemplate, true);
    assert.ok(a.parseErrors.length > 0);
    for (const e of a.parseErrors) assert.ok(e.span.start >= 0 && e.span.start <= text.length);
  });

  it('every truncation and many random cuts of the seed lab (seeded) analyze without throwing', HANG_GUARD, () => {
    const seed = fs.readFileSync(SEED_LAB, 'utf8');
    for (let end = 0; end <= seed.length; end += 97) safe(seed.slice(0, end));
    let state = 7;
    const rand = (n: number): number => {
      state = (state * 1103515245 + 12345) & 0x7fffffff;
      return state % n;
    };
    for (let i = 0; i < 200; i++) {
      const at = rand(seed.length);
      const len = 1 + rand(40);
      const a = safe(seed.slice(0, at) + seed.slice(at + len));
      // A cut that leaves the template whole enough may still find the rule; never more than one.
      assert.ok(a.findings.length <= 1);
    }
  });
});

describe('robustness: large and deep input', () => {
  it('a 5 MB template with thousands of pool members', HANG_GUARD, () => {
    const nics: unknown[] = [];
    let text = '';
    for (let i = 0; text.length < 5 * 1024 * 1024; i++) {
      nics.push(nic(`nic${i}`, [poolId('lb', 'be')], { ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` }));
      if (i % 500 === 499) text = template({ resources: [loadBalancer({ name: 'lb', frontendIp: '10.255.0.1' }), ...nics] });
    }
    const count = nics.length - (nics.length % 500);
    const a = safe(text);
    assert.equal(a.findings.length, 1);
    assert.equal(a.findings[0]!.facts.members, count);
    // Members written at one place are listed once per place, up to a limit.
    assert.ok(a.findings[0]!.related.length <= 3 + 26);
  });

  it('arrays nested 5000 deep where nothing reads them', HANG_GUARD, () => {
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const text = template({ variables: { deep: 'DEEP' }, resources: [loadBalancer({ name: 'lb', frontendIp: '10.0.0.1' }), nic('nic1', [poolId('lb', 'be')])] }).replace(
      '"DEEP"',
      deep,
    );
    const a = safe(text);
    assert.equal(a.isTemplate, true);
    assert.equal(a.findings.length, 1);
  });

  it(
    'arrays nested 5000 deep inside a member NIC (read by the graph)',
    HANG_GUARD,
    () => {
      const theNic = nic('nic1', [poolId('lb', 'be')]);
      (theNic['properties'] as Record<string, unknown>)['tagsLikeJunk'] = 'DEEP';
      const text = template({ resources: [loadBalancer({ name: 'lb', frontendIp: '10.0.0.1' }), theNic] }).replace('"DEEP"', '['.repeat(5000) + ']'.repeat(5000));
      const a = safe(text);
      assert.equal(a.isTemplate, true);
      assert.ok(a.problems.length >= 1, 'a problem says the value nests too deeply');
    },
  );

  it(
    'a property chain 20000 long in a member NIC name',
    HANG_GUARD,
    () => {
      const text = template({
        variables: { x: { a: 'n' } },
        resources: [loadBalancer({ name: 'lb', frontendIp: '10.0.0.1' }), nic(`[variables('x')${'.a'.repeat(20000)}]`, [poolId('lb', 'be')])],
      });
      const a = safe(text);
      assert.ok(a.problems.length >= 1);
    },
  );

  it('an expression nested 1000 calls deep: Unknown with a problem', HANG_GUARD, () => {
    let expr = "'x'";
    for (let i = 0; i < 1000; i++) expr = `concat(${expr}, 'y')`;
    const a = safe(template({ resources: [loadBalancer({ name: `[${expr}]`, frontendIp: '10.0.0.1' })] }));
    const lb = a.evaluation!.resources[0]!;
    assertUnknown(lb.name);
    assert.ok(a.problems.some((p) => /nested too deeply/.test(p.message)), a.problems.map((p) => p.message).join('\n'));
  });
});

describe('robustness: runaway evaluation', () => {
  const doubling = (): Record<string, unknown> => {
    const variables: Record<string, unknown> = { v0: 'ab' };
    for (let i = 1; i <= 64; i++) variables[`v${i}`] = `[concat(variables('v${i - 1}'), variables('v${i - 1}'))]`;
    return variables;
  };

  it('a string doubled through 64 variables becomes Unknown instead of 2^65 characters', HANG_GUARD, () => {
    const a = safe(template({ variables: doubling(), resources: [loadBalancer({ name: "[variables('v64')]", frontendIp: '10.0.0.1' })] }));
    const name = a.evaluation!.resources[0]!.name;
    assertUnknown(name, 'longer than');
    assert.equal(a.graph!.loadBalancers.length, 1);
  });

  it(
    'a string doubled through 64 variables is reported as a problem',
    HANG_GUARD,
    () => {
      const a = safe(template({ variables: doubling(), resources: [loadBalancer({ name: "[variables('v64')]", frontendIp: '10.0.0.1' })] }));
      assert.ok(a.problems.some((p) => /long/i.test(p.message)), a.problems.map((p) => p.message).join('\n'));
    },
  );

  it("copy count [int('999999999')]: 800 instances and a problem stating ARM's limit", HANG_GUARD, () => {
    const a = safe(
      template({
        resources: [loadBalancer({ name: 'lb', frontendIp: '10.0.0.1' }), nic("[concat('nic', copyIndex())]", [poolId('lb', 'be')], { copy: { name: 'nics', count: "[int('999999999')]" } })],
      }),
    );
    assert.equal(a.evaluation!.resources.filter((r) => r.type === 'Microsoft.Network/networkInterfaces').length, 800);
    assert.equal(a.problems.length, 1);
    assert.match(a.problems[0]!.message, /999999999/);
    assert.match(a.problems[0]!.message, /800/);
    assert.equal(a.findings[0]!.facts.members, 800);
  });

  it('a variable that refers to itself through three others: Unknown, one problem, no hang', HANG_GUARD, () => {
    const variables = { a: "[variables('b')]", b: "[concat(variables('c'), '-x')]", c: "[variables('d')]", d: "[toUpper(variables('a'))]" };
    const a = safe(template({ variables, resources: [loadBalancer({ name: "[variables('a')]", frontendIp: '10.0.0.1' })] }));
    assert.ok(a.evaluation!.resources[0]!.name instanceof Unknown);
    assert.equal(a.problems.length, 1);
    assert.match(a.problems[0]!.message, /Variable '[abcd]' refers to itself/);
  });

  it('a tiny evaluation budget stops with one problem and still gives a result', HANG_GUARD, () => {
    const text = template({
      resources: [loadBalancer({ name: 'lb', frontendIp: '10.0.0.1' }), nic("[concat('nic', copyIndex())]", [poolId('lb', 'be')], { copy: { name: 'n', count: 500 } })],
    });
    const a = analyzeArmText('/virtual/budget.json', text, { budget: 2000 });
    const stops = a.problems.filter((p) => /Evaluation stopped/.test(p.message));
    assert.equal(stops.length, 1);
  });
});

describe('robustness: unicode', () => {
  it('names with accents, CJK and emoji are matched and reported; columns count UTF-16 units', HANG_GUARD, () => {
    const lbName = 'ilb-ümlaut-日本-😀';
    const text = [
      '{',
      `  "$schema": "${TEMPLATE_SCHEMA}",`,
      '  "contentVersion": "1.0.0.0",',
      '  "resources": [',
      `    { "type": "Microsoft.Network/loadBalancers", "apiVersion": "2023-09-01", "name": "${lbName}", "properties": {`,
      `        "frontendIPConfigurations": [ { "name": "fé", "properties": { "privateIPAddress": "10.0.0.1", "subnet": { "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'sub')]" } } } ],`,
      '        "backendAddressPools": [ { "name": "池" } ],',
      `        "loadBalancingRules": [ { "name": "règle-😀", "properties": { "frontendIPConfiguration": { "id": "[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', '${lbName}', 'fé')]" }, "backendAddressPool": { "id": "[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', '${lbName}', '池')]" }, "protocol": "Tcp", "frontendPort": 80, "backendPort": 80, "enableFloatingIP": false } } ]`,
      '    } },',
      `    { "type": "Microsoft.Network/networkInterfaces", "apiVersion": "2023-09-01", "name": "nic-ñ", "properties": { "ipConfigurations": [ { "name": "ip", "properties": { "loadBalancerBackendAddressPools": [ { "id": "[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', '${lbName.toUpperCase()}', '池')]" } ] } } ] } }`,
      '  ]',
      '}',
    ].join('\n');
    const a = safe(text);
    assert.equal(a.findings.length, 1);
    const f = a.findings[0]!;
    assert.equal(f.facts.loadBalancer, lbName);
    assert.equal(f.facts.lbRule, 'règle-😀');
    assert.match(f.message, /pool 池/);
    assert.match(f.message, /NIC nic-ñ/);
    const pos = a.file.positionAt(f.span.start);
    const lines = text.split('\n');
    assert.equal(lines[pos.line]!.slice(pos.character, pos.character + 5), 'false');
    assert.equal(display(f.facts.loadBalancer), lbName);
  });
});

describe('robustness: locations without a syntax tree', () => {
  it('the offset index finds values by path, with escaped keys, duplicates (the last wins) and after an edit inside a string', HANG_GUARD, async () => {
    const { OffsetIndex } = await import('../../src/core/parse/offset-index');
    const text = '{ "a": [1, {"b\\u0063": "xy"}], "a2": {"k": 1, "k": 22} }';
    const index = OffsetIndex.build(text);
    assert.ok(index);
    const at = (path: (string | number)[]): string | undefined => {
      const n = index.locate(path);
      return n ? text.slice(n.offset, n.offset + n.length) : undefined;
    };
    assert.equal(at(['a', 1, 'bc']), '"xy"');
    assert.equal(at(['a', 0]), '1');
    assert.equal(at(['a2', 'k']), '22');
    assert.equal(at(['a', 5]), undefined);
    const prop = index.locate(['a2']);
    assert.equal(prop?.parent ? text.slice(prop.parent.offset, prop.parent.offset + prop.parent.length) : undefined, '"a2": {"k": 1, "k": 22}');
    const edited = text.replace('"xy"', '"xyz"');
    const next = index.edited(edited, text, text.indexOf('xy') + 2, text.indexOf('xy') + 2, text.indexOf('xy') + 3);
    assert.ok(next);
    const n = next.locate(['a2', 'k']);
    assert.equal(n ? edited.slice(n.offset, n.offset + n.length) : undefined, '22');
  });
});
