/**
 * The tenant and subscription lists of the VS Code pickers (core/azure/accounts.ts) against the
 * fake Resource Manager: every page read, faults said in one line, only GETs sent.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listSubscriptions, listTenants } from '../../src/core/azure/accounts';
import { staticTokenCredential } from '../../src/core/azure/credential';
import type { FakeArm } from '../azure/fake-arm';
import { fakeArmServers } from '../azure/serve';
import { SUB1, SUB2, SUB3, TOKEN } from '../azure/scenarios';

const serve = fakeArmServers();

const opts = (server: FakeArm, token = TOKEN) => ({ credential: staticTokenCredential(token), armEndpoint: server.url, ca: server.ca, retry: { retryDelayInMs: 5, maxRetryDelayInMs: 20, maxRetries: 1 } });

const SUBS = [
  { id: SUB1, name: 'Lab' },
  { id: SUB2, name: 'Two members' },
  { id: SUB3, name: 'Forbidden' },
];

describe('tenant and subscription lists (the pickers)', () => {
  it('lists every subscription over three pages, with names, tenant and state', async () => {
    const server = await serve({ subscriptions: SUBS, tenants: [{ id: 'aaaabbbb-0000-4000-8000-000000000001', name: 'Contoso' }], pageSize: 1 });
    const subs = await listSubscriptions(opts(server));
    assert.deepEqual(
      subs.map((s) => [s.subscriptionId, s.displayName, s.tenantId, s.state]),
      SUBS.map((s) => [s.id, s.name, 'aaaabbbb-0000-4000-8000-000000000001', 'Enabled']),
    );
    const gets = server.requests.filter((r) => r.path === '/subscriptions');
    assert.equal(gets.length, 3, 'one request a page');
    assert.ok(server.requests.every((r) => r.method === 'GET' && r.authorization === `Bearer ${TOKEN}`));
  });

  it('lists tenants with their display names and default domains', async () => {
    const server = await serve({ tenants: [{ id: 'aaaabbbb-0000-4000-8000-000000000001', name: 'Contoso' }, { id: 'aaaabbbb-0000-4000-8000-000000000002', name: 'Fabrikam Lab' }] });
    const tenants = await listTenants(opts(server));
    assert.deepEqual(tenants, [
      { tenantId: 'aaaabbbb-0000-4000-8000-000000000001', displayName: 'Contoso', defaultDomain: 'contoso.onmicrosoft.com' },
      { tenantId: 'aaaabbbb-0000-4000-8000-000000000002', displayName: 'Fabrikam Lab', defaultDomain: 'fabrikamlab.onmicrosoft.com' },
    ]);
  });

  it('says 403 and 401 in one line, without the token', async () => {
    const forbidden = await serve({ subscriptions: SUBS, faults: [{ match: /^GET \/subscriptions$/, status: 403, code: 'AuthorizationFailed' }] });
    await assert.rejects(listSubscriptions(opts(forbidden)), (e: Error) => /the list of subscriptions: access denied \(403 AuthorizationFailed\)/.test(e.message) && !e.message.includes(TOKEN));
    const refused = await serve({ subscriptions: SUBS });
    await assert.rejects(listTenants(opts(refused, 'not-the-token')), (e: Error) => /the list of tenants: the token was refused \(401/.test(e.message) && !e.message.includes('not-the-token'));
  });

  it('says a malformed answer and stops a list that never ends at the page bound', async () => {
    const broken = await serve({ subscriptions: SUBS, faults: [{ match: /^GET \/subscriptions$/, status: 200, raw: '{"value": [' }] });
    await assert.rejects(listSubscriptions(opts(broken)), /not valid JSON/);
    const endless = await serve({ subscriptions: SUBS, endless: /^GET \/subscriptions$/ });
    const subs = await listSubscriptions({ ...opts(endless), maxPages: 4 });
    assert.equal(subs.length, 4);
  });
});
