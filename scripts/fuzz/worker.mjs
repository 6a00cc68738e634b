// The in-process half of the fuzz harness: a worker thread that runs the bundled CLI's `runCli`
// (the engine, no child process) on one case at a time. The harness bounds its heap with the
// worker's resourceLimits and its time by terminating it.
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const { runCli } = require(workerData.cli);

parentPort.on('message', ({ id, argv, cwd }) => {
  let stdout = '';
  let stderr = '';
  try {
    const code = runCli(argv, { cwd, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
    const truncated = stdout.length > 64_000_000;
    parentPort.postMessage({ id, code, stdout: truncated ? stdout.slice(0, 64_000_000) : stdout, truncated, stderr: stderr.slice(0, 20_000) });
  } catch (e) {
    parentPort.postMessage({ id, thrown: String(e?.stack ?? e).slice(0, 4000), stderr: stderr.slice(0, 20_000) });
  }
});
