/**
 * Fix-all (the editor's `source.fixAll`, also run by `editor.codeActionsOnSave`): it may only
 * apply edits that keep every client served. Floating IP alone makes each member drop the packets
 * addressed to the VIP (the hairpin lab: 0 of 120 connections served), so fix-all turns it on only
 * with the VIP on every member's loopback, and leaves a rule alone, saying why, when that cannot
 * be done from the file being saved. And `runFixes`, which the CLI shares: one run settles.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fixAllInFile, minimalEdit, runFixes } from '../../src/core/fix-run';
import type { Finding } from '../../src/core/rules/types';
import { loadBalancer, nic, poolId, SEED_LAB, template, vm } from './helpers';
import { load, read } from './fix-helpers';

const FILE = '/ws/app/azuredeploy.json';
const hairpins = (fs: Finding[], file = FILE): Finding[] => fs.filter((f) => f.ruleId === 'hairpin-prone-rule' && f.span.file === file);

type Os = 'linux' | 'windows' | undefined;

/** An ILB whose rules reach one NIC, attached to a VM whose OS the template tells (or not). */
function app(opts: { os: Os; rules?: string[]; withVm?: boolean }): Record<string, unknown>[] {
  const rules = (opts.rules ?? ['http']).map((name, i) => ({ name, port: 80 + i }));
  const machine = vm('vm-a', ["[resourceId('Microsoft.Network/networkInterfaces', 'nic-a')]"]);
  if (opts.os) (machine['properties'] as Record<string, unknown>)['osProfile'] = { computerName: 'vm', adminUsername: 'azureuser', [`${opts.os}Configuration`]: {} };
  return [loadBalancer({ name: 'ilb', frontendIp: '10.0.0.10', rules }), nic('nic-a', [poolId('ilb', 'be')]), ...(opts.withVm === false ? [] : [machine])];
}

describe('fix-all: only edits that keep every client served', () => {
  it('the seed lab: floating IP together with the loopback extension; the finding goes, a second fix-all changes nothing', () => {
    const l = load(new Map([[SEED_LAB, read(SEED_LAB)]]));
    assert.equal(hairpins(l.analysis.findings, SEED_LAB).length, 1);
    const run = fixAllInFile(l.ws, SEED_LAB);
    assert.equal(run.changes.length, 1);
    const after = run.changes[0]?.after ?? '';
    assert.match(after, /"enableFloatingIP": true/);
    assert.match(after, /ilb-hairpin-loopback/, 'the guest loopback configuration comes with floating IP');
    assert.deepEqual(hairpins(l.ws.analyze().findings, SEED_LAB), [], 'the finding is gone');
    assert.equal(fixAllInFile(l.ws, SEED_LAB).changes.length, 0, 'settled in one run');
  });

  for (const os of ['linux', 'windows'] as const) {
    it(`${os} members: both rules on the same machine fixed in one run, with one loopback extension`, () => {
      const l = load(new Map([[FILE, template({ resources: app({ os, rules: ['http', 'https'] }) })]]));
      const run = fixAllInFile(l.ws, FILE);
      assert.deepEqual(run.outcomes.map((o) => o.ok), [true, true]);
      const after = run.changes[0]?.after ?? '';
      assert.equal(after.match(/"enableFloatingIP": true/g)?.length, 2);
      assert.equal(after.match(/"name": "\[concat\('vm-a', '\/ilb-hairpin-loopback'\)\]"/g)?.length, 1, 'Azure allows one CustomScript per machine');
      assert.deepEqual(hairpins(l.ws.analyze().findings), []);
    });
  }

  it('an OS the template does not tell: nothing is applied (no bare floating IP), and the outcome says why', () => {
    const text = template({ resources: app({ os: undefined }) });
    const l = load(new Map([[FILE, text]]));
    const run = fixAllInFile(l.ws, FILE);
    assert.deepEqual(run.changes, []);
    const [outcome] = run.outcomes;
    assert.ok(outcome && !outcome.ok);
    assert.match(outcome.reason, /OS of a backend VM cannot be told/);
    assert.equal(l.ws.source(FILE)?.text, text);
  });

  it('a member whose machine is not declared: nothing is applied (that member would stop serving)', () => {
    const l = load(new Map([[FILE, template({ resources: app({ os: 'linux', withVm: false }) })]]));
    const run = fixAllInFile(l.ws, FILE);
    assert.deepEqual(run.changes, []);
    const [outcome] = run.outcomes;
    assert.ok(outcome && !outcome.ok);
    assert.match(outcome.reason, /no VM or scale set|not declared in these templates/);
  });

  it('machines declared in another file: fix-all of this file leaves the rule alone and names that file', () => {
    const [lb, ...members] = app({ os: 'linux' });
    const other = '/ws/app/members.json';
    const l = load(new Map([
      [FILE, template({ resources: [lb] })],
      [other, template({ resources: members })],
    ]));
    assert.equal(hairpins(l.analysis.findings).length, 1);
    const run = fixAllInFile(l.ws, FILE, { display: (f) => f.replace('/ws/app/', '') });
    assert.deepEqual(run.changes, []);
    const [outcome] = run.outcomes;
    assert.ok(outcome && !outcome.ok);
    assert.match(outcome.reason, /declared in members\.json, which a fix-all of azuredeploy\.json does not edit/);
  });

  it('restore: the live workspace keeps its texts and findings', () => {
    const text = template({ resources: app({ os: 'linux' }) });
    const l = load(new Map([[FILE, text]]));
    const run = fixAllInFile(l.ws, FILE, { restore: true });
    assert.equal(run.changes.length, 1);
    assert.equal(l.ws.source(FILE)?.text, text);
    assert.equal(hairpins(l.ws.analyze().findings).length, 1);
  });
});

describe('runFixes', () => {
  it('a fix refused for one rule changes nothing for it, and the others are still fixed', () => {
    const ok = template({ resources: app({ os: 'linux' }) });
    const unknownOs = template({ resources: app({ os: undefined }).map((r) => JSON.parse(JSON.stringify(r).replace(/\bilb\b/g, 'ilb2').replace(/nic-a/g, 'nic-b').replace(/vm-a/g, 'vm-b'))) });
    const second = '/ws/app/other.json';
    const l = load(new Map([[FILE, ok], [second, unknownOs]]));
    const run = runFixes(l.ws, 'floating-ip-loopback', { select: (f) => f.ruleId === 'hairpin-prone-rule' });
    assert.deepEqual(run.outcomes.map((o) => [o.finding.span.file, o.ok]).sort(), [[FILE, true], [second, false]].sort());
    assert.deepEqual(run.changes.map((c) => c.file), [FILE]);
  });
});

describe('minimalEdit', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['abc', 'abc'],
    ['abc', 'abXc'],
    ['aaaa', 'aa'],
    ['', 'new'],
    ['old', ''],
    ['{ "a": 1 }', '{ "a": 1, "b": 2 }'],
    ['xyxy', 'xy'],
  ];
  for (const [before, after] of cases) {
    it(`${JSON.stringify(before)} -> ${JSON.stringify(after)}`, () => {
      const e = minimalEdit(before, after);
      assert.equal(before.slice(0, e.offset) + e.newText + before.slice(e.offset + e.length), after);
      assert.ok(e.length <= before.length && e.newText.length <= after.length);
    });
  }
});
