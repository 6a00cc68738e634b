/**
 * A deployed scan analysed for its report alone (`ilb-hairpin azure`): the rows are taken out of
 * the estate and judged in parts that share no link token, each part's graph let go once its
 * findings and load balancers are summarised. The report must be the one a single graph of the
 * whole estate gives, across subscriptions, stand-in VMs, IP-based pools and scale sets; and
 * Resource Graph rows pruned to what the graph reads (some of their objects kept in place) must
 * judge as the whole rows do.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEstate, type DeployedEstate } from '../../src/core/azure/estate';
import { pruneRow } from '../../src/core/azure/prune';
import { analyzeEstateForReport, deployedReport } from '../../src/core/azure/report';
import { stringInterner, type ValueObject } from '../../src/core/evaluate/value';
import { subjectOf } from '../../src/core/rules/types';
import { addBackendIpConfigurations, graphRow, ids, loadBalancer, networkInterface, scaleSet, virtualMachine, type Json } from '../azure/shapes';
import { ipPoolLab, lab, RG, scaleSetLab, SUB1, SUB2, SUB3 } from '../azure/scenarios';

const PORTAL = 'https://portal.azure.com';

function estateOf(resources: Json[]): DeployedEstate {
  return { source: 'resource-graph', scope: 'test', resources: structuredClone(resources) as ValueObject[], subscriptions: [], notes: [], requests: 0, portal: PORTAL };
}

/** A NIC in another subscription than the load balancer whose pool it joins. */
function crossSubscription(): Json[] {
  const [lb, ...rest] = lab({ sub: SUB1, lbName: 'ilb-cross', members: 1 });
  const poolId = `${ids.lb(SUB1, RG, 'ilb-cross')}/backendAddressPools/web`;
  const nic = networkInterface(SUB3, 'rg-far', 'far-nic', '10.2.1.40', [poolId], ids.vm(SUB3, 'rg-far', 'far-vm'));
  addBackendIpConfigurations(lb, 'web', [nic.properties.ipConfigurations[0].id]);
  return [lb, ...rest, nic, virtualMachine(SUB3, 'rg-far', 'far-vm', [nic.id], 'Linux')];
}

/** One VM that was not read, with a NIC in each of two load balancers' pools (its stand-in joins them). */
function sharedStandIn(): Json[] {
  const vm = ids.vm(SUB2, 'rg-other', 'vm-unread');
  const out: Json[] = [];
  for (const name of ['ilb-a', 'ilb-b']) {
    const lb = loadBalancer({ sub: SUB2, rg: RG, name, frontend: { name: 'fe', ip: name === 'ilb-a' ? '10.3.0.10' : '10.3.0.11' }, pools: [{ name: 'web' }], rules: [{ name: 'http', pool: 'web', port: 80 }] });
    const nic = networkInterface(SUB2, RG, `${name}-nic`, name === 'ilb-a' ? '10.3.0.4' : '10.3.0.5', [`${ids.lb(SUB2, RG, name)}/backendAddressPools/web`], vm);
    addBackendIpConfigurations(lb, 'web', [nic.properties.ipConfigurations[0].id]);
    out.push(lb, nic);
  }
  return out;
}

function scaleSetEstate(): Json[] {
  const { resources, scaleSetNics } = scaleSetLab(5, 3);
  return [...resources, ...[...scaleSetNics.values()].flat()];
}

const ESTATES: [string, () => Json[]][] = [
  ['two subscriptions, one and two members, a public frontend', () => [...lab({ members: 2 }), ...lab({ sub: SUB2, lbName: 'ilb-two' }), ...lab({ sub: SUB2, lbName: 'ilb-pub', public: true })]],
  ['a member in another subscription', crossSubscription],
  ['a VM not read, with NICs in two pools', sharedStandIn],
  ['an IP-based pool', ipPoolLab],
  ['a scale set and its instances', scaleSetEstate],
  ['floating IP on', () => lab({ floatingIp: true, members: 2 })],
];

describe('azure: analysed in parts for the report', () => {
  for (const [what, make] of ESTATES) {
    it(`${what}: the report of one graph of the whole estate`, () => {
      const resources = make();
      const whole = estateOf(resources);
      const expected = deployedReport(whole, analyzeEstate(whole));
      const parts = estateOf(resources);
      const analysis = analyzeEstateForReport(parts);
      assert.equal(parts.resources.length, 0, 'the rows are taken out of the estate');
      assert.deepEqual(analysis.graphs, [], 'no graph is kept');
      assert.ok(analysis.findings.every((f) => subjectOf(f) === undefined), 'no finding holds its graph node');
      assert.ok(expected.loadBalancers.length > 0);
      assert.deepEqual(deployedReport(parts, analysis), expected);
    });
  }

  it('rows pruned to what the graph reads judge as the whole rows do', () => {
    const resources = [...ESTATES.flatMap(([, make]) => make()), scaleSet(SUB3, RG, 'vmss-flex', 2, [])].map((r) => graphRow(r) as ValueObject);
    const intern = stringInterner();
    const pruned = structuredClone(resources).map((r) => pruneRow(r, intern));
    const a = analyzeEstate({ resources, portal: PORTAL });
    const b = analyzeEstate({ resources: pruned, portal: PORTAL });
    assert.equal(a.findings.length, 7, "two, one, two, one and one hairpin-prone rules; floating IP on: none");
    assert.deepEqual(
      b.findings.map((f) => [f.span.resource?.id, f.message, f.related.map((r) => r.span.resource?.id)]),
      a.findings.map((f) => [f.span.resource?.id, f.message, f.related.map((r) => r.span.resource?.id)]),
    );
    // What is dropped: a VM's disks and diagnostics, a NIC's DNS settings.
    const isVm = (r: ValueObject): boolean => String(r['type']).toLowerCase() === 'microsoft.compute/virtualmachines';
    assert.ok((resources.find(isVm) as Json).properties.storageProfile.dataDisks);
    const vm = pruned.find(isVm) as Json;
    assert.equal(vm.properties.storageProfile.dataDisks, undefined);
    assert.ok(vm.properties.networkProfile.networkInterfaces.length > 0);
  });
});
