// Workspace benchmarks, as ratios against baselines measured in the same run, each the median of
// at least 5 runs with min and max (nothing asserted):
//  1. A generated workspace of 2,000 ARM templates (about 100 MB; a tenth of them load balancers
//     and members spread over two files): a full CLI scan against reading the same files and
//     JSON.parse-ing them in the same process; the scan's peak RSS in a fresh process. The same at
//     20,000 templates / 1 GB (BENCH_LARGE=0 leaves it out).
//  2. A one-character edit in a 10,000-line ARM template inside the workspace (200, 2,000 and
//     20,000 templates around it): the re-analysis plus what the analysis worker sends after it (the
//     changed files' diagnostics and the summary's changes) against a bare jsonc-parser parseTree of that file. The template's names are its
//     own; a second pass gives it names that some templates of the workspace declare too. A run is 10 edits in a row
//     against 10 parses in a row (EDIT_BATCH): each side pays for the collections its own garbage
//     causes. Each size is held by three processes of its own, and all of them take turns, one run
//     each; a size's figure is the median of its processes' runs (benchArmEditSizes).
//  3. A one-character edit in ../shared/bench/big.bicep inside the 2,000-template workspace, in a
//     process of its own: the re-analysis and the worker's report against tree-sitter-bicep's
//     incremental re-parse (measured by the caller).
import * as esbuild from 'esbuild';
import { execFileSync, fork } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** The engine, bundled from the sources (CommonJS, like the shipped bundles). */
export async function loadEngine(dir) {
  const outfile = path.join(dir, 'engine.cjs');
  await esbuild.build({
    stdin: {
      contents: "export { Workspace } from './src/core/workspace'; export { scanPaths } from './src/cli/main'; export { WorkerReports } from './src/extension/analysis-protocol';",
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    mainFields: ['module', 'main'],
    loader: { '.md': 'text' },
    outfile,
    logLevel: 'warning',
  });
  return require(outfile);
}

/**
 * Medians of two measurements taken in alternation (a, b, a, b, ...), after `warmups` unmeasured
 * rounds, so that drift of the machine (other load, JIT, GC) affects both alike. With `batch` > 1 a
 * run is that many calls in a row and its time the mean of them: for operations of a few
 * milliseconds, whose garbage is collected in pauses of about the same size, so that a pause lands
 * in the run of the side whose allocations caused it rather than in whichever call crossed V8's
 * limit.
 */
export function compare(runs, a, b, warmups = 3, batch = 1) {
  const ta = [];
  const tb = [];
  for (let i = 0; i < warmups + runs; i++) {
    const da = timedBatch(a, batch);
    const db = timedBatch(b, batch);
    if (i >= warmups) {
      ta.push(da);
      tb.push(db);
    }
  }
  return [stats(ta), stats(tb)];
}

/** The mean time (ms) of `batch` calls of `fn` in a row. */
function timedBatch(fn, batch) {
  const start = performance.now();
  for (let k = 0; k < batch; k++) fn();
  return (performance.now() - start) / batch;
}

/** Median, min and max of a list of times; `ratio` pairs runs of two lists (run i of a over run i of b). */
export function stats(xs) {
  const sorted = [...xs].sort((x, y) => x - y);
  const median = sorted[Math.floor(sorted.length / 2)];
  return { median, min: sorted[0], max: sorted[sorted.length - 1], runs: xs, valueOf: () => median };
}

export function ratios(a, b, invert = false) {
  return stats(a.runs.map((x, i) => (invert ? b.runs[i] / x : x / b.runs[i])));
}

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(3));
const range = (s, digits = 2, unit = 'x') => `${s.median.toFixed(digits)}${unit} (min ${s.min.toFixed(digits)}, max ${s.max.toFixed(digits)})`;
const RUNS = 5;
/** Edits per run of the keystroke measurements (see compare). */
const EDIT_BATCH = 10;
/** Processes per workspace size of the ARM edit (see benchArmEditSizes). */
const EDIT_PROCESSES = 3;
const NO_RULE_SETTINGS = { rules: {}, exclude: [] };

// ---------------------------------------------------------------- generated workspace

/** A deterministic pseudo-random sequence, so every run scans the same workspace. */
function rng(seed) {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0) / 2 ** 32);
}

const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';

/** A template of storage accounts and security rules, padded to about `bytes`. */
function fillerTemplate(i, bytes, rand) {
  const resources = [];
  let size = 0;
  for (let n = 0; size < bytes; n++) {
    const r =
      n % 3 === 0
        ? {
            type: 'Microsoft.Storage/storageAccounts',
            apiVersion: '2023-01-01',
            name: `[concat('st${i}x${n}', uniqueString(resourceGroup().id))]`,
            location: "[parameters('location')]",
            sku: { name: 'Standard_LRS' },
            kind: 'StorageV2',
            properties: { minimumTlsVersion: 'TLS1_2', allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true },
          }
        : {
            type: 'Microsoft.Network/networkSecurityGroups',
            apiVersion: '2023-09-01',
            name: `nsg-${i}-${n}`,
            location: "[parameters('location')]",
            properties: {
              securityRules: Array.from({ length: 8 }, (_, k) => ({
                name: `rule-${k}`,
                properties: {
                  priority: 100 + k,
                  direction: k % 2 ? 'Inbound' : 'Outbound',
                  access: 'Allow',
                  protocol: 'Tcp',
                  sourcePortRange: '*',
                  destinationPortRange: String(1000 + Math.floor(rand() * 60000)),
                  sourceAddressPrefix: `10.${k}.${n % 250}.0/24`,
                  destinationAddressPrefix: '*',
                },
              })),
            },
          };
    resources.push(r);
    // Written with two-space indentation, four levels deeper than this object.
    size += JSON.stringify(r, null, 2).length * 1.15;
  }
  return { $schema: SCHEMA, contentVersion: '1.0.0.0', parameters: { location: { type: 'string', defaultValue: 'westeurope' } }, resources };
}

function lbTemplate(i) {
  const lb = `ilb-${i}`;
  return {
    $schema: SCHEMA,
    contentVersion: '1.0.0.0',
    resources: [
      {
        type: 'Microsoft.Network/loadBalancers',
        apiVersion: '2023-09-01',
        name: lb,
        location: 'westeurope',
        sku: { name: 'Standard' },
        properties: {
          frontendIPConfigurations: [
            { name: 'fe', properties: { privateIPAddress: `10.${i % 250}.1.100`, privateIPAllocationMethod: 'Static', subnet: { id: `[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-${i}', 'app')]` } } },
          ],
          backendAddressPools: [{ name: 'be' }],
          loadBalancingRules: [
            {
              name: 'http',
              properties: {
                frontendIPConfiguration: { id: `[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', '${lb}', 'fe')]` },
                backendAddressPool: { id: `[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', '${lb}', 'be')]` },
                protocol: 'Tcp',
                frontendPort: 80,
                backendPort: 80,
                enableFloatingIP: i % 4 === 0,
              },
            },
          ],
        },
      },
    ],
  };
}

function memberTemplate(i) {
  return {
    $schema: SCHEMA,
    contentVersion: '1.0.0.0',
    parameters: { count: { type: 'int', defaultValue: 1 + (i % 3) } },
    resources: [
      {
        type: 'Microsoft.Network/networkInterfaces',
        apiVersion: '2023-09-01',
        name: `[concat('nic-${i}-', copyIndex())]`,
        location: 'westeurope',
        copy: { name: 'nics', count: "[parameters('count')]" },
        properties: {
          ipConfigurations: [
            {
              name: 'ipconfig1',
              properties: {
                subnet: { id: `[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-${i}', 'app')]` },
                loadBalancerBackendAddressPools: [{ id: `[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-${i}', 'be')]` }],
              },
            },
          ],
        },
      },
      {
        type: 'Microsoft.Compute/virtualMachines',
        apiVersion: '2023-09-01',
        name: `[concat('vm-${i}-', copyIndex())]`,
        location: 'westeurope',
        copy: { name: 'vms', count: "[parameters('count')]" },
        properties: { networkProfile: { networkInterfaces: [{ id: `[resourceId('Microsoft.Network/networkInterfaces', concat('nic-${i}-', copyIndex()))]` }] } },
      },
    ],
  };
}

export function generateWorkspace(dir, templates = 2000, totalBytes = 100 * 1024 * 1024) {
  const rand = rng(42);
  const pairs = Math.round(templates / 20); // a tenth of the templates: LB + members pairs
  const fillers = templates - 2 * pairs;
  const per = Math.round((totalBytes - pairs * 4000) / fillers);
  for (let i = 0; i < pairs; i++) {
    const d = path.join(dir, `app-${i}`);
    mkdirSync(path.join(d, 'network'), { recursive: true });
    mkdirSync(path.join(d, 'compute'), { recursive: true });
    writeFileSync(path.join(d, 'network', 'lb.json'), JSON.stringify(lbTemplate(i), null, 2));
    writeFileSync(path.join(d, 'compute', 'members.json'), JSON.stringify(memberTemplate(i), null, 2));
  }
  for (let i = 0; i < fillers; i++) {
    const d = path.join(dir, `svc-${Math.floor(i / 50)}`);
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, `t${i}.json`), JSON.stringify(fillerTemplate(i, per, rand), null, 2));
  }
  return { pairs, fillers };
}

function listFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

// ---------------------------------------------------------------- the benchmarks

/** Scans a generated workspace: ratio to read + JSON.parse (median of RUNS, alternated) and peak RSS of a fresh CLI process. */
function benchScan(engine, ws, label) {
  const files = listFiles(ws);
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  let report;
  const [scan, baseline] = compare(
    RUNS,
    () => {
      report = engine.scanPaths([ws], ws);
    },
    () => {
      for (const f of files) JSON.parse(readFileSync(f, 'utf8'));
    },
    1,
  );
  const ratio = ratios(scan, baseline);
  console.log(`${label}: ${files.length} templates, ${(bytes / 1048576).toFixed(0)} MB; ${report.findings.length} hairpin-prone rules found in ${report.scanned.templates} templates`);
  console.log(`  scan ${fmt(scan.median)} ms, read + JSON.parse ${fmt(baseline.median)} ms; ratio ${range(ratio)} (goal <= 1.0x)`);
  const cli = path.join(ROOT, 'dist', 'cli.js');
  // The child's own high-water mark (peak-rss.cjs): getrusage's maxRSS would include this process's size.
  const rss = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(cli)}).scanPaths([${JSON.stringify(ws)}], ${JSON.stringify(ws)}); console.log(require(${JSON.stringify(path.join(ROOT, 'scripts', 'peak-rss.cjs'))}).peakRssKb())`], {
    encoding: 'utf8',
  });
  const mb = Number(rss.trim()) / 1024;
  console.log(`  peak RSS of the CLI's scan (fresh process): ${mb.toFixed(0)} MB`);
  return { ratio, mb };
}

/** A Workspace of the engine holding every file of a folder, read as the CLI reads them (bytes). */
function loadedWorkspace(engine, dir) {
  const ws = new engine.Workspace();
  if (dir) for (const f of listFiles(dir)) ws.setFileBytes(f.split(path.sep).join('/'), readFileSync(f));
  return ws;
}

export async function benchWorkspace({ treeSitterEdit } = {}) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'ilb-hairpin-bench-ws-'));
  try {
    const engine = await loadEngine(tmp);
    const ws = path.join(tmp, 'ws');
    generateWorkspace(ws);
    const small = path.join(tmp, 'ws200');
    generateWorkspace(small, 200, 10 * 1024 * 1024);
    const base = benchScan(engine, ws, 'workspace full scan (2,000)');
    console.log(`  peak RSS goal <= 100 MB`);
    let large;
    if (process.env.BENCH_LARGE !== '0') {
      large = path.join(tmp, 'ws20k');
      generateWorkspace(large, 20_000, 1024 * 1024 * 1024);
      const big = benchScan(engine, large, 'workspace full scan (20,000)');
      console.log(`  ratio at 20,000 / ratio at 2,000: ${(big.ratio.median / base.ratio.median).toFixed(2)} (goal within 15 %); peak RSS goal < 300 MB`);
    }

    // The edited template with names of its own: what grows is only the workspace around it. Then
    // the same template sharing the names ilb-0 to ilb-19 with the workspace, whose templates that
    // declare them (10 pairs at 200 templates, 20 at 2,000 and 20,000) join its group: the edit
    // re-checks that group, which is larger where the workspace declares more of those names.
    for (const ownNames of [true, false]) {
      const sizes = [['200', small], ['2,000', ws], ...(large ? [['20,000', large]] : [])];
      const rows = await benchArmEditSizes(path.join(tmp, 'engine.cjs'), sizes, ownNames);
      const edits = rows.map((r) => r.edit.median);
      const spread = (xs) => (Math.max(...xs) / Math.min(...xs)).toFixed(2);
      // Beside it, not the goal: the same with the medians of the collector's pauses taken off.
      const outsideGc = rows.map((r) => r.edit.median - r.gc.median);
      console.log(`  edit cost across workspace sizes${ownNames ? '' : ' (names shared)'}: max / min of the medians ${spread(edits)}${ownNames ? ' (goal <= 1.15)' : ' (not the goal: the group differs)'}; without the collector's pauses ${spread(outsideGc)}`);
    }
    // In a process of its own too: this one's heap holds the garbage of the scans above, and a
    // collection of it landed in the Bicep row's runs (one run of 10 edits at 10-13 ms, against a
    // median of 1.2 ms, after the ARM rows moved to processes of their own).
    if (treeSitterEdit) await ownProcess(['--bicep-edit', path.join(tmp, 'engine.cjs'), ws, String(treeSitterEdit.median)]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * A 10,000-line template: a network of load balancers and members, plus padding resources. With
 * `ownNames`, its load balancers, networks, NICs and VMs have names no generated workspace uses
 * (`edited-ilb-0`...); without, they are the workspace's `ilb-0` to `ilb-19`, and the templates of
 * the workspace that declare those join its group of deployments (see benchWorkspace).
 */
export function bigArmTemplate({ ownNames = false } = {}) {
  let resources = [];
  for (let i = 0; i < 20; i++) resources.push(...lbTemplate(i).resources, ...memberTemplate(i).resources);
  if (ownNames) resources = JSON.parse(JSON.stringify(resources).replace(/\b(ilb|vnet|nic|vm)-/g, 'edited-$1-'));
  const filler = fillerTemplate(0, 10, rng(7)).resources;
  let text = '';
  for (let n = 0; ; n++) {
    text = JSON.stringify({ $schema: SCHEMA, contentVersion: '1.0.0.0', parameters: {}, resources }, null, 2);
    if (text.split('\n').length >= 10000) break;
    resources.push({ ...filler[n % filler.length], name: `pad-${n}` });
  }
  return text;
}

/**
 * The ARM edit at each workspace size, each size held by EDIT_PROCESSES processes of its own
 * (armEditProcess). The processes take turns, one run each (EDIT_BATCH edits, then as many bare
 * parses of the same text), in an order that turns every round, so that the machine's drift over
 * the minutes this takes falls on every size alike: measured one size after the other, the slowest
 * size changed from bench run to bench run. Each process has its own heap: the 200-template size
 * never pays for the collections of the 20,000-template one's. A size's figure is the median of
 * the runs of all its processes: V8 decides some things once per process (which allocation sites
 * allocate straight in the old generation), and with one process per size that chance alone moved
 * the same code's edit by 10-20 % from process to process.
 */
async function benchArmEditSizes(enginePath, sizes, ownNames) {
  // Interleaved (200, 2,000, 20,000, 200, ...), so that each round's turning order mixes the sizes.
  const sizeOf = [];
  for (let p = 0; p < EDIT_PROCESSES; p++) sizes.forEach((_, i) => sizeOf.push(i));
  const procs = sizeOf.map((i) => fork(fileURLToPath(import.meta.url), ['--arm-edit', enginePath, sizes[i][1], ownNames ? 'own' : 'shared'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const next = (proc) =>
    new Promise((resolve, reject) => {
      const fail = (code) => reject(new Error(`the ARM edit's process ended (${code})`));
      proc.once('exit', fail);
      proc.once('message', (m) => {
        proc.off('exit', fail);
        resolve(m);
      });
    });
  try {
    const lines = await Promise.all(procs.map((p) => next(p).then((m) => m.lines)));
    const runs = sizes.map(() => ({ edit: [], parse: [], gc: [] }));
    const own = procs.map(() => []);
    const warmups = 3;
    const perProcess = Math.ceil(Math.max(RUNS, 21) / EDIT_PROCESSES);
    for (let round = 0; round < warmups + perProcess; round++) {
      for (let k = 0; k < procs.length; k++) {
        const j = (round + k) % procs.length;
        const proc = procs[j];
        const answer = next(proc);
        proc.send('run');
        const { edit, parse, editGc } = await answer;
        if (round >= warmups) {
          const i = sizeOf[j];
          runs[i].edit.push(edit);
          runs[i].parse.push(parse);
          runs[i].gc.push(editGc);
          own[j].push(edit);
        }
      }
    }
    return sizes.map(([label], i) => {
      const edit = stats(runs[i].edit);
      const parse = stats(runs[i].parse);
      const gc = stats(runs[i].gc);
      const each = sizeOf.flatMap((s, j) => (s === i ? [fmt(stats(own[j]).median)] : [])).join(' / ');
      console.log(
        `ARM one-char edit inside ${label} templates${ownNames ? '' : ', names shared with the workspace'} (${lines[sizeOf.indexOf(i)]} lines): re-analysis + diagnostics + summary ${fmt(edit.median)} ms (its ${EDIT_PROCESSES} processes' medians ${each} ms; of it V8's collector ${range(gc, 2, ' ms')}); jsonc-parser parseTree ${fmt(parse.median)} ms; ratio ${range(ratios(edit, parse))} (goal <= 1.5x)`,
      );
      return { edit, parse, gc };
    });
  } finally {
    for (const p of procs) p.kill();
  }
}

/**
 * A process of benchArmEditSizes: loads the engine and the workspace, puts the 10,000-line template
 * in it, then answers each `run` with the mean time of EDIT_BATCH edits (the re-analysis and what
 * the extension's analysis worker sends the host after it: the files whose diagnostics changed,
 * with their ranges, and the summary's changes), of the collector's pauses among them, and of as
 * many bare parseTree calls of that text.
 */
function armEditProcess(enginePath, dir, ownNames) {
  const { parseTree } = require('jsonc-parser');
  const engine = require(enginePath);
  const ws = loadedWorkspace(engine, dir);
  const text = bigArmTemplate({ ownNames });
  // A character inside a string in the middle of the file (a resource name).
  const at = text.indexOf('"pad-', text.length >> 1) + 2;
  const edited = [text.slice(0, at) + 'X' + text.slice(at + 1), text];
  const file = '/bench/big.json';
  ws.setFile(file, text);
  const reports = new engine.WorkerReports(() => true);
  reports.report(ws, ws.analyze(), NO_RULE_SETTINGS);
  let flip = 0;
  // The collections that began while the edits ran (their pauses on this thread), per edit: paid
  // for the edits' garbage, at a price that depends on the heap the process holds too.
  const pauses = [];
  new PerformanceObserver((list) => pauses.push(...list.getEntries())).observe({ entryTypes: ['gc'] });
  process.on('message', () => {
    pauses.length = 0;
    const from = performance.now();
    const edit = timedBatch(() => {
      ws.setFile(file, edited[flip++ % 2]);
      reports.report(ws, ws.analyze(), NO_RULE_SETTINGS);
    }, EDIT_BATCH);
    const to = performance.now();
    const parse = timedBatch(() => parseTree(edited[flip % 2], []), EDIT_BATCH);
    // The observer is told of collections after the task that saw them: answer once it has been.
    setTimeout(() => {
      const editGc = pauses.filter((e) => e.startTime >= from && e.startTime < to).reduce((ms, e) => ms + e.duration, 0) / EDIT_BATCH;
      process.send({ edit, parse, editGc });
    }, 5);
  });
  process.send({ lines: text.split('\n').length });
}

/** Runs this file with `args` in a process of its own (its output goes to this one's); resolves when it ends well. */
function ownProcess(args) {
  return new Promise((resolve, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    proc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${args[0]} ended with ${code}`))));
  });
}

if (process.argv[2] === '--arm-edit') armEditProcess(process.argv[3], process.argv[4], process.argv[5] === 'own');
if (process.argv[2] === '--bicep-edit') {
  const engine = require(process.argv[3]);
  benchBicepEdit(engine, loadedWorkspace(engine, process.argv[4]), { median: Number(process.argv[5]) });
  process.disconnect();
}

function benchBicepEdit(engine, ws, theirs) {
  const big = path.resolve(ROOT, '../shared/bench/big.bicep');
  const text = readFileSync(big, 'utf8');
  // The goal's edit: a character of a string in the middle of the file (a public IP's SKU, which
  // the graph does not read: the group's graph is kept and its rules run again). Beside it, not
  // the goal: an edit the graph reads (a load-balancing rule's port), whose group is built again.
  const at = text.indexOf("'Standard'", text.length >> 1) + 1;
  const port = text.indexOf('frontendPort: 80', text.length >> 1) + 'frontendPort: 8'.length;
  const edits = [
    ['bicep one-char edit inside 2,000 templates, re-analysis (incremental)', text.slice(0, at) + 'X' + text.slice(at + 1), '(goal >= 50x in every run)'],
    ['  the same, an edit the graph reads (a rule\'s frontend port 80 -> 81)', text.slice(0, port) + '1' + text.slice(port + 1), '(not the goal: beside it)'],
  ];
  for (const [label, changed, goal] of edits) {
    const edited = [changed, text];
    ws.setFile('/bench/big.bicep', text);
    const reports = new engine.WorkerReports(() => true);
    reports.report(ws, ws.analyze(), NO_RULE_SETTINGS);
    let flip = 0;
    const [ours] = compare(
      Math.max(RUNS, 21),
      () => {
        ws.setFile('/bench/big.bicep', edited[flip++ % 2]);
        reports.report(ws, ws.analyze(), NO_RULE_SETTINGS);
      },
      () => {},
      3,
      EDIT_BATCH,
    );
    // Every run of ours against tree-sitter's median (its runs are few and slow).
    const r = stats(ours.runs.map((x) => theirs.median / x));
    console.log(`${label}: ours ${fmt(ours.median)} ms (min ${fmt(ours.min)}, max ${fmt(ours.max)}), tree-sitter-bicep incremental re-parse ${fmt(theirs.median)} ms; ratio ${range(r, 0)} ${goal}`);
  }
}
