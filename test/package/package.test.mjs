// What gets published: the npm package (the CLI) and the VSIX (the extension). Each is built
// for real (`npm pack` runs `prepack`, `vsce package` runs `vscode:prepublish`, both the build)
// and its file list checked; the npm tarball is installed offline, with an empty npm cache, into
// a clean folder where `npx ilb-hairpin scan .` must work: the bundle needs no runtime dependency.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));

/** The environment of a child npm: without what `npm run`/`npm test` put in it. */
function env(extra = {}) {
  const out = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'INIT_CWD') continue;
    out[k] = v;
  }
  return { ...out, ...extra };
}

/** The file names in a zip archive (its central directory), without unpacking it. */
function zipEntries(file) {
  const buf = fs.readFileSync(file);
  let end = buf.length - 22;
  while (end >= 0 && buf.readUInt32LE(end) !== 0x06054b50) end--;
  assert.ok(end >= 0, `${file} is a zip archive`);
  const count = buf.readUInt16LE(end + 10);
  let at = buf.readUInt32LE(end + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    assert.equal(buf.readUInt32LE(at), 0x02014b50, 'a central directory entry');
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/** Never shipped: sources, tests, fixtures, source maps, the VS Code test cache. */
const NEVER = /(^|\/)(src|test|fixtures|out|node_modules|\.vscode-test|scripts)\/|\.map$|\.ts$/;

let tmp;
before(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-package-'));
});
after(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the npm package (the CLI)', { timeout: 180_000 }, () => {
  let tarball;
  let files;

  before(() => {
    assert.equal(pkg.scripts.prepack, 'npm run build', 'npm pack builds dist/ first (a fresh clone has none)');
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: repo, env: env(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const info = JSON.parse(out.slice(out.indexOf('['))).at(0);
    tarball = path.join(tmp, info.filename);
    files = info.files.map((f) => f.path).sort();
  });

  it('holds the CLI bundle, elkjs for topology, README, LICENSE, CHANGELOG and the rule pages, nothing else', () => {
    const pages = fs.readdirSync(path.join(repo, 'docs/rules')).filter((f) => f.endsWith('.md')).map((f) => `docs/rules/${f}`);
    assert.deepEqual(files, ['CHANGELOG.md', 'LICENSE', 'README.md', ...pages, 'dist/cli-azure.js', 'dist/cli.js', 'dist/elk-worker.js', 'package.json'].sort());
    for (const f of files) assert.doesNotMatch(f, NEVER);
  });

  it('has no runtime dependencies: the bundle contains them', () => {
    assert.equal(pkg.dependencies, undefined, JSON.stringify(pkg.dependencies));
  });

  it('installs offline into a clean folder, where `npx ilb-hairpin scan .` finds the seed lab and `topology` draws it', () => {
    const project = path.join(tmp, 'project');
    fs.mkdirSync(path.join(project, 'templates'), { recursive: true });
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'uses-ilb-hairpin', private: true }));
    fs.copyFileSync(path.join(repo, 'examples', 'seed-lab', 'azuredeploy.json'), path.join(project, 'templates', 'azuredeploy.json'));
    const npmEnv = env({ npm_config_cache: path.join(tmp, 'empty-npm-cache'), npm_config_update_notifier: 'false' });
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', tarball], { cwd: project, env: npmEnv, stdio: 'pipe' });

    const scan = spawnSync('npx', ['--no', 'ilb-hairpin', 'scan', '.'], { cwd: project, env: npmEnv, encoding: 'utf8' });
    assert.equal(scan.status, 1, `exit 1 on a finding\n${scan.stderr}`);
    assert.match(scan.stdout, /^templates\/azuredeploy\.json:\d+:\d+ warning hairpin-prone-rule: Hairpin-prone: internal load balancer ilb-we-02-web/m);
    // Three files: the template, package.json and package-lock.json; node_modules is skipped.
    assert.match(scan.stdout, /1 hairpin-prone rule in 1 file; 1 template in 3 files scanned\./);

    const version = spawnSync('npx', ['--no', '--', 'ilb-hairpin', '--version'], { cwd: project, env: npmEnv, encoding: 'utf8' });
    assert.equal(version.stdout.trim(), pkg.version);

    const svg = spawnSync('npx', ['--no', 'ilb-hairpin', 'topology', 'templates', '--format', 'svg', '--rule', 'rule-http'], { cwd: project, env: npmEnv, encoding: 'utf8' });
    assert.equal(svg.status, 0, svg.stderr);
    assert.match(svg.stdout, /^<svg /);
    assert.ok(svg.stdout.includes('VM-WE-02-Web01'));
  });
});

describe('the VSIX (the extension)', { timeout: 180_000 }, () => {
  let vsix;
  before(() => {
    assert.equal(pkg.scripts['vscode:prepublish'], 'npm run build', 'vsce builds dist/ before packaging');
    vsix = path.join(tmp, 'ilb-hairpin.vsix');
    const vsce = path.join(repo, 'node_modules', '@vscode', 'vsce', 'vsce');
    execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--out', vsix], { cwd: repo, env: env(), stdio: 'pipe' });
  });

  it('is under 1 MB', () => {
    const size = fs.statSync(vsix).size;
    assert.ok(size < 1024 * 1024, `${(size / 1024).toFixed(0)} KB`);
  });

  it('holds the minified extension, the webview, media, syntaxes and the example; no CLI, tests, fixtures or maps', () => {
    const names = zipEntries(vsix).filter((n) => n.startsWith('extension/')).map((n) => n.slice('extension/'.length));
    for (const n of names) assert.doesNotMatch(n, NEVER, n);
    for (const wanted of ['package.json', 'dist/extension.js', 'dist/azure-scan.js', 'dist/azure-worker.js', 'dist/webview/topology.js', 'dist/webview/topology.css', 'media/walkthrough/hairpin.svg', 'examples/seed-lab/azuredeploy.json', 'syntaxes/directive.injection.json']) {
      assert.ok(names.includes(wanted), `${wanted} is in the VSIX`);
    }
    assert.ok(!names.includes('dist/cli.js') && !names.includes('dist/cli-azure.js') && !names.includes('dist/elk-worker.js'), 'the CLI is not in the VSIX: the extension never loads it');
    // Minified: no module path comments (esbuild writes `// src/...` before each module otherwise)
    // and internal names renamed.
    const bundle = fs.readFileSync(path.join(repo, 'dist', 'extension.js'), 'utf8');
    assert.doesNotMatch(bundle, /^\/\/ src\//m);
    assert.ok(!bundle.includes('class DiagnosticsController'), 'class names are minified');
  });
});
