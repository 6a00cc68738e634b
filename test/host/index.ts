// Entry point of the extension-host test suite: VS Code loads this module (compiled to
// out/test/host/index.js) as `extensionTestsPath` and calls run() inside the real
// extension host. It runs every *.test.js beside it with mocha and rejects when any
// test fails. Its last line, `host: N passed, M failed`, is the closing line CI reads.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  // scripts/host-load.mjs runs only the responsiveness tests on its generated workspace.
  if (process.env.ILB_HAIRPIN_HOST_GREP) mocha.grep(process.env.ILB_HAIRPIN_HOST_GREP);
  const files = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();

  return new Promise<void>((resolve, reject) => {
    const close = (passed: number, failed: number, pending: number, error?: Error): void => {
      if (pending > 0) console.log(`host: ${pending} pending (skipped)`);
      console.log(`host: ${passed} passed, ${failed} failed`);
      if (error) reject(error);
      else resolve();
    };

    if (files.length === 0) {
      close(0, 0, 0, new Error(`no *.test.js files in ${__dirname}`));
      return;
    }
    for (const f of files) mocha.addFile(path.join(__dirname, f));

    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats;
        const passed = stats?.passes ?? 0;
        const failed = Math.max(stats?.failures ?? 0, failures);
        const pending = stats?.pending ?? 0;
        if (failed > 0) close(passed, failed, pending, new Error(`${failed} host test(s) failed`));
        else if (passed === 0) close(0, 0, pending, new Error('no host test ran'));
        else close(passed, 0, pending);
      });
    } catch (err) {
      // A test file that throws while loading: count it as one failure.
      console.error(err);
      close(0, 1, 0, err instanceof Error ? err : new Error(String(err)));
    }
  });
}
