/**
 * hairpin-prone-nat-rule: the graph reads the targets of inbound NAT rules and NAT pools (NIC and
 * scale-set ipConfigurations, a NAT rule's backend pool, child-resource NAT rules), and the rule
 * judges them from the targets' own configuration. The inline markers of the fixtures are checked
 * by fixtures.test.ts and bicep-fixtures.test.ts; this file checks what the findings say.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { analyzeArmText } from '../../src/core/engine';
import type { Finding } from '../../src/core/rules/types';
import { Workspace } from '../../src/core/workspace';
import { FIXTURES_DIR, REPO_ROOT, cli, textAt } from './helpers';

function arm(name: string): { text: string; findings: Finding[]; analysis: ReturnType<typeof analyzeArmText> } {
  const file = path.join(FIXTURES_DIR, name).replace(/\\/g, '/');
  const text = fs.readFileSync(file, 'utf8');
  const analysis = analyzeArmText(file, text);
  return { text, analysis, findings: analysis.findings.filter((f) => f.ruleId === 'hairpin-prone-nat-rule') };
}

function one(findings: Finding[]): Finding {
  assert.equal(findings.length, 1, findings.map((f) => f.message).join(' | '));
  return findings[0] as Finding;
}

describe('hairpin-prone-nat-rule', () => {
  it('a NAT rule whose target calls the frontend: a warning naming the frontend port and the evidence', () => {
    const { text, findings, analysis } = arm('nat-rule-evidence.json');
    const f = one(findings);
    assert.equal(f.severity, 'warning');
    assert.equal(textAt(text, f.span), '"nat-admin"');
    assert.equal(f.facts.inboundNat, 'rule');
    assert.equal(f.facts.lbRule, 'nat-admin');
    assert.equal(f.facts.frontendIp, '10.16.0.10');
    assert.equal(f.facts.frontendPort, 50022);
    assert.equal(f.facts.members, 1);
    assert.deepEqual(f.facts.evidence, ["VM vm-ops's guest configuration names 10.16.0.10"]);
    assert.match(f.message, /inbound NAT rule nat-admin: frontend 10\.16\.0\.10:50022 \(TCP\) forwards to VM vm-ops port 8443\./);
    assert.match(f.message, /every such connection fails/);
    assert.deepEqual(
      f.related.map((r) => r.message),
      ['frontend fe (10.16.0.10)', 'target: VM vm-ops'],
    );
    const nat = analysis.graph!.loadBalancers[0]!.natRules[0]!;
    assert.equal(nat.targets.length, 1);
    assert.equal(nat.targets[0]!.kind, 'nic');
    assert.equal(f.fixTarget, undefined, 'no fix is offered for a NAT rule');
  });

  it('a NAT pool: its scale set is the target, the port range and the capacity are in the message', () => {
    const f = one(arm('nat-pool-vmss.json').findings);
    assert.equal(f.severity, 'warning');
    assert.equal(f.facts.inboundNat, 'pool');
    assert.equal(f.facts.frontendPort, 50000);
    assert.equal(f.facts.frontendPortEnd, 50099);
    assert.equal(f.facts.members, 3);
    assert.match(f.message, /inbound NAT pool natpool-ssh: frontend 10\.16\.0\.20, ports 50000-50099 \(TCP\) forwards to scale set vmss-web \(capacity 3\) port 22, one frontend port per instance \(3 targets\)/);
  });

  it('a NAT rule on a backend pool without evidence: information, with the pool and both members', () => {
    const f = one(arm('nat-rule-backend-pool.json').findings);
    assert.equal(f.severity, 'info');
    assert.equal(f.facts.evidence, undefined);
    assert.equal(f.facts.frontendIp, null);
    assert.match(f.message, /frontend fe \(dynamic private IP\), ports 53389-53399 \(TCP\) forwards to VM vm-a, VM vm-b port 3389/);
    assert.match(f.message, /Information only: nothing in the target's configuration names the frontend/);
    assert.ok(f.related.some((r) => r.message === 'backend pool be'));
  });

  it('not reported: a public frontend, floating IP on, or no target (even when a VM calls the frontend)', () => {
    const { findings, analysis } = arm('nat-rules-not-hairpin.json');
    assert.deepEqual(findings, []);
    const [pub, ilb] = analysis.graph!.loadBalancers;
    assert.equal(pub!.natRules[0]!.targets.length, 1, 'the public NAT rule has its target');
    assert.deepEqual(
      ilb!.natRules.map((n) => [n.name, n.floatingIp, n.targets.length]),
      [
        ['nat-floating', true, 1],
        ['nat-unused', false, 0],
      ],
    );
  });

  it('suppressed by the load balancer comments for its name', () => {
    const { text } = arm('nat-rule-evidence.json');
    const suppressed = text.replace('"name": "ilb-ops",', '"name": "ilb-ops",\n      "comments": "ilb-hairpin-disable hairpin-prone-nat-rule nat-admin: only operators call it",');
    assert.notEqual(suppressed, text);
    assert.deepEqual(analyzeArmText('/virtual/nat.json', suppressed).findings.filter((f) => f.ruleId === 'hairpin-prone-nat-rule'), []);
  });

  it('Bicep: an array NAT rule and a child-resource NAT rule, each at its own name', () => {
    const dir = path.join(REPO_ROOT, 'test', 'fixtures', 'bicep', 'nat-rules');
    const file = path.join(dir, 'main.bicep').replace(/\\/g, '/');
    const text = fs.readFileSync(file, 'utf8');
    const ws = new Workspace();
    ws.setFile(file, text);
    const findings = ws.analyze().findings.filter((f) => f.ruleId === 'hairpin-prone-nat-rule');
    const byName = new Map(findings.map((f) => [f.facts.lbRule, f]));
    assert.deepEqual([...byName.keys()].sort(), ['nat-admin', 'nat-child']);
    assert.equal(byName.get('nat-admin')?.severity, 'warning');
    assert.equal(byName.get('nat-child')?.severity, 'info');
    assert.equal(textAt(text, byName.get('nat-child')!.span), "'nat-child'");
    assert.match(byName.get('nat-admin')!.message, /10\.24\.0\.10:50022 \(TCP\) forwards to VM vm-ops port 22/);
  });

  it('the CLI reports it from the registry (text, JSON, SARIF) with its severity', () => {
    const text = cli(FIXTURES_DIR, 'scan', 'nat-rule-evidence.json', 'nat-rule-backend-pool.json');
    assert.equal(text.code, 1);
    assert.match(text.stdout, /nat-rule-evidence\.json:\d+:\d+ warning hairpin-prone-nat-rule: /);
    assert.match(text.stdout, /nat-rule-backend-pool\.json:\d+:\d+ info hairpin-prone-nat-rule: /);
    const json = JSON.parse(cli(FIXTURES_DIR, 'scan', '--format', 'json', 'nat-rule-evidence.json').stdout);
    assert.deepEqual(json.findings.map((f: { ruleId: string; severity: string }) => [f.ruleId, f.severity]), [['hairpin-prone-nat-rule', 'warning']]);
    const sarif = JSON.parse(cli(FIXTURES_DIR, 'scan', '--format', 'sarif', 'nat-rule-evidence.json').stdout);
    const run = sarif.runs[0];
    assert.ok(run.tool.driver.rules.some((r: { id: string }) => r.id === 'hairpin-prone-nat-rule'));
    assert.deepEqual(run.results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level]), [['hairpin-prone-nat-rule', 'warning']]);
  });
});
