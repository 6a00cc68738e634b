// Runs a real VS Code (1.100.3) on this machine without downloading VS Code:
// code-server 4.100.3 from the npm registry serves the workbench and the extension
// host, and Debian's Chromium, driven by playwright-core, plays the window.
// The recipe is in shared/VSCODE-HOST.md. Everything binds to 127.0.0.1 only.
//
// Exports:
//   ensureChromium()    -> path of the Chromium binary (installs it with apt-get as root)
//   ensureRipgrep()     -> path of rg (same)
//   ensureCodeServer()  -> path of code-server's entry.js (installs into a cache folder)
//   startCodeServer()   -> { port, url, stop() }
//   runInHost()         -> exit code of an extension-host test suite
//   findFreePort(), isPortFree(), workbenchUrl(), remoteUri()

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const CODE_SERVER_VERSION = '4.100.3';
export const HOST = '127.0.0.1';
const MARKER = '.ilb-hairpin-install-complete';
const TAG = '[vscode-host]';

const log = (...args) => console.log(TAG, ...args);
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * A problem with this machine's setup (a missing package, headers, a failed install), not
 * with the code under test. Scripts report it as `setup: ...` and never as a test result.
 */
export class SetupError extends Error {
  constructor(message) {
    super(message);
    this.name = 'SetupError';
  }
}

// ---------------------------------------------------------------------------
// System packages (Debian)

function which(cmd) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

function canApt() {
  return typeof process.getuid === 'function' && process.getuid() === 0 && which('apt-get') !== null;
}

let aptUpdated = false;

/** Installs Debian packages as root, with output to a log file and short progress lines. */
function aptInstall(packages, why) {
  const logFile = path.join(os.tmpdir(), 'ilb-hairpin-apt.log');
  if (!canApt()) {
    throw new SetupError(
      `${why}. Install the Debian/Ubuntu packages: ${packages.join(' ')} ` +
        `(as root: apt-get update && apt-get install -y ${packages.join(' ')}), then run this again.`,
    );
  }
  const out = fs.openSync(logFile, 'a');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    const started = Date.now();
    if (!aptUpdated) {
      log(`${why}: running apt-get update (log: ${logFile})`);
      const r = spawnSync('apt-get', ['update'], { stdio: ['ignore', out, out], env });
      if (r.status !== 0) throw new SetupError(`apt-get update failed (exit ${r.status}); see ${logFile}`);
      aptUpdated = true;
    }
    log(`installing ${packages.join(' ')} with apt-get (log: ${logFile})`);
    const r = spawnSync(
      'apt-get',
      ['install', '-y', '--no-install-recommends', '-o', 'Dpkg::Options::=--force-confold', ...packages],
      { stdio: ['ignore', out, out], env },
    );
    if (r.status !== 0) {
      throw new SetupError(`apt-get install ${packages.join(' ')} failed (exit ${r.status}); see ${logFile}`);
    }
    log(`installed ${packages.join(' ')} in ${seconds(started)}`);
  } finally {
    fs.closeSync(out);
  }
}

const SYSTEM_PACKAGES = ['chromium', 'ripgrep', 'libkrb5-dev', 'pkg-config'];

/** Path of Debian's Chromium (env ILB_HAIRPIN_CHROMIUM overrides); installs it when missing and root. */
export function ensureChromium() {
  const wanted = process.env.ILB_HAIRPIN_CHROMIUM || '/usr/bin/chromium';
  if (fs.existsSync(wanted)) return wanted;
  if (process.env.ILB_HAIRPIN_CHROMIUM) {
    throw new SetupError(`ILB_HAIRPIN_CHROMIUM=${wanted} does not exist.`);
  }
  aptInstall(SYSTEM_PACKAGES, 'Chromium (/usr/bin/chromium) is not installed');
  if (!fs.existsSync(wanted)) throw new SetupError(`apt-get installed chromium but ${wanted} is still missing.`);
  return wanted;
}

/** Path of ripgrep's `rg`, which code-server's search needs; installs it when missing and root. */
export function ensureRipgrep() {
  let rg = which('rg');
  if (rg) return rg;
  aptInstall(['ripgrep'], 'ripgrep (rg) is not installed; code-server needs it');
  rg = which('rg');
  if (!rg) throw new SetupError('apt-get installed ripgrep but `rg` is still not on PATH.');
  return rg;
}

/** Headers and tools that code-server's native modules (kerberos) build against. */
function ensureBuildPrerequisites() {
  const missing = [];
  if (!which('pkg-config')) missing.push('pkg-config');
  if (!which('krb5-config') && !fs.existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  if (missing.length) aptInstall(missing, `code-server's native modules need ${missing.join(' and ')}`);
  const tools = ['python3', 'make', 'g++'].filter((t) => !which(t));
  if (tools.length) {
    throw new SetupError(
      `Building code-server's native modules needs ${tools.join(', ')} on PATH ` +
        '(Debian: apt-get install -y python3 make g++).',
    );
  }
}

// ---------------------------------------------------------------------------
// Node's C headers for node-gyp

/** The version in `<dir>/include/node/node_version.h` ("20.20.2"), or null. */
function headersVersion(dir) {
  let text;
  try {
    text = fs.readFileSync(path.join(dir, 'include', 'node', 'node_version.h'), 'utf8');
  } catch {
    return null;
  }
  const part = (name) => text.match(new RegExp(`#define\\s+NODE_${name}_VERSION\\s+(\\d+)`))?.[1];
  const [major, minor, patch] = [part('MAJOR'), part('MINOR'), part('PATCH')];
  if (!major || !minor || !patch) return null;
  // common.gypi is what node-gyp reads from a nodedir; without it the build fails later.
  if (!fs.existsSync(path.join(dir, 'include', 'node', 'common.gypi'))) return null;
  return `${major}.${minor}.${patch}`;
}

/**
 * The folder node-gyp should build code-server's native modules against: one whose
 * include/node/node_version.h is the running Node's version (process.version), so node-gyp
 * never downloads headers. Looked for in: $npm_config_nodedir, npm's `nodedir` setting,
 * the running Node's install prefix (/usr for /usr/bin/node, an nvm folder, ...),
 * /usr/local, /usr, and node-gyp's own header cache. Throws a SetupError naming what to
 * install when none matches.
 */
export function nodeHeadersDir() {
  const want = process.versions.node;
  const candidates = [];
  if (process.env.npm_config_nodedir) candidates.push(process.env.npm_config_nodedir);
  const fromNpm = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8', env: cleanEnv() });
  const configured = fromNpm.status === 0 ? fromNpm.stdout.trim() : '';
  if (configured && configured !== 'undefined' && configured !== 'null') candidates.push(configured);
  candidates.push(path.dirname(path.dirname(process.execPath)), '/usr/local', '/usr');
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  candidates.push(path.join(cache, 'node-gyp', want));
  const seen = [];
  for (const dir of candidates) {
    const resolved = path.resolve(dir);
    if (seen.some((s) => s.dir === resolved)) continue;
    const version = headersVersion(resolved);
    if (version === want) return resolved;
    seen.push({ dir: resolved, version });
  }
  const found = seen.filter((s) => s.version).map((s) => `${s.dir} has v${s.version}`);
  throw new SetupError(
    `Node's C headers for v${want} (include/node/node_version.h and common.gypi) are not installed, ` +
      "and code-server's native modules are built against them; node-gyp would try to download them. " +
      (found.length ? `Found other versions only: ${found.join('; ')}. ` : '') +
      'Install the headers of the Node you run (NodeSource\'s nodejs package and the official tarballs ' +
      'ship them in <prefix>/include/node; Debian/Ubuntu\'s own Node: apt-get install libnode-dev), ' +
      'or set npm_config_nodedir to a folder with include/node/ of that version, then run this again.',
  );
}

// ---------------------------------------------------------------------------
// code-server install (into a cache folder outside the repository)

export function codeServerDir() {
  if (process.env.ILB_HAIRPIN_CODE_SERVER_DIR) return path.resolve(process.env.ILB_HAIRPIN_CODE_SERVER_DIR);
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'ilb-hairpin', `code-server-${CODE_SERVER_VERSION}`);
}

function entryOf(dir) {
  return path.join(dir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** Environment for child npm/node processes: drop what `npm run` and VS Code terminals leak in. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(package|lifecycle)_/i.test(k)) continue;
    if (/^npm_config_(local_prefix|prefix|global|workspaces?|include_workspace_root)$/i.test(k)) continue;
    if (/^(npm_command|npm_execpath|INIT_CWD|ELECTRON_RUN_AS_NODE)$/i.test(k)) continue;
    if (/^VSCODE_/.test(k)) continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

/** Install steps running now, each in its own process group (npm -> node-gyp -> make -> g++). */
const installChildren = new Set();

function run(cmd, args, { cwd, logFd, env }) {
  return new Promise((resolve, reject) => {
    fs.writeSync(logFd, `\n$ (cd ${cwd} && ${cmd} ${args.join(' ')})\n`);
    const child = spawn(cmd, args, { cwd, env: env ?? cleanEnv(), stdio: ['ignore', logFd, logFd], detached: true });
    installChildren.add(child);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      installChildren.delete(child);
      if (code === 0) resolve();
      else reject(new Error(`\`${cmd} ${args.join(' ')}\` in ${cwd} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/**
 * Installs code-server CODE_SERVER_VERSION per shared/VSCODE-HOST.md into
 * codeServerDir() (outside the repo) unless a finished install is there, and returns
 * the path of its entry.js. The install happens in a temporary sibling folder that is
 * renamed into place only after the marker file is written, so an interrupted install
 * is never mistaken for a complete one.
 */
export async function ensureCodeServer() {
  const dir = codeServerDir();
  if (fs.existsSync(path.join(dir, MARKER)) && fs.existsSync(entryOf(dir))) return entryOf(dir);

  const parent = path.dirname(dir);
  await fsp.mkdir(parent, { recursive: true });
  const base = path.basename(dir);

  // Remove leftovers of installs whose process is gone, and a folder without its marker.
  for (const name of await fsp.readdir(parent)) {
    const m = name.match(/^(.*)\.tmp-(\d+)$/);
    if (m && m[1] === base && !pidAlive(Number(m[2]))) {
      await fsp.rm(path.join(parent, name), { recursive: true, force: true });
    }
  }
  if (fs.existsSync(dir)) {
    // Finished meanwhile by another process?
    if (fs.existsSync(path.join(dir, MARKER)) && fs.existsSync(entryOf(dir))) return entryOf(dir);
    log(`removing incomplete install at ${dir}`);
    await fsp.rm(dir, { recursive: true, force: true });
  }

  // Every npm below builds with these headers (an environment setting beats ~/.npmrc).
  const nodedir = nodeHeadersDir();
  ensureBuildPrerequisites();
  const rg = ensureRipgrep();
  const env = (extra = {}) => cleanEnv({ npm_config_nodedir: nodedir, ...extra });

  const tmp = path.join(parent, `${base}.tmp-${process.pid}`);
  await fsp.rm(tmp, { recursive: true, force: true });
  await fsp.mkdir(tmp, { recursive: true });
  const logFile = path.join(parent, `${base}.install.log`);
  const logFd = fs.openSync(logFile, 'w');
  const started = Date.now();
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (takes 1-2 min; log: ${logFile})`);
  log(`native modules build against the Node headers in ${nodedir}`);

  const vscodeDir = path.join(tmp, 'node_modules', 'code-server', 'lib', 'vscode');
  const yes = env({ npm_config_yes: 'true' });
  const plain = env();
  const npm = 'npm';
  const quiet = ['--no-audit', '--no-fund', '--loglevel=warn'];
  const steps = [
    [
      `npm install code-server@${CODE_SERVER_VERSION} (scripts off)`,
      () => run(npm, ['install', '--ignore-scripts', ...quiet, '--prefix', tmp, `code-server@${CODE_SERVER_VERSION}`], { cwd: tmp, logFd, env: plain }),
    ],
    [
      "npm install VS Code's runtime modules",
      () => run(npm, ['install', '--omit=dev', '--ignore-scripts', ...quiet], { cwd: vscodeDir, logFd, env: plain }),
    ],
    [
      'ripgrep, native modules (npm rebuild)',
      async () => {
        const rgDir = path.join(vscodeDir, 'node_modules', '@vscode', 'ripgrep', 'bin');
        await fsp.mkdir(rgDir, { recursive: true });
        await fsp.copyFile(rg, path.join(rgDir, 'rg'));
        await fsp.chmod(path.join(rgDir, 'rg'), 0o755);
        await run(npm, ['rebuild', ...quiet], { cwd: vscodeDir, logFd, env: yes });
      },
    ],
    [
      'links and built-in extensions',
      async () => {
        const link = async (target, at) => {
          await fsp.rm(at, { force: true });
          await fsp.symlink(target, at);
        };
        await link('node_modules', path.join(vscodeDir, 'node_modules.asar'));
        await link('code-linux.sh', path.join(vscodeDir, 'bin', 'remote-cli', 'code-server'));
        await link('browser-linux.sh', path.join(vscodeDir, 'bin', 'helpers', 'browser.sh'));
        await run(npm, ['install', '--omit=dev', ...quiet], { cwd: path.join(vscodeDir, 'extensions'), logFd, env: plain });
      },
    ],
    ['argon2 (npm rebuild)', () => run(npm, ['rebuild', 'argon2', ...quiet], { cwd: tmp, logFd, env: yes })],
  ];

  // Interrupted: stop the running step's whole group and drop the half install.
  const onSignal = (signal) => {
    for (const child of installChildren) killGroup(child.pid, 'SIGKILL');
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
    } catch {
      /* the next run removes it: its pid is gone */
    }
    console.error(`${TAG} ${signal}: code-server install interrupted; removed ${tmp}`);
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  const onExit = () => {
    for (const child of installChildren) killGroup(child.pid, 'SIGKILL');
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, onSignal);
  process.on('exit', onExit);

  try {
    let i = 0;
    for (const [title, step] of steps) {
      const t = Date.now();
      log(`  ${++i}/${steps.length} ${title} ...`);
      await step();
      log(`  ${i}/${steps.length} done in ${seconds(t)}`);
    }
    if (!fs.existsSync(entryOf(tmp))) throw new SetupError(`install finished but ${entryOf(tmp)} is missing`);
    await fsp.writeFile(
      path.join(tmp, MARKER),
      `code-server ${CODE_SERVER_VERSION} installed ${new Date().toISOString()} in ${seconds(started)}\n`,
    );
    try {
      await fsp.rename(tmp, dir);
    } catch (e) {
      // Someone else finished first: use theirs.
      if (fs.existsSync(path.join(dir, MARKER))) await fsp.rm(tmp, { recursive: true, force: true });
      else throw e;
    }
  } catch (e) {
    fs.closeSync(logFd);
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
    const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
    throw new SetupError(`installing code-server failed: ${e.message}\n--- last lines of ${logFile} ---\n${tail}`);
  } finally {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(sig, onSignal);
    process.off('exit', onExit);
  }
  fs.closeSync(logFd);
  log(`code-server ${CODE_SERVER_VERSION} ready in ${seconds(started)}`);
  return entryOf(dir);
}

// ---------------------------------------------------------------------------
// Ports

export function isPortFree(port, host = HOST) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export function findFreePort(host = HOST) {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------
// code-server process

/** Kills a whole process group (the server, its VS Code server, extension hosts, pty host). */
function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts code-server on 127.0.0.1 in its own process group.
 * @param {object} o
 * @param {string} o.userDataDir
 * @param {string} o.extensionsDir
 * @param {number} [o.port] free loopback port picked when omitted
 * @param {string} [o.entry] entry.js (default: ensureCodeServer())
 * @param {string} [o.logFile] where the server's output goes (default: userDataDir/../code-server.log)
 * @param {boolean} [o.echo] also copy the server's output to this process's stderr
 * @param {string[]} [o.extraArgs]
 * @param {Record<string,string>} [o.env] extra environment for the server
 * @param {string} [o.tmpDir] TMPDIR of the server, where VS Code leaves its IPC sockets
 *   (default: userDataDir/../tmp, so they go when the caller removes its folder; the
 *   server's XDG_DATA_HOME/XDG_CACHE_HOME/XDG_CONFIG_HOME go to userDataDir/../xdg-*)
 * @param {number} [o.startTimeoutMs]
 * @returns {Promise<{port:number,url:string,pid:number,logFile:string,stop:()=>Promise<void>,exited:Promise<number|null>}>}
 */
export async function startCodeServer({
  userDataDir,
  extensionsDir,
  port,
  entry,
  logFile,
  echo = false,
  extraArgs = [],
  env = {},
  tmpDir,
  startTimeoutMs = 90_000,
}) {
  if (!userDataDir || !extensionsDir) throw new Error('startCodeServer needs userDataDir and extensionsDir');
  entry ??= await ensureCodeServer();
  port ??= await findFreePort();
  await fsp.mkdir(userDataDir, { recursive: true });
  await fsp.mkdir(extensionsDir, { recursive: true });
  const base = path.dirname(path.resolve(userDataDir));
  logFile ??= path.join(base, 'code-server.log');
  tmpDir ??= path.join(base, 'tmp');
  await fsp.mkdir(tmpDir, { recursive: true });
  const args = [
    entry,
    '--auth', 'none',
    '--bind-addr', `${HOST}:${port}`,
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    // Its own config file, so it never writes ~/.config/code-server/config.yaml.
    '--config', path.join(userDataDir, 'code-server-config.yaml'),
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...extraArgs,
  ];
  const out = fs.createWriteStream(logFile);
  const child = spawn(process.execPath, args, {
    detached: true, // own process group: stop() kills every descendant
    stdio: ['ignore', 'pipe', 'pipe'],
    // EXTENSIONS_GALLERY={} switches the marketplace (open-vsx.org) off: no lookups of
    // hosts this machine cannot reach.
    // XDG_*: code-server keeps logs and a heartbeat under XDG_DATA_HOME, VS Code a device
    // id under XDG_CACHE_HOME; keep them beside the profile instead of in $HOME.
    env: cleanEnv({
      EXTENSIONS_GALLERY: '{}',
      TMPDIR: tmpDir,
      XDG_DATA_HOME: path.join(base, 'xdg-data'),
      XDG_CACHE_HOME: path.join(base, 'xdg-cache'),
      XDG_CONFIG_HOME: path.join(base, 'xdg-config'),
      ...env,
    }),
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  let alive = true;
  child.once('exit', () => {
    alive = false;
  });
  // Last resort if this process dies without calling stop().
  const onExit = () => killGroup(child.pid, 'SIGKILL');
  process.on('exit', onExit);

  let seen = '';
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new SetupError(`code-server did not report "HTTP server listening" within ${startTimeoutMs / 1000} s; see ${logFile}`)),
      startTimeoutMs,
    );
    const onData = (chunk) => {
      out.write(chunk);
      if (echo) process.stderr.write(chunk);
      if (seen.length < 64_000) seen += chunk.toString();
      if (/HTTP server listening/.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new SetupError(`code-server exited early (${signal ?? `exit ${code}`}):\n${seen.slice(-3000)}`));
    });
  });

  let stopping;
  const stop = () =>
    (stopping ??= (async () => {
      process.off('exit', onExit);
      if (alive) {
        killGroup(child.pid, 'SIGTERM');
        const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
        if (!done) killGroup(child.pid, 'SIGKILL');
      }
      // Descendants may outlive the leader for a moment; make sure none stay.
      await new Promise((r) => setTimeout(r, 200));
      killGroup(child.pid, 'SIGKILL');
      await new Promise((r) => out.end(r));
    })());

  try {
    await ready;
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, url: `http://${HOST}:${port}/`, pid: child.pid, logFile, stop, exited };
}

// ---------------------------------------------------------------------------
// Workbench URLs

/** vscode-remote URI of an absolute path on this machine, as the workbench at `port` sees it. */
export function remoteUri(port, p) {
  return `vscode-remote://${HOST}:${port}${pathToFileURL(path.resolve(p)).pathname}`;
}

/** Workbench URL opening `folder`, with an optional payload (array of [key, value]). */
export function workbenchUrl(port, { folder, payload } = {}) {
  const q = new URLSearchParams();
  if (folder) q.set('folder', path.resolve(folder));
  if (payload) q.set('payload', JSON.stringify(payload));
  const s = q.toString().replace(/%2F/g, '/');
  return `http://${HOST}:${port}/${s ? `?${s}` : ''}`;
}

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** Settings for a throwaway profile: nothing that phones home or pops up. */
export const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'npm.autoDetect': 'off',
  // The JSON language server would fetch "$schema" URLs (schema.management.azure.com for
  // ARM templates); this machine has no network, so it must not try.
  'json.schemaDownload.enable': false,
};

export async function writeUserSettings(userDataDir, settings = QUIET_SETTINGS) {
  const dir = path.join(userDataDir, 'User');
  await fsp.mkdir(dir, { recursive: true });
  await fsp.writeFile(path.join(dir, 'settings.json'), JSON.stringify(settings, null, 2));
}

// ---------------------------------------------------------------------------
// Extension-host test run

/**
 * Installs extension folders into a fresh --extensions-dir as `<publisher>.<name>-<version>`
 * links (copies where links fail); code-server picks them up on its first scan of the folder.
 */
export async function installExtensions(extensionsDir, roots) {
  await fsp.mkdir(extensionsDir, { recursive: true });
  for (const root of roots) {
    const pkg = JSON.parse(await fsp.readFile(path.join(root, 'package.json'), 'utf8'));
    const at = path.join(extensionsDir, `${pkg.publisher}.${pkg.name}-${pkg.version}`.toLowerCase());
    try {
      await fsp.symlink(path.resolve(root), at, 'dir');
    } catch {
      await fsp.cp(root, at, { recursive: true });
    }
  }
}


/**
 * Runs an extension-host test suite (a module exporting run(): Promise<void>) in a
 * real workbench: fresh code-server and Chromium profiles, the extension loaded as a
 * development extension (code-server takes one), any `extraExtensionRoots` (e.g. test
 * stand-ins) installed in the throwaway extensions folder, `workspace` open. Resolves with the suite's exit code
 * (0 passed, non-zero failed). Rejects on setup errors and when `timeoutMs` passes.
 * code-server and the browser are always stopped, also on SIGINT/SIGTERM.
 */
export async function runInHost({
  extensionRoot,
  extraExtensionRoots = [],
  testsIndex,
  workspace,
  timeoutMs = 5 * 60_000,
  screenshotPath = path.resolve('test-results', 'host-failure.png'),
  keepTemp = !!process.env.ILB_HAIRPIN_KEEP_TEMP,
}) {
  for (const [name, p] of Object.entries({ extensionRoot, testsIndex, workspace })) {
    if (!p) throw new Error(`runInHost needs ${name}`);
    if (!fs.existsSync(p)) throw new Error(`runInHost: ${name} ${p} does not exist`);
  }
  extensionRoot = path.resolve(extensionRoot);
  testsIndex = path.resolve(testsIndex);
  workspace = path.resolve(workspace);

  const started = Date.now();
  const executablePath = ensureChromium();
  const entry = await ensureCodeServer();
  const { chromium } = await import('playwright-core');

  const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), 'ilb-hairpin-host-'));
  const userDataDir = path.join(tmp, 'user');
  const extensionsDir = path.join(tmp, 'extensions');
  const browserProfile = path.join(tmp, 'browser');
  // VS Code for the Web saves edited files after a second by default (files.autoSave: afterDelay);
  // the desktop default (off) here, so that a test that edits a fixture in its editor and fails
  // before reverting it never writes the edit to the fixture.
  await writeUserSettings(userDataDir, { ...QUIET_SETTINGS, 'files.autoSave': 'off' });
  await installExtensions(extensionsDir, extraExtensionRoots);

  let server;
  let context;
  let page;
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await Promise.race([context?.close().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
      await server?.stop().catch(() => {});
      if (!keepTemp) await fsp.rm(tmp, { recursive: true, force: true }).catch(() => {});
    })());

  let interrupted = false;
  const onSignal = (signal) => {
    interrupted = true;
    console.error(`${TAG} ${signal}: stopping code-server and the browser`);
    cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const saveEvidence = async (why) => {
    if (interrupted) return;
    try {
      await fsp.mkdir(path.dirname(screenshotPath), { recursive: true });
      if (page && !page.isClosed()) {
        await page.screenshot({ path: screenshotPath, timeout: 15_000 });
        console.error(`${TAG} ${why}; screenshot: ${screenshotPath}`);
      }
      if (server) {
        const serverLog = path.join(path.dirname(screenshotPath), 'host-code-server.log');
        await fsp.copyFile(server.logFile, serverLog).catch(() => {});
        console.error(`${TAG} code-server log: ${serverLog}`);
      }
    } catch (e) {
      console.error(`${TAG} could not save a screenshot: ${e.message}`);
    }
  };

  const main = async () => {
    server = await startCodeServer({ userDataDir, extensionsDir, entry });
    log(`code-server ${CODE_SERVER_VERSION} on ${server.url} (up after ${seconds(started)})`);

    context = await chromium
      .launchPersistentContext(browserProfile, {
        executablePath,
        headless: true,
        args: CHROMIUM_ARGS,
        viewport: { width: 1440, height: 900 },
        // Chromium keeps its crash-report database under $XDG_CONFIG_HOME whatever the
        // profile; keep it in the throwaway folder instead of ~/.config/chromium.
        env: { ...process.env, XDG_CONFIG_HOME: path.join(tmp, 'xdg-config'), XDG_CACHE_HOME: path.join(tmp, 'xdg-cache') },
        // This function handles signals itself: stop the server too, not just the browser.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
      })
      .catch((e) => {
        throw new SetupError(`Chromium (${executablePath}) did not start: ${e.message}`);
      });
    page = context.pages()[0] ?? (await context.newPage());

    let settle;
    const finished = new Promise((resolve) => (settle = resolve));
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const list = Array.isArray(args) ? args : [args];
      console.log(...list);
    });
    await page.exposeFunction('codeAutomationExit', async (code, logs) => {
      // Keep the logs the workbench hands over for a failed run.
      if (code !== 0 && Array.isArray(logs)) {
        const dir = path.join(path.dirname(screenshotPath), 'host-logs');
        for (const l of logs) {
          if (!l || typeof l.relativePath !== 'string' || l.relativePath.includes('..')) continue;
          const to = path.join(dir, l.relativePath);
          await fsp.mkdir(path.dirname(to), { recursive: true }).catch(() => {});
          await fsp.writeFile(to, String(l.contents ?? '')).catch(() => {});
        }
      }
      settle({ code: typeof code === 'number' ? code : 1 });
    });
    page.on('pageerror', (e) => console.error(`${TAG} page error: ${e.message}`));
    page.on('crash', () => settle({ error: new Error('the workbench page crashed') }));

    const payload = [
      ['extensionDevelopmentPath', remoteUri(server.port, extensionRoot)],
      ['extensionTestsPath', remoteUri(server.port, testsIndex)],
      ['skipWelcome', 'true'],
      ['skipReleaseNotes', 'true'],
    ];
    await page.goto(workbenchUrl(server.port, { folder: workspace, payload }), {
      waitUntil: 'domcontentloaded',
      timeout: 120_000,
    });
    const result = await Promise.race([
      finished,
      server.exited.then((c) => ({ error: new Error(`code-server exited (${c}) during the run`) })),
    ]);
    if (result.error) throw result.error;
    if (result.code !== 0) await saveEvidence(`the host suite exited with ${result.code}`);
    return result.code;
  };

  // One limit for the whole run: server start, browser, workbench and suite.
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the host run did not finish within ${Math.round(timeoutMs / 1000)} s`)),
      timeoutMs,
    );
  });
  const running = main();
  running.catch(() => {}); // after a timeout, cleanup() makes it fail; nobody waits for it then
  try {
    const code = await Promise.race([running, deadline]);
    log(`host run finished with exit code ${code} in ${seconds(started)}`);
    return code;
  } catch (e) {
    await saveEvidence(e.message);
    throw e;
  } finally {
    clearTimeout(timer);
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}
