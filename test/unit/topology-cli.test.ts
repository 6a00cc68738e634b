/**
 * `ilb-hairpin topology`: the preview's picture from the command line, in each format, with the
 * exit codes and messages of the other commands.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { jsonPieces } from '../../src/cli/topology';
import { cli, REPO_ROOT, SEED_LAB } from './helpers';

const CLI_PARAMS = path.join(REPO_ROOT, 'test', 'fixtures', 'workspace', 'cli-params');

let dir = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-topology-'));
  fs.mkdirSync(path.join(dir, 'web'));
  fs.copyFileSync(SEED_LAB, path.join(dir, 'web', 'azuredeploy.json'));
});

after(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('cli: topology', () => {
  it('--format json (the default) prints the view model with relative paths and locations', () => {
    const r = cli(dir, 'topology');
    assert.equal(r.code, 0, r.stderr);
    const model = JSON.parse(r.stdout);
    assert.equal(model.tool.name, 'ilb-hairpin');
    assert.equal(model.scope, 'workspace');
    assert.equal(model.nodes.length, 6);
    assert.equal(model.edges.length, 4);
    assert.equal(model.marks.length, 1);
    const rule = model.nodes.find((n: { kind: string }) => n.kind === 'rule');
    assert.equal(rule.location.file, 'web/azuredeploy.json');
    const ruleLine = fs.readFileSync(SEED_LAB, 'utf8').split('\n').findIndex((l) => l.includes('"name": "rule-http"')) - 1;
    assert.equal(rule.location.range.start.line, ruleLine, 'the rule object starts on the line before its name');
    assert.ok(rule.id.startsWith('rule:web/azuredeploy.json#'), rule.id);
    assert.deepEqual(model.marks[0].paths.map((p: { kind: string }) => p.kind), ['failing', 'floating-ip', 'secondary-nic', 'nginx-nva', 'app-gateway']);
  });

  it('--format mermaid and --format dot', () => {
    const mmd = cli(dir, 'topology', 'web', '--format', 'mermaid');
    assert.equal(mmd.code, 0);
    assert.match(mmd.stdout, /^%% ilb-hairpin topology: Whole workspace\nflowchart LR\n/);
    assert.match(mmd.stdout, /class n\d+ hairpin/);
    const dot = cli(dir, 'topology', '--format=dot');
    assert.equal(dot.code, 0);
    assert.match(dot.stdout, /^digraph /);
    assert.match(dot.stdout, /constraint=false/);
  });

  it('--format svg --output writes a standalone SVG laid out by elkjs, and says what it wrote', () => {
    const r = cli(dir, 'topology', '--format', 'svg', '--output', 'topology.svg', '--rule', 'rule-http');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Wrote topology\.svg \(6 nodes, 4 edges, 1 hairpin-prone rule\)\./);
    const svg = fs.readFileSync(path.join(dir, 'topology.svg'), 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<style>/);
    for (const label of ['ilb-we-02-web', 'rule-http', 'VM-WE-02-Web01']) assert.ok(svg.includes(`>${label}<`), label);
    // --rule draws the failing path and adds the packet walk.
    assert.match(svg, /class="overlay-step"/);
    assert.match(svg, />Failing path: the hairpin</);
  });

  it('--environment shows one parameter file\'s environment', () => {
    const dev = JSON.parse(cli(CLI_PARAMS, 'topology', '--environment', 'dev').stdout);
    const prod = JSON.parse(cli(CLI_PARAMS, 'topology', '--environment', 'prod').stdout);
    assert.equal(dev.environment, 'dev');
    assert.equal(prod.environment, 'prod');
    const members = (m: { nodes: { kind: string }[] }): number => m.nodes.filter((n) => n.kind === 'member').length;
    assert.equal(members(dev), 6);
    assert.equal(members(prod), 8);
    assert.equal(JSON.parse(cli(CLI_PARAMS, 'topology').stdout).environment, 'all');
  });

  it('exit 2 with a message: unknown format, environment or rule, missing path', () => {
    const format = cli(dir, 'topology', '--format', 'png');
    assert.equal(format.code, 2);
    assert.match(format.stderr, /--format takes one of json, mermaid, dot, svg\./);
    const env = cli(CLI_PARAMS, 'topology', '--environment', 'staging');
    assert.equal(env.code, 2);
    assert.match(env.stderr, /no environment 'staging' \(environments: dev, prod\)/);
    const rule = cli(dir, 'topology', '--rule', 'rule-ftp');
    assert.equal(rule.code, 2);
    assert.match(rule.stderr, /no hairpin-prone rule named rule-ftp \(hairpin-prone: rule-http\)/);
    const missing = cli(dir, 'topology', 'nowhere');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /path not found: nowhere/);
    assert.equal(cli(dir, 'topology', '--output').code, 2);
  });

  it('is in the help', () => {
    const r = cli(dir, 'topology', '--help');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /ilb-hairpin topology \[paths\.\.\.\] \[--format json\|mermaid\|dot\|svg\] \[--output FILE\]/);
  });
});

describe('cli: topology --rule when several rules have the name', () => {
  let two = '';
  before(() => {
    two = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-topology-two-'));
    for (const folder of ['web', 'copy']) {
      fs.mkdirSync(path.join(two, folder));
      fs.copyFileSync(SEED_LAB, path.join(two, folder, 'azuredeploy.json'));
    }
  });
  after(() => {
    if (two) fs.rmSync(two, { recursive: true, force: true });
  });

  it('lists them with their files and exits 2', () => {
    const r = cli(two, 'topology', '--rule', 'rule-http', '--format', 'svg');
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines[0] as string, /^ilb-hairpin: 2 hairpin-prone rules are named rule-http; pick one with --rule FILE:RULE:$/);
    assert.match(lines[1] as string, /^ {2}--rule copy\/azuredeploy\.json:rule-http {3}\(load balancer ilb-we-02-web, line \d+\)$/);
    assert.match(lines[2] as string, /^ {2}--rule web\/azuredeploy\.json:rule-http {3}\(load balancer ilb-we-02-web, line \d+\)$/);
  });

  it('accepts FILE:RULE, also with ./ or an absolute path, and draws that rule', () => {
    for (const spec of ['web/azuredeploy.json:rule-http', './web/azuredeploy.json:rule-http', `${path.join(two, 'web', 'azuredeploy.json')}:rule-http`]) {
      const r = cli(two, 'topology', '--rule', spec, '--format', 'svg');
      assert.equal(r.code, 0, `${spec}: ${r.stderr}`);
      assert.match(r.stdout, /^<svg/);
    }
    const wrong = cli(two, 'topology', '--rule', 'web/azuredeploy.json:rule-ftp');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /no hairpin-prone rule named web\/azuredeploy\.json:rule-ftp/);
  });
});

describe('cli: topology JSON written in pieces', () => {
  it('joins to exactly JSON.stringify(model, null, 2) for the fixtures and odd values', () => {
    const models: Record<string, unknown>[] = [];
    for (const folder of [dir, CLI_PARAMS, path.join(REPO_ROOT, 'examples')]) {
      const r = cli(folder, 'topology', '--format', 'json');
      assert.ok(r.stdout.length > 0, r.stderr);
      models.push(JSON.parse(r.stdout));
      // The CLI's own output is already the pieces joined: it equals the reference text.
      assert.equal(r.stdout, JSON.stringify(JSON.parse(r.stdout), null, 2) + '\n');
    }
    models.push({}, { a: [], b: {}, c: undefined, d: [undefined, 1, 'x\ny', { e: [[], [1, [2]]] }], f: null, g: 'str', h: () => 1 });
    for (const m of models) assert.equal([...jsonPieces(m)].join(''), (JSON.stringify(m, null, 2) ?? '') + '\n');
  });

  it('writes a top-level iterable (a stream\'s nodes) as the array of its items, an empty one as []', () => {
    const items = [1, { x: [2, 'y\nz'] }, undefined, null];
    const iterable = (list: unknown[]): Iterable<unknown> => ({
      *[Symbol.iterator]() {
        yield* list;
      },
    });
    const text = [...jsonPieces({ a: iterable(items), b: iterable([]), c: 'x' })].join('');
    assert.equal(text, JSON.stringify({ a: items, b: [], c: 'x' }, null, 2) + '\n');
  });
});
