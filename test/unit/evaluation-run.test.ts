/**
 * Cost bounded by the work: a module or linked template evaluated with the same inputs is
 * evaluated once (fan-out costs its distinct instances), a cycle through loops is cut at its
 * first repetition, and a budget on instances and bytes ends a root's evaluation with one note
 * naming the chain. Distinct inputs stay distinct instances.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { evaluateArmTemplate } from '../../src/core/evaluate/arm-evaluator';
import { evaluateBicep, type LoadedTemplate } from '../../src/core/evaluate/bicep-evaluator';
import { CURRENT_SCOPE } from '../../src/core/evaluate/resources';
import { EvaluationRun, instanceKey } from '../../src/core/evaluate/run';
import { Unknown } from '../../src/core/evaluate/value';
import { parseArm } from '../../src/core/parse/arm';
import { parseBicep } from '../../src/core/parse/bicep';
import { SourceFile } from '../../src/core/source';
import { Workspace } from '../../src/core/workspace';
import { loadBalancer, nic, poolId, template } from './helpers';

const GUARD = { timeout: 30_000 };

const LB_BICEP = `param name string = 'ilb'
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: name
  properties: {
    frontendIPConfigurations: [ { name: 'fe', properties: { privateIPAddress: '10.0.0.10', subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'app') } } } ]
    backendAddressPools: [ { name: 'pool' } ]
    loadBalancingRules: [ { name: 'http', properties: { frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', name, 'fe') }, backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', name, 'pool') }, protocol: 'Tcp', frontendPort: 80, backendPort: 80 } } ]
  }
}
resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: '\${name}-nic'
  properties: { ipConfigurations: [ { name: 'ip', properties: { subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'app') }, loadBalancerBackendAddressPools: [ { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', name, 'pool') } ] } } ] }
}
`;

const decls = (n: number, target: string): string => Array.from({ length: n }, (_, k) => `module m${k} '${target}' = { name: 'm${k}' }`).join('\n') + '\n';

function analyze(files: Record<string, string>): ReturnType<Workspace['analyze']> {
  const ws = new Workspace();
  for (const [p, t] of Object.entries(files)) ws.setFile(`/w/${p}`, t);
  return ws.analyze();
}

const loadBalancers = (a: ReturnType<Workspace['analyze']>): number => a.graphs.reduce((n, g) => n + g.graph.loadBalancers.length, 0);

describe('evaluation run: the same inputs are evaluated once', () => {
  it('Bicep module fan-out 30 x 30 x 30 of one module with the same inputs: one instance, one finding (at the outermost call)', GUARD, () => {
    const a = analyze({ 'main.bicep': decls(30, 'b.bicep'), 'b.bicep': decls(30, 'c.bicep'), 'c.bicep': decls(30, 'lb.bicep'), 'lb.bicep': LB_BICEP });
    assert.equal(loadBalancers(a), 1);
    assert.equal(a.findings.length, 1);
  });

  it('a module cycle through loops (a -> 50 b -> 50 c -> 50 a) ends with a note, once around', GUARD, () => {
    const loop = (target: string): string => `module xs '${target}' = [for i in range(0, 50): { name: 'x-\${i}' }]\n`;
    const a = analyze({ 'a.bicep': loop('b.bicep') + LB_BICEP, 'b.bicep': loop('c.bicep'), 'c.bicep': loop('a.bicep') });
    assert.ok(a.problems.some((p) => /includes itself/.test(p.message)));
    assert.ok(a.findings.length >= 1);
  });

  it('distinct inputs stay distinct instances: 20 x 20 modules with their own names are 400 load balancers', GUARD, () => {
    const a = analyze({
      'main.bicep': `module mids 'mid.bicep' = [for i in range(0, 20): { name: 'mid-\${i}', params: { i: i } }]\n`,
      'mid.bicep': `param i int\nmodule lbs 'lb.bicep' = [for j in range(0, 20): { name: 'lb-\${i}-\${j}', params: { name: 'ilb-\${i}-\${j}' } }]\n`,
      'lb.bicep': LB_BICEP,
    });
    assert.equal(loadBalancers(a), 400);
  });

  it('a module that reads deployment().name is an instance per deployment name, even with the same parameters', GUARD, () => {
    const a = analyze({
      'main.bicep': `module one 'lb.bicep' = { name: 'one' }\nmodule two 'lb.bicep' = { name: 'two' }\n`,
      'lb.bicep': LB_BICEP.replace("param name string = 'ilb'", 'param name string = deployment().name'),
    });
    assert.equal(loadBalancers(a), 2);
  });

  it('ARM templateLink fan-out 20 x 20 x 20 with the same inputs: one instance', GUARD, () => {
    const deployments = (target: string): string =>
      template({
        resources: Array.from({ length: 20 }, (_, k) => ({ type: 'Microsoft.Resources/deployments', apiVersion: '2022-09-01', name: `d${k}`, properties: { mode: 'Incremental', templateLink: { relativePath: target } } })),
      });
    const lb = template({ resources: [loadBalancer({ name: 'ilb', frontendIp: '10.0.0.10' }), nic('nic', [poolId('ilb', 'be')])] });
    const a = analyze({ 'azuredeploy.json': deployments('b.json'), 'b.json': deployments('c.json'), 'c.json': deployments('lb.json'), 'lb.json': lb });
    assert.equal(loadBalancers(a), 1);
    assert.equal(a.findings.length, 1);
  });
});

describe('evaluation run: a budget on instances and bytes per root', () => {
  const host = (files: Record<string, string>) => ({
    load: (_from: string, rel: string): LoadedTemplate | undefined => {
      const text = files[rel];
      return text === undefined ? undefined : { kind: 'bicep', file: new SourceFile(`/w/${rel}`, text), program: parseBicep(text, { fileKind: 'bicep' }).program };
    },
  });

  it('Bicep: past the instances budget, one note names the root and the chain; the rest is unknown', GUARD, () => {
    const main = `module mids 'mid.bicep' = [for i in range(0, 3): { name: 'mid-\${i}', params: { i: i } }]\n`;
    const files = { 'mid.bicep': `param i int\nmodule lbs 'lb.bicep' = [for j in range(0, 3): { name: 'lb-\${i}-\${j}', params: { name: 'ilb-\${i}-\${j}' } }]\n`, 'lb.bicep': LB_BICEP };
    const ev = evaluateBicep(new SourceFile('/w/main.bicep', main), parseBicep(main, { fileKind: 'bicep' }).program, { host: host(files), run: new EvaluationRun('/w/main.bicep', 5) });
    const notes = ev.problems.filter((p) => /stopped/.test(p.message));
    assert.equal(notes.length, 1);
    assert.match(notes[0]?.message ?? '', /^Evaluation of main\.bicep stopped: it needs more than 5 module and linked-template instances .* Stopped at main\.bicep > mids\[1\] > lbs\[0\] \(lb\.bicep\)/);
    // mids[0] and its three load balancers, then mids[1]: the budget of 5.
    assert.equal(ev.resources.filter((r) => r.type === 'Microsoft.Network/loadBalancers').length, 3);
  });

  it('Bicep: past the bytes budget, the same', GUARD, () => {
    const main = `module lbs 'lb.bicep' = [for j in range(0, 4): { name: 'lb-\${j}', params: { name: 'ilb-\${j}' } }]\n`;
    const ev = evaluateBicep(new SourceFile('/w/main.bicep', main), parseBicep(main, { fileKind: 'bicep' }).program, {
      host: host({ 'lb.bicep': LB_BICEP }),
      run: new EvaluationRun('/w/main.bicep', 100, LB_BICEP.length * 2),
    });
    assert.ok(ev.problems.some((p) => /MB of module and linked-template text/.test(p.message)));
    assert.equal(ev.resources.filter((r) => r.type === 'Microsoft.Network/loadBalancers').length, 2);
  });

  it('ARM: linked templates past the budget, with the chain of deployment names', GUARD, () => {
    const lbText = template({ parameters: { n: { type: 'string' } }, resources: [loadBalancer({ name: "[parameters('n')]", frontendIp: '10.0.0.10' })] });
    const rootText = template({
      resources: Array.from({ length: 4 }, (_, k) => ({ type: 'Microsoft.Resources/deployments', apiVersion: '2022-09-01', name: `d${k}`, properties: { mode: 'Incremental', templateLink: { relativePath: 'lb.json' }, parameters: { n: { value: `ilb${k}` } } } })),
    });
    const lbDoc = parseArm(new SourceFile('/w/lb.json', lbText));
    const ev = evaluateArmTemplate(parseArm(new SourceFile('/w/azuredeploy.json', rootText)), { host: { loadLinked: () => lbDoc }, run: new EvaluationRun('/w/azuredeploy.json', 2) });
    assert.ok(ev.problems.some((p) => /^Evaluation of azuredeploy\.json stopped: .* Stopped at azuredeploy\.json > d2 \(lb\.json\)/.test(p.message)), JSON.stringify(ev.problems));
    assert.equal(ev.resources.filter((r) => r.type === 'Microsoft.Network/loadBalancers').length, 2);
  });

  it('instanceKey: object key order and case do not matter; Unknowns by symbol; inputs too large are no key', () => {
    assert.equal(instanceKey('/a', { x: 1, Y: [1, 'a'] }, CURRENT_SCOPE), instanceKey('/a', { y: [1, 'a'], x: 1 }, CURRENT_SCOPE));
    assert.notEqual(instanceKey('/a', { x: 1 }, CURRENT_SCOPE), instanceKey('/a', { x: '1' }, CURRENT_SCOPE));
    assert.notEqual(instanceKey('/a', { x: new Unknown('p', undefined, 's1') }, CURRENT_SCOPE), instanceKey('/a', { x: new Unknown('p', undefined, 's2') }, CURRENT_SCOPE));
    assert.equal(instanceKey('/a', { x: 'z'.repeat(2 << 20) }, CURRENT_SCOPE), undefined);
  });
});
