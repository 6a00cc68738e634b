/**
 * Differential evaluation against the real Bicep compiler: for each baseline of
 * `../shared/bicep-baselines` (the compiler's own valid samples), `main.bicep` goes through our
 * Bicep evaluator and `main.json` (what the compiler made of it) through our ARM evaluator, both
 * with their parameter defaults. The resources must agree: type, evaluated name, condition, loop
 * iteration, and for the types the graph reads, every property under `properties` and `sku`.
 * What cannot agree is listed, with the reason, in test/conformance/bicep-baselines-known-differences.json.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

import { evaluateArmTemplate } from '../../src/core/evaluate/arm-evaluator';
import { evaluateBicep, type LoadedTemplate, type ModuleHost } from '../../src/core/evaluate/bicep-evaluator';
import { EvaluationRun } from '../../src/core/evaluate/run';
import type { EvaluatedResource } from '../../src/core/evaluate/resources';
import { Unknown, isObject, type Value } from '../../src/core/evaluate/value';
import { parseArm } from '../../src/core/parse/arm';
import { parseBicep } from '../../src/core/parse/bicep';
import { SourceFile } from '../../src/core/source';
import { REPO_ROOT } from './helpers';

const BASELINES = path.resolve(REPO_ROOT, '..', 'shared', 'bicep-baselines');
const NO_BASELINES = !fs.existsSync(BASELINES) && `${BASELINES} is not present (the Bicep compiler's baselines): skipped`;
const KNOWN_FILE = path.join(REPO_ROOT, 'test', 'conformance', 'bicep-baselines-known-differences.json');

/** The types whose properties the graph reads (the rest are compared by type, name, condition and loop only). */
const GRAPH_TYPES = new Set([
  'microsoft.network/loadbalancers',
  'microsoft.network/networkinterfaces',
  'microsoft.network/virtualnetworks',
  'microsoft.network/virtualnetworks/subnets',
  'microsoft.compute/virtualmachines',
  'microsoft.compute/virtualmachinescalesets',
  'microsoft.compute/virtualmachines/extensions',
  'microsoft.compute/virtualmachinescalesets/extensions',
  'microsoft.resources/deployments',
]);

/** An evaluation run that recalls nothing: every module instance is evaluated. */
class EveryInstance extends EvaluationRun {
  override recall<T>(): { outputs: T } | undefined {
    return undefined;
  }
}

const toPosix = (p: string): string => p.split(path.sep).join('/');

/** Loads module targets from the baseline's folder (what the workspace does for a real folder). */
function diskHost(): ModuleHost {
  return {
    load(fromFile: string, rel: string): LoadedTemplate | undefined {
      const target = toPosix(path.resolve(path.dirname(fromFile), rel));
      if (!fs.existsSync(target)) return undefined;
      const text = fs.readFileSync(target, 'utf8').replace(/^\uFEFF/, '');
      if (/\.bicep$/i.test(target)) return { kind: 'bicep', file: new SourceFile(target, text), program: parseBicep(text, { fileKind: 'bicep' }).program };
      const document = parseArm(new SourceFile(target, text));
      return document.kind === 'deploymentTemplate' ? { kind: 'arm', document } : undefined;
    },
  };
}

/** The same symbol scope on both sides, so that parameters without a value are the same symbolic Unknowns. */
const SCOPE = 'baseline';

function evaluateBoth(folder: string): { bicep: EvaluatedResource[]; arm: EvaluatedResource[] } {
  const main = toPosix(path.join(folder, 'main.bicep'));
  const text = fs.readFileSync(main, 'utf8').replace(/^\uFEFF/, '');
  // Every module call evaluated, as the compiled template's nested deployments are: the memo (one
  // evaluation per module and inputs, tested on its own) would leave out repeated instances here.
  const bicep = evaluateBicep(new SourceFile(main, text), parseBicep(text, { fileKind: 'bicep' }).program, { host: diskHost(), symbolScope: SCOPE, deployment: SCOPE, run: new EveryInstance(main) });
  const json = toPosix(path.join(folder, 'main.json'));
  const arm = evaluateArmTemplate(parseArm(new SourceFile(json, fs.readFileSync(json, 'utf8'))), { symbolScope: SCOPE, deployment: SCOPE });
  return { bicep: bicep.resources, arm: arm.resources };
}

// ------------------------------------------------------------------ comparing values

type Verdict = 'match' | 'differ' | 'unknown-one-side' | 'unknown-both';

interface Leaf {
  /** `<folder> <type> <name> <what>`, the key of a known difference. */
  key: string;
  verdict: Verdict;
  bicep: string;
  arm: string;
}

/** A value as text: a symbolic Unknown by its symbol (two of them match when the symbols do), another Unknown by its reason. */
function show(v: Value | undefined): string {
  if (v === undefined) return '(absent)';
  if (v instanceof Unknown) return v.symbol !== undefined ? `{${v.symbol}}` : `(unknown: ${v.reason})`;
  return JSON.stringify(v, (_k, x: unknown) => (x instanceof Unknown ? show(x) : x));
}

function verdictOf(a: Value | undefined, b: Value | undefined): Verdict {
  const ua = a instanceof Unknown;
  const ub = b instanceof Unknown;
  if (ua && ub) return a.symbol !== undefined && a.symbol === b.symbol ? 'match' : 'unknown-both';
  if (ua || ub) return 'unknown-one-side';
  return show(a) === show(b) ? 'match' : 'differ';
}

/** Leaf by leaf; keys compare case-insensitively, as ARM reads them. */
function compareValues(a: Value | undefined, b: Value | undefined, key: string, out: Leaf[], depth = 0): void {
  if (depth < 32 && isObject(a) && isObject(b)) {
    const keys = new Map<string, [string | undefined, string | undefined]>();
    for (const k of Object.keys(a)) keys.set(k.toLowerCase(), [k, undefined]);
    for (const k of Object.keys(b)) keys.set(k.toLowerCase(), [keys.get(k.toLowerCase())?.[0], k]);
    for (const [lower, [ka, kb]] of [...keys].sort(([x], [y]) => (x < y ? -1 : 1))) {
      compareValues(ka === undefined ? undefined : a[ka], kb === undefined ? undefined : b[kb], `${key}.${lower}`, out, depth + 1);
    }
    return;
  }
  if (depth < 32 && Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => compareValues(x, b[i], `${key}[${i}]`, out, depth + 1));
    return;
  }
  out.push({ key, verdict: verdictOf(a, b), bicep: show(a), arm: show(b) });
}

// ------------------------------------------------------------------ comparing resources

const typeOf = (r: EvaluatedResource): string => r.type.toLowerCase();
const nameOf = (r: EvaluatedResource): string => show(r.name);

/**
 * Pairs the resources of both sides: first by type and name (in order), then what is left by type
 * (in order, as their names then differ). What is left over is missing on one side.
 */
function pairResources(bicep: EvaluatedResource[], arm: EvaluatedResource[]): { pairs: [EvaluatedResource, EvaluatedResource][]; onlyBicep: EvaluatedResource[]; onlyArm: EvaluatedResource[] } {
  const pairs: [EvaluatedResource, EvaluatedResource][] = [];
  const left = [...arm];
  const unpaired: EvaluatedResource[] = [];
  for (const b of bicep) {
    const i = left.findIndex((a) => typeOf(a) === typeOf(b) && nameOf(a) === nameOf(b) && a.existing === b.existing);
    if (i >= 0) pairs.push([b, left.splice(i, 1)[0] as EvaluatedResource]);
    else unpaired.push(b);
  }
  const onlyBicep: EvaluatedResource[] = [];
  for (const b of unpaired) {
    const i = left.findIndex((a) => typeOf(a) === typeOf(b) && a.existing === b.existing);
    if (i >= 0) pairs.push([b, left.splice(i, 1)[0] as EvaluatedResource]);
    else onlyBicep.push(b);
  }
  return { pairs, onlyBicep, onlyArm: left };
}

interface BaselineComparison {
  resources: Leaf[];
  properties: Leaf[];
}

function compareBaseline(folder: string): BaselineComparison {
  const name = path.basename(folder);
  // `existing` resources are references, not deployments (the compiler leaves them out of most templates).
  const deployed = (list: EvaluatedResource[]): EvaluatedResource[] => list.filter((r) => !r.existing);
  const both = evaluateBoth(folder);
  const bicep = deployed(both.bicep);
  const arm = deployed(both.arm);
  const resources: Leaf[] = [];
  const properties: Leaf[] = [];
  const { pairs, onlyBicep, onlyArm } = pairResources(bicep, arm);
  for (const r of onlyBicep) resources.push({ key: `${name} ${r.type} ${nameOf(r)} resource`, verdict: 'differ', bicep: 'declared', arm: '(absent)' });
  // A module our Bicep evaluator does not read (a registry module) deploys resources it cannot know of.
  const opaque = bicep.filter((r) => r.opaque).map((r) => r.opaque?.path);
  for (const r of onlyArm) {
    const verdict: Verdict = opaque.length ? 'unknown-one-side' : 'differ';
    resources.push({ key: `${name} ${r.type} ${nameOf(r)} resource`, verdict, bicep: opaque.length ? `(absent; not read: ${opaque.join(', ')})` : '(absent)', arm: 'declared' });
  }
  for (const [b, a] of pairs) {
    const id = `${name} ${b.type} ${nameOf(b)}`;
    // A resource agrees when its name, condition and loop iteration all do.
    const facets: Leaf[] = [];
    compareValues(b.name, a.name, `${id} name`, facets);
    compareValues(b.condition, a.condition, `${id} condition`, facets);
    compareValues(b.copy ? b.copy.index : null, a.copy ? a.copy.index : null, `${id} loop-index`, facets);
    compareValues(b.copy ? b.copy.countKnown : null, a.copy ? a.copy.countKnown : null, `${id} loop-count-known`, facets);
    const worst = facets.find((f) => f.verdict !== 'match');
    resources.push(worst ?? { key: `${id} resource`, verdict: 'match', bicep: nameOf(b), arm: nameOf(a) });
    if (!GRAPH_TYPES.has(typeOf(b))) continue;
    const bb = b.body();
    const ab = a.body();
    if (typeOf(b) === 'microsoft.resources/deployments') {
      // What a module is given: its parameters (the template itself is compared through its resources).
      compareValues(getProperties(bb, 'parameters'), getProperties(ab, 'parameters'), `${id} properties.parameters`, properties);
    } else {
      compareValues(bb['properties'], ab['properties'], `${id} properties`, properties);
      compareValues(bb['sku'], ab['sku'], `${id} sku`, properties);
    }
  }
  return { resources, properties };
}

/**
 * `properties.<key>` of a body. A deployment's parameters are `{ name: { value } }` in a template
 * and plain values where our evaluators keep what a module is given: both read as plain values.
 */
function getProperties(body: Record<string, Value>, key: string): Value | undefined {
  const p = body['properties'];
  const v = isObject(p) ? p[key] : undefined;
  // No parameters and an empty set of them are the same deployment.
  if (key === 'parameters' && v === undefined) return {};
  if (key !== 'parameters' || !isObject(v)) return v;
  const out: Record<string, Value> = {};
  for (const [k, x] of Object.entries(v)) {
    // A Key Vault reference is what the ARM evaluator passes on as an Unknown (the secret is read at deployment).
    if (isObject(x) && 'reference' in x && !('value' in x)) out[k] = new Unknown(`parameter '${k}' is a Key Vault reference`);
    else out[k] = isObject(x) && Object.keys(x).length === 1 && 'value' in x ? (x['value'] as Value) : x;
  }
  return out;
}

// ------------------------------------------------------------------ the test

interface KnownDifference {
  key: string;
  reason: string;
}

function rate(leaves: Leaf[]): string {
  const matched = leaves.filter((l) => l.verdict === 'match').length;
  return `${matched}/${leaves.length} (${leaves.length ? ((100 * matched) / leaves.length).toFixed(1) : '100.0'} %)`;
}

describe("differential evaluation: main.bicep (our Bicep evaluator) against main.json (the compiler's output, our ARM evaluator)", { skip: NO_BASELINES }, () => {
  it('every resource and every property the graph reads agree, or is a listed known difference', () => {
    const folders = fs
      .readdirSync(BASELINES, { withFileTypes: true })
      .filter((d) => d.isDirectory() && fs.existsSync(path.join(BASELINES, d.name, 'main.bicep')) && fs.existsSync(path.join(BASELINES, d.name, 'main.json')))
      .map((d) => path.join(BASELINES, d.name))
      .sort();
    assert.ok(folders.length >= 30, `baselines found in ${BASELINES}`);
    const known = JSON.parse(fs.readFileSync(KNOWN_FILE, 'utf8')) as { differences: KnownDifference[] };
    const knownKeys = new Map(known.differences.map((d) => [d.key, d.reason]));
    const resources: Leaf[] = [];
    const properties: Leaf[] = [];
    for (const folder of folders) {
      const c = compareBaseline(folder);
      resources.push(...c.resources);
      properties.push(...c.properties);
    }
    const disagreeing = [...resources, ...properties].filter((l) => l.verdict !== 'match');
    const unexplained = disagreeing.filter((l) => !knownKeys.has(l.key));
    const stale = [...knownKeys.keys()].filter((k) => !disagreeing.some((l) => l.key === k));
    const count = (leaves: Leaf[], v: Verdict): number => leaves.filter((l) => l.verdict === v).length;
    // Where both sides computed a value (neither is an Unknown), the agreement must be complete.
    const bothKnown = [...resources, ...properties].filter((l) => l.verdict === 'match' || l.verdict === 'differ');
    console.log(
      `bicep baselines: ${folders.length} folders; resources agree ${rate(resources)}, properties agree ${rate(properties)}, ` +
        `values both sides know agree ${rate(bothKnown)}; ` +
        `disagreements: ${count([...resources, ...properties], 'differ')} differ, ${count([...resources, ...properties], 'unknown-one-side')} unknown on one side, ` +
        `${count([...resources, ...properties], 'unknown-both')} unknown on both; ${disagreeing.length - unexplained.length} listed as known differences`,
    );
    assert.deepEqual(
      unexplained.map((l) => `${l.key} [${l.verdict}] bicep=${l.bicep} arm=${l.arm}`),
      [],
      'every disagreement is fixed or listed (with its reason) in test/conformance/bicep-baselines-known-differences.json',
    );
    assert.deepEqual(stale, [], 'every known difference still occurs');
  });
});

// ------------------------------------------------------------------ nothing breaks

/** Every command a user could run on a folder; fixes only as diffs (the baselines are never written). */
const COMMANDS: string[][] = [
  ['scan', '--format', 'json'],
  ['scan', '--format', 'sarif'],
  ['topology', '--format', 'json'],
  ['topology', '--format', 'mermaid'],
  ['topology', '--format', 'dot'],
  ['topology', '--format', 'svg'],
  ...['floating-ip', 'floating-ip-loopback', 'secondary-nic', 'nginx-nva'].flatMap((strategy) =>
    ['linux', 'windows'].map((os) => ['fix', '--strategy', strategy, '--os', os, '--dry-run']),
  ),
];

/** The stack trace of an error that escaped, or an internal error message: never what a user should see. */
const CRASH = /\n\s+at .+\(.+:\d+:\d+\)|TypeError|ReferenceError|RangeError|Maximum call stack|undefined is not|Cannot read propert/;

describe('every command on every baseline: no crash, no hang, a clear message', { skip: NO_BASELINES }, () => {
  const main = path.resolve(__dirname, '../../src/cli/main.js');
  const folders = NO_BASELINES ? [] : fs.readdirSync(BASELINES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const folder of folders) {
    it(folder, () => {
      // One child process per folder runs every command in-process; its time is bounded by the
      // child's timeout (a hang is killed and fails the test), never measured.
      const script = `
        const { runCli } = require(${JSON.stringify(main)});
        const results = [];
        for (const argv of ${JSON.stringify(COMMANDS)}) {
          let stdout = '', stderr = '';
          let code;
          try { code = runCli([argv[0], ${JSON.stringify(path.join(BASELINES, folder))}, ...argv.slice(1)], { cwd: ${JSON.stringify(BASELINES)}, stdout: (x) => (stdout += x), stderr: (x) => (stderr += x) }); }
          catch (e) { code = 'threw'; stderr += String(e && e.stack || e); }
          results.push({ argv, code, stdout, stderr });
        }
        process.stdout.write(JSON.stringify(results));`;
      const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 180_000, maxBuffer: 256 * 1024 * 1024 });
      assert.equal(run.error, undefined, `${folder}: the commands finish (${String(run.error)})`);
      assert.equal(run.status, 0, `${folder}: the child exits normally\n${run.stderr}`);
      const results = JSON.parse(run.stdout) as { argv: string[]; code: number | 'threw'; stdout: string; stderr: string }[];
      for (const r of results) {
        const what = `${folder}: ${r.argv.join(' ')}`;
        // scan: 0 or 1 (findings); fix: 0 or 1 (some not fixed, with the reason); topology: 0.
        assert.ok(r.code === 0 || (r.code === 1 && r.argv[0] !== 'topology'), `${what} exits ${r.code}\n${r.stderr}`);
        assert.doesNotMatch(r.stdout + r.stderr, CRASH, what);
        if (r.argv[0] === 'fix') assert.ok(r.stdout.length > 0 || /\S/.test(r.stderr), `${what}: says what it did`);
        else assert.ok(r.stdout.length > 0, `${what}: writes its output`);
        if (r.argv[0] === 'scan' && r.argv[2] === 'json') {
          const report = JSON.parse(r.stdout) as { parseErrors?: unknown[]; notes?: { file: string; message: string }[] };
          assert.deepEqual(report.parseErrors ?? [], [], `${what}: no parse error`);
          // A module that is in the folder is never said to be missing.
          for (const note of report.notes ?? []) {
            const missing = /^Module '([^']+)' is not in the workspace/.exec(note.message)?.[1];
            if (missing) assert.ok(!fs.existsSync(path.resolve(BASELINES, path.dirname(note.file), missing)), `${what}: ${note.message}`);
          }
        }
      }
    });
  }
});
