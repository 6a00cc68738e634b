/**
 * Floating IP at a module's call site: the rule's `enableFloatingIP` is a parameter of the module
 * (Bicep module, ARM nested deployment with inner scope), so the fix sets the caller's argument
 * (changed from false, or added where the default is used); several callers get one edit each.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeFix } from '../../src/core/fixes';
import { applyAll, load, type Loaded, textOf } from './fix-helpers';

const MODULE = `param name string
param fip bool = false
param vip string

resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: name
  location: 'westeurope'
  sku: { name: 'Standard' }
  properties: {
    frontendIPConfigurations: [ { name: 'fe', properties: { privateIPAllocationMethod: 'Static', privateIPAddress: vip, subnet: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s' } } } ]
    backendAddressPools: [ { name: 'be', properties: { loadBalancerBackendAddresses: [ { name: 'a', properties: { ipAddress: '10.0.0.4', virtualNetwork: { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v' } } } ] } } ]
    loadBalancingRules: [
      {
        name: 'http'
        properties: {
          frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', name, 'fe') }
          backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', name, 'be') }
          protocol: 'Tcp'
          frontendPort: 80
          backendPort: 80
          enableFloatingIP: fip
        }
      }
    ]
  }
}
`;

const hairpins = (l: Loaded) => l.analysis.findings.filter((f) => f.ruleId === 'hairpin-prone-rule');

/** Fixes every finding in turn (re-analysing between), as the CLI does; the texts after. */
function fixAll(texts: Map<string, string>): { texts: Map<string, string>; titles: string[] } {
  let l = load(texts);
  const titles: string[] = [];
  for (let guard = 0; guard < 10; guard++) {
    const f = hairpins(l)[0];
    if (!f) break;
    const r = computeFix('floating-ip', f, textOf(l));
    assert.ok(r.ok, r.ok ? '' : r.reason);
    titles.push(r.fix.title);
    l = load(applyAll(l.texts, r.fix.edits));
  }
  assert.deepEqual(hairpins(l).map((f) => f.message), []);
  return { texts: l.texts, titles };
}

describe('floating IP at the call site of a module parameter', () => {
  it('Bicep: an argument false is set to true; a call that leaves the default gets the argument; the module is not touched', () => {
    const texts = new Map([
      ['/m/lb.bicep', MODULE],
      ['/m/main.bicep', "module a './lb.bicep' = {\n  name: 'a'\n  params: {\n    name: 'lb-a'\n    vip: '10.0.0.10'\n    fip: false\n  }\n}\n\nmodule b './lb.bicep' = {\n  name: 'b'\n  params: {\n    name: 'lb-b'\n    vip: '10.0.0.11'\n  }\n}\n"],
    ]);
    assert.ok(hairpins(load(texts)).length >= 2);
    const { texts: after, titles } = fixAll(texts);
    assert.equal(after.get('/m/lb.bicep'), MODULE);
    assert.equal(after.get('/m/main.bicep'), "module a './lb.bicep' = {\n  name: 'a'\n  params: {\n    name: 'lb-a'\n    vip: '10.0.0.10'\n    fip: true\n  }\n}\n\nmodule b './lb.bicep' = {\n  name: 'b'\n  params: {\n    name: 'lb-b'\n    vip: '10.0.0.11'\n    fip: true\n  }\n}\n");
    assert.ok(titles.every((t) => /argument fip of the call of module \w+ \(main\.bicep\)/.test(t)), titles.join('\n'));
  });

  it('Bicep: a computed argument is refused, saying where the edit belongs', () => {
    const l = load(new Map([
      ['/m/lb.bicep', MODULE],
      ['/m/main.bicep', "param on bool = false\nmodule a './lb.bicep' = {\n  name: 'a'\n  params: {\n    name: 'lb-a'\n    vip: '10.0.0.10'\n    fip: on\n  }\n}\n"],
    ]));
    const f = hairpins(l)[0];
    assert.ok(f);
    const r = computeFix('floating-ip', f, textOf(l));
    assert.ok(!r.ok);
    assert.match(r.reason, /parameter fip of module a: the argument is computed in the call in main\.bicep \(on\): set it to true where its value comes from/);
  });

  it('ARM: a nested deployment (inner scope) gets its parameter value set, or added', () => {
    const nested = (params: string) => `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    {
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "inner",
      "properties": {
        "mode": "Incremental",
        "expressionEvaluationOptions": { "scope": "inner" },
        "parameters": {${params}
        },
        "template": {
          "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
          "contentVersion": "1.0.0.0",
          "parameters": { "fip": { "type": "bool", "defaultValue": false } },
          "resources": [
            {
              "type": "Microsoft.Network/loadBalancers", "apiVersion": "2023-09-01", "name": "ilb", "location": "westeurope",
              "properties": {
                "frontendIPConfigurations": [ { "name": "fe", "properties": { "privateIPAllocationMethod": "Static", "privateIPAddress": "10.0.0.10", "subnet": { "id": "s" } } } ],
                "backendAddressPools": [ { "name": "be", "properties": { "loadBalancerBackendAddresses": [ { "name": "a", "properties": { "ipAddress": "10.0.0.4" } } ] } } ],
                "loadBalancingRules": [ { "name": "http", "properties": {
                  "frontendIPConfiguration": { "id": "[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'ilb', 'fe')]" },
                  "backendAddressPool": { "id": "[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb', 'be')]" },
                  "protocol": "Tcp", "frontendPort": 80, "backendPort": 80, "enableFloatingIP": "[parameters('fip')]" } } ]
              }
            }
          ]
        }
      }
    }
  ]
}
`;
    const withFalse = nested('\n          "fip": { "value": false }');
    const fixed = fixAll(new Map([['/n/t.json', withFalse]]));
    assert.equal(fixed.texts.get('/n/t.json'), withFalse.replace('"fip": { "value": false }', '"fip": { "value": true }'));
    const without = nested('\n          "other": { "value": 1 }');
    const added = fixAll(new Map([['/n/t.json', without]]));
    assert.equal(added.texts.get('/n/t.json'), without.replace('"other": { "value": 1 }', '"other": { "value": 1 },\n          "fip": { "value": true }'));
  });

  it('ARM: a linked template (templateLink.relativePath) gets the argument set in each linking deployment; the linked file is not touched', () => {
    const linked = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": { "fip": { "type": "bool", "defaultValue": false }, "lbName": { "type": "string" } },
  "resources": [
    {
      "type": "Microsoft.Network/loadBalancers", "apiVersion": "2023-09-01", "name": "[parameters('lbName')]", "location": "westeurope",
      "properties": {
        "frontendIPConfigurations": [ { "name": "fe", "properties": { "privateIPAllocationMethod": "Static", "privateIPAddress": "10.0.0.10", "subnet": { "id": "s" } } } ],
        "backendAddressPools": [ { "name": "be", "properties": { "loadBalancerBackendAddresses": [ { "name": "a", "properties": { "ipAddress": "10.0.0.4" } } ] } } ],
        "loadBalancingRules": [ { "name": "http", "properties": {
          "frontendIPConfiguration": { "id": "[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', parameters('lbName'), 'fe')]" },
          "backendAddressPool": { "id": "[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', parameters('lbName'), 'be')]" },
          "protocol": "Tcp", "frontendPort": 80, "backendPort": 80, "enableFloatingIP": "[parameters('fip')]" } } ]
      }
    }
  ]
}
`;
    const deployment = (name: string, params: string) => `    {
      "type": "Microsoft.Resources/deployments",
      "apiVersion": "2022-09-01",
      "name": "${name}",
      "properties": {
        "mode": "Incremental",
        "templateLink": { "relativePath": "lb.json" },
        "parameters": {${params}
        }
      }
    }`;
    const main = `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
${deployment('one', '\n          "lbName": { "value": "ilb-one" },\n          "fip": { "value": false }')},
${deployment('two', '\n          "lbName": { "value": "ilb-two" }')}
  ]
}
`;
    const fixed = fixAll(new Map([['/l/main.json', main], ['/l/lb.json', linked]]));
    assert.equal(fixed.texts.get('/l/lb.json'), linked, 'the linked template is not touched');
    assert.equal(
      fixed.texts.get('/l/main.json'),
      main.replace('"fip": { "value": false }', '"fip": { "value": true }').replace('"lbName": { "value": "ilb-two" }', '"lbName": { "value": "ilb-two" },\n          "fip": { "value": true }'),
    );
    assert.ok(fixed.titles.every((t) => /argument fip of the call of module (one|two) \(main\.json\)/.test(t)), fixed.titles.join('\n'));
  });
});
