// Runs the extension-host suite in VS Code desktop through @vscode/test-electron, for machines
// that can download VS Code (these build machines cannot: they use scripts/host-test.mjs).
import { runTests } from '@vscode/test-electron';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
try {
  await runTests({
    version: '1.100.3',
    // The extension, and the stand-in for the Bicep extension's language ids (bicep.test.ts).
    extensionDevelopmentPath: [root, path.join(root, 'test/host/stand-ins/bicep-language')],
    extensionTestsPath: path.join(root, 'out/test/host/index.js'),
    launchArgs: [path.join(root, 'test/fixtures/host-workspace'), '--disable-extensions', '--disable-workspace-trust'],
  });
} catch (e) {
  console.error(`host tests failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
