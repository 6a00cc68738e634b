/**
 * Every resource a fix writes, checked against Azure's own API definitions (test/unit/azure-spec.ts:
 * Microsoft's OpenAPI files in ../shared/azure-rest-specs, compiled by ajv, unknown properties
 * refused). Each strategy is applied to every hairpin finding of the fixtures and examples and to
 * every corpus positive; the workspace is evaluated again (our ARM and Bicep evaluators give the
 * deployed JSON) and each resource that is new or changed is validated: a new one entirely, at the
 * apiVersion it writes; a changed one at the paths the fix changed.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { computeFix, type FixOptions } from '../../src/core/fixes';
import type { FixStrategy } from '../../src/core/fixes/types';
import type { Finding } from '../../src/core/rules/types';
import { AzureSpecs, changedPaths, checkWritten, MISSING_SPECS, UNKNOWN_MARKER } from './azure-spec';
import { applyAll, CORPUS, corpusFinding, corpusPositives, describeFinding, fixtureWorkspaces, load, type Loaded, readTexts, textOf } from './fix-helpers';

const RUNS: { strategy: FixStrategy; options: FixOptions }[] = [
  { strategy: 'floating-ip', options: {} },
  { strategy: 'floating-ip-loopback', options: { os: 'linux' } },
  { strategy: 'floating-ip-loopback', options: { os: 'windows' } },
  { strategy: 'secondary-nic', options: { os: 'linux' } },
  { strategy: 'secondary-nic', options: { os: 'windows' } },
  { strategy: 'nginx-nva', options: {} },
  { strategy: 'app-gateway', options: {} },
  { strategy: 'app-gateway', options: { sku: 'WAF_v2' } },
];

class Tally {
  fixes = 0;
  resources = 0;
  readonly byStrategy = new Map<string, number>();
  readonly unchecked = new Map<string, number>();
  readonly problems: string[] = [];
}

function checkAll(l: Loaded, f: Finding, specs: AzureSpecs, tally: Tally): void {
  for (const { strategy, options } of RUNS) {
    const r = computeFix(strategy, f, textOf(l), options);
    if (!r.ok) continue;
    const after = load(applyAll(l.texts, r.fix.edits));
    const result = checkWritten(specs, l.ws, after.ws);
    tally.fixes++;
    tally.resources += result.checked;
    const label = `${strategy}${options.os ? ` --os ${options.os}` : ''}${options.sku ? ` --sku ${options.sku}` : ''}`;
    tally.byStrategy.set(label, (tally.byStrategy.get(label) ?? 0) + result.checked);
    for (const u of result.unchecked) tally.unchecked.set(u, (tally.unchecked.get(u) ?? 0) + 1);
    tally.problems.push(...result.problems.map((p) => `${label} on ${describeFinding(f)}: ${p}`));
  }
}

function report(t: { diagnostic(s: string): void }, tally: Tally): void {
  t.diagnostic(`${tally.fixes} fixes applied, ${tally.resources} written resources validated`);
  for (const [s, n] of tally.byStrategy) t.diagnostic(`  ${s}: ${n} resources`);
  for (const [u, n] of tally.unchecked) t.diagnostic(`  not checked (${n}x), the definition is not saved: ${u}`);
}

const skip = !AzureSpecs.available() && '../shared/azure-rest-specs is not present';

describe('API specs: the validator', { skip }, () => {
  const specs = new AzureSpecs();
  const extension = (settings: Record<string, string>, extra: Record<string, string> = {}) => ({
    name: 'vm1/ext',
    location: 'westeurope',
    properties: { publisher: 'Microsoft.Azure.Extensions', type: 'CustomScript', typeHandlerVersion: '2.1', autoUpgradeMinorVersion: true, protectedSettings: settings, ...extra },
  });

  it('accepts a CustomScript extension as the loopback fix writes it', () => {
    assert.deepEqual(specs.validate('Microsoft.Compute/virtualMachines/extensions', '2023-09-01', extension({ script: 'IyEvYmluL2Jhc2g=' })), []);
  });

  it('reads property names case-insensitively, as the resource providers do', () => {
    assert.deepEqual(specs.validate('Microsoft.Compute/virtualMachines/extensions', '2023-09-01', { Location: 'l', Properties: { Publisher: 'p', TypeHandlerVersion: '2.1' } }), []);
  });

  it('refuses a property the definition does not have, however deep (Swagger would allow it)', () => {
    const problems = specs.validate('Microsoft.Compute/virtualMachines/extensions', '2023-09-01', extension({}, { scriptComment: 'echo hi' }));
    assert.deepEqual(problems, [{ path: '/properties/scriptcomment', message: 'is not a property of this object in the API definition' }]);
    const nic = { location: 'x', properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAllocationMethod: 'Dynamic', subnet: { id: 's', bogus: 1 } } }] } };
    assert.deepEqual(specs.validate('Microsoft.Network/networkInterfaces', '2023-09-01', nic), [
      { path: '/properties/ipconfigurations/0/properties/subnet/bogus', message: 'is not a property of this object in the API definition' },
    ]);
  });

  it("accepts the properties a definition takes from its bases (allOf): a NIC's name, location, tags, id", () => {
    assert.deepEqual(specs.validate('Microsoft.Network/networkInterfaces', '2023-09-01', { id: 'x', name: 'n', location: 'l', tags: { a: 'b' }, properties: {} }), []);
  });

  it('refuses a wrong type, a value outside an enum (also a modelAsString one), a missing required property', () => {
    const lb = {
      location: 'l',
      sku: { name: 'Premium' },
      properties: { loadBalancingRules: [{ name: 'r', properties: { protocol: 'Tcp', frontendPort: '80', backendPort: 80, enableFloatingIP: 'yes' } }] },
    };
    const problems = specs.validate('Microsoft.Network/loadBalancers', '2023-09-01', lb);
    assert.ok(typeof problems !== 'string');
    const paths = problems.map((p) => p.path).sort();
    assert.deepEqual(paths, ['/properties/loadbalancingrules/0/properties/enablefloatingip', '/properties/loadbalancingrules/0/properties/frontendport', '/sku/name']);
    const ext = specs.validate('Microsoft.Compute/virtualMachines/extensions', '2023-09-01', { location: 'l', properties: { publisher: 'p' } });
    assert.deepEqual(ext, []); // the extension's properties have no required members in this version
    const vm = specs.validate('Microsoft.Compute/virtualMachines', '2023-09-01', { properties: {} });
    assert.deepEqual(vm, [{ path: '/location', message: 'is required by the API definition and missing' }]);
  });

  it('lets a value our evaluator leaves unknown pass its type and enum, not its name', () => {
    const lb = { location: UNKNOWN_MARKER, properties: { loadBalancingRules: [{ name: 'r', properties: { protocol: UNKNOWN_MARKER, frontendPort: UNKNOWN_MARKER, backendPort: 80 } }] } };
    assert.deepEqual(specs.validate('Microsoft.Network/loadBalancers', '2023-09-01', lb), []);
    const named = { location: 'l', [UNKNOWN_MARKER]: 1 };
    assert.equal((specs.validate('Microsoft.Network/loadBalancers', '2023-09-01', named) as unknown[]).length, 1);
  });

  it('says which types and apiVersions it has no definition for', () => {
    assert.match(String(specs.validate('Microsoft.Network/networkInterfaces', '2017-06-01', {})), /no API definition of Microsoft.Network\/networkInterfaces@2017-06-01 .*saved: 2023-09-01/);
    assert.match(String(specs.validate('Microsoft.Compute/availabilitySets', '2023-09-01', {})), /availabilitySet\.json/);
    assert.ok(MISSING_SPECS['microsoft.resources/deployments']);
  });

  it('changedPaths: the added and changed values only', () => {
    assert.deepEqual(changedPaths({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3, 4], d: true } }), ['/b/c/1', '/b/c/2', '/b/d']);
  });

  it('a fix that writes an unknown property fails the check', () => {
    const text = (extra: string) => `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.Network/networkInterfaces", "apiVersion": "2023-09-01", "name": "nic1", "location": "westeurope",
      "properties": { "ipConfigurations": [ { "name": "ipconfig1", "properties": { "privateIPAllocationMethod": "Dynamic"${extra} } } ] } }
  ]
}`;
    const before = load(new Map([['/t/a.json', text('')]]));
    const good = load(new Map([['/t/a.json', text(', "primary": true')]]));
    const bad = load(new Map([['/t/a.json', text(', "primaryy": true')]]));
    assert.deepEqual(checkWritten(specs, before.ws, good.ws).problems, []);
    const found = checkWritten(specs, before.ws, bad.ws).problems;
    assert.equal(found.length, 1);
    assert.match(found[0] as string, /\/properties\/ipconfigurations\/0\/properties\/primaryy is not a property/);
  });
});

describe('API specs: what every fix writes, on the fixtures and examples', { skip }, () => {
  const specs = new AzureSpecs();
  const tally = new Tally();
  for (const { label, root } of fixtureWorkspaces()) {
    it(label, () => {
      const l = load(readTexts(root));
      for (const f of l.analysis.findings.filter((x) => x.ruleId === 'hairpin-prone-rule')) checkAll(l, f, specs, tally);
    });
  }
  it('no problem in any written resource', (t) => {
    report(t, tally);
    assert.deepEqual(tally.problems, []);
    assert.ok(tally.fixes >= 50 && tally.resources >= tally.fixes, `${tally.fixes} fixes, ${tally.resources} resources`);
    for (const s of ['floating-ip', 'floating-ip-loopback --os linux', 'floating-ip-loopback --os windows', 'secondary-nic --os linux', 'secondary-nic --os windows', 'nginx-nva', 'app-gateway', 'app-gateway --sku WAF_v2']) {
      assert.ok((tally.byStrategy.get(s) ?? 0) > 0, `${s} wrote resources that were checked`);
    }
  });
});

describe('API specs: what every fix writes, on the corpus positives', { skip: skip || (!corpusPositives().length && `${CORPUS} is not present`) }, () => {
  const specs = new AzureSpecs();
  const tally = new Tally();
  const loaded = new Map<string, Loaded>();
  for (const p of corpusPositives()) {
    it(`${p.file}: ${p.lbRule}`, () => {
      let l = loaded.get(p.repo);
      if (!l) loaded.set(p.repo, (l = load(readTexts(path.join(CORPUS, p.repo)))));
      const f = corpusFinding(l, p);
      assert.ok(f, 'the positive is found');
      checkAll(l, f, specs, tally);
    });
  }
  it('no problem in any written resource', (t) => {
    report(t, tally);
    assert.deepEqual(tally.problems, []);
    assert.ok(tally.resources > 0);
  });
});
