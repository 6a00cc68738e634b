/**
 * The hover card of a rule, as plain data from the core: the rule under an offset, its frontend,
 * pools, members, floating IP and every finding on it (each deployment of a module its own card).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { ruleCardsAt } from '../../src/core/rule-card';
import { Workspace } from '../../src/core/workspace';
import { REPO_ROOT } from './helpers';

function load(dir: string): { ws: Workspace; texts: Map<string, string> } {
  const ws = new Workspace();
  const texts = new Map<string, string>();
  for (const f of fs.readdirSync(dir)) {
    const p = path.join(dir, f).split(path.sep).join('/');
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    texts.set(p, text);
    ws.setFile(p, text);
  }
  return { ws, texts };
}

describe('the card of a rule', () => {
  const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'host-workspace', 'rules');
  const { ws, texts } = load(dir);
  const analysis = ws.analyze();
  const file = [...texts.keys()][0] as string;
  const text = texts.get(file) as string;
  const cardsAt = (needle: string) => ruleCardsAt(analysis.graphs, analysis.findings, file, text.indexOf(needle) + 2);

  it('a load-balancing rule: what it is and its one finding', () => {
    const [card, ...more] = cardsAt('"rule-prone"');
    assert.equal(more.length, 0);
    assert.deepEqual({ ...card, findings: card?.findings.map((f) => [f.ruleId, f.severity]), span: undefined }, {
      kind: 'load-balancing rule',
      loadBalancer: 'ilb-rules',
      rule: 'rule-prone',
      frontend: 'fe (10.50.0.10), internal',
      ports: 'TCP 80 -> 80',
      pools: ['be'],
      members: ['VM vm-app'],
      memberCount: '1',
      floatingIp: 'off',
      findings: [['hairpin-prone-rule', 'error']],
      span: undefined,
    });
  });

  it('an IPv6 rule with floating IP on, and a NAT rule', () => {
    const v6 = cardsAt('"rule-v6"')[0];
    assert.equal(v6?.frontend, 'fe6 (fd00:db8::50), internal, IPv6');
    assert.equal(v6?.floatingIp, 'on');
    assert.deepEqual(v6?.findings.map((f) => f.ruleId), ['floating-ip-unsupported']);
    const nat = cardsAt('"nat-spare"')[0];
    assert.equal(nat?.kind, 'inbound NAT rule');
    assert.equal(nat?.ports, 'TCP 50023 -> 22');
    assert.deepEqual(nat?.findings.map((f) => [f.ruleId, f.severity]), [['hairpin-prone-nat-rule', 'info']]);
  });

  it('nothing outside a rule', () => {
    assert.deepEqual(cardsAt('"nic-app"'), []);
  });

  it('a rule in a module called twice: one card per deployment, each with its finding (reported at the call site)', () => {
    const m = load(path.join(REPO_ROOT, 'test', 'fixtures', 'bicep', 'module-called-twice'));
    const a = m.ws.analyze();
    const lbFile = [...m.texts.keys()].find((p) => p.endsWith('/lb.bicep')) as string;
    const lbText = m.texts.get(lbFile) as string;
    const cards = ruleCardsAt(a.graphs, a.findings, lbFile, lbText.indexOf("'http'") + 2);
    assert.deepEqual(cards.map((c) => [c.loadBalancer, c.frontend, c.members, c.findings.length]).sort(), [
      ['ilb-a', 'fe (10.40.0.10), internal', ['NIC nic-a (no VM attaches it in these templates)'], 1],
      ['ilb-b', 'fe (10.40.0.20), internal', ['NIC nic-b (no VM attaches it in these templates)'], 1],
    ]);
  });
});
