/**
 * Every failure the fuzz harness (`npm run fuzz`, scripts/fuzz/) has found, kept as a fixture:
 * test/fixtures/fuzz/<id>/input/ is the workspace, case.json the command and what must hold. Each
 * runs the CLI in a child process (a hang or an out-of-memory must fail the test, not stop the
 * test run) on a copy of its input, with a time and a heap limit: it must end, exit with a
 * documented code, print no stack trace, and meet the case's expectations (exit code, number of
 * findings, notes; for a fix, that a second run changes nothing).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { spawnSync } from 'node:child_process';
import { REPO_ROOT } from './helpers';
import { dirsIn } from './fix-helpers';

interface FuzzCase {
  argv: string[];
  origin: string;
  fixTwice?: boolean;
  expect: { exit?: number; findings?: number; notes?: string[]; stderr?: string; stderrNot?: string };
}

const FUZZ = path.join(REPO_ROOT, 'test', 'fixtures', 'fuzz');
const GUARD = { timeout: 60_000 };
const STACK = /^\s+at \S.*(\(|:\d+:\d+)|FATAL ERROR|Unhandled 'error' event/m;
const MAIN = path.join(REPO_ROOT, 'out', 'src', 'cli', 'main.js');

/** The CLI in a child process: 30 s and a 1 GB heap at most. */
function cli(cwd: string, ...argv: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--max-old-space-size=1024', MAIN, ...argv], { cwd, encoding: 'utf8', timeout: 30_000, maxBuffer: 256 * 1024 * 1024 });
  assert.equal(r.error, undefined, `the CLI ended within 30 s (${String(r.error)})`);
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-fuzz-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

/** Every file under a folder, path -> bytes. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.set(path.join(e.parentPath, e.name), fs.readFileSync(path.join(e.parentPath, e.name)).toString('base64'));
  }
  return out;
}

describe('fuzz regressions (test/fixtures/fuzz)', () => {
  const cases = dirsIn(FUZZ);
  it('there are regression fixtures', () => assert.ok(cases.length >= 7, `${cases.length} cases`));

  for (const dir of cases) {
    const id = path.basename(dir);
    const c = JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as FuzzCase;
    it(`${id} (${c.argv.join(' ')})`, GUARD, () => {
      const cwd = path.join(work, id);
      fs.cpSync(path.join(dir, 'input'), cwd, { recursive: true });
      const r = cli(cwd, ...c.argv);
      assert.ok([0, 1, 2].includes(r.code), `exit ${r.code}`);
      assert.doesNotMatch(r.stderr, STACK, 'no stack trace');
      if (c.expect.exit !== undefined) assert.equal(r.code, c.expect.exit, r.stderr);
      if (c.expect.stderr !== undefined) assert.match(r.stderr, new RegExp(c.expect.stderr));
      if (c.expect.stderrNot !== undefined) assert.doesNotMatch(r.stderr, new RegExp(c.expect.stderrNot));
      if (c.expect.findings !== undefined || c.expect.notes) {
        const report = JSON.parse(r.stdout) as { findings: unknown[]; notes: { message: string }[] };
        if (c.expect.findings !== undefined) assert.equal(report.findings.length, c.expect.findings);
        for (const n of c.expect.notes ?? []) assert.ok(report.notes.some((x) => x.message.includes(n)), `a note with '${n}'`);
      }
      if (c.fixTwice) {
        const before = snapshot(cwd);
        const again = cli(cwd, ...c.argv);
        assert.deepEqual(snapshot(cwd), before, `a second fix run changes nothing (${again.stderr})`);
      }
    });
  }
});
