/**
 * Fixture templates with inline markers (the markdownlint habit): each finding must start on a
 * line that ends with `// expect <rule> members=<n|?>`, and a fixture without a marker expects no
 * finding. The seed lab in examples/ is checked too.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import { analyzeArmText, type TemplateAnalysis } from '../../src/core/engine';
import { display } from '../../src/core/evaluate/value';
import { ruleById } from '../../src/core/rules';
import type { Finding } from '../../src/core/rules/types';
import { FIXTURES_DIR, SEED_LAB, expectedFindings, lineOf, sortExpected, textAt, type ExpectedFinding } from './helpers';

const fixtureFiles = fs
  .readdirSync(FIXTURES_DIR)
  .filter((f) => /\.jsonc?$/i.test(f))
  .sort()
  .map((f) => path.join(FIXTURES_DIR, f));

function load(file: string): { text: string; analysis: TemplateAnalysis } {
  const text = fs.readFileSync(file, 'utf8');
  return { text, analysis: analyzeArmText(file.replace(/\\/g, '/'), text) };
}

function actualFindings(text: string, findings: Finding[]): ExpectedFinding[] {
  return sortExpected(findings.map((f) => ({ line: lineOf(text, f.span.start), ruleId: f.ruleId, members: f.facts.members, severity: f.severity })));
}

/** A marker without `severity=` expects the rule's default severity. */
function withSeverity(expected: ExpectedFinding[]): ExpectedFinding[] {
  return expected.map((e) => ({ ...e, severity: e.severity ?? ruleById(e.ruleId)?.defaultSeverity ?? 'unknown rule' }));
}

function findingsOf(name: string): { text: string; analysis: TemplateAnalysis } {
  return load(path.join(FIXTURES_DIR, name));
}

describe('fixture templates: findings equal the inline markers', () => {
  it('has the fixture set', () => {
    // One fixture per case of the brief; a missing file would silently shrink the coverage.
    assert.ok(fixtureFiles.length >= 19, `found only ${fixtureFiles.length} fixtures in ${FIXTURES_DIR}`);
  });

  for (const file of fixtureFiles) {
    it(path.basename(file), () => {
      const { text, analysis } = load(file);
      assert.equal(analysis.isTemplate, true, 'every fixture is a deployment template');
      assert.deepEqual(analysis.parseErrors, [], 'fixtures are valid JSONC');
      const expected = withSeverity(sortExpected(expectedFindings(text)));
      assert.deepEqual(actualFindings(text, analysis.findings), expected);
    });
  }

  it('the seed lab: one finding on the rule-http enableFloatingIP value, 1 member', () => {
    const { text, analysis } = load(SEED_LAB);
    assert.equal(analysis.isTemplate, true);
    assert.deepEqual(analysis.parseErrors, []);
    // The template writes one rule with `"enableFloatingIP": false` and one NIC (attached to one VM) in its pool.
    const fip = text.indexOf('"enableFloatingIP": false');
    assert.ok(fip > 0);
    assert.equal(text.indexOf('"enableFloatingIP"', fip + 1), -1, 'the seed lab has one rule');
    const expected: ExpectedFinding[] = [{ line: lineOf(text, fip), ruleId: 'hairpin-prone-rule', members: 1, severity: 'warning' }];
    assert.deepEqual(actualFindings(text, analysis.findings), expected);
    assert.equal(textAt(text, analysis.findings[0]!.span), 'false');
  });

  it('the seed lab with CRLF line endings: the finding is on the same line and column', () => {
    const { text, analysis } = load(SEED_LAB);
    const crlf = analyzeArmText('/virtual/crlf.json', text.replace(/\r?\n/g, '\r\n'));
    assert.equal(crlf.findings.length, 1);
    assert.deepEqual(crlf.file.rangeOf(crlf.findings[0]!.span), analysis.file.rangeOf(analysis.findings[0]!.span));
  });
});

describe('the seed lab finding explains itself', () => {
  const { text, analysis } = load(SEED_LAB);
  const finding = analysis.findings[0];

  it('names the load balancer, the rule, the frontend, the member count and the consequence', () => {
    assert.ok(finding);
    const m = finding.message;
    for (const part of ['ilb-we-02-web', 'rule-http', '10.2.1.100:80', '1 member', 'every connection']) {
      assert.ok(m.includes(part), `message should contain "${part}": ${m}`);
    }
    assert.ok(m.includes('VM-WE-02-Web01'), 'the member VM is named');
    assert.equal(finding.severity, 'warning');
    assert.equal(finding.facts.loadBalancer, 'ilb-we-02-web');
    assert.equal(finding.facts.lbRule, 'rule-http');
    assert.equal(finding.facts.frontendIp, '10.2.1.100');
    assert.equal(finding.facts.frontendPort, 80);
    assert.equal(finding.facts.failureChance, 1);
  });

  it('related locations point at the frontend, the pool and the NIC pool reference', () => {
    assert.ok(finding);
    const spans = finding.related.map((r) => ({ text: textAt(text, r.span), start: r.span.start, message: r.message }));
    const frontend = spans.find((s) => /^\{[\s\S]*"name":\s*"fe-web"/.test(s.text));
    assert.ok(frontend, `a related span covers the frontend object: ${JSON.stringify(spans)}`);
    assert.ok(frontend.text.includes('"privateIPAddress": "[variables(\'frontendIp\')]"'));
    assert.match(frontend.message, /fe-web/);

    const pool = spans.find((s) => s.text === '{ "name": "be-web" }');
    assert.ok(pool, `a related span covers the pool object: ${JSON.stringify(spans)}`);
    assert.match(pool.message, /be-web/);

    const nicStart = text.indexOf('"type": "Microsoft.Network/networkInterfaces"');
    const vmStart = text.indexOf('"type": "Microsoft.Compute/virtualMachines"');
    const member = spans.find((s) => s.start > nicStart && s.start < vmStart);
    assert.ok(member, `a related span lies in the NIC: ${JSON.stringify(spans)}`);
    assert.equal(member.text, `"[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', variables('lbName'), 'be-web')]"`);
    assert.ok(text.lastIndexOf('"loadBalancerBackendAddressPools"', member.start) > nicStart, 'inside the NIC\'s pool list');
    assert.match(member.message, /VM-WE-02-Web01/);
    assert.equal(finding.related.length, 3);
  });
});

describe('fixtures: what the findings say, and why the others have none', () => {
  it('copy-loop NICs with VMs: 2 members, 50%, both VMs named', () => {
    const { analysis } = findingsOf('nic-copy-loop-two-vms.json');
    const m = analysis.findings[0]!.message;
    assert.match(m, /2 members/);
    assert.match(m, /1 in 2 connections fail \(50%\)/);
    assert.match(m, /VM vm-app-0/);
    assert.match(m, /VM vm-app-1/);
    assert.equal(analysis.findings[0]!.facts.failureChance, 0.5);
  });

  it('scale set with capacity "2": the string is read as 2', () => {
    const { analysis } = findingsOf('vmss-capacity-string.json');
    assert.match(analysis.findings[0]!.message, /scale set vmss-api \(capacity 2\)/);
  });

  it('scale set with capacity from a parameter without default: count not known', () => {
    const { analysis } = findingsOf('vmss-capacity-param-no-default.json');
    const f = analysis.findings[0]!;
    assert.equal(f.facts.members, null);
    assert.equal(f.facts.failureChance, null);
    assert.match(f.message, /not known/);
    assert.match(f.message, /capacity unknown/);
  });

  it('public load balancer: the member is there, the frontend is public', () => {
    const { analysis } = findingsOf('public-lb.json');
    const lb = analysis.graph!.loadBalancers[0]!;
    assert.equal(lb.frontends[0]!.internal, false);
    assert.equal(lb.rules[0]!.pools[0]!.members.length, 1);
  });

  it('ILB with an empty pool: the rule links the pool, and nobody is in it', () => {
    const { analysis } = findingsOf('ilb-empty-pool.json');
    const rule = analysis.graph!.loadBalancers[0]!.rules[0]!;
    assert.equal(rule.frontend?.internal, true);
    assert.equal(rule.pools.length, 1);
    assert.equal(rule.pools[0]!.members.length, 0);
  });

  it('floating IP on: internal and with a member, but enableFloatingIP is true', () => {
    const { analysis } = findingsOf('floating-ip-on.json');
    const rule = analysis.graph!.loadBalancers[0]!.rules[0]!;
    assert.equal(rule.floatingIp, true);
    assert.equal(rule.pools[0]!.members.length, 1);
  });

  it('odd casing: names as written, the ID in odd case still matches', () => {
    const { analysis } = findingsOf('odd-casing.json');
    const f = analysis.findings[0]!;
    assert.equal(f.facts.loadBalancer, 'ILB-Odd');
    assert.equal(f.facts.lbRule, 'Rule-Odd');
    assert.equal(f.facts.frontendIp, '10.6.0.10');
    assert.match(f.message, /VM Vm-Odd/);
  });

  it('condition false on the only member: the NIC is not deployed at all', () => {
    const { analysis } = findingsOf('condition-false-member.json');
    assert.ok(!analysis.evaluation!.resources.some((r) => r.type === 'Microsoft.Network/networkInterfaces'));
    assert.equal(analysis.graph!.loadBalancers[0]!.rules[0]!.pools[0]!.members.length, 0);
  });

  it('condition true by parameter default: the true NIC counts, the dev-only NIC does not', () => {
    const { analysis } = findingsOf('condition-param-default-true.json');
    const m = analysis.findings[0]!.message;
    assert.match(m, /NIC nic-web /);
    assert.ok(!m.includes('nic-web-dev'));
    // With environment=dev both conditions flip: nic-web is out, nic-web-dev is in.
    const dev = analyzeArmText('/x/dev.json', fs.readFileSync(path.join(FIXTURES_DIR, 'condition-param-default-true.json'), 'utf8'), {
      parameters: { environment: 'dev' },
    });
    assert.equal(dev.findings.length, 1);
    assert.match(dev.findings[0]!.message, /nic-web-dev/);
  });

  it('child-resource pools: both forms are linked to their load balancer', () => {
    for (const [file, pool] of [
      ['child-pool-nested.json', 'be-child'],
      ['child-pool-full-type.json', 'be-child2'],
    ] as const) {
      const { analysis } = findingsOf(file);
      const lb = analysis.graph!.loadBalancers[0]!;
      assert.deepEqual(lb.pools.map((p) => display(p.name)), [pool], file);
      assert.match(analysis.findings[0]!.message, new RegExp(`pool ${pool} `), file);
    }
  });

  it('property copy: one finding per generated rule, with their own names and ports', () => {
    const { analysis } = findingsOf('property-copy-rules.json');
    assert.deepEqual(analysis.findings.map((f) => [f.facts.lbRule, f.facts.frontendPort]).sort(), [
      ['rule-8080', 8080],
      ['rule-8443', 8443],
    ]);
  });

  it('variable copy: the NIC names from the copy block tie NICs to VMs', () => {
    const { analysis } = findingsOf('variable-copy-nic-names.json');
    const m = analysis.findings[0]!.message;
    for (const vmName of ['vm-names-1', 'vm-names-2', 'vm-names-3']) assert.ok(m.includes(`VM ${vmName}`), m);
    const nics = analysis.evaluation!.resources.filter((r) => r.type === 'Microsoft.Network/networkInterfaces').map((r) => r.name);
    assert.deepEqual(nics, ['nic-names-01', 'nic-names-02', 'nic-names-03']);
  });

  it('IP-based pool: the listed address is matched to the VM owning that static IP', () => {
    const { analysis } = findingsOf('ip-based-pool.json');
    assert.match(analysis.findings[0]!.message, /VM vm-app01 by IP 10\.12\.1\.4/);
  });

  it('HA ports: the message says every port is exposed', () => {
    const { analysis } = findingsOf('ha-ports.json');
    const f = analysis.findings[0]!;
    assert.equal(f.facts.haPorts, true);
    assert.equal(f.facts.protocol, 'All');
    assert.match(f.message, /HA ports/);
  });

  it('Gateway SKU: internal frontend with a member, skipped for its SKU', () => {
    const { analysis } = findingsOf('gateway-sku.json');
    const lb = analysis.graph!.loadBalancers[0]!;
    assert.equal(lb.sku, 'gateway');
    assert.equal(lb.frontends[0]!.internal, true);
    assert.equal(lb.rules[0]!.pools[0]!.members.length, 1);
  });

  it('NAT-only ILB: no load-balancing rule to report', () => {
    const { analysis } = findingsOf('nat-only-ilb.json');
    const lb = analysis.graph!.loadBalancers[0]!;
    assert.equal(lb.rules.length, 0);
    assert.equal(lb.natRules.length, 1);
    assert.equal(lb.frontends[0]!.internal, true);
  });

  it('LB name from a parameter without default: shown as written, still matched', () => {
    const { analysis } = findingsOf('lb-name-param-no-default.json');
    const f = analysis.findings[0]!;
    assert.equal(f.facts.loadBalancer, "parameters('lbName')");
    assert.equal(f.facts.frontendIp, null, 'a dynamic frontend has no known IP');
    assert.match(f.message, /dynamic private IP/);
  });

  it('VM-managed NIC configurations: the VM is the member', () => {
    const { analysis } = findingsOf('vm-managed-nics.json');
    assert.match(analysis.findings[0]!.message, /VM vm-selfnic/);
    assert.equal(analysis.graph!.loadBalancers[0]!.pools[0]!.members[0]!.kind, 'vm-nic-config');
  });
});
