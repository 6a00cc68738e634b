/**
 * The Application Gateway scaffold (`computeFix('app-gateway', ...)`): the seed labs exactly, the
 * refusals (other protocols, HA ports, no declared network), the subnet prefix choice, and the
 * guarantees on every hairpin finding of the fixtures, examples and corpus positives: the result
 * parses, the finding is gone (or the refusal says why and nothing is written), a second run adds
 * nothing, nothing outside the edits changes. What it writes is validated against Azure's API
 * definitions in fix-api-specs.test.ts.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { computeFix } from '../../src/core/fixes';
import { APPGW_MARKER, APPGW_SUBNET, freePrefix, webProtocolOf } from '../../src/core/fixes/app-gateway';
import type { Fix } from '../../src/core/fixes/types';
import type { TextEdit } from '../../src/core/edit';
import type { Finding } from '../../src/core/rules/types';
import { cli } from './helpers';
import {
  applyAll,
  assertOutsideUnchanged,
  bicepDiagnostics,
  CORPUS,
  corpusFinding,
  corpusPositives,
  describeFinding,
  EXAMPLES,
  fixtureWorkspaces,
  isStrictJson,
  jsonErrors,
  load,
  type Loaded,
  onlyFinding,
  readTexts,
  ruleKey,
  textOf,
} from './fix-helpers';

const isSuppression = (e: TextEdit): boolean => !e.create && /ilb-hairpin-disable/.test(e.newText) && !/"type"|resource |module |addressPrefix/.test(e.newText);

/** Applies a fix and checks every guarantee. */
function checkGuarantees(l: Loaded, f: Finding, fix: Fix): Map<string, string> {
  const what = describeFinding(f);
  assert.equal(fix.strategy, 'app-gateway');
  assert.match(fix.title, /^Put an Application Gateway \((Standard|WAF)_v2\) in front of rule /);
  assert.ok(fix.notes.some((n) => /EnableApplicationGatewayNetworkIsolation/.test(n)), `${what}: the public frontend is explained`);
  const next = applyAll(l.texts, fix.edits);
  for (const [file, afterText] of next) {
    const before = l.texts.get(file);
    if (before === afterText) continue;
    const edits = fix.edits.filter((e) => e.file === file);
    if (before === undefined) {
      assert.ok(edits.length === 1 && edits[0]?.create, `${what}: ${file} is created by one edit`);
      assert.match(file, /-app-gateway\.bicep$/);
      assert.equal(bicepDiagnostics(afterText), 0, `${what}: the module parses`);
      assert.ok(afterText.startsWith(APPGW_MARKER));
      continue;
    }
    for (const e of edits) {
      assert.ok(!e.create, `${what}: ${file} is edited, not created`);
      if (e.length > 0) assert.match(e.newText, /ilb-hairpin-disable hairpin-prone-rule /, `${what}: only the load balancer's comments is replaced (extended)`);
    }
    if (edits.every((e) => e.length === 0)) assertOutsideUnchanged(before, afterText, edits, `${what} (${file})`);
    if (/\.bicep$/i.test(file)) assert.ok(bicepDiagnostics(afterText) <= bicepDiagnostics(before), `${what}: no new Bicep diagnostics in ${file}`);
    else {
      assert.ok(jsonErrors(afterText).length <= jsonErrors(before).length, `${what}: no new JSON errors in ${file}`);
      if (isStrictJson(before)) assert.ok(isStrictJson(afterText), `${what}: strict JSON stays strict JSON`);
    }
  }
  const again = load(next);
  const keys = new Set(l.analysis.findings.map(ruleKey));
  assert.deepEqual(again.analysis.findings.filter((g) => ruleKey(g) === ruleKey(f)).map(describeFinding), [], `${what}: the finding is gone`);
  assert.deepEqual(again.analysis.findings.filter((g) => !keys.has(ruleKey(g))).map(describeFinding), [], `${what}: no new finding`);
  // A second run: without the suppressions the finding is back, and the fix then adds the
  // suppressions only (the subnet, the gateway and the module are recognised).
  const unsuppressed = load(applyAll(l.texts, fix.edits.filter((e) => !isSuppression(e))));
  const back = unsuppressed.analysis.findings.find((g) => ruleKey(g) === ruleKey(f));
  assert.ok(back, `${what}: without its suppression the finding is back`);
  const second = computeFix('app-gateway', back, textOf(unsuppressed));
  assert.ok(second.ok, `${what}: offered again: ${second.ok ? '' : second.reason}`);
  assert.ok(second.fix.edits.every(isSuppression), `${what}: the second run adds suppressions only: ${JSON.stringify(second.fix.edits.filter((e) => !isSuppression(e)).map((e) => e.newText.slice(0, 80)))}`);
  const twice = applyAll(unsuppressed.texts, second.fix.edits);
  for (const [file, text] of next) assert.equal(twice.get(file), text, `${what}: the second run gives the same ${file}`);
  return next;
}

class Tally {
  fixed = 0;
  readonly reasons = new Map<string, number>();
  refuse(reason: string): void {
    const key = reason.replace(/\b(rule|NIC|VM|scale set|pool address|member) \S+/g, '$1 X').replace(/\(.*?\)/g, '(...)');
    this.reasons.set(key, (this.reasons.get(key) ?? 0) + 1);
  }
  report(t: { diagnostic(s: string): void }, what: string): void {
    t.diagnostic(`${what}: ${this.fixed} fixed, ${[...this.reasons.values()].reduce((a, b) => a + b, 0)} refused`);
    for (const [r, n] of [...this.reasons].sort((a, b) => b[1] - a[1])) t.diagnostic(`  ${n} x ${r}`);
  }
}

function tryFix(l: Loaded, f: Finding, tally: Tally): void {
  const r = computeFix('app-gateway', f, textOf(l));
  if (!r.ok) {
    assert.ok(r.reason.length > 20, `${describeFinding(f)}: a refusal says why: ${r.reason}`);
    tally.refuse(r.reason);
    return;
  }
  checkGuarantees(l, f, r.fix);
  tally.fixed++;
}

describe('app-gateway: the seed labs', () => {
  for (const lab of ['seed-lab', 'seed-lab-bicep']) {
    it(`examples/${lab}: a gateway in a new /24 of the VNet, a private frontend, a listener and rule for port 80, the member's address`, () => {
      const l = load(readTexts(path.join(EXAMPLES, lab)));
      const f = onlyFinding(l);
      const r = computeFix('app-gateway', f, textOf(l));
      assert.ok(r.ok, r.ok ? '' : r.reason);
      const next = checkGuarantees(l, f, r.fix);
      const all = [...next.values()].join('\n');
      assert.ok(all.includes(APPGW_SUBNET) && all.includes('10.2.0.0/24'), 'the subnet, free in 10.2.0.0/16 beside 10.2.1.0/24');
      assert.ok(all.includes('10.2.0.254'), 'the static private frontend address');
      assert.match(all, /Standard_v2/);
      assert.match(all, /minCapacity"?: 1/);
      assert.match(all, /maxCapacity"?: 2/);
      assert.match(all, /listener-rule-http/);
      assert.ok(all.includes('10.2.1.4'), "the member's address in the backend pool");
      assert.match(r.fix.notes[0] as string, /10\.2\.0\.254/);
    });
  }

  it('--sku WAF_v2: the WAF tier with its firewall configuration', () => {
    const l = load(readTexts(path.join(EXAMPLES, 'seed-lab')));
    const r = computeFix('app-gateway', onlyFinding(l), textOf(l), { sku: 'WAF_v2' });
    assert.ok(r.ok);
    const text = r.fix.edits.map((e) => e.newText).join('\n');
    assert.match(text, /"tier": "WAF_v2"/);
    assert.match(text, /"webApplicationFirewallConfiguration"/);
  });
});

describe('app-gateway: what it offers the fix for', () => {
  const rule = (o: Partial<Parameters<typeof webProtocolOf>[0]>) => webProtocolOf({ protocol: 'Tcp', frontendPort: 80, backendPort: 80, name: 'r', probeProtocol: null, ...o });
  it('HTTP and HTTPS by port, probe and name; never UDP or other TCP', () => {
    assert.equal(rule({}), 'Http');
    assert.equal(rule({ frontendPort: 443, backendPort: 443 }), 'Https');
    assert.equal(rule({ frontendPort: 9000, backendPort: 9000, probeProtocol: 'Https' }), 'Https');
    assert.equal(rule({ frontendPort: 9000, backendPort: 9000, name: 'web-http' }), 'Http');
    assert.equal(rule({ frontendPort: 1433, backendPort: 1433, name: 'sql' }), undefined);
    assert.equal(rule({ protocol: 'Udp' }), undefined);
  });

  it('a free prefix: the first /24 clear of the subnets, else a /26; unknown or full spaces say why', () => {
    assert.equal(freePrefix(['10.2.0.0/16'], ['10.2.0.0/24', '10.2.1.0/24']), '10.2.2.0/24');
    assert.equal(freePrefix(['10.0.0.0/24'], ['10.0.0.0/25']), '10.0.0.128/26');
    assert.deepEqual(freePrefix(['10.0.0.0/26'], ['10.0.0.0/26']), { reason: 'the address space has no free /24 or /26 outside its subnets' });
    assert.match((freePrefix([null], []) as { reason: string }).reason, /not known/);
  });

  it('refuses an HA ports rule and a non-HTTP rule, saying why', () => {
    const ha = load(readTexts(path.join(EXAMPLES, '..', 'test', 'fixtures', 'arm', 'ha-ports.json')));
    for (const f of ha.analysis.findings) {
      const r = computeFix('app-gateway', f, textOf(ha));
      assert.ok(!r.ok);
      assert.match(r.reason, /HA ports|HTTP or HTTPS/);
    }
  });
});

describe('app-gateway: the guarantees on every hairpin finding of the fixtures and examples', () => {
  const tally = new Tally();
  for (const { label, root } of fixtureWorkspaces()) {
    it(label, () => {
      const l = load(readTexts(root));
      for (const f of l.analysis.findings.filter((x) => x.ruleId === 'hairpin-prone-rule')) tryFix(l, f, tally);
    });
  }
  it('fixed vs refused', (t) => {
    tally.report(t, 'fixtures and examples');
    assert.ok(tally.fixed >= 4, `only ${tally.fixed} fixes`);
  });
});

describe('app-gateway: the guarantees on the corpus positives', { skip: !fs.existsSync(CORPUS) && 'shared/corpus is not present' }, () => {
  const tally = new Tally();
  const loaded = new Map<string, Loaded>();
  for (const p of corpusPositives()) {
    it(`${p.file}: ${p.lbRule}`, () => {
      let l = loaded.get(p.repo);
      if (!l) loaded.set(p.repo, (l = load(readTexts(path.join(CORPUS, p.repo)))));
      const f = corpusFinding(l, p);
      assert.ok(f);
      tryFix(l, f, tally);
    });
  }
  it('fixed vs refused', (t) => tally.report(t, 'corpus positives'));
});

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('app-gateway: the CLI', () => {
  it('fix --strategy app-gateway on the Bicep seed lab: the module created, the lab edited, nothing left; a second run has nothing to fix', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-appgw-'));
    dirs.push(dir);
    fs.cpSync(path.join(EXAMPLES, 'seed-lab-bicep'), dir, { recursive: true });
    const r = cli(dir, 'fix', '.', '--strategy', 'app-gateway', '--sku', 'WAF_v2');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Fixed 1 of 1\.$/m);
    assert.ok(fs.readFileSync(path.join(dir, 'main-app-gateway.bicep'), 'utf8').includes("name: 'WAF_v2'"));
    assert.equal(cli(dir, 'scan', '.').code, 0);
    assert.match(cli(dir, 'fix', '.', '--strategy', 'app-gateway').stderr, /Nothing to fix\./);
    assert.match(cli(dir, 'fix', '.', '--strategy', 'app-gateway', '--sku', 'Basic').stderr, /--sku takes one of Standard_v2, WAF_v2/);
  });
});
