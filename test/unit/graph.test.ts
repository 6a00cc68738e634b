import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { idKey } from '../../src/core/evaluate/resources';
import { Unknown, display } from '../../src/core/evaluate/value';
import type { LoadBalancerNode, NetworkGraph } from '../../src/core/graph/model';
import { ruleMembers } from '../../src/core/graph/query';
import { SUBNET, analyze, assertUnknown, loadBalancer, nic, poolId, scaleSet, template, vm } from './helpers';

const NIC_ID = (name: string): string => `[resourceId('Microsoft.Network/networkInterfaces', '${name}')]`;

function graphOf(resources: unknown[], parameters?: Record<string, unknown>): NetworkGraph {
  const a = analyze(template({ resources, ...(parameters ? { parameters } : {}) }));
  assert.ok(a.graph, 'a template has a graph');
  return a.graph;
}

function onlyLb(g: NetworkGraph): LoadBalancerNode {
  assert.equal(g.loadBalancers.length, 1);
  return g.loadBalancers[0]!;
}

describe('graph: members from NICs', () => {
  it('a NIC attached to a VM is a member with that VM', () => {
    const g = graphOf([loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }), nic('nic1', [poolId('lb', 'be')], { ip: '10.0.0.4' }), vm('vm1', [NIC_ID('nic1')])]);
    const members = onlyLb(g).pools[0]!.members;
    assert.equal(members.length, 1);
    const m = members[0]!;
    assert.equal(m.kind, 'nic');
    assert.equal(m.resource?.name, 'nic1');
    assert.equal(m.vm?.name, 'vm1');
    assert.equal(m.privateIp, '10.0.0.4');
    assert.equal(m.ipConfigName, 'ipconfig1');
    assert.equal(m.instances, 1);
    assert.equal(idKey(m.subnetId), '/providers/microsoft.network/virtualnetworks/vnet/subnets/default');
  });

  it('a NIC no VM attaches is still a member, and the message says so', () => {
    const a = analyze(template({ resources: [loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }), nic('lonely', [poolId('lb', 'be')])] }));
    const m = a.graph!.loadBalancers[0]!.pools[0]!.members[0]!;
    assert.equal(m.vm, undefined);
    assert.equal(a.findings.length, 1);
    assert.match(a.findings[0]!.message, /NIC lonely \(no VM attaches it/);
  });

  it('a VM with two NICs, one in the pool, is one member; the other NIC is not', () => {
    const g = graphOf([
      loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }),
      nic('nic-in', [poolId('lb', 'be')]),
      nic('nic-out', []),
      vm('vm1', [NIC_ID('nic-in'), NIC_ID('nic-out')]),
    ]);
    const members = onlyLb(g).pools[0]!.members;
    assert.deepEqual(
      members.map((m) => [m.resource?.name, m.vm?.name]),
      [['nic-in', 'vm1']],
    );
  });

  it('NIC copy loop attached to a VM copy loop: one member per NIC, each with its VM', () => {
    const g = graphOf([
      loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }),
      nic("[concat('nic', copyIndex())]", [poolId('lb', 'be')], { copy: { name: 'nics', count: 3 } }),
      vm("[concat('vm', copyIndex())]", ["[resourceId('Microsoft.Network/networkInterfaces', concat('nic', copyIndex()))]"], { copy: { name: 'vms', count: 3 } }),
    ]);
    const rule = onlyLb(g).rules[0]!;
    assert.deepEqual(
      rule.pools[0]!.members.map((m) => [m.resource?.name, m.vm?.name]),
      [
        ['nic0', 'vm0'],
        ['nic1', 'vm1'],
        ['nic2', 'vm2'],
      ],
    );
    assert.equal(ruleMembers(rule).total, 3);
  });

  it(
    'a NIC copy loop whose count is unknown stands for an unknown number of members',
    () => {
      const a = analyze(
        template({
          parameters: { n: { type: 'int' } },
          resources: [
            loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }),
            nic("[concat('nic', copyIndex())]", [poolId('lb', 'be')], { copy: { name: 'nics', count: "[parameters('n')]" } }),
          ],
        }),
      );
      const member = a.graph!.loadBalancers[0]!.pools[0]!.members[0]!;
      assert.ok(member.instances instanceof Unknown, `instances is ${String(member.instances)}`);
      assert.equal(a.findings[0]!.facts.members, null);
      assert.doesNotMatch(a.findings[0]!.message, /every connection fails/);
    },
  );

  it('an `existing` load balancer is a reference, not part of this deployment\'s graph', () => {
    const lbRes = loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' });
    lbRes['existing'] = true;
    const g = graphOf([lbRes, nic('nic1', [poolId('lb', 'be')])]);
    assert.equal(g.loadBalancers.length, 0);
    assert.equal(g.unresolved.length, 1);
  });

  it('a pool reference to a pool not in the templates is kept as unresolved', () => {
    const g = graphOf([loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }), nic('nic1', [poolId('other-lb', 'be')])]);
    assert.equal(onlyLb(g).pools[0]!.members.length, 0);
    assert.equal(g.unresolved.length, 1);
    assert.match(display(g.unresolved[0]!.poolRef), /other-lb\/backendAddressPools\/be$/);
  });
});

describe('graph: VM-managed NICs and scale sets', () => {
  it('a VM\'s networkInterfaceConfigurations make the VM a member', () => {
    const theVm = vm('vm-self', []);
    (theVm['properties'] as { networkProfile: unknown }).networkProfile = {
      networkApiVersion: '2020-11-01',
      networkInterfaceConfigurations: [
        {
          name: 'nic-cfg',
          properties: {
            ipConfigurations: [{ name: 'ipc', properties: { subnet: { id: SUBNET }, loadBalancerBackendAddressPools: [{ id: poolId('lb', 'be') }] } }],
          },
        },
      ],
    };
    const g = graphOf([loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }), theVm]);
    const m = onlyLb(g).pools[0]!.members[0]!;
    assert.equal(m.kind, 'vm-nic-config');
    assert.equal(m.resource?.name, 'vm-self');
    assert.equal(m.vm?.name, 'vm-self');
    assert.equal(m.displayName, 'vm-self');
    assert.equal(m.ipConfigName, 'ipc');
  });

  for (const [label, capacity, expected] of [
    ['a number', 3, 3],
    ['a string', '3', 3],
    ['zero', 0, 0],
  ] as const) {
    it(`scale set capacity as ${label}`, () => {
      const g = graphOf([loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }), scaleSet('ss', [poolId('lb', 'be')], capacity)]);
      const m = onlyLb(g).pools[0]!.members[0]!;
      assert.equal(m.kind, 'scale-set');
      assert.equal(m.instances, expected);
      assert.equal(ruleMembers(onlyLb(g).rules[0]!).total, expected);
    });
  }

  it('scale set capacity 0: still a finding, and it says there are no instances yet', () => {
    const a = analyze(template({ resources: [loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }), scaleSet('ss', [poolId('lb', 'be')], 0)] }));
    assert.equal(a.findings.length, 1);
    assert.match(a.findings[0]!.message, /0 instances/);
  });

  it('scale set without sku.capacity: the count is Unknown and says why', () => {
    const g = graphOf([loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }), scaleSet('ss', [poolId('lb', 'be')])]);
    const m = onlyLb(g).pools[0]!.members[0]!;
    assertUnknown(m.instances, 'capacity');
    const rm = ruleMembers(onlyLb(g).rules[0]!);
    assert.equal(rm.total, null);
    assert.equal(rm.known, 0);
  });

  it('a scale set in two pools of one rule counts once', () => {
    const g = graphOf([
      loadBalancer({ name: 'lb', frontendIp: '10.0.0.10', pools: [{ name: 'p1' }, { name: 'p2' }], rules: [{ name: 'both', pools: ['p1', 'p2'] }] }),
      scaleSet('ss', [poolId('lb', 'p1'), poolId('lb', 'p2')], 4),
    ]);
    const lb = onlyLb(g);
    assert.equal(lb.rules[0]!.pools.length, 2);
    assert.equal(lb.pools[0]!.members.length, 1);
    assert.equal(lb.pools[1]!.members.length, 1);
    const rm = ruleMembers(lb.rules[0]!);
    assert.equal(rm.members.length, 1);
    assert.equal(rm.total, 4);
  });

  it('two different scale sets in two pools of one rule add up', () => {
    const g = graphOf([
      loadBalancer({ name: 'lb', frontendIp: '10.0.0.10', pools: [{ name: 'p1' }, { name: 'p2' }], rules: [{ name: 'both', pools: ['p1', 'p2'] }] }),
      scaleSet('ss1', [poolId('lb', 'p1')], 2),
      scaleSet('ss2', [poolId('lb', 'p2')], 3),
    ]);
    assert.equal(ruleMembers(onlyLb(g).rules[0]!).total, 5);
  });
});

describe('graph: IP-based pools', () => {
  const ipPool = (ips: string[]): unknown => ({
    name: 'be',
    properties: {
      loadBalancerBackendAddresses: ips.map((ip, i) => ({
        name: `addr${i}`,
        properties: { ipAddress: ip, virtualNetwork: { id: "[resourceId('Microsoft.Network/virtualNetworks', 'vnet')]" } },
      })),
    },
  });

  it('an address matching a NIC\'s static IP is that NIC (and its VM); others stay bare IPs', () => {
    const g = graphOf([
      loadBalancer({ name: 'lb', frontendIp: '10.0.0.10', pools: [ipPool(['10.0.0.4', '10.0.0.99'])] }),
      nic('nic1', [], { ip: '10.0.0.4' }),
      vm('vm1', [NIC_ID('nic1')]),
    ]);
    const members = onlyLb(g).pools[0]!.members;
    assert.equal(members.length, 2);
    const [owned, bare] = members;
    assert.equal(owned!.kind, 'ip-address');
    assert.equal(owned!.privateIp, '10.0.0.4');
    assert.equal(owned!.resource?.name, 'nic1');
    assert.equal(owned!.vm?.name, 'vm1');
    assert.equal(owned!.displayName, 'vm1');
    assert.equal(bare!.kind, 'ip-address');
    assert.equal(bare!.resource, undefined);
    assert.equal(bare!.displayName, '10.0.0.99');
    assert.equal(ruleMembers(onlyLb(g).rules[0]!).total, 2);
  });

  it('IP entries on a pool declared as a child resource count too', () => {
    const g = graphOf([
      loadBalancer({ name: 'lb', frontendIp: '10.0.0.10', pools: [] }),
      {
        type: 'Microsoft.Network/loadBalancers/backendAddressPools',
        apiVersion: '2023-09-01',
        name: 'lb/be',
        properties: (ipPool(['10.0.0.5']) as { properties: unknown }).properties,
      },
    ]);
    const lb = onlyLb(g);
    assert.equal(lb.pools.length, 1);
    assert.deepEqual(
      lb.rules[0]!.pools[0]!.members.map((m) => m.privateIp),
      ['10.0.0.5'],
    );
  });
});

describe('graph: links between rules, frontends and pools', () => {
  it('rule -> frontend and rule -> pool are the LB\'s own nodes, and they point back to the LB', () => {
    const g = graphOf([
      loadBalancer({ name: 'lb', frontendIp: '10.0.0.10', pools: [{ name: 'a' }, { name: 'b' }], rules: [{ name: 'ra', pools: ['a'] }, { name: 'rb', pools: ['b'], floatingIp: true }] }),
    ]);
    const lb = onlyLb(g);
    const [ra, rb] = lb.rules;
    assert.equal(ra!.frontend, lb.frontends[0]);
    assert.equal(rb!.frontend, lb.frontends[0]);
    assert.deepEqual(ra!.pools, [lb.pools[0]]);
    assert.deepEqual(rb!.pools, [lb.pools[1]]);
    assert.equal(ra!.floatingIp, false, 'absent enableFloatingIP is off');
    assert.equal(rb!.floatingIp, true);
    for (const p of lb.pools) assert.equal(p.lb, lb);
    assert.equal(lb.frontends[0]!.lb, lb);
    assert.deepEqual(g.pools.find(lb.pools[0]!.key!, lb.resource.deployment), [lb.pools[0]]);
  });

  it('a child-resource pool that repeats an LB pool is one pool, also declared there', () => {
    const g = graphOf([
      loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' }),
      { type: 'Microsoft.Network/loadBalancers/backendAddressPools', apiVersion: '2023-09-01', name: 'lb/be', properties: {} },
    ]);
    const lb = onlyLb(g);
    assert.equal(lb.pools.length, 1);
    assert.equal(lb.pools[0]!.alsoDeclared.length, 1);
  });

  it('a rule whose frontend reference names no frontend has none (and no finding)', () => {
    const lbRes = loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' });
    const rule = (lbRes['properties'] as { loadBalancingRules: { properties: Record<string, unknown> }[] }).loadBalancingRules[0]!;
    rule.properties['frontendIPConfiguration'] = { id: "[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'lb', 'nope')]" };
    const a = analyze(template({ resources: [lbRes, nic('nic1', [poolId('lb', 'be')])] }));
    assert.equal(a.graph!.loadBalancers[0]!.rules[0]!.frontend, undefined);
    assert.deepEqual(a.findings, []);
  });
});

describe('graph: internal or public frontends', () => {
  it('subnet / private IP: internal', () => {
    const lb = onlyLb(graphOf([loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' })]));
    assert.equal(lb.frontends[0]!.internal, true);
    assert.equal(lb.frontends[0]!.privateIp, '10.0.0.10');
    assert.equal(lb.frontends[0]!.allocation, 'static');
  });

  it('dynamic allocation on a subnet: internal, no IP', () => {
    const lb = onlyLb(graphOf([loadBalancer({ name: 'lb' })]));
    assert.equal(lb.frontends[0]!.internal, true);
    assert.equal(lb.frontends[0]!.privateIp, undefined);
    assert.equal(lb.frontends[0]!.allocation, 'dynamic');
  });

  it('public IP: not internal', () => {
    const lb = onlyLb(graphOf([loadBalancer({ name: 'lb', frontend: 'public' })]));
    assert.equal(lb.frontends[0]!.internal, false);
  });

  it('neither subnet nor public IP: unknown', () => {
    const lb = onlyLb(graphOf([loadBalancer({ name: 'lb', frontend: 'neither' })]));
    assertUnknown(lb.frontends[0]!.internal);
  });

  it('frontend properties from a parameter without a value: unknown, and no finding', () => {
    const lbRes = loadBalancer({ name: 'lb', frontendIp: '10.0.0.10' });
    const fe = (lbRes['properties'] as { frontendIPConfigurations: { properties: unknown }[] }).frontendIPConfigurations[0]!;
    fe.properties = "[parameters('feProps')]";
    const a = analyze(template({ parameters: { feProps: { type: 'object' } }, resources: [lbRes, nic('nic1', [poolId('lb', 'be')])] }));
    assertUnknown(a.graph!.loadBalancers[0]!.frontends[0]!.internal, 'feProps');
    assert.deepEqual(a.findings, []);
  });

  it('the LB sku is read in lower case', () => {
    assert.equal(onlyLb(graphOf([loadBalancer({ name: 'lb', sku: 'Standard' })])).sku, 'standard');
  });
});
