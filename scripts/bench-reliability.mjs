// Reliability benchmarks (issue 15), each the median of RUNS fresh CLI processes with min and max,
// as ratios against a baseline measured in the same run (nothing asserted):
//  1. The issue's rows of module and linked-template fan-out and cycles (the same generators as
//     `npm run fuzz`): the time of the CLI's scan against the same CLI scanning a folder of one
//     small template (a process's start-up plus one load balancer), and the peak RSS.
//  2. Memory at the size limit: the peak RSS of `scan` and `topology` of two templates just under
//     32 MiB (one padded with metadata the graph never reads, one of NICs in one pool), as a
//     multiple of the file's size (goal: under 10x, and under 1 GB).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { armLb, armLinkFanout, bicepModuleCycle, bicepModuleFanout, bicepModuleLoops } from './fuzz/families.mjs';
import { stats } from './bench-workspace.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const RUNS = Number(process.env.BENCH_RELIABILITY_RUNS ?? 5);
const LIMIT = 32 * 1024 * 1024;

function writeCase(dir, files) {
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
}

/** One fresh CLI process: wall time, exit code, peak RSS (MB, its own high-water mark: peak-rss.cjs), stdout. */
function runCli(cwd, argv, hook, rssFile) {
  const start = performance.now();
  const r = spawnSync(process.execPath, ['--require', hook, CLI, ...argv], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: '1', BENCH_RSS_FILE: rssFile },
  });
  const ms = performance.now() - start;
  const mb = Number(readFileSync(rssFile, 'utf8')) / 1024;
  return { ms, status: r.status, mb, stdout: r.stdout, stderr: r.stderr };
}

function fmt(n) {
  return n >= 100 ? n.toFixed(0) : n.toFixed(1);
}

/** What a JSON scan report says in one line: findings and the first note that names a stop. */
function outcome(stdout) {
  try {
    const report = JSON.parse(stdout);
    const notes = report.notes ?? report.problems ?? [];
    const stop = notes.map((n) => n.message ?? String(n)).find((m) => /Stopped at|cycle|budget|includes itself/i.test(m));
    return `${report.findings?.length ?? '?'} findings${stop ? `; note: "${stop.length > 90 ? `${stop.slice(0, 87)}...` : stop}"` : ''}`;
  } catch {
    return 'output not JSON';
  }
}

/** An ARM template of `n` NICs in the pool of one internal load balancer. */
function nicTemplate(n) {
  const subnet = "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 's')]";
  const pool = "[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb', 'be')]";
  const resources = [
    {
      type: 'Microsoft.Network/loadBalancers',
      apiVersion: '2023-09-01',
      name: 'ilb',
      location: 'westeurope',
      sku: { name: 'Standard' },
      properties: {
        frontendIPConfigurations: [{ name: 'fe', properties: { privateIPAllocationMethod: 'Static', privateIPAddress: '10.0.0.100', subnet: { id: subnet } } }],
        backendAddressPools: [{ name: 'be' }],
        loadBalancingRules: [
          {
            name: 'http',
            properties: {
              frontendIPConfiguration: { id: "[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', 'ilb', 'fe')]" },
              backendAddressPool: { id: pool },
              protocol: 'Tcp',
              frontendPort: 80,
              backendPort: 80,
            },
          },
        ],
      },
    },
  ];
  for (let i = 0; i < n; i++) {
    resources.push({
      type: 'Microsoft.Network/networkInterfaces',
      apiVersion: '2023-09-01',
      name: `nic-${String(i).padStart(6, '0')}`,
      location: 'westeurope',
      dependsOn: ["[resourceId('Microsoft.Network/loadBalancers', 'ilb')]"],
      properties: { ipConfigurations: [{ name: 'ipconfig1', properties: { privateIPAllocationMethod: 'Dynamic', subnet: { id: subnet }, loadBalancerBackendAddressPools: [{ id: pool }] } }] },
    });
  }
  return { $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#', contentVersion: '1.0.0.0', resources };
}

/** The largest text `make(n)` gives under `bytes`, by bisection on n. */
function largestUnder(bytes, make) {
  let lo = 1;
  let hi = 1;
  while (Buffer.byteLength(make(hi)) < bytes) hi *= 2;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (Buffer.byteLength(make(mid)) < bytes) lo = mid;
    else hi = mid;
  }
  return make(lo);
}

export async function benchReliability() {
  const tmp = mkdtempSync(path.join(tmpdir(), 'ilb-bench-rel-'));
  try {
    const hook = path.join(ROOT, 'scripts', 'peak-rss.cjs');
    const rssFile = path.join(tmp, 'rss');

    // 1. Fan-out and cycles against the scan of one small template, alternated run by run.
    const baseDir = path.join(tmp, 'one');
    writeCase(baseDir, { 'azuredeploy.json': JSON.stringify(armLb(), null, 2) });
    const cases = [
      ['Bicep modules in loops 20 x 20 (400 instances)', bicepModuleLoops(20, 20)],
      ['a module cycle through loops 50 x 50 x 50', bicepModuleCycle(50)],
      ['plain module fan-out 30 x 30 x 30', bicepModuleFanout(30)],
      ['ARM templateLink fan-out 20 x 20 x 20', armLinkFanout(20)],
    ];
    console.log(`reliability (issue 15): fresh CLI processes, ${RUNS} runs each, alternated with the baseline`);
    for (const [label, c] of cases) {
      const dir = path.join(tmp, label.replace(/[^a-z0-9]+/gi, '-'));
      writeCase(dir, c.files);
      const times = [];
      const base = [];
      let last;
      for (let i = 0; i < RUNS; i++) {
        last = runCli(dir, c.argv, hook, rssFile);
        times.push(last.ms);
        base.push(runCli(baseDir, c.argv, hook, rssFile).ms);
      }
      const t = stats(times);
      const b = stats(base);
      const ratios = stats(times.map((x, i) => x / base[i]));
      console.log(
        `  ${label}: ${fmt(t.median)} ms (min ${fmt(t.min)}, max ${fmt(t.max)}) vs one small template ${fmt(b.median)} ms; ratio ${ratios.median.toFixed(1)}x (min ${ratios.min.toFixed(1)}, max ${ratios.max.toFixed(1)}); exit ${last.status}; peak RSS ${fmt(last.mb)} MB; ${outcome(last.stdout)}`,
      );
    }

    // 2. Memory at the size limit, scan and topology.
    const padded = largestUnder(LIMIT - 64 * 1024, (n) => {
      const t = armLb();
      t.metadata = { notes: Array.from({ length: n }, (_, i) => ({ id: i, text: `note ${i}: nothing the graph reads`, tags: ['a', 'b'] })) };
      return JSON.stringify(t, null, 2);
    });
    // Bisection on whole templates is slow at 38,000 NICs: estimate from a small one, then trim.
    const perNic = Buffer.byteLength(JSON.stringify(nicTemplate(101), null, 2)) - Buffer.byteLength(JSON.stringify(nicTemplate(100), null, 2));
    let nics = Math.floor((LIMIT - 64 * 1024 - 2048) / perNic);
    let dense = JSON.stringify(nicTemplate(nics), null, 2);
    while (Buffer.byteLength(dense) >= LIMIT) dense = JSON.stringify(nicTemplate(--nics), null, 2);
    for (const [label, text] of [
      ['a template padded with metadata', padded],
      [`a template of ${nics.toLocaleString('en-US')} NICs in one pool`, dense],
    ]) {
      const dir = path.join(tmp, label.replace(/[^a-z0-9]+/gi, '-'));
      writeCase(dir, { 'azuredeploy.json': text });
      const size = statSync(path.join(dir, 'azuredeploy.json')).size;
      const out = path.join(tmp, 'topology.json');
      const parts = [];
      for (const argv of [
        ['scan', '.', '--format', 'json'],
        ['topology', '.', '--format', 'json', '--output', out],
      ]) {
        const mbs = [];
        let last;
        for (let i = 0; i < Math.min(RUNS, 3); i++) {
          last = runCli(dir, argv, hook, rssFile);
          mbs.push(last.mb);
        }
        const m = stats(mbs);
        parts.push(`${argv[0]} ${fmt(m.median)} MB = ${(m.median / (size / 1048576)).toFixed(1)}x (min ${fmt(m.min)}, max ${fmt(m.max)} MB; exit ${last.status})`);
      }
      console.log(`  peak RSS, ${label} (${(size / 1048576).toFixed(1)} MiB): ${parts.join('; ')} (goal < 10x and < 1 GB)`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchReliability();
