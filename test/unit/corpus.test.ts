/**
 * The product against real public templates: each `<owner>/<repo>` folder of the shared corpus is
 * scanned as its own workspace and compared with the hand labels in `corpus/expected.json`.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { scanPaths } from '../../src/cli/main';

const ROOT = path.resolve(__dirname, '../../..');
const CORPUS = path.resolve(ROOT, '../shared/corpus');

interface Expected {
  positives: { file: string; lbRule: string }[];
  dontCare: { file: string }[];
}

/** `*-X` in a label matches by suffix (names built from uniqueString). */
function ruleMatches(label: string, actual: string): boolean {
  return label.startsWith('*') ? actual.endsWith(label.slice(1)) : label === actual;
}

describe('corpus: real templates against hand labels', { skip: !fs.existsSync(CORPUS) && 'shared/corpus is not present' }, () => {
  const expected = JSON.parse(fs.readFileSync(path.join(CORPUS, 'expected.json'), 'utf8')) as Expected;
  const dontCare = new Set(expected.dontCare.map((d) => d.file));
  const repos = fs
    .readdirSync(CORPUS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((owner) => fs.readdirSync(path.join(CORPUS, owner.name), { withFileTypes: true }).filter((d) => d.isDirectory()).map((r) => `${owner.name}/${r.name}`));

  for (const repo of repos) {
    it(`${repo}: every labelled rule is found and no other rule is reported`, () => {
      // The labels are of hairpin-prone rules; the other rules have their own fixtures.
      const all = scanPaths([path.join(CORPUS, repo)], CORPUS);
      const report = { ...all, findings: all.findings.filter((f) => f.ruleId === 'hairpin-prone-rule') };
      assert.equal(report.readErrors.length, 0);
      assert.deepEqual(report.parseErrors, [], 'every template of the corpus parses');
      const positives = expected.positives.filter((p) => p.file.startsWith(`${repo}/`));
      for (const p of positives) {
        assert.ok(
          report.findings.some((f) => f.file === p.file && ruleMatches(p.lbRule, f.lbRule)),
          `${p.file}: rule ${p.lbRule} is reported (found: ${report.findings.filter((f) => f.file === p.file).map((f) => f.lbRule).join(', ') || 'nothing'})`,
        );
      }
      for (const f of report.findings) {
        if (dontCare.has(f.file)) continue;
        const labelled = expected.positives.some((p) => p.file === f.file && ruleMatches(p.lbRule, f.lbRule));
        const inModuleOfLabelled = !f.file.includes('/scenarios/') && report.findings.some((g) => g !== f && g.lbRule === f.lbRule && g.message.endsWith(f.message));
        assert.ok(labelled || inModuleOfLabelled, `unexpected finding: ${f.file}:${f.range.start.line + 1} rule ${f.lbRule}`);
      }
    });
  }
});
