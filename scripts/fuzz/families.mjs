// The families of generated inputs of `npm run fuzz`: each generator takes a seeded random source
// and returns a case: the files of a small workspace (path -> text or bytes), the CLI command to
// run on it, and what must hold. Plain data, no I/O: the harness writes, runs and classifies.

const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';
const SUBNET_ARM = "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'app')]";

/** Two integers mixed into one well-spread seed (consecutive cases get unrelated sources). */
export function mix(a, b) {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x7f4a7c15, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A small seeded random source (mulberry32): the same seed gives the same cases everywhere. */
export function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
  };
}

// ------------------------------------------------------------------ building blocks

/** A Bicep ILB with one rule and one NIC in its pool, named by the `name` parameter. */
export const BICEP_LB = `param name string = 'ilb'
resource lb 'Microsoft.Network/loadBalancers@2023-09-01' = {
  name: name
  location: 'westeurope'
  sku: { name: 'Standard' }
  properties: {
    frontendIPConfigurations: [ { name: 'fe', properties: { privateIPAddress: '10.0.0.10', subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'app') } } } ]
    backendAddressPools: [ { name: 'pool' } ]
    loadBalancingRules: [ { name: 'http', properties: { frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', name, 'fe') }, backendAddressPool: { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', name, 'pool') }, protocol: 'Tcp', frontendPort: 80, backendPort: 80 } } ]
  }
}
resource nic 'Microsoft.Network/networkInterfaces@2023-09-01' = {
  name: '\${name}-nic'
  location: 'westeurope'
  properties: { ipConfigurations: [ { name: 'ip', properties: { subnet: { id: resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'app') }, loadBalancerBackendAddressPools: [ { id: resourceId('Microsoft.Network/loadBalancers/backendAddressPools', name, 'pool') } ] } } ] }
}
`;

/** An ARM ILB with one rule and one NIC in its pool. */
export function armLb(extra = {}) {
  const lb = 'ilb';
  return {
    $schema: SCHEMA,
    contentVersion: '1.0.0.0',
    resources: [
      {
        type: 'Microsoft.Network/loadBalancers',
        apiVersion: '2023-09-01',
        name: lb,
        location: 'westeurope',
        sku: { name: 'Standard' },
        properties: {
          frontendIPConfigurations: [{ name: 'fe', properties: { privateIPAddress: '10.0.0.10', subnet: { id: SUBNET_ARM } } }],
          backendAddressPools: [{ name: 'pool' }],
          loadBalancingRules: [
            {
              name: 'http',
              properties: {
                frontendIPConfiguration: { id: `[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', '${lb}', 'fe')]` },
                backendAddressPool: { id: `[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', '${lb}', 'pool')]` },
                protocol: 'Tcp',
                frontendPort: 80,
                backendPort: 80,
                enableFloatingIP: false,
              },
            },
          ],
        },
      },
      {
        type: 'Microsoft.Network/networkInterfaces',
        apiVersion: '2023-09-01',
        name: 'nic',
        location: 'westeurope',
        ...extra,
        properties: {
          ipConfigurations: [
            { name: 'ip', properties: { subnet: { id: SUBNET_ARM }, loadBalancerBackendAddressPools: [{ id: `[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', '${lb}', 'pool')]` }] } },
          ],
        },
      },
    ],
  };
}

const json = (v) => JSON.stringify(v, null, 2) + '\n';
const armDeployments = (n, target) =>
  json({
    $schema: SCHEMA,
    contentVersion: '1.0.0.0',
    resources: Array.from({ length: n }, (_, k) => ({
      type: 'Microsoft.Resources/deployments',
      apiVersion: '2022-09-01',
      name: `d${k}`,
      properties: { mode: 'Incremental', templateLink: { relativePath: target } },
    })),
  });
const bicepDecls = (n, target) => Array.from({ length: n }, (_, k) => `module m${k} '${target}' = { name: 'm${k}' }`).join('\n') + '\n';

function utf16(text, order) {
  const b = Buffer.from('\uFEFF' + text, 'utf16le');
  if (order === 'be') b.swap16();
  return b;
}

// ------------------------------------------------------------------ semantic abuse (parameterized)

/** `main` -> n x `mid.bicep` -> m x `lb.bicep`, every instance with its own inputs (no cycle). */
export function bicepModuleLoops(n, m) {
  return {
    files: {
      'main.bicep': `module mids 'mid.bicep' = [for i in range(0, ${n}): { name: 'mid-\${i}', params: { i: i } }]\n`,
      'mid.bicep': `param i int\nmodule lbs 'lb.bicep' = [for j in range(0, ${m}): { name: 'lb-\${i}-\${j}', params: { name: 'ilb-\${i}-\${j}' } }]\n`,
      'lb.bicep': BICEP_LB,
    },
    argv: ['scan', '.', '--format', 'json'],
  };
}

/** A module cycle through loops: `a` -> n x `b` -> n x `c` -> n x `a`. */
export function bicepModuleCycle(n) {
  return {
    files: {
      'a.bicep': `module bs 'b.bicep' = [for i in range(0, ${n}): { name: 'b-\${i}' }]\n${BICEP_LB}`,
      'b.bicep': `module cs 'c.bicep' = [for i in range(0, ${n}): { name: 'c-\${i}' }]\n`,
      'c.bicep': `module as 'a.bicep' = [for i in range(0, ${n}): { name: 'a-\${i}' }]\n`,
    },
    argv: ['scan', '.', '--format', 'json'],
  };
}

/** Plain module fan-out: n declarations of `b`, each with n of `c`, each with n of the ILB module. */
export function bicepModuleFanout(n) {
  return {
    files: { 'main.bicep': bicepDecls(n, 'b.bicep'), 'b.bicep': bicepDecls(n, 'c.bicep'), 'c.bicep': bicepDecls(n, 'lb.bicep'), 'lb.bicep': BICEP_LB },
    argv: ['scan', '.', '--format', 'json'],
  };
}

/** ARM `templateLink.relativePath` fan-out n x n x n. */
export function armLinkFanout(n) {
  return {
    files: { 'azuredeploy.json': armDeployments(n, 'b.json'), 'b.json': armDeployments(n, 'c.json'), 'c.json': armDeployments(n, 'lb.json'), 'lb.json': json(armLb()) },
    argv: ['scan', '.', '--format', 'json'],
  };
}

/** A template whose NIC copy count is absurd. */
export function armAbsurdCopy(count) {
  return { files: { 'azuredeploy.json': json(armLb({ copy: { name: 'nics', count } })) }, argv: ['scan', '.', '--format', 'json'] };
}

/** Arrays nested `depth` deep in a template that is otherwise the ILB. */
export function armDeepNesting(depth) {
  const t = armLb();
  const text = json(t).replace('"contentVersion": "1.0.0.0"', `"contentVersion": "1.0.0.0", "metadata": { "deep": ${'['.repeat(depth)}${']'.repeat(depth)} }`);
  return { files: { 'azuredeploy.json': text }, argv: ['scan', '.', '--format', 'json'] };
}

/** Self- and mutually linked ARM templates. */
export function armSelfLink(n) {
  const self = armLb();
  self.resources.push(
    ...Array.from({ length: n }, (_, k) => ({ type: 'Microsoft.Resources/deployments', apiVersion: '2022-09-01', name: `self${k}`, properties: { mode: 'Incremental', templateLink: { relativePath: k % 2 ? 'azuredeploy.json' : 'other.json' } } })),
  );
  return { files: { 'azuredeploy.json': json(self), 'other.json': armDeployments(n, 'azuredeploy.json') }, argv: ['scan', '.', '--format', 'json'] };
}

/** The ILB saved in another encoding. */
export function encoded(encoding) {
  const text = json(armLb());
  const bytes =
    encoding === 'utf-16le' ? utf16(text, 'le')
    : encoding === 'utf-16be' ? utf16(text, 'be')
    : encoding === 'utf-16le-nobom' ? Buffer.from(text, 'utf16le')
    : encoding === 'utf-8-bom' ? Buffer.from('\uFEFF' + text, 'utf8')
    : Buffer.from(text, 'utf8');
  return { files: { 'azuredeploy.json': bytes }, argv: ['scan', '.', '--format', 'json'] };
}

/** A template whose `$schema` is misspelled and that has no contentVersion. */
export function misspelledSchema() {
  const t = armLb();
  t.$schema = SCHEMA.replace('deploymentTemplate', 'deploymentTemplat');
  delete t.contentVersion;
  return { files: { 'azuredeploy.json': json(t) }, argv: ['scan', '.', '--format', 'json'] };
}

/** The table of issue 15: each row as the case that showed it. */
export const ROWS = {
  'bicep-module-loops-20x20': () => ({ ...bicepModuleLoops(20, 20), expect: { exit: 1, findings: 800 } }),
  'bicep-module-cycle-loops-50': () => ({ ...bicepModuleCycle(50), expect: { exit: 1, findings: 3, notes: ['includes itself'] } }),
  'bicep-module-fanout-30x30x30': () => ({ ...bicepModuleFanout(30), expect: { exit: 1, findings: 2 } }),
  'arm-link-fanout-20x20x20': () => ({ ...armLinkFanout(20), expect: { exit: 1, findings: 2 } }),
  'utf16le-bom': () => ({ ...encoded('utf-16le'), expect: { exit: 1, findings: 1 } }),
  'utf16be-bom': () => ({ ...encoded('utf-16be'), expect: { exit: 1, findings: 1 } }),
  'misspelled-schema': () => ({ ...misspelledSchema(), expect: { exit: 0, findings: 0, notes: ['looks like a deployment template'] } }),
};
