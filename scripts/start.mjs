// `npm start`: serves a real VS Code 1.100.3 (code-server) on 127.0.0.1 with the
// built extension installed and the repo's examples/ folder open, and prints the URL.
// Runs until Ctrl-C, then stops the server and removes its temporary profile.
//
// The extension is loaded as an ordinary installed extension: a fresh --extensions-dir
// gets a symlink `<publisher>.<name>-<version>` -> the extension folder, and code-server
// picks it up when it first scans that folder (no extensions.json yet). After a rebuild,
// "Developer: Reload Window" loads the new dist/ without restarting.
//
// Environment:
//   PORT                         port to listen on (default 8080; a free one if taken)
//   ILB_HAIRPIN_EXTENSION_ROOT   extension folder (default: this repo)
//   ILB_HAIRPIN_START_FOLDER     folder to open (default: examples/)
//   ILB_HAIRPIN_CODE_SERVER_DIR  where code-server is cached (see vscode-host.mjs)
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CODE_SERVER_VERSION,
  HOST,
  QUIET_SETTINGS,
  ensureCodeServer,
  findFreePort,
  isPortFree,
  startCodeServer,
  workbenchUrl,
  writeUserSettings,
} from './vscode-host.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const extensionRoot = path.resolve(process.env.ILB_HAIRPIN_EXTENSION_ROOT || repo);
const folder = path.resolve(process.env.ILB_HAIRPIN_START_FOLDER || path.join(repo, 'examples'));

function die(message) {
  console.error(`start: ${message}`);
  process.exit(1);
}

const pkgPath = path.join(extensionRoot, 'package.json');
if (!fs.existsSync(pkgPath)) die(`${pkgPath} is missing.`);
const pkg = JSON.parse(fs.readFileSync(pkgPath, 'utf8'));
const main = path.resolve(extensionRoot, pkg.main || './extension.js');
if (!fs.existsSync(main) && !fs.existsSync(`${main}.js`)) {
  die(`${path.relative(process.cwd(), main)} is missing: the extension is not built (run \`npm run build\`).`);
}
if (!fs.existsSync(folder)) die(`folder to open ${folder} does not exist.`);

const entry = await ensureCodeServer().catch((e) => {
  console.error(`setup: ${e.message}`);
  process.exit(2);
});

const wanted = Number(process.env.PORT) || 8080;
let port = wanted;
if (!(await isPortFree(wanted))) {
  port = await findFreePort();
  console.log(`start: port ${wanted} on ${HOST} is taken; using ${port}`);
}

const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ilb-hairpin-start-'));
const userDataDir = path.join(tmp, 'user');
const extensionsDir = path.join(tmp, 'extensions');
await writeUserSettings(userDataDir, { ...QUIET_SETTINGS, 'workbench.startupEditor': 'none' });
await fsp.mkdir(extensionsDir, { recursive: true });
const installed = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`.toLowerCase());
try {
  await fsp.symlink(extensionRoot, installed, 'dir');
} catch {
  // A file system without symlinks: copy what the extension needs at run time.
  await fsp.cp(extensionRoot, installed, {
    recursive: true,
    filter: (src) => !/[\\/](\.git|out|test-results|\.vscode-test)([\\/]|$)/.test(src.slice(extensionRoot.length)),
  });
}

let server;
let stopping = false;
const shutdown = async (code) => {
  if (stopping) return;
  stopping = true;
  await server?.stop().catch(() => {});
  await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
  process.exit(code);
};
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.log(`\nstart: ${signal}: stopping code-server`);
    void shutdown(0);
  });
}

try {
  server = await startCodeServer({ userDataDir, extensionsDir, port, entry, logFile: path.join(tmp, 'code-server.log') });
} catch (e) {
  console.error(`start: ${e.message}`);
  await shutdown(1);
}
server.exited.then((code) => {
  if (stopping) return;
  console.error(`start: code-server exited unexpectedly (${code}); its log was ${server.logFile}`);
  void shutdown(1);
});

console.log(`
  code-server ${CODE_SERVER_VERSION} (VS Code 1.100.3) with ${pkg.publisher}.${pkg.name} ${pkg.version} is running.
  Open: ${workbenchUrl(port, { folder })}

  Listening on ${HOST} only (from another machine: ssh -L ${port}:${HOST}:${port} ...).
  Extension: ${extensionRoot} (after \`npm run build\`, run "Developer: Reload Window")
  Server log: ${server.logFile}
  Press Ctrl-C to stop.
`);
