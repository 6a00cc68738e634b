// `npm run fuzz`: generated hostile inputs, run through the engine in-process (a worker thread with
// a heap limit) and through the CLI in child processes (time and memory limits), each result
// classified: crash, hang, oom, unclear message, corrupted fix. Seeded: the same --seed gives the
// same cases in the same order; --cases and --minutes only say how many of them run.
//
//   node scripts/fuzz/fuzz.mjs [--seed N] [--cases N] [--minutes M] [--ci] [--report FILE] [--no-save]
//                              [--only I] (case I of the seed alone) [--cli FILE] (another build of the CLI)
//
// --ci is the bounded run of `npm test` (seed 1, cases 0-99, stopped at 90 seconds if not done). Every failure is written as
// a regression fixture under test/fixtures/fuzz/ (unless --no-save), which fuzz-regressions.test.ts
// runs from then on. The report (JSON) goes to test-results/fuzz/report.json unless --report says.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as F from './families.mjs';
import { saveFixture } from './fixtures.mjs';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');
const CLI = path.resolve(process.argv.includes('--cli') ? process.argv[process.argv.indexOf('--cli') + 1] : path.join(ROOT, 'dist', 'cli.js'));
const CORPUS = path.resolve(ROOT, '..', 'shared', 'corpus');

// ------------------------------------------------------------------ options

const argv = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return fallback;
  return argv[i].includes('=') ? argv[i].slice(argv[i].indexOf('=') + 1) : argv[i + 1];
};
const ci = argv.includes('--ci');
const seed = Number(opt('--seed', ci ? 1 : Date.now() % 100000));
const maxCases = Number(opt('--cases', ci ? 100 : 100000));
const minutes = Number(opt('--minutes', ci ? 1.5 : 10));
const save = !argv.includes('--no-save');
const reportFile = path.resolve(opt('--report', path.join(ROOT, 'test-results', 'fuzz', 'report.json')));
/** Per case: time, and heap for the in-process run / the child process. */
const CASE_SECONDS = 20;
const HEAP_MB = 1024;

if (!fs.existsSync(CLI)) {
  console.error('fuzz: dist/cli.js is missing: run `npm run build` first (npm run fuzz does).');
  process.exit(2);
}

// ------------------------------------------------------------------ sources for mutations

function filesUnder(dir, pick) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && pick(e.name))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .filter((p) => !p.includes(`${path.sep}fuzz${path.sep}`))
    .sort();
}
const isTemplateName = (n) => /\.(jsonc?|bicep|bicepparam)$/i.test(n);
const SOURCES = [
  ...filesUnder(path.join(ROOT, 'test', 'fixtures'), isTemplateName),
  ...filesUnder(path.join(ROOT, 'examples'), isTemplateName),
  ...filesUnder(CORPUS, (n) => isTemplateName(n) && n !== 'expected.json'),
].filter((p) => fs.statSync(p).size < 400_000);

// ------------------------------------------------------------------ the families

const MUTATIONS = [
  // byte mutations
  (t, r) => { const i = r.int(0, t.length); return t.slice(0, i) + t.slice(i + r.int(1, 64)); },
  (t, r) => { const i = r.int(0, t.length); return t.slice(0, i) + r.pick(['{', '}', '[', ']', '"', ',', ':', '\\', '\u0000', '\uFFFF', "'", '${', '[[', '\n']) + t.slice(i); },
  (t, r) => { const i = r.int(0, t.length); const c = t.charCodeAt(i) ^ (1 << r.int(0, 6)); return t.slice(0, i) + String.fromCharCode(c) + t.slice(i + 1); },
  (t, r) => t.slice(0, r.int(0, t.length)),
  // line mutations
  (t, r) => { const l = t.split('\n'); const i = r.int(0, l.length - 1); l.splice(i, 0, l[r.int(0, l.length - 1)]); return l.join('\n'); },
  (t, r) => { const l = t.split('\n'); l.splice(r.int(0, l.length - 1), r.int(1, 5)); return l.join('\n'); },
  (t, r) => { const l = t.split('\n'); const i = r.int(0, l.length - 1); const j = r.int(0, l.length - 1); [l[i], l[j]] = [l[j], l[i]]; return l.join('\n'); },
  // expressions that look like ARM or Bicep
  (t, r) => t.replace(/"(\d+)"|: (\d+)/, () => r.pick([': "[int(\'999999999\')]"', ': "[range(0, 100000)]"', ': "[concat(variables(\'v\'), variables(\'v\'))]"', ': "[length(string(json(\'[\')))]"'])),
  (t, r) => t.replace(/range\(0, *\w+\)/, () => `range(0, ${r.pick(['100000', '-1', '2147483647', 'length(x)'])})`),
];

/** A mutation of a real template: the folder it lives in, one file changed. */
function mutationCase(r) {
  const file = r.pick(SOURCES);
  const dir = path.dirname(file);
  const siblings = fs.readdirSync(dir).filter((n) => isTemplateName(n) && fs.statSync(path.join(dir, n)).isFile() && fs.statSync(path.join(dir, n)).size < 400_000).slice(0, 12);
  const files = {};
  for (const n of siblings) files[n] = fs.readFileSync(path.join(dir, n), 'utf8');
  let text = files[path.basename(file)] ?? '';
  for (let k = r.int(1, 3); k > 0; k--) text = r.pick(MUTATIONS)(text, r);
  files[path.basename(file)] = text;
  return { family: 'mutation', what: `${path.relative(path.dirname(ROOT), file)} mutated`, files, argv: ['scan', '.', '--format', 'json'] };
}

function semanticCase(r) {
  const make = r.pick([
    () => ({ what: 'bicep module loops', ...F.bicepModuleLoops(r.int(1, 25), r.int(1, 25)) }),
    () => ({ what: 'bicep module cycle through loops', ...F.bicepModuleCycle(r.int(2, 60)) }),
    () => ({ what: 'bicep module fan-out', ...F.bicepModuleFanout(r.int(2, 40)) }),
    () => ({ what: 'arm templateLink fan-out', ...F.armLinkFanout(r.int(2, 25)) }),
    () => ({ what: 'arm absurd copy count', ...F.armAbsurdCopy(r.pick([0, -1, 801, 100000, '[int(\'999999999\')]', '[length(range(0, 1000000))]', 'many'])) }),
    () => ({ what: 'deep nesting', ...F.armDeepNesting(r.pick([100, 5000, 100000])) }),
    () => ({ what: 'self- and mutually linked templates', ...F.armSelfLink(r.int(1, 30)) }),
  ]);
  const c = make();
  return { family: 'semantic', ...c, what: `${c.what}`, argv: r.next() < 0.3 ? ['topology', '.', '--format', r.pick(['json', 'mermaid', 'dot'])] : c.argv };
}

function encodingCase(r) {
  const encoding = r.pick(['utf-16le', 'utf-16be', 'utf-16le-nobom', 'utf-8-bom', 'utf-8']);
  const c = F.encoded(encoding);
  // With a BOM (or in UTF-8) the finding must be there; without one, a read error must say why.
  const expect = encoding === 'utf-16le-nobom' ? { exit: 2, readError: true } : { exit: 1, findings: 1 };
  return { family: 'encoding', what: `the ILB saved as ${encoding}`, ...c, expect };
}

/** Filesystem oddities: only through the CLI (they are made when the case runs). */
function filesystemCase(r) {
  const kind = r.pick(['fifo-named', 'fifo-in-folder', 'device-named', 'symlink-loop-named', 'symlink-loop-in-folder', 'dangling-link', 'folder-named-json', 'output-over-input']);
  return { family: 'filesystem', what: kind, kind, files: { 'azuredeploy.json': JSON.stringify(F.armLb(), null, 2) }, argv: ['scan', '.'], cliOnly: true };
}

/** Fix round trips: the fix applies, the result parses, the finding goes, a second run changes nothing. */
function fixCase(r) {
  const withFindings = SOURCES.filter((p) => /\.(json|bicep)$/i.test(p) && !/parameters/i.test(p));
  const file = r.pick(withFindings);
  const dir = path.dirname(file);
  const files = {};
  for (const n of fs.readdirSync(dir).filter((x) => isTemplateName(x) && fs.statSync(path.join(dir, x)).isFile()).slice(0, 12)) files[n] = fs.readFileSync(path.join(dir, n), 'utf8');
  const strategy = r.pick(['floating-ip', 'floating-ip-loopback', 'secondary-nic', 'nginx-nva']);
  return { family: 'fix', what: `fix --strategy ${strategy} on ${path.relative(path.dirname(ROOT), dir)}`, files, argv: ['fix', '.', '--strategy', strategy, '--os', r.pick(['linux', 'windows'])], fixTwice: true };
}

const FAMILIES = [
  [mutationCase, 0.4],
  [semanticCase, 0.25],
  [encodingCase, 0.07],
  [filesystemCase, 0.1],
  [fixCase, 0.18],
];

/** Case i of a seed: its own random source, so any case can be made again alone. */
function makeCase(i) {
  const r = F.random(F.mix(seed, i));
  let x = r.next();
  for (const [make, weight] of FAMILIES) {
    if ((x -= weight) < 0) return make(r);
  }
  return mutationCase(r);
}

// ------------------------------------------------------------------ running

function writeFiles(dir, files) {
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

function snapshot(dir) {
  const out = new Map();
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath ?? e.path, e.name);
    if (e.isFile()) out.set(path.relative(dir, p), fs.readFileSync(p).toString('base64'));
  }
  return out;
}
const sameSnapshot = (a, b) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

let worker;
let nextId = 0;
function startWorker() {
  worker = new Worker(new URL('./worker.mjs', import.meta.url), { workerData: { cli: CLI }, resourceLimits: { maxOldGenerationSizeMb: HEAP_MB }, stderr: true, stdout: true });
  worker.unref();
}

/** Runs the CLI in-process (the worker): { code, stdout, stderr } | { thrown } | { hang } | { oom }. */
function inProcess(args, cwd) {
  if (!worker) startWorker();
  const id = nextId++;
  const w = worker;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      cleanup();
      worker = undefined;
      void w.terminate();
      resolve({ hang: true });
    }, CASE_SECONDS * 1000);
    const onMessage = (m) => {
      if (m.id !== id) return;
      cleanup();
      resolve(m);
    };
    const onError = (e) => {
      cleanup();
      worker = undefined;
      resolve(/out of memory|ERR_WORKER_OUT_OF_MEMORY/i.test(`${e.code} ${e.message}`) ? { oom: true, detail: e.message } : { thrown: String(e.stack ?? e) });
    };
    const cleanup = () => {
      clearTimeout(timer);
      w.off('message', onMessage);
      w.off('error', onError);
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.postMessage({ id, argv: args, cwd });
  });
}

/** Runs the CLI as a child process with a heap limit and a time limit. */
function child(args, cwd) {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [`--max-old-space-size=${HEAP_MB}`, CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    let size = 0;
    let stderr = '';
    p.stdout.on('data', (d) => {
      size += d.length;
      if (size <= 64_000_000) out.push(d);
    });
    p.stderr.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
    let hung = false;
    const timer = setTimeout(() => {
      hung = true;
      p.kill('SIGKILL');
    }, CASE_SECONDS * 1000);
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      if (hung) resolve({ hang: true });
      else if (/heap out of memory|bad_alloc|Allocation failed/i.test(stderr) || code === 134) resolve({ oom: true, detail: stderr.slice(0, 400), code });
      else resolve({ code: code ?? -1, signal, stdout: Buffer.concat(out).toString('utf8'), truncated: size > 64_000_000, stderr });
    });
  });
}

const STACK = /^\s+at \S.*(\(|:\d+:\d+)|Unhandled 'error' event|FATAL ERROR|terminate called/m;

/** What went wrong with one run, or undefined. */
function classify(c, r) {
  if (r.hang) return { kind: 'hang', detail: `no result within ${CASE_SECONDS} s` };
  if (r.oom) return { kind: 'oom', detail: r.detail ?? `over ${HEAP_MB} MB` };
  if (r.thrown) return { kind: 'crash', detail: r.thrown.split('\n').slice(0, 4).join(' | ') };
  if (![0, 1, 2].includes(r.code)) return { kind: 'crash', detail: `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}: ${r.stderr.slice(0, 300)}` };
  if (STACK.test(r.stderr)) return { kind: 'crash', detail: r.stderr.slice(0, 300) };
  // Exit 2 must say why (a read error or usage message), on stderr or in the report.
  if (r.code === 2 && !/\S/.test(r.stderr) && !/error read|"readErrors":\s*\[\s*\{/.test(r.stdout)) return { kind: 'unclear', detail: 'exit 2 with no message' };
  const e = c.expect ?? {};
  if (e.exit !== undefined && r.code !== e.exit) return { kind: 'unclear', detail: `exit ${r.code}, expected ${e.exit}: ${r.stderr.slice(0, 200)}` };
  if (r.truncated) return undefined; // (over 64 MB of output: not parsed)
  if (e.findings !== undefined && c.argv.includes('json')) {
    let n;
    try {
      n = JSON.parse(r.stdout).findings.length;
    } catch {
      return { kind: 'unclear', detail: 'the JSON report does not parse' };
    }
    if (n !== e.findings) return { kind: 'unclear', detail: `${n} findings, expected ${e.findings} (a finding lost in silence)` };
  }
  if (c.argv.includes('json') && r.code !== 2 && c.argv[0] === 'scan') {
    try {
      JSON.parse(r.stdout);
    } catch {
      return { kind: 'crash', detail: 'the JSON report does not parse' };
    }
  }
  return undefined;
}

/** Builds the filesystem oddity of a case in its folder; returns the command to run. */
function prepareFilesystem(c, dir) {
  switch (c.kind) {
    case 'fifo-named':
      spawnSync('mkfifo', [path.join(dir, 'pipe.json')]);
      return { argv: ['scan', 'pipe.json'], expect: { exit: 2 } };
    case 'fifo-in-folder':
      spawnSync('mkfifo', [path.join(dir, 'pipe.json')]);
      return { argv: ['scan', '.', '--format', 'json'], expect: { exit: 2 } };
    case 'device-named':
      return { argv: ['scan', '/dev/zero'], expect: { exit: 2 } };
    case 'symlink-loop-named':
      fs.symlinkSync('b.json', path.join(dir, 'a.json'));
      fs.symlinkSync('a.json', path.join(dir, 'b.json'));
      return { argv: ['scan', 'a.json'], expect: { exit: 2 } };
    case 'symlink-loop-in-folder':
      fs.symlinkSync('.', path.join(dir, 'self'));
      fs.symlinkSync('b.json', path.join(dir, 'a.json'));
      fs.symlinkSync('a.json', path.join(dir, 'b.json'));
      return { argv: ['scan', '.'], expect: { exit: 1 } };
    case 'dangling-link':
      fs.symlinkSync('nowhere.json', path.join(dir, 'gone.json'));
      return { argv: ['scan', 'gone.json'], expect: { exit: 2 } };
    case 'folder-named-json':
      fs.mkdirSync(path.join(dir, 'folder.json'));
      return { argv: ['scan', '.'], expect: { exit: 1 } };
    case 'output-over-input':
      return { argv: ['topology', '.', '--output', 'azuredeploy.json'], expect: { exit: 2 }, unchanged: true };
  }
  return { argv: c.argv };
}

async function runCase(c, i) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ilb-hairpin-fuzz-${i}-`));
  try {
    writeFiles(dir, c.files);
    if (c.family === 'filesystem') {
      const prepared = prepareFilesystem(c, dir);
      Object.assign(c, { argv: prepared.argv, expect: prepared.expect });
      const before = snapshot(dir);
      const r = await child(c.argv, dir);
      const failure = classify(c, r);
      if (failure) return failure;
      if (prepared.unchanged && !sameSnapshot(before, snapshot(dir))) return { kind: 'corrupted-fix', detail: 'an input file was overwritten' };
      return undefined;
    }
    if (c.fixTwice) return await runFixCase(c, dir);
    // In-process always; through the CLI for every third case (a child process costs more).
    const r = await inProcess(c.argv, dir);
    const failure = classify(c, r);
    if (failure) return { ...failure, via: 'in-process' };
    if (i % 3 === 0) {
      const rc = await child(c.argv, dir);
      const f2 = classify(c, rc);
      if (f2) return { ...f2, via: 'cli' };
    }
    return undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function runFixCase(c, dir) {
  const scanArgs = ['scan', '.', '--format', 'json', '--fail-on', 'none'];
  const before = await inProcess(scanArgs, dir);
  const f0 = classify({ argv: scanArgs }, before);
  if (f0) return { ...f0, via: 'in-process scan before the fix' };
  const first = await inProcess(c.argv, dir);
  const f1 = classify(c, first);
  if (f1) return { ...f1, via: 'in-process fix' };
  const after = await inProcess(scanArgs, dir);
  const f2 = classify({ argv: scanArgs }, after);
  if (f2) return { ...f2, via: 'in-process scan after the fix' };
  const report = (r) => JSON.parse(r.stdout);
  const b = report(before);
  const a = report(after);
  // The result parses: no parse error that was not there before.
  const key = (e) => `${e.file}\u0000${e.message}`;
  const had = new Set(b.parseErrors.map(key));
  const fresh = a.parseErrors.filter((e) => !had.has(key(e)));
  if (fresh.length) return { kind: 'corrupted-fix', detail: `the fixed files do not parse: ${fresh[0].file}: ${fresh[0].message}` };
  // Each rule the fix says it fixed is no longer hairpin-prone.
  const fixed = [...first.stderr.matchAll(/^(\S+):\d+: rule (.+?): (?!not fixed)/gm)].map((m) => `${m[1]}\u0000${m[2]}`);
  const still = new Set(a.findings.map((f) => `${f.file}\u0000${f.lbRule}`));
  const left = fixed.filter((k) => still.has(k));
  if (left.length) return { kind: 'corrupted-fix', detail: `reported fixed but still hairpin-prone: ${left[0].replace('\u0000', ' rule ')}` };
  // A second run changes nothing.
  const snap = snapshot(dir);
  const second = await inProcess(c.argv, dir);
  const f3 = classify(c, second);
  if (f3) return { ...f3, via: 'in-process second fix run' };
  if (!sameSnapshot(snap, snapshot(dir))) return { kind: 'corrupted-fix', detail: `a second run changed the files again: ${second.stderr.split('\n').find((l) => /rule/.test(l)) ?? ''}` };
  return undefined;
}

// ------------------------------------------------------------------ main

const started = Date.now();
const deadline = started + minutes * 60_000;
const results = [];
const counts = {};
const only = opt('--only', undefined);
for (let i = only === undefined ? 0 : Number(only); i < maxCases && Date.now() < deadline; i++) {
  if (only !== undefined && i !== Number(only)) break;
  const c = makeCase(i);
  counts[c.family] = (counts[c.family] ?? 0) + 1;
  const t0 = Date.now();
  let failure;
  try {
    failure = await runCase(c, i);
  } catch (e) {
    failure = { kind: 'crash', detail: `harness: ${String(e?.stack ?? e).split('\n').slice(0, 3).join(' | ')}` };
  }
  const ms = Date.now() - t0;
  if (failure) {
    const id = `${c.family}-s${seed}-c${i}`;
    let fixture;
    if (save && c.family !== 'filesystem') {
      fixture = path.relative(ROOT, saveFixture(id, { files: c.files, argv: c.argv, fixTwice: c.fixTwice, expect: {} }, `npm run fuzz -- --seed ${seed}, case ${i} (${c.what}): ${failure.kind}: ${failure.detail}`.slice(0, 600)));
    }
    results.push({ case: i, family: c.family, what: c.what, argv: c.argv, ms, ...failure, ...(fixture ? { fixture } : {}) });
    console.log(`fuzz: case ${i} ${c.family} (${c.what}): ${failure.kind}${failure.via ? ` [${failure.via}]` : ''}: ${failure.detail}${fixture ? ` -> ${fixture}` : ''}`);
  }
}
if (worker) await worker.terminate();

const total = Object.values(counts).reduce((a, b) => a + b, 0);
const byKind = {};
for (const r of results) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
const seconds = ((Date.now() - started) / 1000).toFixed(0);
fs.mkdirSync(path.dirname(reportFile), { recursive: true });
fs.writeFileSync(reportFile, JSON.stringify({ seed, cases: total, seconds: Number(seconds), families: counts, failures: results.length, byKind, results }, null, 2) + '\n');
const families = Object.entries(counts)
  .map(([k, v]) => `${k} ${v}`)
  .join(', ');
const kinds = ['crash', 'hang', 'oom', 'unclear', 'corrupted-fix'].map((k) => `${k} ${byKind[k] ?? 0}`).join(', ');
const cut = total < maxCases && maxCases < 100000 ? ` (the time limit stopped it before case ${total} of ${maxCases})` : '';
console.log(`fuzz: ${total} cases in ${seconds} s${cut} (seed ${seed}; ${families}): ${results.length} failure${results.length === 1 ? '' : 's'} (${kinds}); report ${path.relative(process.cwd(), reportFile)}`);
process.exit(results.length ? 1 : 0);
