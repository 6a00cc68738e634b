/**
 * Addresses in deployed estates: the same private address is used again in other networks (every
 * subscription's 10.0.0.4), so an IP-based pool's entry is the NIC of its own virtual network,
 * and two NICs with one address link nothing by it (graph/links.ts), while a NIC with a pool
 * entry's address joins that load balancer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeEstate, estateResources } from '../../src/core/azure/estate';
import { linkTokens, partitionByTokens } from '../../src/core/graph/links';
import type { ValueObject } from '../../src/core/evaluate/value';
import { networkInterface, ids, virtualMachine } from '../azure/shapes';
import { ipPoolLab, lab, SUB1, SUB2 } from '../azure/scenarios';

const PORTAL = 'https://portal.azure.com';

/** The resources of an estate in groups that share no link token, by name. */
function groups(resources: ReturnType<typeof lab>): string[][] {
  const evaluated = estateResources({ resources, portal: PORTAL });
  return partitionByTokens(evaluated, (r) => linkTokens([r])).map((g) => g.map((r) => String(r.name)));
}

describe('azure: an IP-based pool entry is matched in its own virtual network', () => {
  it('another network\'s NIC with the same address, read first, is not the member', () => {
    const other = networkInterface(SUB1, 'rg-other', 'vm-other-nic', '10.2.1.21', [], ids.vm(SUB1, 'rg-other', 'vm-other'));
    const resources = [other, virtualMachine(SUB1, 'rg-other', 'vm-other', [other.id], 'Linux'), ...ipPoolLab()];
    const analysis = analyzeEstate({ resources, portal: PORTAL });
    assert.equal(analysis.findings.length, 1);
    assert.match(analysis.findings[0]!.message, /VM vm-ip1 by IP 10\.2\.1\.21/);
    assert.doesNotMatch(analysis.findings[0]!.message, /vm-other/);
  });

  it('an entry whose network is not known still takes the NIC with its address', () => {
    const resources = ipPoolLab();
    for (const pool of resources[0].properties.backendAddressPools) for (const a of pool.properties.loadBalancerBackendAddresses ?? []) delete a.properties.virtualNetwork;
    const analysis = analyzeEstate({ resources, portal: PORTAL });
    assert.match(analysis.findings[0]!.message, /VM vm-ip1 by IP 10\.2\.1\.21/);
  });
});

describe('links: addresses join only where the graph matches by address', () => {
  it('two NICs with one private address in two networks do not join their load balancers', () => {
    // Both labs give their NIC 10.2.1.4.
    const parts = groups([...lab({ sub: SUB1 }), ...lab({ sub: SUB2 })]);
    assert.equal(parts.length, 2, JSON.stringify(parts));
  });

  it('a NIC with an IP-based pool entry\'s address joins the entry\'s load balancer', () => {
    const parts = groups(ipPoolLab());
    assert.equal(parts.length, 1, JSON.stringify(parts));
  });

  it("a body's tokens, read once, are the same when read again, whether the body is frozen or not, and leave it as it was", () => {
    const nicBody = (ip: string): Record<string, unknown> => ({
      properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAddress: ip, subnet: { id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/a' } } }] },
    });
    for (const frozen of [false, true]) {
      const body = nicBody('10.9.0.4');
      if (frozen) Object.freeze(body);
      const json = JSON.stringify(body);
      const resource = { type: 'Microsoft.Network/networkInterfaces', existing: false, id: '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/networkInterfaces/n', body: () => body as ValueObject };
      const fresh = linkTokens([resource], { cache: false });
      const first = linkTokens([resource]);
      const again = linkTokens([resource]);
      assert.deepEqual([[...first.declared].sort(), [...first.named].sort()], [[...fresh.declared].sort(), [...fresh.named].sort()], `frozen: ${frozen}`);
      assert.deepEqual(again, first, `frozen: ${frozen}`);
      assert.ok(first.named.size > 0, 'the subnet is a token');
      assert.equal(JSON.stringify(body), json);
      assert.deepEqual(Object.keys(body), ['properties']);
      assert.deepEqual(structuredClone(body), JSON.parse(json));
    }
  });
});
