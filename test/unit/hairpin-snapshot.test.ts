/**
 * The hairpin findings of the fixtures, the examples and the shared corpus, compared with the
 * ones recorded before the engine was restructured (issue 13, part 1): moving code between
 * modules must not change what is found. `ILB_HAIRPIN_UPDATE_SNAPSHOT=1` records them again
 * (only when a change of findings is meant; the diff of the snapshot file then shows it).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanPaths } from '../../src/cli/main';
import { REPO_ROOT } from './helpers';

const CORPUS = path.resolve(REPO_ROOT, '../shared/corpus');
const SNAPSHOT = path.join(REPO_ROOT, 'test', 'snapshots', 'hairpin-findings.json');

interface Row {
  file: string;
  line: number;
  ruleId: string;
  severity: string;
  loadBalancer: string;
  lbRule: string;
  members: number | null;
  frontendIp: string | null;
  parameterSource?: string;
}

/** Each folder is scanned as one workspace, as a person opening it would. */
function workspaces(): { base: string; folder: string }[] {
  const out: { base: string; folder: string }[] = [];
  for (const dir of ['test/fixtures', 'examples']) {
    for (const d of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
      // (test/fixtures/fuzz holds hostile inputs with a test of their own: fuzz-regressions.test.ts.)
      if (d.isDirectory() && !(dir === 'test/fixtures' && d.name === 'fuzz')) out.push({ base: REPO_ROOT, folder: path.join(REPO_ROOT, dir, d.name) });
    }
  }
  if (fs.existsSync(CORPUS)) {
    for (const owner of fs.readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory())) {
      for (const repo of fs.readdirSync(path.join(CORPUS, owner.name), { withFileTypes: true }).filter((d) => d.isDirectory())) {
        out.push({ base: path.dirname(CORPUS), folder: path.join(CORPUS, owner.name, repo.name) });
      }
    }
  }
  return out.sort((a, b) => a.folder.localeCompare(b.folder));
}

function rows(base: string, folder: string): Row[] {
  const report = scanPaths([folder], base);
  return report.findings
    .filter((f) => f.ruleId === 'hairpin-prone-rule')
    .map((f) => {
      const r: Row = {
        file: f.file,
        line: f.range.start.line + 1,
        ruleId: f.ruleId,
        severity: f.severity,
        loadBalancer: f.loadBalancer,
        lbRule: f.lbRule,
        members: f.members,
        frontendIp: f.frontendIp,
      };
      if (f.parameterSource !== undefined) r.parameterSource = f.parameterSource;
      return r;
    });
}

describe('hairpin findings are the ones recorded before the restructuring', () => {
  const all = workspaces();
  if (process.env['ILB_HAIRPIN_UPDATE_SNAPSHOT'] === '1') {
    const snapshot: Record<string, Row[]> = {};
    for (const w of all) snapshot[path.relative(w.base, w.folder).split(path.sep).join('/')] = rows(w.base, w.folder);
    fs.writeFileSync(SNAPSHOT, JSON.stringify(snapshot, null, 1) + '\n');
  }
  const recorded = JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8')) as Record<string, Row[]>;
  for (const w of all) {
    const key = path.relative(w.base, w.folder).split(path.sep).join('/');
    it(key, () => {
      const expected = recorded[key];
      assert.ok(expected, `${key} is in the snapshot (record it with ILB_HAIRPIN_UPDATE_SNAPSHOT=1)`);
      assert.deepEqual(rows(w.base, w.folder), expected);
    });
  }
  it('the snapshot is not empty', () => {
    assert.ok(Object.values(recorded).flat().length > 10);
  });
});

/**
 * Issue 13, part 3b: a rule in a module is reported once per deployment, where the module is
 * called, no more a second time inside the module. Against the corpus findings recorded before
 * that change: nothing new, and each finding no longer reported has a twin (the same load
 * balancer, rule, members, frontend and severity) that still is, at the module's call site.
 */
describe('the corpus: the hairpin findings recorded before part 3b, less the in-module duplicates', () => {
  const BEFORE = path.join(REPO_ROOT, 'test', 'snapshots', 'hairpin-findings-corpus-before-part3b.json');
  if (!fs.existsSync(CORPUS)) {
    it('needs the shared corpus', (t) => t.skip(`no corpus at ${CORPUS}: nothing to compare`));
    return;
  }
  const before = JSON.parse(fs.readFileSync(BEFORE, 'utf8')) as Record<string, Row[]>;
  const facts = (r: Row): string => JSON.stringify([r.loadBalancer, r.lbRule, r.members, r.frontendIp, r.severity, r.parameterSource ?? null]);
  const place = (r: Row): string => `${r.file}:${r.line} ${facts(r)}`;
  const counts = (list: Row[], key: (r: Row) => string): Map<string, number> => {
    const m = new Map<string, number>();
    for (const r of list) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
    return m;
  };
  let beforeTotal = 0;
  let nowTotal = 0;
  let duplicates = 0;
  for (const [key, recorded] of Object.entries(before)) {
    it(key, () => {
      const now = rows(path.dirname(CORPUS), path.join(path.dirname(CORPUS), key));
      const left = counts(recorded, place);
      for (const r of now) {
        const n = left.get(place(r)) ?? 0;
        assert.ok(n > 0, `a finding not recorded before: ${place(r)}`);
        left.set(place(r), n - 1);
      }
      const stillReported = new Set(now.map(facts));
      const gone = [...left].flatMap(([p, n]) => Array<string>(n).fill(p));
      for (const p of gone) {
        const twin = recorded.find((r) => place(r) === p) as Row;
        assert.ok(stillReported.has(facts(twin)), `a finding lost that was no duplicate: ${p}`);
      }
      assert.equal(now.length, recorded.length - gone.length);
      beforeTotal += recorded.length;
      nowTotal += now.length;
      duplicates += gone.length;
    });
  }
  it('in all: the count recorded before, less the duplicates', () => {
    assert.ok(beforeTotal > 0);
    assert.equal(nowTotal, beforeTotal - duplicates, `${beforeTotal} before, ${nowTotal} now, ${duplicates} in-module duplicates`);
  });
});
