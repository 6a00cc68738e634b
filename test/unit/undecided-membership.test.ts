/**
 * A pool reference chosen by a condition (`if(<condition>, json('null'), <pools>)`, Bicep
 * `cond ? null : [...]`), as vendor scale-set templates write it to skip the pool when the load
 * balancer was not deployed: a resource ID is never empty, so `empty(<resource ID>)` is decided;
 * when the condition stays undecided, the member is a possible member and the message says so.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { callPure } from '../../src/core/evaluate/functions';
import { buildResourceId } from '../../src/core/evaluate/resources';
import { Unknown, branchesOf } from '../../src/core/evaluate/value';
import { ruleMembers } from '../../src/core/graph/query';
import { Workspace } from '../../src/core/workspace';
import { SUBNET, analyze, loadBalancer, poolId, template } from './helpers';

const lb = loadBalancer({ name: 'ilb-fw', frontendIp: '10.30.0.10', rules: [{ name: 'rule-app', floatingIp: false, port: 443 }] });

/** A scale set whose ipConfiguration's `loadBalancerBackendAddressPools` is the expression given. */
function scaleSetWithPools(pools: string, capacity = 2): Record<string, unknown> {
  return {
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    apiVersion: '2023-09-01',
    name: 'vmss-fw',
    location: 'westeurope',
    sku: { name: 'Standard_D2s_v5', capacity },
    properties: {
      virtualMachineProfile: {
        networkProfile: {
          networkInterfaceConfigurations: [
            { name: 'nic', properties: { primary: true, ipConfigurations: [{ name: 'ipc', properties: { subnet: { id: SUBNET }, loadBalancerBackendAddressPools: pools } }] } },
          ],
        },
      },
    },
  };
}

const POOL_EXPR = `createArray(createObject('id', ${poolId('ilb-fw', 'be').slice(1, -1)}))`;

describe('empty() of a value not known here', () => {
  it('a resource ID with parts known only at deployment is never empty', () => {
    const id = buildResourceId('resourceGroup', ['Microsoft.Network/loadBalancers', new Unknown('no value', "parameters('lbName')", "parameters('lbName')")]);
    assert.ok(id instanceof Unknown, 'the ID itself is not known');
    assert.equal(callPure('empty', [id]), false);
    assert.equal(callPure('not', [callPure('empty', [id]) as boolean]), true);
  });

  it('a bare value not known here stays undecided', () => {
    const p = new Unknown("parameter 'ilbId' has no value", "parameters('ilbId')", "parameters('ilbId')");
    assert.ok(callPure('empty', [p]) instanceof Unknown);
    assert.ok(callPure('empty', [new Unknown('reference() reads a deployed resource')]) instanceof Unknown);
  });

  it('the choice of an undecided if() is empty or not when every choice says the same', () => {
    const cond = new Unknown('no value');
    assert.equal(callPure('empty', [callPure('if', [cond, 'a', 'b']) as Unknown]), false);
    assert.equal(callPure('empty', [callPure('if', [cond, null, []]) as Unknown]), true);
    assert.ok(callPure('empty', [callPure('if', [cond, null, ['x']]) as Unknown]) instanceof Unknown);
  });
});

describe('if() with an undecided condition keeps both branches, and only as the whole value', () => {
  it('the branches are kept, with the condition', () => {
    const cond = new Unknown("parameter 'mode' has no value", "parameters('mode')");
    const v = callPure('if', [cond, null, [{ id: 'x' }]]);
    assert.deepEqual(
      branchesOf(v).map((b) => [b.value, b.branch?.when]),
      [
        [null, true],
        [[{ id: 'x' }], false],
      ],
    );
  });

  it('a function of it is not one of its branches', () => {
    const v = callPure('if', [new Unknown('no value'), '/a', '/b']) as Unknown;
    const joined = callPure('concat', [v, '/backendAddressPools/be']);
    assert.ok(joined instanceof Unknown);
    assert.equal(joined.alternatives, undefined);
  });
});

describe('membership chosen by a condition', () => {
  it('decided: empty(<resource ID output of a linked template in the workspace>) is false, the scale set is a member', () => {
    const lbTemplate = template({ resources: [lb], outputs: { ilbId: { type: 'string', value: "[resourceId('Microsoft.Network/loadBalancers', 'ilb-fw')]" } } });
    const pools =
      "[if(empty(reference('lbDeployment').outputs.ilbId.value), json('null'), createArray(createObject('id', concat(reference('lbDeployment').outputs.ilbId.value, '/backendAddressPools/be'))))]";
    const main = template({
      resources: [
        { type: 'Microsoft.Resources/deployments', apiVersion: '2022-09-01', name: 'lbDeployment', properties: { mode: 'Incremental', templateLink: { relativePath: 'lb.json' } } },
        scaleSetWithPools(pools),
      ],
    });
    const ws = new Workspace();
    ws.setFile('/w/lb.json', lbTemplate);
    ws.setFile('/w/main.json', main);
    const analysis = ws.analyze();
    const f = analysis.findings.find((x) => x.ruleId === 'hairpin-prone-rule');
    assert.ok(f, 'the rule is hairpin-prone');
    assert.equal(analysis.findings.length, 1);
    assert.equal(f.facts.members, 2);
    assert.ok(!f.message.includes('possible'), f.message);
  });

  it('undecided (the pools in the false branch): a possible member, the count unknown, the message says why', () => {
    const text = template({
      parameters: { mode: { type: 'string' } },
      resources: [lb, scaleSetWithPools(`[if(equals(parameters('mode'), 'standalone'), json('null'), ${POOL_EXPR})]`)],
    });
    const { findings, graph } = analyze(text);
    const f = findings.find((x) => x.ruleId === 'hairpin-prone-rule');
    assert.ok(f, 'the membership is not dropped');
    assert.equal(f.facts.members, null);
    assert.equal(f.facts.membersKnown, 0);
    assert.match(f.message, /scale set vmss-fw \(capacity 2\), a possible member \(only if a condition not known here is false \(.*mode.*\)\)/);
    assert.match(f.message, /the count is not known: vmss-fw is a member only if/);
    const m = ruleMembers(graph!.loadBalancers[0]!.rules[0]!).members[0]!;
    assert.equal(m.possible?.when, false);
  });

  it('undecided, the pools in the true branch: "is true"', () => {
    const text = template({
      parameters: { useIlb: { type: 'bool' } },
      resources: [lb, scaleSetWithPools(`[if(parameters('useIlb'), ${POOL_EXPR}, json('null'))]`)],
    });
    const f = analyze(text).findings.find((x) => x.ruleId === 'hairpin-prone-rule');
    assert.ok(f);
    assert.match(f.message, /a possible member \(only if .* is true/);
  });

  it('a condition decided by a parameter value: a member, or none, and nothing "possible"', () => {
    const text = template({
      parameters: { mode: { type: 'string', defaultValue: 'ha' } },
      resources: [lb, scaleSetWithPools(`[if(equals(parameters('mode'), 'standalone'), json('null'), ${POOL_EXPR})]`)],
    });
    const f = analyze(text).findings.find((x) => x.ruleId === 'hairpin-prone-rule');
    assert.equal(f?.facts.members, 2);
    const off = template({
      parameters: { mode: { type: 'string', defaultValue: 'standalone' } },
      resources: [lb, scaleSetWithPools(`[if(equals(parameters('mode'), 'standalone'), json('null'), ${POOL_EXPR})]`)],
    });
    assert.equal(analyze(off).findings.filter((x) => x.ruleId === 'hairpin-prone-rule').length, 0);
  });

  it('Bicep: `cond ? null : [...]` with an undecided condition', () => {
    const bicep = `
param lbId string

resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: 'ilb-b'
  location: 'westeurope'
  sku: { name: 'Standard' }
  properties: {
    frontendIPConfigurations: [ { name: 'fe', properties: { privateIPAddress: '10.31.0.10', privateIPAllocationMethod: 'Static', subnet: { id: '${SUBNET.slice(1, -1).replace(/'/g, "\\'")}' } } } ]
    backendAddressPools: [ { name: 'be' } ]
    loadBalancingRules: [ {
      name: 'r'
      properties: {
        frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'ilb-b', 'fe') }
        backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-b', 'be') }
        protocol: 'Tcp'
        frontendPort: 80
        backendPort: 80
      }
    } ]
  }
}

resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: 'nic-b'
  location: 'westeurope'
  properties: {
    ipConfigurations: [ {
      name: 'ipc'
      properties: {
        subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default') }
        loadBalancerBackendAddressPools: empty(lbId) ? null : [ { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-b', 'be') } ]
      }
    } ]
  }
}
`;
    const ws = new Workspace();
    ws.setFile('/b/main.bicep', bicep);
    const analysis = ws.analyze();
    assert.deepEqual(analysis.parseErrors, []);
    const f = analysis.findings.find((x) => x.ruleId === 'hairpin-prone-rule');
    assert.ok(f, 'the membership is not dropped');
    assert.match(f.message, /NIC nic-b .*a possible member \(only if .* is false/);
    assert.equal(f.facts.members, null);
  });

  it('a module called twice with branches that differ only in their pools: two instances, each a possible member of its own pool', () => {
    const lbDecl = (name: string): string => `
resource ${name.replace(/-/g, '')} 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: '${name}'
  location: 'westeurope'
  sku: { name: 'Standard' }
  properties: {
    frontendIPConfigurations: [ { name: 'fe', properties: { privateIPAllocationMethod: 'Dynamic', subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default') } } } ]
    backendAddressPools: [ { name: 'be' } ]
    loadBalancingRules: [ {
      name: 'r'
      properties: {
        frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', '${name}', 'fe') }
        backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', '${name}', 'be') }
        protocol: 'Tcp'
        frontendPort: 80
        backendPort: 80
      }
    } ]
  }
}
`;
    const main = `param useIlb bool
${lbDecl('ilb-one')}
${lbDecl('ilb-two')}
module one 'nic.bicep' = {
  name: 'one'
  params: { pools: useIlb ? [ { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-one', 'be') } ] : [] }
}
module two 'nic.bicep' = {
  name: 'two'
  params: { pools: useIlb ? [ { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-two', 'be') } ] : [] }
}
`;
    const nicModule = `param pools array
resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: 'nic-m'
  location: 'westeurope'
  properties: { ipConfigurations: [ { name: 'ipc', properties: { subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default') }, loadBalancerBackendAddressPools: pools } } ] }
}
`;
    const ws = new Workspace();
    ws.setFile('/m/main.bicep', main);
    ws.setFile('/m/nic.bicep', nicModule);
    const analysis = ws.analyze();
    assert.deepEqual(analysis.parseErrors, []);
    const rules = analysis.graphs[0]!.graph.loadBalancers.map((lb) => [lb.name, ruleMembers(lb.rules[0]!).members.map((m) => m.possible?.when)]);
    assert.deepEqual(rules, [
      ['ilb-one', [true]],
      ['ilb-two', [true]],
    ]);
  });
});
