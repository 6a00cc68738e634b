// The deployed scan's benchmark: a generated tenant (1,000 subscriptions, 20,000 load balancers,
// two VM members each) served by the fake Resource Manager (test/azure) in a process of its own,
// read through Resource Graph and analysed by a second process. Prints the requests against the
// bound ceil(rows / 1000) + 2, the analysis time as a ratio of the SDK's receive-and-parse time
// (goal < 1.5x) and the reader's peak RSS (goal < 400 MB). It asserts nothing about times.
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GOAL_RATIO = 1.5;
const GOAL_RSS_MB = 400;

function lines(child) {
  const rl = createInterface({ input: child.stdout });
  const queue = [];
  const waiting = [];
  rl.on('line', (l) => (waiting.length ? waiting.shift()(l) : queue.push(l)));
  return () => new Promise((resolve) => (queue.length ? resolve(queue.shift()) : waiting.push(resolve)));
}

export async function benchAzure({ subscriptions = 1000, loadBalancers = 20_000 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ilb-hairpin-bench-azure-'));
  try {
    await esbuild.build({
      entryPoints: { server: path.join(ROOT, 'test/azure/bench-server.ts'), reader: path.join(ROOT, 'test/azure/bench-reader.ts') },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      mainFields: ['module', 'main'],
      outdir: dir,
      logLevel: 'warning',
    });
    const server = spawn(process.execPath, [path.join(dir, 'server.js'), String(subscriptions), String(loadBalancers)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const next = lines(server);
    const { url, caFile, rows, token } = JSON.parse(await next());
    const reader = spawn(process.execPath, [...(process.env.ILB_HAIRPIN_BENCH_MEMORY ? ['--expose-gc'] : []), path.join(dir, 'reader.js'), url, caFile, token], { stdio: ['ignore', 'pipe', 'inherit'] });
    const result = JSON.parse(await lines(reader)());
    server.stdin.write('requests\n');
    const served = JSON.parse(await next());
    server.stdin.end();
    const bound = Math.ceil(rows / 1000) + 2;
    const ratio = result.analysisMs / result.sdkMs;
    console.log(`azure tenant: ${subscriptions} subscriptions, ${result.loadBalancers} load balancers, ${rows} Resource Graph rows, ${result.findings} hairpin-prone rules`);
    console.log(`  requests: ${served.requests} (bound ceil(rows/1000)+2 = ${bound}) ${served.requests <= bound ? 'ok' : 'OVER'}; methods: ${served.methods.join(', ')}`);
    console.log(`  analysis / SDK receive+parse: ${ratio.toFixed(2)}x (goal < ${GOAL_RATIO}x) ${ratio < GOAL_RATIO ? 'ok' : 'over'}`);
    console.log(`  peak RSS of the reader: ${result.peakRssMb.toFixed(0)} MB (goal < ${GOAL_RSS_MB} MB) ${result.peakRssMb < GOAL_RSS_MB ? 'ok' : 'over'}`);
    return { ...result, served: served.requests, bound, ratio };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchAzure();
