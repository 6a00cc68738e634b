// Bicep parser benchmark: our parser against tree-sitter-bicep 1.1.0 (through web-tree-sitter, with
// the .wasm the package ships) on ../shared/bench/big.bicep, in one run: a full parse, then a
// one-character edit in the middle of the file (our re-parse against tree-sitter's incremental
// parse). Prints medians and ratios; it asserts nothing about times.
import * as esbuild from 'esbuild';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { benchWorkspace, stats } from './bench-workspace.mjs';
import { benchAzure } from './bench-azure.mjs';
import { benchReliability } from './bench-reliability.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIG = path.resolve(ROOT, '../shared/bench/big.bicep');
const GOAL_FULL = 30;
const GOAL_EDIT = 50;

/** Our parser, bundled from the TypeScript sources into a temporary ES module. */
async function loadOurParser() {
  const dir = mkdtempSync(path.join(tmpdir(), 'ilb-hairpin-bench-'));
  const outfile = path.join(dir, 'bicep.mjs');
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'src/core/parse/bicep/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile,
    logLevel: 'warning',
  });
  const parser = await import(pathToFileURL(outfile).href);
  rmSync(dir, { recursive: true, force: true });
  return parser;
}

async function loadTreeSitter() {
  const require = createRequire(import.meta.url);
  const TreeSitter = require('web-tree-sitter');
  await TreeSitter.init();
  const language = await TreeSitter.Language.load(require.resolve('tree-sitter-bicep/tree-sitter-bicep.wasm'));
  const parser = new TreeSitter();
  parser.setLanguage(language);
  return parser;
}

/**
 * Median time of `run` over `runs` runs after `warmups` unmeasured ones. `run` gets a context made
 * by `prepare` (not timed) and returns something for `cleanup` (not timed).
 */
function median({ runs, warmups, prepare = () => undefined, run, cleanup = () => {} }) {
  const times = [];
  for (let i = 0; i < warmups + runs; i++) {
    const context = prepare();
    const start = performance.now();
    const result = run(context);
    const elapsed = performance.now() - start;
    cleanup(result, context);
    if (i >= warmups) times.push(elapsed);
  }
  return stats(times);
}

/** A tree-sitter point (row, column) for an offset; big.bicep is ASCII, so columns in code units are bytes too. */
function point(text, offset) {
  let row = 0;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    row++;
    lineStart = i + 1;
  }
  return { row, column: offset - lineStart };
}

function ms(value) {
  return value >= 10 ? value.toFixed(0) : value >= 1 ? value.toFixed(1) : value.toFixed(3);
}

function line(label, ours, theirs, goal) {
  const ratio = theirs.median / ours.median;
  console.log(
    `${label}: ours ${ms(ours.median)} ms (min ${ms(ours.min)}, max ${ms(ours.max)}), tree-sitter-bicep ${ms(theirs.median)} ms (min ${ms(theirs.min)}, max ${ms(theirs.max)}), ratio of the medians ${ratio.toFixed(0)}x (goal >= ${goal}x)`,
  );
}

console.log(`npm run bench, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB, load average ${os.loadavg()[0].toFixed(1)}, Node ${process.version}`);
const text = readFileSync(BIG, 'utf8');
const ours = await loadOurParser();
const treeSitter = await loadTreeSitter();
console.log(`${path.relative(ROOT, BIG)}: ${text.split('\n').length - 1} lines, ${text.length} characters`);

// Full parse.
const baseline = ours.parseBicep(text);
assert.equal(baseline.diagnostics.length, 0, 'our parser reads big.bicep without diagnostics');
const oursFull = median({ runs: 41, warmups: 60, run: () => ours.parseBicep(text) });
const theirsFull = median({ runs: 7, warmups: 2, run: () => treeSitter.parse(text), cleanup: (tree) => tree.delete() });
line('bicep full parse', oursFull, theirsFull, GOAL_FULL);

// A one-character edit inside a string in the middle of the file.
const at = text.indexOf("'Standard'", text.length >> 1) + 1;
const edit = { start: at, end: at + 1, text: 'X' };
const edited = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
assert.deepEqual(ours.reparseBicep(ours.parseBicep(text), edit, edited), ours.parseBicep(edited), 'the re-parse equals a full parse');
const oursEdit = median({
  runs: 41,
  warmups: 20,
  prepare: () => ours.parseBicep(text),
  run: (previous) => ours.reparseBicep(previous, edit, edited),
});
const oursEditFull = median({ runs: 41, warmups: 10, run: () => ours.parseBicep(edited) });
const startPosition = point(text, edit.start);
const oldEndPosition = point(text, edit.end);
const theirsEdit = median({
  runs: 7,
  warmups: 2,
  prepare: () => treeSitter.parse(text),
  run: (oldTree) => {
    oldTree.edit({
      startIndex: edit.start,
      oldEndIndex: edit.end,
      newEndIndex: edit.start + edit.text.length,
      startPosition,
      oldEndPosition,
      newEndPosition: { row: startPosition.row, column: startPosition.column + edit.text.length },
    });
    return treeSitter.parse(edited, oldTree);
  },
  cleanup: (tree, oldTree) => {
    tree.delete();
    oldTree.delete();
  },
});
line('bicep one-char edit re-parse (reparseBicep vs tree.edit + incremental parse)', oursEdit, theirsEdit, GOAL_EDIT);
line('bicep one-char edit, full parse of the edited text (vs tree-sitter incremental)', oursEditFull, theirsEdit, GOAL_EDIT);

await benchWorkspace({ treeSitterEdit: theirsEdit });

await benchAzure();

await benchReliability();

// The extension host under load (issue 17, point 4): the real host, in a child process
// (BENCH_HOST=0 leaves it out, e.g. on a machine without the test browser's workbench).
if (process.env.BENCH_HOST !== '0') {
  const { spawnSync } = await import('node:child_process');
  console.log('extension host under load (scripts/host-load.mjs):');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'host-load.mjs'), '2000', '--runs', '5'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
  for (const l of `${r.stdout}\n${r.stderr}`.split('\n')) if (l.trim()) console.log(`  ${l.trim()}`);
}

// The topology at 5,000 nodes against 519 in the browser workbench (issue 17, point 5): the UI
// test that measures both in one run (BENCH_UI=0 leaves it out).
if (process.env.BENCH_UI !== '0') {
  const { spawnSync } = await import('node:child_process');
  console.log('topology in the browser workbench (test/ui/topology.ui.test.mjs, 5,000 nodes):');
  const r = spawnSync(process.execPath, ['--test', '--test-name-pattern=5,000 nodes', path.join(ROOT, 'test', 'ui', 'topology.ui.test.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, ILB_HAIRPIN_UI_LARGE: '1' },
    maxBuffer: 1 << 26,
  });
  for (const l of `${r.stdout}\n${r.stderr}`.split('\n')) if (/topology first picture|topology at \d|^# (pass|fail) |not ok/.test(l.trim())) console.log(`  ${l.trim()}`);
}
