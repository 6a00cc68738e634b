/**
 * The floating IP + loopback fix (`computeFix('floating-ip-loopback', ...)`) on every hairpin
 * finding of the fixtures and examples and on every positive of the shared corpus, with `os`
 * linux and windows. For each offered fix, the guarantees:
 *
 * - the edits: the floating-IP fix's edits first (unchanged), then the guest extensions, which
 *   only insert (or fill an empty `extensions: []`); no file is created;
 * - the changed files parse: no new JSON errors, strict JSON stays strict JSON, no new Bicep
 *   diagnostics (`parseBicep`);
 * - nothing outside the edit spans differs; the inserted lines keep the file's line breaks and
 *   indentation character;
 * - re-analysis (`Workspace`): the finding is gone, no new finding, no new parse error;
 * - applying it again changes nothing: nothing is left to fix, and with the floating-IP edit
 *   taken back (the extensions kept) the finding returns and the fix then only turns floating IP
 *   on, giving the same texts: no second extension;
 * - the guest scripts: one per backend machine in its OS (the machine's own, else the chosen
 *   one), exactly `linuxLoopbackScript(vip)` (CustomScript `protectedSettings.script`, base64) or
 *   `windowsLoopbackScript(vip, port, protocol)` (`commandToExecute`, `-EncodedCommand`,
 *   UTF-16LE); Linux passes `bash -n`, Windows has balanced quotes on every line; both carry the
 *   finding's `facts.frontendIp` with `/32` or `255.255.255.255`.
 *
 * Refusals are counted by reason (printed with t.diagnostic) with the number fixed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { computeFix } from '../../src/core/fixes';
import { floatingIpFix } from '../../src/core/fixes/floating-ip';
import type { Fix } from '../../src/core/fixes/types';
import { applyEdits, type TextEdit } from '../../src/core/edit';
import { linuxLoopbackScript, windowsLoopbackScript } from '../../src/core/fixes/guest';
import { LOOPBACK_EXTENSION } from '../../src/core/fixes/loopback';
import { parseBicep } from '../../src/core/parse/bicep';
import type { Finding } from '../../src/core/rules/types';
import type { WorkspaceAnalysis } from '../../src/core/workspace';
import { cli, frontendId, loadBalancer, nic, poolId, REPO_ROOT, SUBNET, template, vm } from './helpers';
import { applyAll, bicepDiagnostics, CORPUS, describeFinding, dirsIn, EXAMPLES, indentChar, isStrictJson, jsonErrors, jsonFilesIn, load, type Loaded, read, readTexts, ruleKey, textOf, toPosix } from './fix-helpers';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
const OSES = ['linux', 'windows'] as const;
type Os = (typeof OSES)[number];

// ------------------------------------------------------------------ workspaces in memory

// ------------------------------------------------------------------ the guarantees

/** Nothing outside the edit spans differs: the text between edits (in offset order) appears unchanged in `after`. */
function assertOutsideUnchanged(before: string, after: string, edits: readonly TextEdit[], what: string): void {
  const sorted = [...edits].sort((a, b) => a.offset - b.offset);
  let from = 0;
  let at = 0;
  for (let i = 0; i < sorted.length; ) {
    const offset = (sorted[i] as TextEdit).offset;
    const group = sorted.filter((e) => e.offset === offset);
    i += group.length;
    assert.ok(offset >= from, `${what}: edits do not overlap`);
    const between = before.slice(from, offset);
    assert.equal(after.slice(at, at + between.length), between, `${what}: the text before offset ${offset} is unchanged`);
    at += between.length;
    // Edits at one offset are applied last-sorted-first by applyEdits; their texts follow each other.
    const inserted = group.map((e) => e.newText);
    const joined = inserted.join('');
    const reversed = [...inserted].reverse().join('');
    const here = after.slice(at, at + joined.length);
    assert.ok(here === joined || here === reversed, `${what}: the inserted text at ${offset} is in place`);
    at += joined.length;
    from = offset + Math.max(...group.map((e) => e.length));
  }
  assert.equal(after.slice(at), before.slice(from), `${what}: the text after the last edit is unchanged`);
}

/** Line breaks and indentation of the inserted text follow the file's. */
function assertStyleKept(before: string, edits: readonly TextEdit[], what: string): void {
  const crlf = before.includes('\r\n');
  const char = indentChar(before);
  for (const e of edits) {
    if (crlf) assert.ok(!/(^|[^\r])\n/.test(e.newText), `${what}: an LF-only line break in a CRLF file: ${JSON.stringify(e.newText.slice(0, 120))}`);
    else assert.ok(!e.newText.includes('\r'), `${what}: a CR in an LF file`);
    for (const line of e.newText.split(/\r?\n/).slice(1)) {
      if (line.trim() === '') continue;
      const lead = /^[ \t]*/.exec(line)?.[0] ?? '';
      const foreign = char === '\t' ? lead.includes(' ') : lead.includes('\t');
      assert.ok(!foreign, `${what}: the inserted line ${JSON.stringify(line.slice(0, 60))} is indented with ${char === '\t' ? 'spaces in a tab' : 'tabs in a space'}-indented file`);
    }
  }
}

interface GuestScript {
  os: Os;
  script: string;
}

/** The guest scripts in the extension edits, in order: CustomScript's base64 `script`, or the `-EncodedCommand` of `commandToExecute`. */
function scriptsIn(edits: readonly TextEdit[]): GuestScript[] {
  const out: GuestScript[] = [];
  for (const e of edits) {
    const found = [
      ...[...e.newText.matchAll(/"?\bscript"?: *["']([A-Za-z0-9+/=]+)["']/g)].map((m) => ({ at: m.index, os: 'linux' as const, script: Buffer.from(m[1] as string, 'base64').toString('utf8') })),
      ...[...e.newText.matchAll(/"?\bcommandToExecute"?: *["']powershell -NoProfile -ExecutionPolicy Bypass -EncodedCommand ([A-Za-z0-9+/=]+)["']/g)].map((m) => ({
        at: m.index,
        os: 'windows' as const,
        script: Buffer.from(m[1] as string, 'base64').toString('utf16le'),
      })),
    ].sort((a, b) => a.at - b.at);
    out.push(...found.map(({ os, script }) => ({ os, script })));
  }
  return out;
}

function checkScript(g: GuestScript, vip: string, what: string): void {
  if (g.os === 'linux') {
    const r = spawnSync('bash', ['-n'], { input: g.script, encoding: 'utf8' });
    assert.equal(r.status, 0, `${what}: bash -n: ${r.stderr}`);
    assert.ok(g.script.includes(`ExecStart=/sbin/ip addr replace ${vip}/32 dev lo\n`), `${what}: the Linux script puts ${vip}/32 on lo`);
    return;
  }
  for (const line of g.script.split('\r\n')) {
    assert.equal((line.match(/"/g) ?? []).length % 2, 0, `${what}: double quotes balance: ${line}`);
    assert.equal((line.match(/'/g) ?? []).length % 2, 0, `${what}: single quotes balance: ${line}`);
  }
  assert.ok(g.script.includes(`netsh int ipv4 add addr "Loopback Pseudo-Interface 1" ${vip} 255.255.255.255\r\n`), `${what}: the Windows script puts ${vip} 255.255.255.255 on the loopback`);
}

/** Applies the fix to the workspace it came from and checks every guarantee; the number of guest scripts checked. */
function applyChecked(l: Loaded, f: Finding, fix: Fix, chosenOs: Os, opts: { secondRun?: boolean } = {}): number {
  const what = `${describeFinding(f)} (os ${chosenOs})`;
  const vip = f.facts.frontendIp;
  assert.ok(vip, `${what}: an offered fix has a VIP`);
  assert.equal(fix.strategy, 'floating-ip-loopback');
  assert.equal(fix.title, `Enable floating IP on rule ${f.facts.lbRule} and configure ${vip} on the backend VMs' loopback`);
  assert.ok(fix.notes.some((n) => /^Health probes still reach each NIC's own IP/.test(n)), `${what}: the health probe note`);

  // The floating-IP fix's edits, then the extensions.
  const base = floatingIpFix(f, textOf(l));
  assert.ok(base.ok, `${what}: the floating-IP part is offered`);
  assert.deepEqual(fix.edits.slice(0, base.fix.edits.length), base.fix.edits, `${what}: the floating-IP edits come first, unchanged`);
  const extensionEdits = fix.edits.slice(base.fix.edits.length);

  const byFile = new Map<string, TextEdit[]>();
  for (const e of fix.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, edits] of byFile) {
    const before = l.ws.source(file)?.text;
    assert.ok(before !== undefined, `${what}: the edited file ${file} is in the workspace`);
    for (const e of edits) {
      assert.ok(!e.create, `${what}: no new file`);
      assert.ok(e.offset >= 0 && e.offset + e.length <= before.length, `${what}: the edit is inside the text`);
    }
    for (const e of extensionEdits.filter((x) => x.file === file && x.length > 0)) {
      assert.equal(before.slice(e.offset, e.offset + e.length).replace(/\s+/g, ''), '[]', `${what}: an extension edit replaces only an empty array`);
    }
    const after = applyEdits(before, edits);
    assertOutsideUnchanged(before, after, edits, `${what} (${file})`);
    assertStyleKept(before, edits, `${what} (${file})`);
    if (/\.bicep$/i.test(file)) {
      assert.ok(bicepDiagnostics(after) <= bicepDiagnostics(before), `${what}: no new Bicep diagnostics in ${file}: ${JSON.stringify(parseBicep(after, { fileKind: 'bicep' }).diagnostics.slice(0, 3))}`);
    } else {
      const errorsAfter = jsonErrors(after);
      assert.ok(errorsAfter.length <= jsonErrors(before).length, `${what}: no new JSON errors in ${file}: ${JSON.stringify(errorsAfter.slice(0, 3))}`);
      if (isStrictJson(before)) assert.ok(isStrictJson(after), `${what}: strict JSON stays strict JSON (${file})`);
    }
  }

  // Re-analysis.
  const next = applyAll(l.texts, fix.edits);
  const again = load(next);
  assert.deepEqual(again.analysis.findings.filter((g) => ruleKey(g) === ruleKey(f)).map(describeFinding), [], `${what}: the finding is gone after the fix`);
  const keysBefore = new Set(l.analysis.findings.map(ruleKey));
  assert.deepEqual(again.analysis.findings.filter((g) => !keysBefore.has(ruleKey(g))).map(describeFinding), [], `${what}: no new finding after the fix`);
  const parseErrors = (a: WorkspaceAnalysis, file: string): number => a.parseErrors.filter((p) => p.file === file).reduce((n, p) => n + p.errors.length, 0);
  for (const file of byFile.keys()) assert.ok(parseErrors(again.analysis, file) <= parseErrors(l.analysis, file), `${what}: no new parse error in ${file}`);

  // Applying it again changes nothing: the extensions are recognised, only floating IP is left to do.
  if (extensionEdits.length > 0 && opts.secondRun !== false) {
    const partial = load(applyAll(l.texts, extensionEdits));
    const back = partial.analysis.findings.find((g) => ruleKey(g) === ruleKey(f));
    assert.ok(back, `${what}: with the floating-IP edit taken back the finding returns`);
    const second = computeFix('floating-ip-loopback', back, textOf(partial), { os: chosenOs });
    assert.ok(second.ok, `${what}: offered again: ${second.ok ? '' : second.reason}`);
    const baseAgain = floatingIpFix(back, textOf(partial));
    assert.ok(baseAgain.ok);
    assert.deepEqual(second.fix.edits, baseAgain.fix.edits, `${what}: the second run adds no extension`);
    const twice = applyAll(partial.texts, second.fix.edits);
    for (const [file, text] of next) assert.equal(twice.get(file), text, `${what}: the second run gives the same ${file}`);
  }

  // The guest scripts: one per machine not configured yet, in its OS, exactly the module's script.
  const guests = (f.fixTarget?.guests ?? []).filter((g) => !(l.ws.source(g.span.file)?.text ?? '').includes(LOOPBACK_EXTENSION));
  const expected = guests.map((g): GuestScript => {
    const os = g.os ?? chosenOs;
    return { os, script: os === 'linux' ? linuxLoopbackScript(vip) : windowsLoopbackScript(vip, f.facts.frontendPort, f.facts.protocol) };
  });
  const scripts = scriptsIn(extensionEdits);
  assert.deepEqual(
    scripts.map((s) => s.os),
    expected.map((s) => s.os),
    `${what}: one guest script per backend machine, in its OS`,
  );
  scripts.forEach((s, i) => {
    assert.equal(s.script, expected[i]?.script, `${what}: guest script ${i}`);
    checkScript(s, vip, `${what}: guest script ${i}`);
  });
  // Each extension is named so a later run recognises it.
  assert.equal(extensionEdits.filter((e) => e.newText.includes(LOOPBACK_EXTENSION)).length, guests.length, `${what}: one edit per machine names ${LOOPBACK_EXTENSION}`);
  return scripts.length;
}

// ------------------------------------------------------------------ tallies

class Tally {
  fixed = 0;
  refused = 0;
  scripts = 0;
  findings = 0;
  readonly reasons = new Map<string, number>();

  refuse(reason: string): void {
    this.refused++;
    // Names and expressions differ from template to template: the histogram keeps the words around them.
    const general = reason
      .replace(/CustomScript extension \S+, /, 'CustomScript extension <name>, ')
      .replace(/^enableFloatingIP is computed \(.*\): /, 'enableFloatingIP is computed (<expr>): ')
      .replace(/^\S+ cannot be read$/, '<file> cannot be read');
    this.reasons.set(general, (this.reasons.get(general) ?? 0) + 1);
  }

  report(t: { diagnostic(message: string): void }, label: string): void {
    t.diagnostic(`floating-ip-loopback on ${label}: ${this.fixed + this.refused} tries (finding x os), ${this.fixed} fixed (${this.scripts} guest scripts checked), ${this.refused} refused`);
    for (const [reason, n] of [...this.reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) t.diagnostic(`  ${n} x ${reason}`);
  }
}

/** Tries the fix on a finding for both OSes: counts each offer and refusal first, then checks each offered fix. */
function tryBoth(l: Loaded, f: Finding, tally: Tally, opts: { secondRun?: boolean } = {}): void {
  const offered: [Os, Fix][] = [];
  for (const chosenOs of OSES) {
    const r = computeFix('floating-ip-loopback', f, textOf(l), { os: chosenOs });
    if (r.ok) {
      tally.fixed++;
      offered.push([chosenOs, r.fix]);
    } else {
      tally.refuse(r.reason);
      assert.ok(r.reason.length > 20, `${describeFinding(f)}: a refusal says why: ${r.reason}`);
    }
  }
  for (const [chosenOs, fix] of offered) tally.scripts += applyChecked(l, f, fix, chosenOs, opts);
}

// ================================================================== the fixtures and examples

/** Each workspace of test/fixtures and examples, as the other fix tests analyse them (a JSON file or a folder on its own). */
function fixtureWorkspaces(): { label: string; root: string }[] {
  const rel = (p: string): string => toPosix(path.relative(REPO_ROOT, p));
  const roots = [
    ...jsonFilesIn(path.join(FIXTURES, 'arm')),
    ...dirsIn(path.join(FIXTURES, 'bicep')),
    ...jsonFilesIn(path.join(FIXTURES, 'fixes', 'arm')),
    ...dirsIn(path.join(FIXTURES, 'fixes', 'bicep')),
    ...dirsIn(path.join(FIXTURES, 'host-workspace')),
    ...dirsIn(path.join(FIXTURES, 'lab')),
    path.join(FIXTURES, 'deployments', 'linked'),
    path.join(FIXTURES, 'workspace', 'cli-params'),
    ...dirsIn(EXAMPLES),
  ];
  // Every template folder of test/fixtures is covered by one of the roots above.
  return roots.map((root) => ({ label: rel(root), root }));
}

describe('floating-ip-loopback: the guarantees on every hairpin finding of the fixtures and examples (os linux and windows)', () => {
  const tally = new Tally();
  const workspaces = fixtureWorkspaces();
  const withFindings: string[] = [];

  it('every template file under test/fixtures and examples is in one of the workspaces', () => {
    const covered = new Set(workspaces.flatMap((w) => [...readTexts(w.root).keys()]));
    const all = [...readTexts(FIXTURES).keys(), ...readTexts(EXAMPLES).keys()];
    assert.deepEqual(all.filter((f) => !covered.has(f)), []);
  });

  for (const { label, root } of workspaces) {
    it(label, () => {
      const l = load(readTexts(root));
      const findings = l.analysis.findings.filter((f) => f.ruleId === 'hairpin-prone-rule');
      if (findings.length) withFindings.push(label);
      for (const f of findings) {
        tally.findings++;
        tryBoth(l, f, tally);
      }
    });
  }

  it('fixed vs refused, and the refusal reasons', (t) => {
    tally.report(t, `the hairpin findings of ${withFindings.length} fixture/example workspaces`);
    assert.ok(withFindings.includes('examples/seed-lab') && withFindings.includes('examples/seed-lab-bicep') && withFindings.includes('test/fixtures/lab/seed-lab-linux'));
    assert.ok(tally.fixed >= 25, `only ${tally.fixed} fixes offered`);
    assert.ok(tally.scripts >= tally.fixed, 'each fix configures at least one machine');
    assert.equal(tally.fixed + tally.refused, 2 * tally.findings, 'both OSes tried on every finding');
  });
});

// ================================================================== the seed labs, exactly

describe('floating-ip-loopback: the seed labs, the scripts exactly', () => {
  const one = (root: string): { l: Loaded; f: Finding } => {
    const l = load(readTexts(root));
    assert.equal(l.analysis.findings.length, 1);
    return { l, f: l.analysis.findings[0] as Finding };
  };

  it('examples/seed-lab (Windows image): the Windows script whatever --os says, with 10.2.1.100 and port 80', () => {
    const { l, f } = one(path.join(EXAMPLES, 'seed-lab'));
    assert.equal(f.facts.frontendIp, '10.2.1.100');
    for (const chosenOs of OSES) {
      const r = computeFix('floating-ip-loopback', f, textOf(l), { os: chosenOs });
      assert.ok(r.ok);
      assert.deepEqual(scriptsIn(r.fix.edits), [{ os: 'windows', script: windowsLoopbackScript('10.2.1.100', 80, 'Tcp') }]);
      assert.equal(applyChecked(l, f, r.fix, chosenOs), 1);
    }
  });

  it('test/fixtures/lab/seed-lab-linux (two Linux VMs): the Linux script on each whatever --os says, 10.2.1.100/32 on lo', () => {
    const { l, f } = one(path.join(FIXTURES, 'lab', 'seed-lab-linux'));
    assert.equal(f.facts.frontendIp, '10.2.1.100');
    for (const chosenOs of OSES) {
      const r = computeFix('floating-ip-loopback', f, textOf(l), { os: chosenOs });
      assert.ok(r.ok);
      const script = linuxLoopbackScript('10.2.1.100');
      assert.deepEqual(scriptsIn(r.fix.edits), [
        { os: 'linux', script },
        { os: 'linux', script },
      ]);
      assert.match(script, /^ExecStart=\/sbin\/ip addr replace 10\.2\.1\.100\/32 dev lo$/m);
      assert.match(script, /^ExecStop=\/sbin\/ip addr del 10\.2\.1\.100\/32 dev lo$/m);
      assert.equal(applyChecked(l, f, r.fix, chosenOs), 2);
    }
  });
});

// ================================================================== the corpus

interface Expected {
  positives: { file: string; lbRule: string }[];
}

/** Positives whose second run is known to misbehave (none now; kept to mark a regression honestly). */
const SECOND_RUN_BUGS: Record<string, string> = {};

describe('floating-ip-loopback: the guarantees on the corpus positives (os linux and windows)', { skip: !fs.existsSync(CORPUS) && 'shared/corpus is not present' }, () => {
  const expected = fs.existsSync(CORPUS) ? (JSON.parse(read(path.join(CORPUS, 'expected.json'))) as Expected) : { positives: [] };
  const repos = [...new Set(expected.positives.map((p) => p.file.split('/').slice(0, 2).join('/')))].sort();
  const loaded = new Map<string, Loaded>();
  const workspace = (repo: string): Loaded => {
    let l = loaded.get(repo);
    if (!l) loaded.set(repo, (l = load(readTexts(path.join(CORPUS, repo)))));
    return l;
  };
  const ruleMatches = (label: string, actual: string): boolean => (label.startsWith('*') ? actual.endsWith(label.slice(1)) : label === actual);
  const tally = new Tally();
  let tried = 0;

  const findingOf = (repo: string, p: { file: string; lbRule: string }): { l: Loaded; f: Finding } => {
    const l = workspace(repo);
    const file = toPosix(path.join(CORPUS, p.file));
    const candidates = l.analysis.findings.filter((f) => f.span.file === file && ruleMatches(p.lbRule, f.facts.lbRule));
    // The rule itself when it is in this file, else its copy at the module call site.
    const f = candidates.find((x) => !x.facts.viaModule) ?? candidates[0];
    assert.ok(f, `${p.file}|${p.lbRule} is found`);
    return { l, f };
  };

  for (const repo of repos) {
    for (const p of expected.positives.filter((x) => x.file.startsWith(`${repo}/`))) {
      const label = `${p.file}|${p.lbRule}`;
      const bug = SECOND_RUN_BUGS[label];
      it(`${p.file}: ${p.lbRule}${bug ? ' (all guarantees but the second run)' : ''}`, () => {
        const { l, f } = findingOf(repo, p);
        tried++;
        tryBoth(l, f, tally, { secondRun: !bug });
      });
      if (bug) {
        it(`${p.file}: ${p.lbRule}: applying the fix again changes nothing`, { todo: bug }, () => {
          const { l, f } = findingOf(repo, p);
          for (const chosenOs of OSES) {
            const r = computeFix('floating-ip-loopback', f, textOf(l), { os: chosenOs });
            assert.ok(r.ok, r.ok ? '' : r.reason);
            applyChecked(l, f, r.fix, chosenOs);
          }
        });
      }
    }
  }

  it('fixed vs refused, and the refusal reasons', (t) => {
    assert.equal(tried, expected.positives.length, 'every positive was tried');
    tally.report(t, `${tried} corpus positives`);
    assert.equal(tally.fixed + tally.refused, 2 * tried);
    assert.ok(tally.fixed >= 2, 'some corpus positives are fixable');
  });
});

// ================================================================== a second rule on the same machines

const NIC_A = "[resourceId('Microsoft.Network/networkInterfaces', 'nic-a')]";

/**
 * One VM behind one pool with two rules: on the same frontend (ports 80 and 443) or on two
 * frontends (10.0.0.10 and 10.0.0.11, port 80).
 */
function twoRules(opts: { vmName: string; os: Os; frontends: 1 | 2 }): string {
  const machine = vm(opts.vmName, [NIC_A]);
  (machine['properties'] as Record<string, unknown>)['osProfile'] = { computerName: 'vm', adminUsername: 'azureuser', [`${opts.os}Configuration`]: {} };
  const lb = loadBalancer({ name: 'ilb', frontendIp: '10.0.0.10', rules: opts.frontends === 1 ? [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] : [{ name: 'http', port: 80 }] });
  if (opts.frontends === 2) {
    const p = lb['properties'] as { frontendIPConfigurations: unknown[]; loadBalancingRules: unknown[] };
    p.frontendIPConfigurations.push({ name: 'fe2', properties: { privateIPAllocationMethod: 'Static', privateIPAddress: '10.0.0.11', subnet: { id: SUBNET } } });
    p.loadBalancingRules.push({ name: 'http2', properties: { frontendIPConfiguration: { id: frontendId('ilb', 'fe2') }, backendAddressPool: { id: poolId('ilb', 'be') }, protocol: 'Tcp', frontendPort: 80, backendPort: 80 } });
  }
  return template({ resources: [lb, nic('nic-a', [poolId('ilb', 'be')]), machine] });
}

/** The guest scripts of a template text (every CustomScript script and encoded command in it). */
const scriptsOfText = (text: string): GuestScript[] => scriptsIn([{ file: '', offset: 0, length: 0, newText: text }]);

/** Fixes the finding of `rule` in a one-file workspace and returns the text after it. */
function fixRule(file: string, text: string, rule: string, chosenOs: Os): string {
  const l = load(new Map([[file, text]]));
  const f = l.analysis.findings.find((x) => x.facts.lbRule === rule);
  assert.ok(f, `rule ${rule} is found`);
  const r = computeFix('floating-ip-loopback', f, textOf(l), { os: chosenOs });
  assert.ok(r.ok, `rule ${rule}: ${r.ok ? '' : r.reason}`);
  return applyEdits(text, r.fix.edits);
}

const tempDirs: string[] = [];
after(() => {
  for (const d of tempDirs) fs.rmSync(d, { recursive: true, force: true });
});

function tempWith(name: string, text: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-loopback-'));
  tempDirs.push(dir);
  fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('floating-ip-loopback: a second rule on the same backend machines', () => {
  const file = '/ws/two/azuredeploy.json';

  it('a VM with a literal name: the other rule is fixed next (floating IP only, the extension is recognised)', () => {
    const text = twoRules({ vmName: 'vm-a', os: 'windows', frontends: 1 });
    const once = fixRule(file, text, 'http', 'windows');
    const l = load(new Map([[file, once]]));
    const f = l.analysis.findings.find((x) => x.facts.lbRule === 'https');
    assert.ok(f);
    const r = computeFix('floating-ip-loopback', f, textOf(l), { os: 'windows' });
    assert.ok(r.ok, r.ok ? '' : r.reason);
    const base = floatingIpFix(f, textOf(l));
    assert.ok(base.ok);
    assert.deepEqual(r.fix.edits, base.fix.edits, 'no second extension');
    assert.deepEqual(load(new Map([[file, applyEdits(once, r.fix.edits)]])).analysis.findings, []);
  });

  it(
    'a VM named by uniqueString(): the other rule is fixed next as well (its own extension is no CustomScript conflict)',
    () => {
      const text = twoRules({ vmName: "[concat('vm-', uniqueString(resourceGroup().id))]", os: 'windows', frontends: 1 });
      const once = fixRule(file, text, 'http', 'windows');
      const l = load(new Map([[file, once]]));
      const f = l.analysis.findings.find((x) => x.facts.lbRule === 'https');
      assert.ok(f);
      const r = computeFix('floating-ip-loopback', f, textOf(l), { os: 'windows' });
      assert.ok(r.ok, r.ok ? '' : r.reason);
    },
  );

  it(
    'CLI, a Windows VM named by uniqueString() and two rules: one run fixes both (the second fix is computed against the first), a second run changes nothing',
    () => {
      const dir = tempWith('azuredeploy.json', twoRules({ vmName: "[concat('vm-', uniqueString(resourceGroup().id))]", os: 'windows', frontends: 1 }));
      const first = cli(dir, 'fix', '.', '--strategy', 'floating-ip-loopback');
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /^Fixed 2 of 2\.$/m);
      assert.doesNotMatch(first.stderr, /run the command again/);
      const fixed = read(path.join(dir, 'azuredeploy.json'));
      assert.equal(scriptsOfText(fixed).length, 1, 'one loopback extension on the machine, not two');
      const second = cli(dir, 'fix', '.', '--strategy', 'floating-ip-loopback');
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stderr, /^Nothing to fix\.$/m);
      assert.equal(read(path.join(dir, 'azuredeploy.json')), fixed);
      assert.equal(cli(dir, 'scan', '.').code, 0);
    },
  );

  it(
    'two frontends on one pool: once both rules are fixed, both VIPs are on the loopback (or the second fix is refused)',
    () => {
      const text = twoRules({ vmName: 'vm-a', os: 'linux', frontends: 2 });
      const once = fixRule(file, text, 'http', 'linux');
      assert.deepEqual(scriptsOfText(once), [{ os: 'linux', script: linuxLoopbackScript('10.0.0.10') }]);
      const l = load(new Map([[file, once]]));
      const f = l.analysis.findings.find((x) => x.facts.lbRule === 'http2');
      assert.ok(f);
      const r = computeFix('floating-ip-loopback', f, textOf(l), { os: 'linux' });
      if (!r.ok) return; // refusing is honest
      assert.match(r.fix.title, /configure 10\.0\.0\.11 on the backend VMs' loopback/);
      const twice = applyEdits(once, r.fix.edits);
      const scripts = scriptsOfText(twice).map((s) => s.script).join('\n');
      assert.ok(scripts.includes('ExecStart=/sbin/ip addr replace 10.0.0.10/32 dev lo'));
      assert.ok(scripts.includes('ExecStart=/sbin/ip addr replace 10.0.0.11/32 dev lo'), 'the second VIP is on the loopback too');
    },
  );

  it(
    'CLI, two frontends on one pool: one run fixes both rules, and the template puts both VIPs on the loopback',
    () => {
      const dir = tempWith('azuredeploy.json', twoRules({ vmName: 'vm-a', os: 'linux', frontends: 2 }));
      const once = cli(dir, 'fix', '.', '--strategy', 'floating-ip-loopback');
      assert.equal(once.code, 0, once.stderr);
      assert.equal(cli(dir, 'scan', '.').code, 0, 'both rules are fixed in one run');
      const scripts = scriptsOfText(read(path.join(dir, 'azuredeploy.json'))).map((s) => s.script).join('\n');
      assert.ok(scripts.includes('ExecStart=/sbin/ip addr replace 10.0.0.10/32 dev lo'));
      assert.ok(scripts.includes('ExecStart=/sbin/ip addr replace 10.0.0.11/32 dev lo'), 'the second VIP is on the loopback too');
    },
  );
});
