/**
 * Reads the generated tenant through Resource Graph, analyses it and makes the CLI's report of it,
 * for `npm run bench`: prints the SDK's receive-and-parse time, the analysis time, and the
 * process's peak RSS over all three.
 */
import * as fs from 'node:fs';
import { staticTokenCredential } from '../../src/core/azure/credential';
import { readEstate } from '../../src/core/azure/read';
import { analyzeEstateForReport, deployedReport } from '../../src/core/azure/report';

/**
 * This process's peak RSS in KB: on Linux its own high-water mark (VmHWM), since getrusage's
 * maxRSS keeps the parent's RSS across fork and exec (see scripts/peak-rss.cjs); elsewhere maxRSS.
 */
function peakRssKb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

async function main(): Promise<void> {
  const [url, caFile, token] = process.argv.slice(2) as [string, string, string];
  const started = performance.now();
  const estate = await readEstate({ subscriptions: [], allSubscriptions: true }, { credential: staticTokenCredential(token), armEndpoint: url, ca: fs.readFileSync(caFile, 'utf8') });
  const read = performance.now() - started;
  const mb = (n: number): string => (n / 1048576).toFixed(0);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (process.env['ILB_HAIRPIN_BENCH_MEMORY']) {
    gc?.();
    process.stderr.write(`after read: heap ${mb(process.memoryUsage().heapUsed)} MB, rss ${mb(process.memoryUsage().rss)} MB, peak ${mb(peakRssKb() * 1024)} MB\n`);
  }
  const rows = estate.resources.length;
  const t0 = performance.now();
  // As `ilb-hairpin azure` analyses (the rows are let go part by part as they are judged).
  const analysis = analyzeEstateForReport(estate);
  const analysisMs = performance.now() - t0;
  if (process.env['ILB_HAIRPIN_BENCH_MEMORY']) {
    gc?.();
    process.stderr.write(`after analysis: heap ${mb(process.memoryUsage().heapUsed)} MB, rss ${mb(process.memoryUsage().rss)} MB\n`);
  }
  // What the CLI prints next (`ilb-hairpin azure --format json`): the report, every load balancer in it.
  const report = deployedReport(estate, analysis);
  if (process.env['ILB_HAIRPIN_BENCH_MEMORY']) {
    gc?.();
    process.stderr.write(`after report: heap ${mb(process.memoryUsage().heapUsed)} MB, rss ${mb(process.memoryUsage().rss)} MB\n`);
  }
  process.stdout.write(
    JSON.stringify({
      requests: estate.requests,
      rows,
      loadBalancers: report.loadBalancers.length,
      findings: analysis.findings.length,
      readMs: read,
      sdkMs: estate.sdkMs ?? 0,
      analysisMs,
      peakRssMb: peakRssKb() / 1024,
    }) + '\n',
  );
}

void main();
