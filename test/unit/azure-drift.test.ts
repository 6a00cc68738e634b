/**
 * Drift between a deployed load balancer and the workspace template that deploys it
 * (core/azure/drift.ts), and the tree's plain view of a deployed scan (core/azure/view.ts).
 * The template side is the seed lab analyzed by the engine; the deployed side is Resource
 * Manager JSON shaped from Microsoft's REST examples (test/azure/shapes.ts), analyzed as the scan does.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { describe, it } from 'node:test';
import { analyzeEstate, type DeployedEstate } from '../../src/core/azure/estate';
import { driftOf, loadBalancerShape, matchTemplates, type LoadBalancerShape } from '../../src/core/azure/drift';
import { deployedView } from '../../src/core/azure/view';
import { lab, RG, seedLabDeployed, SUB1, SUB2, SUB3, type SeedLabOptions } from '../azure/scenarios';
import { analyze, SEED_LAB, textAt } from './helpers';

const seedText = fs.readFileSync(SEED_LAB, 'utf8');

function templateShape(text = seedText): LoadBalancerShape {
  const lb = analyze(text, {}, '/ws/seed-lab/azuredeploy.json').graph?.loadBalancers[0];
  assert.ok(lb, 'the template has a load balancer');
  return loadBalancerShape(lb);
}

type Deployed = SeedLabOptions;

const deployed = seedLabDeployed;

function deployedShape(o: Deployed = {}): { shape: LoadBalancerShape; id: string } {
  const { resources, id } = deployed(o);
  const analysis = analyzeEstate({ resources: resources as never, portal: undefined });
  const lb = analysis.graphs[0]?.graph.loadBalancers[0];
  assert.ok(lb);
  return { shape: loadBalancerShape(lb), id };
}

describe('drift between the deployed state and the template', () => {
  it('the seed lab deployed as written: found by name, no drift', () => {
    const t = templateShape();
    const d = deployedShape();
    const matches = matchTemplates(d.id, [t]);
    assert.deepEqual(matches.map((m) => m.by), ['name']);
    assert.deepEqual(driftOf(t, d.shape), []);
  });

  it('floating IP turned on in Azure: one item, at the template rule', () => {
    const items = driftOf(templateShape(), deployedShape({ floatingIp: true }).shape);
    assert.deepEqual(items.map((i) => [i.kind, i.message]), [['floating-ip', 'rule rule-http: floating IP is on in Azure, off in the template']]);
    const span = items[0]?.template;
    assert.ok(span && span.file === '/ws/seed-lab/azuredeploy.json');
    assert.match(textAt(seedText, span), /^\{\s*"name": "rule-http"/);
  });

  it('a second member added in Azure', () => {
    const items = driftOf(templateShape(), deployedShape({ vms: ['VM-WE-02-Web01', 'VM-WE-02-Web02'] }).shape);
    assert.deepEqual(items.map((i) => [i.kind, i.message]), [['members', 'pool be-web: members in Azure, not in the template: VM-WE-02-Web02']]);
    assert.match(textAt(seedText, items[0]?.template as never), /^\{ "name": "be-web" \}/);
  });

  it('another member in Azure than in the template (a VM replaced)', () => {
    const items = driftOf(templateShape(), deployedShape({ vms: ['vm-web-new'] }).shape);
    assert.deepEqual(items.map((i) => i.message), ['pool be-web: members in Azure, not in the template: vm-web-new; in the template, not deployed: VM-WE-02-Web01']);
  });

  it('a pool renamed in Azure: the rule points elsewhere, one pool on each side only', () => {
    const items = driftOf(templateShape(), deployedShape({ pool: 'web' }).shape);
    assert.deepEqual(items.map((i) => [i.kind, i.message]), [
      ['rule-pools', 'rule rule-http: sends to pool web in Azure, be-web in the template'],
      ['pool', 'pool web is deployed but not in the template (1 member)'],
      ['pool', 'pool be-web is in the template but not deployed'],
    ]);
  });

  it('a rule on one side only', () => {
    const text = seedText.replace('"name": "rule-http"', '"name": "rule-http-v2"');
    const items = driftOf(templateShape(text), deployedShape().shape);
    assert.deepEqual(items.map((i) => i.message), ['rule rule-http is deployed but not in the template', 'rule rule-http-v2 is in the template but not deployed']);
  });

  it('a floating IP the template sets from a parameter without a default is not called drift', () => {
    const text = seedText.replace('"enableFloatingIP": false', '"enableFloatingIP": "[parameters(\'floating\')]"').replace('"parameters": {', '"parameters": { "floating": { "type": "bool" },');
    assert.equal(templateShape(text).rules[0]?.floatingIp, undefined);
    assert.deepEqual(driftOf(templateShape(text), deployedShape({ floatingIp: true }).shape), []);
  });

  it('matches by resource ID, then by name and resource group, then by name; never another name or group', () => {
    const base = templateShape();
    const id = `/subscriptions/${SUB1}/resourceGroups/${RG}/providers/Microsoft.Network/loadBalancers/ilb-we-02-web`;
    const at = (file: string, idKey: string): LoadBalancerShape => ({ ...base, idKey, span: { ...base.span, file } });
    const full = at('/a.json', id.toLowerCase());
    const otherSub = at('/b.json', id.toLowerCase().replace(SUB1, SUB2));
    const inGroup = at('/c.json', `/resourcegroups/${RG.toLowerCase()}/providers/microsoft.network/loadbalancers/ilb-we-02-web`);
    const otherGroup = at('/d.json', '/resourcegroups/rg-other/providers/microsoft.network/loadbalancers/ilb-we-02-web');
    const byName = at('/e.json', '/providers/microsoft.network/loadbalancers/ilb-we-02-web');
    const otherName = at('/f.json', '/providers/microsoft.network/loadbalancers/ilb-other');
    assert.deepEqual(matchTemplates(id, [byName, inGroup, full, otherSub, otherGroup, otherName]).map((m) => [m.template.span.file, m.by]), [['/a.json', 'resource ID']]);
    assert.deepEqual(matchTemplates(id, [byName, inGroup, otherGroup, otherName]).map((m) => [m.template.span.file, m.by]), [['/c.json', 'name and resource group']]);
    assert.deepEqual(matchTemplates(id, [byName, otherGroup, otherName]).map((m) => [m.template.span.file, m.by]), [['/e.json', 'name']]);
    assert.deepEqual(matchTemplates(id, [otherSub, otherGroup, otherName]), []);
  });
});

describe('the tree view of a deployed scan', () => {
  it('subscriptions with their load balancers and findings; a failed subscription keeps its message', () => {
    const resources = [...lab({ sub: SUB1 }), ...lab({ sub: SUB2, rg: 'rg-two', lbName: 'ilb-two', members: 2 })];
    const estate: DeployedEstate = {
      source: 'arm',
      scope: 'subscriptions …',
      resources,
      subscriptions: [
        { id: SUB1, status: 'read', loadBalancers: 1 },
        { id: SUB2, status: 'read', loadBalancers: 1 },
        { id: SUB3, status: 'failed', message: 'load balancers of subscription 3…: access denied (403 AuthorizationFailed): the identity needs the Reader role there', loadBalancers: 0 },
      ],
      notes: [],
      requests: 9,
      portal: 'https://portal.azure.com',
    };
    const view = deployedView(estate, analyzeEstate(estate));
    assert.deepEqual(view.subscriptions.map((s) => [s.id, s.status, s.loadBalancerViews.map((l) => l.name)]), [
      [SUB1, 'read', ['ilb-we-02-web']],
      [SUB2, 'read', ['ilb-two']],
      [SUB3, 'failed', []],
    ]);
    assert.match(view.subscriptions[2]?.message ?? '', /403/);
    const one = view.subscriptions[0]?.loadBalancerViews[0];
    assert.equal(one?.resourceGroup, RG);
    assert.equal(one?.portal, `https://portal.azure.com/#@/resource${one?.id}/overview`);
    assert.deepEqual(one?.findings.map((f) => [f.ruleId, f.severity, f.lbRule]), [['hairpin-prone-rule', 'warning', 'http']]);
    assert.match(one?.findings[0]?.message ?? '', /every connection fails/);
    assert.equal(one?.findings[0]?.headline, 'hairpin-prone, 1 member: every call from it to the frontend fails');
    assert.equal(view.subscriptions[1]?.loadBalancerViews[0]?.findings[0]?.headline, 'hairpin-prone, 2 members: 1 in 2 calls from a member to the frontend fail');
    assert.match(one?.findings[0]?.resourceId ?? '', /\/loadBalancingRules\/http$/);
    assert.match(one?.findings[0]?.portal ?? '', /\/loadBalancingRules$/);
    assert.match(view.subscriptions[1]?.loadBalancerViews[0]?.findings[0]?.message ?? '', /1 in 2 connections fail \(50%\)/);
  });
});
