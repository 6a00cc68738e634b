// `npm run test:host`: runs the extension-host suite (out/test/host/index.js) in a real
// VS Code 1.100.3 (code-server + headless Chromium, see scripts/vscode-host.mjs) and
// exits with the suite's code. package.json builds and compiles the tests before this.
//
// Overrides (mainly for trying the harness on another extension):
//   ILB_HAIRPIN_EXTENSION_ROOT   extension folder (default: this repo)
//   ILB_HAIRPIN_HOST_TESTS       compiled tests index (default: out/test/host/index.js)
//   ILB_HAIRPIN_HOST_WORKSPACE   folder opened in the workbench (default: test/fixtures/host-workspace)
//   ILB_HAIRPIN_HOST_TIMEOUT_MS  limit for the whole run (default: 300000)
//   ILB_HAIRPIN_CODE_SERVER_DIR  where code-server is cached (see vscode-host.mjs)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SetupError, ensureChromium, ensureCodeServer, runInHost } from './vscode-host.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const extensionRoot = path.resolve(env.ILB_HAIRPIN_EXTENSION_ROOT || repo);
const testsIndex = path.resolve(env.ILB_HAIRPIN_HOST_TESTS || path.join(repo, 'out', 'test', 'host', 'index.js'));
const workspace = path.resolve(env.ILB_HAIRPIN_HOST_WORKSPACE || path.join(repo, 'test', 'fixtures', 'host-workspace'));
const timeoutMs = Number(env.ILB_HAIRPIN_HOST_TIMEOUT_MS) || 5 * 60_000;

/** A failure before any test ran: said as such, never counted as a failed test (exit 2). */
function setupFail(message) {
  console.error(`setup: ${message}`);
  console.error('setup: the host tests did not run.');
  process.exit(2);
}

/** The run itself broke (timeout, crash) after the workbench was up. */
function fail(message) {
  console.error(`host-test: ${message}`);
  console.log('host: 0 passed, 1 failed');
  process.exit(1);
}

function mainFileOf(root) {
  const pkgPath = path.join(root, 'package.json');
  if (!fs.existsSync(pkgPath)) setupFail(`${pkgPath} is missing: ILB_HAIRPIN_EXTENSION_ROOT must be an extension folder.`);
  const main = JSON.parse(fs.readFileSync(pkgPath, 'utf8')).main || './extension.js';
  const file = path.resolve(root, main);
  return fs.existsSync(file) || fs.existsSync(`${file}.js`) ? null : file;
}

const missingMain = mainFileOf(extensionRoot);
if (missingMain) {
  setupFail(
    `${path.relative(process.cwd(), missingMain) || missingMain} is missing: the extension is not built. ` +
      'Run `npm run build` (npm run test:host runs it first; check its output for errors).',
  );
}
if (!fs.existsSync(testsIndex)) {
  setupFail(`${testsIndex} is missing: compile the tests with \`npm run compile-tests\` (tsc -p tsconfig.test.json).`);
}
if (!fs.existsSync(workspace)) setupFail(`workspace folder ${workspace} is missing.`);

/**
 * The fake Azure Resource Manager of test/host/azure.test.ts serves HTTPS with a certificate made
 * here, before VS Code starts: the extension host trusts it only through NODE_EXTRA_CA_CERTS,
 * which Node reads at process start (code-server and its extension host inherit this environment).
 */
function fakeArmCertificate() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-host-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  } catch (e) {
    setupFail(`openssl could not make the fake Azure server's certificate: ${e.message}`);
  }
  process.env.ILB_HAIRPIN_TEST_CERT_DIR = dir;
  process.env.NODE_EXTRA_CA_CERTS = path.join(dir, 'cert.pem');
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}
if (!env.ILB_HAIRPIN_EXTENSION_ROOT) fakeArmCertificate();

const t = Date.now();
try {
  ensureChromium();
  await ensureCodeServer();
} catch (e) {
  setupFail(e instanceof Error ? e.message : String(e));
}
try {
  console.log(`host-test: Chromium and code-server ready (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  console.log(`host-test: extension ${extensionRoot}`);
  console.log(`host-test: tests ${path.relative(repo, testsIndex)}, workspace ${path.relative(repo, workspace)}`);
  const code = await runInHost({
    extensionRoot,
    // Installed beside it: the official Bicep extension's language ids without their file associations (bicep.test.ts).
    extraExtensionRoots: env.ILB_HAIRPIN_EXTENSION_ROOT ? [] : [path.join(repo, 'test', 'host', 'stand-ins', 'bicep-language')],
    testsIndex,
    workspace,
    timeoutMs,
    screenshotPath: path.join(repo, 'test-results', 'host-failure.png'),
  });
  process.exit(code);
} catch (e) {
  if (e instanceof SetupError) setupFail(e.message);
  fail(e instanceof Error ? e.message : String(e));
}
