/**
 * Re-analysis after an edit takes over what the edit left alone (Bicep statements and their
 * evaluations, ARM syntax trees). Its results must be exactly those of a fresh analysis.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Workspace, type WorkspaceAnalysis } from '../../src/core/workspace';

const ROOT = path.resolve(__dirname, '../../..');

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** Everything an analysis says, with locations as offsets read now. */
function summary(a: WorkspaceAnalysis): string {
  return JSON.stringify({
    findings: a.findings.map((f) => [f.ruleId, f.message, f.span.file, f.span.start, f.span.end, f.related.map((r) => [r.message, r.span.file, r.span.start, r.span.end])]).sort(),
    problems: a.problems.map((p) => [p.message, p.span.file, p.span.start, p.span.end]).sort(),
  });
}

/** A deterministic sequence of numbers in [0, 1). */
function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

/** One edit a person could make while typing: insert, delete or replace a character. */
function edit(text: string, rand: () => number): string {
  const at = Math.floor(rand() * (text.length + 1));
  const ch = "abcxyz019 '{}[]().:=\n"[Math.floor(rand() * 21)] as string;
  const op = rand();
  if (op < 0.4) return text.slice(0, at) + ch + text.slice(at);
  if (op < 0.7) return text.slice(0, at) + text.slice(at + 1);
  return text.slice(0, at) + ch + text.slice(at + 1);
}

function workspaceOf(files: Map<string, string>): Workspace {
  const ws = new Workspace();
  for (const [p, t] of files) ws.setFile(p, t);
  return ws;
}

describe('incremental re-analysis equals a fresh analysis', () => {
  const folders = [
    ...fs.readdirSync(path.join(ROOT, 'test/fixtures/bicep')).map((d) => path.join(ROOT, 'test/fixtures/bicep', d)),
    path.join(ROOT, 'examples'),
    path.join(ROOT, 'test/fixtures/workspace/cli-params'),
  ];
  for (const folder of folders) {
    it(`${path.relative(ROOT, folder)}: random one-character edits, three seeds`, () => {
      const files = new Map(filesUnder(folder).filter((f) => /\.(bicep|bicepparam|json)$/.test(f)).map((f) => [f.split(path.sep).join('/'), fs.readFileSync(f, 'utf8')]));
      const editable = [...files.keys()].filter((f) => /\.(bicep|json)$/.test(f));
      assert.ok(editable.length > 0);
      for (const seed of [7919, 104729, 1299709]) {
        const ws = workspaceOf(files);
        ws.analyze();
        const rand = random(seed + path.basename(folder).length);
        for (let i = 0; i < 30; i++) {
          const file = editable[Math.floor(rand() * editable.length)] as string;
          files.set(file, edit(files.get(file) as string, rand));
          ws.setFile(file, files.get(file) as string);
          const incremental = ws.analyze();
          assert.equal(summary(incremental), summary(workspaceOf(files).analyze()), `seed ${seed}, after edit ${i + 1} of ${file}`);
        }
      }
    });
  }

  it('typing inside a string of a large ARM template keeps the locations right', () => {
    const file = '/ws/big.json';
    let text = fs.readFileSync(path.join(ROOT, 'examples/seed-lab/azuredeploy.json'), 'utf8');
    const ws = new Workspace();
    ws.setFile(file, text);
    const first = ws.analyze();
    assert.equal(first.findings.length, 1);
    for (const f of first.findings) void f.span.start; // builds the syntax tree
    const rand = random(11);
    for (let i = 0; i < 30; i++) {
      // Type inside a string (a name, an expression, a key), as a person would.
      const strings = [...text.matchAll(/"([^"\\\n]{2,})"/g)];
      const m = strings[Math.floor(rand() * strings.length)] as RegExpMatchArray;
      const at = (m.index as number) + 1 + Math.floor(rand() * (m[1] as string).length);
      text = rand() < 0.5 ? text.slice(0, at) + 'x' + text.slice(at) : text.slice(0, at) + text.slice(at + 1);
      ws.setFile(file, text);
      const fresh = new Workspace();
      fresh.setFile(file, text);
      assert.equal(summary(ws.analyze()), summary(fresh.analyze()), `after edit ${i + 1}`);
    }
  });
});
