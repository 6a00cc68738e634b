// The setup checks of the VS Code host scripts: a machine problem is a `setup:` message with exit
// code 2, never a test result, and node-gyp gets the headers of the Node that runs.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const host = pathToFileURL(path.join(repo, 'scripts', 'vscode-host.mjs')).href;

/** Runs `code` (an ES module body) in a fresh node with `env` added; `version` fakes process.versions.node. */
function run(code, { env = {}, version } = {}) {
  const fake = version ? `Object.defineProperty(process.versions, 'node', { value: ${JSON.stringify(version)} });\n` : '';
  return spawnSync(process.execPath, ['--input-type=module', '-e', `${fake}${code}`], { encoding: 'utf8', env: { ...process.env, ...env } });
}

/** A folder that looks like a Node install prefix with the headers of `version`. */
function headers(version) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-headers-'));
  const [major, minor, patch] = version.split('.');
  fs.mkdirSync(path.join(dir, 'include', 'node'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'include', 'node', 'node_version.h'),
    `#define NODE_MAJOR_VERSION ${major}\n#define NODE_MINOR_VERSION ${minor}\n#define NODE_PATCH_VERSION ${patch}\n`,
  );
  fs.writeFileSync(path.join(dir, 'include', 'node', 'common.gypi'), '{}\n');
  return dir;
}

describe('setup: Node headers for node-gyp', () => {
  it('takes npm_config_nodedir when its headers are the running Node version', () => {
    const dir = headers('77.1.2');
    try {
      const r = run(`const m = await import(${JSON.stringify(host)}); console.log(m.nodeHeadersDir());`, { env: { npm_config_nodedir: dir }, version: '77.1.2' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without matching headers: a SetupError that names the version, what was found and what to install', () => {
    const dir = headers('77.1.2');
    try {
      const r = run(
        `const m = await import(${JSON.stringify(host)}); try { m.nodeHeadersDir(); } catch (e) { console.log(e instanceof m.SetupError, e.message); }`,
        { env: { npm_config_nodedir: dir }, version: '77.1.3' },
      );
      assert.match(r.stdout, /^true Node's C headers for v77\.1\.3/);
      assert.match(r.stdout, new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has v77\\.1\\.2`));
      assert.match(r.stdout, /libnode-dev/);
      assert.match(r.stdout, /npm_config_nodedir/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('setup: failures are not test results', () => {
  for (const script of ['host-test.mjs', 'ensure-deps.mjs']) {
    it(`${script}: a missing browser is "setup: ..." with exit 2, and no "host: N passed, M failed" line`, () => {
      const r = spawnSync(process.execPath, [path.join(repo, 'scripts', script)], {
        cwd: repo,
        encoding: 'utf8',
        // Any existing file as the tests index: the run stops before it is loaded.
        env: { ...process.env, ILB_HAIRPIN_CHROMIUM: path.join(os.tmpdir(), 'no-such-chromium'), ILB_HAIRPIN_HOST_TESTS: fileURLToPath(import.meta.url) },
      });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^setup: ILB_HAIRPIN_CHROMIUM=.*no-such-chromium does not exist\./m);
      assert.doesNotMatch(r.stdout + r.stderr, /host: \d+ passed/);
    });
  }
});
