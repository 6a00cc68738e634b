// Peak RSS of this process in KB, for the bench. On Linux the process's own high-water mark
// (VmHWM of /proc/self/status): `process.resourceUsage().maxRSS` (getrusage) keeps the parent's RSS
// across fork and exec, so a child of a big bench process would report at least the parent's size.
// Elsewhere maxRSS. Required with `--require` and BENCH_RSS_FILE set, it writes the figure there on exit.
// A CommonJS file on purpose: `node --require` and `node -e` load it before or without ESM.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require('node:fs');

function peakRssKb() {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS;
}

if (process.env.BENCH_RSS_FILE) process.on('exit', () => fs.writeFileSync(process.env.BENCH_RSS_FILE, String(peakRssKb())));

module.exports = { peakRssKb };
