// The extension host under load (issue 17, point 4): generates the bench's 2,000-template, ~100 MB
// workspace plus a 10,000-line template, opens it in the real host (scripts/host-test.mjs) with only
// test/host/responsiveness.test.ts, and prints the host's event-loop blocking while it indexes and
// while the template is typed into, and the time from activation to the first diagnostics against
// the CLI's scan of the same folder. Figures are printed, not asserted.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { bigArmTemplate, generateWorkspace } from './bench-workspace.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const templates = Number(process.argv[2]) || 2000;
const tmp = mkdtempSync(path.join(tmpdir(), 'ilb-hairpin-host-load-'));
try {
  const ws = path.join(tmp, 'ws');
  generateWorkspace(ws, templates);
  writeFileSync(path.join(ws, 'big.json'), bigArmTemplate());
  const cliRuns = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    execFileSync(process.execPath, [path.join(ROOT, 'dist', 'cli.js'), 'scan', ws, '--format', 'json', '--fail-on', 'none'], { stdio: 'ignore', maxBuffer: 1 << 28 });
    cliRuns.push(performance.now() - t0);
  }
  cliRuns.sort((a, b) => a - b);
  const cliMs = cliRuns[1];
  const run = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'host-test.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ILB_HAIRPIN_HOST_WORKSPACE: ws, ILB_HAIRPIN_HOST_GREP: 'not blocked by the analysis' },
    maxBuffer: 1 << 26,
  });
  const out = `${run.stdout}\n${run.stderr}`;
  for (const line of out.split('\n')) if (/responsiveness:|passing|failing|host:/.test(line)) console.log(line.trim());
  const first = /firstDiagnosticsMs=(\d+)/.exec(out);
  console.log(`CLI scan of the same folder (median of 3, process start included): ${cliMs.toFixed(0)} ms`);
  if (first) console.log(`activation to first diagnostics: ${first[1]} ms = ${(Number(first[1]) / cliMs).toFixed(2)}x the CLI's scan (goal <= 1.3x)`);
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
