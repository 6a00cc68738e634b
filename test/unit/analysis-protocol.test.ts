/**
 * The worker's diagnostics (plainDiagnostics) keep a finding's diagnostic while its files' texts
 * stay the same: after any edit they must be exactly those of a fresh workspace's analysis. The
 * worker's reports (WorkerReports) send what changed; applied in order they must give what a fresh
 * workspace's first report gives.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Workspace } from '../../src/core/workspace';
import { WorkerReports, applyChanges, applySummary, plainDiagnostics, type PlainDiagnostic, type SummaryView } from '../../src/extension/analysis-protocol';
import type { RuleSettings } from '../../src/core/settings';
import { fixtureWorkspaces } from './fix-helpers';

const ROOT = path.resolve(__dirname, '../../..');
const NONE: RuleSettings = { rules: {}, exclude: [] };
const known = (): boolean => true;

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function fresh(files: Map<string, string>, settings: RuleSettings): string {
  const ws = new Workspace();
  for (const [p, t] of files) ws.setFile(p, t);
  return JSON.stringify(plainDiagnostics(ws, ws.analyze(), settings, known).sort());
}

describe('the worker diagnostics after edits', () => {
  const files = new Map(filesUnder(path.join(ROOT, 'examples')).filter((f) => /\.(bicep|bicepparam|json)$/.test(f)).map((f) => [f.split(path.sep).join('/'), fs.readFileSync(f, 'utf8')]));

  it('equal a fresh analysis after lines are added above findings, with and without a severity setting', () => {
    const ws = new Workspace();
    for (const [p, t] of files) ws.setFile(p, t);
    const warning: RuleSettings = { rules: { 'hairpin-prone-rule': 'warning' }, exclude: [] };
    const first = plainDiagnostics(ws, ws.analyze(), NONE, known);
    assert.ok(first.length >= 2, 'the examples have findings in several files');
    // Every file: one with findings, and one where only their related locations are (a member's
    // NIC, a module, a parameter file), whose ranges move too.
    for (const file of files.keys()) {
      // Two lines more at the top: every range in the file moves down.
      const text = files.get(file) as string;
      const edited = text.replace('{', '{\n\n');
      files.set(file, edited);
      ws.setFile(file, edited);
      const analysis = ws.analyze();
      for (const settings of [NONE, warning]) assert.equal(JSON.stringify(plainDiagnostics(ws, analysis, settings, known).sort()), fresh(files, settings), `after an edit of ${file}`);
    }
  });

  it('equal a fresh analysis after an edit of any file of the multi-file fixtures (members, modules, parameter files elsewhere)', () => {
    let edits = 0;
    for (const { label, root } of fixtureWorkspaces()) {
      if (!fs.statSync(root).isDirectory()) continue;
      const texts = new Map(filesUnder(root).filter((f) => /\.(bicep|bicepparam|json)$/.test(f)).map((f) => [f.split(path.sep).join('/'), fs.readFileSync(f, 'utf8')]));
      if (texts.size < 2) continue;
      const ws = new Workspace();
      for (const [p, t] of texts) ws.setFile(p, t);
      const first = plainDiagnostics(ws, ws.analyze(), NONE, known);
      if (!first.length) continue;
      for (const file of texts.keys()) {
        const edited = `\n\n${texts.get(file) as string}`;
        texts.set(file, edited);
        ws.setFile(file, edited);
        assert.equal(JSON.stringify(plainDiagnostics(ws, ws.analyze(), NONE, known).sort()), fresh(texts, NONE), `${label}: after an edit of ${file}`);
        edits++;
      }
    }
    assert.ok(edits >= 10, `${edits} edits`);
  });

  it('keeps the diagnostics of a group an edit did not reach (the same objects)', () => {
    // Two labs that share nothing: the seed lab, and a copy of it with other names and addresses.
    const lab = files.get([...files.keys()].find((f) => f.endsWith('seed-lab/azuredeploy.json')) as string) as string;
    const other = lab.replace(/vnet-we-02-spoke/g, 'vnet-other').replace(/ilb-we-02-web/g, 'ilb-other').replace(/10\.2\.1\./g, '10.9.1.').replace(/VM-WE-02-Web01/g, 'vm-other');
    const ws = new Workspace();
    ws.setFile('/a/azuredeploy.json', lab);
    ws.setFile('/b/azuredeploy.json', other);
    const before = new Map(plainDiagnostics(ws, ws.analyze(), NONE, known));
    assert.ok(before.get('/a/azuredeploy.json')?.length && before.get('/b/azuredeploy.json')?.length);
    ws.setFile('/a/azuredeploy.json', lab.replace('{', '{\n'));
    const analysis = ws.analyze();
    assert.deepEqual(analysis.groups, { checked: 1, total: 2 }, 'only the edited lab is checked again');
    const after = new Map(plainDiagnostics(ws, analysis, NONE, known));
    assert.equal(after.get('/a/azuredeploy.json')?.[0]?.range[0], (before.get('/a/azuredeploy.json')?.[0]?.range[0] as number) + 1, 'the edited lab is measured again');
    assert.equal(after.get('/b/azuredeploy.json')?.[0], before.get('/b/azuredeploy.json')?.[0], 'the other keeps its diagnostic');
  });
});

/** What the host holds after applying reports in order (diagnostics by file, and the summary). */
class Host {
  readonly diagnostics = new Map<string, PlainDiagnostic[]>();
  summary: SummaryView | undefined;
  apply(r: ReturnType<WorkerReports['report']>): void {
    if (r.full) this.diagnostics.clear();
    for (const [file, list] of r.diagnostics) {
      if (list.length) this.diagnostics.set(file, list);
      else this.diagnostics.delete(file);
    }
    this.summary = applySummary(this.summary, r.summary, r.full);
  }
  /** Comparable text: files sorted; the summary without its versions. */
  state(): string {
    const s = this.summary;
    return JSON.stringify({
      diagnostics: [...this.diagnostics].sort(([a], [b]) => a.localeCompare(b)),
      summary: s && { templates: s.templates, hairpinProne: s.hairpinProne, templateFiles: [...s.templateFiles].sort(), lenses: [...s.lenses].sort(([a], [b]) => a.localeCompare(b)) },
    });
  }
}

/** What the host holds after the first report of a fresh workspace of these texts. */
function freshHost(files: Map<string, string>, settings: RuleSettings): string {
  const ws = new Workspace();
  for (const [p, t] of files) ws.setFile(p, t);
  const host = new Host();
  host.apply(new WorkerReports(known).report(ws, ws.analyze(), settings));
  return host.state();
}

describe('the worker reports what changed', () => {
  /** The texts of the template files under these folders (the fuzzer's regression cases left out: some are slow on purpose). */
  const textsUnder = (...dirs: string[]): Map<string, string> =>
    new Map(
      dirs
        .flatMap((d) => filesUnder(path.join(ROOT, d)))
        .filter((f) => /\.(bicep|bicepparam|json)$/.test(f) && !f.split(path.sep).includes('fuzz'))
        .map((f) => [f.split(path.sep).join('/'), fs.readFileSync(f, 'utf8')]),
    );
  const warning: RuleSettings = { rules: { 'hairpin-prone-rule': 'warning' }, exclude: [] };
  const off: RuleSettings = { rules: { 'hairpin-prone-rule': 'off' }, exclude: [] };

  for (const [label, dirs, every] of [
    ['the ARM and Bicep fixtures with the examples (one environment, a group per lab)', ['test/fixtures/arm', 'test/fixtures/bicep', 'examples'], 2],
    ['every fixture (two environments: each analysis merges again)', ['test/fixtures', 'examples'], 5],
  ] as const) {
    it(`applied in order, they give each analysis's diagnostics and summary: ${label}, edited file by file, other settings, a reset`, () => {
      const files = textsUnder(...dirs);
      const ws = new Workspace();
      for (const [p, t] of files) ws.setFile(p, t);
      const reports = new WorkerReports(known);
      const host = new Host();
      const first = reports.report(ws, ws.analyze(), NONE);
      assert.equal(first.full, true);
      assert.ok(first.summary.templateFiles?.length && first.summary.lenses.length && first.diagnostics.length, 'the first report is all of it');
      host.apply(first);
      assert.equal(host.state(), freshHost(files, NONE));
      let step = 0;
      for (const [file, text] of [...files].filter((_, i) => i % every === 0)) {
        const settings = [NONE, warning, NONE, off][step++ % 4] as RuleSettings;
        // Broken, then back a line lower: the file's findings and lenses go and come back, moved.
        for (const next of [text.slice(0, text.length >> 1), `\n${text}`]) {
          files.set(file, next);
          ws.setFile(file, next);
          const r = reports.report(ws, ws.analyze(), settings);
          assert.equal(r.full, false);
          host.apply(r);
          assert.equal(host.state(), freshHost(files, settings), `after an edit of ${file}`);
        }
        if (step === 3) {
          // A file removed and added again: the template files change.
          ws.removeFile(file);
          files.delete(file);
          let r = reports.report(ws, ws.analyze(), settings);
          assert.ok(r.summary.templateFiles && !r.summary.templateFiles.includes(file));
          host.apply(r);
          assert.equal(host.state(), freshHost(files, settings), `after ${file} was removed`);
          ws.setFile(file, text);
          files.set(file, text);
          r = reports.report(ws, ws.analyze(), settings);
          host.apply(r);
          assert.equal(host.state(), freshHost(files, settings), `after ${file} was added`);
        }
      }
      assert.ok(step >= 10, `${step} files edited`);
      // Nothing changed: nothing to send but the figures.
      host.apply(reports.report(ws, ws.analyze(), NONE));
      const quiet = reports.report(ws, ws.analyze(), NONE);
      assert.deepEqual([quiet.diagnostics, quiet.summary.lenses, quiet.summary.templateFiles], [[], [], undefined]);
      // After a reset (the host cleared what it had): all of it again.
      reports.reset();
      const again = reports.report(ws, ws.analyze(), NONE);
      assert.equal(again.full, true);
      const cleared = new Host();
      cleared.apply(again);
      assert.equal(cleared.state(), freshHost(files, NONE));
    });
  }

  it('send a file whose evaluation problems changed though no finding did', () => {
    const lab = fs.readFileSync(path.join(ROOT, 'examples/seed-lab/azuredeploy.json'), 'utf8');
    const registry = "module nic 'br:mcr.microsoft.com/bicep/avm/res/network/network-interface:0.4.0' = {\n  name: 'nic'\n  params: {\n    name: 'nic-1'\n  }\n}\n";
    const files = new Map([
      ['/w/azuredeploy.json', lab],
      ['/w/other.bicep', "param location string = 'westeurope'\n"],
    ]);
    const ws = new Workspace();
    for (const [p, t] of files) ws.setFile(p, t);
    const reports = new WorkerReports(known);
    const host = new Host();
    host.apply(reports.report(ws, ws.analyze(), NONE));
    for (const text of [`param location string = 'westeurope'\n${registry}`, "param location string = 'westeurope'\n"]) {
      files.set('/w/other.bicep', text);
      ws.setFile('/w/other.bicep', text);
      const analysis = ws.analyze();
      const r = reports.report(ws, analysis, NONE);
      assert.equal(r.diagnostics.length, 1, 'the Bicep file: its problem came, or went');
      host.apply(r);
      assert.equal(host.state(), freshHost(files, NONE));
    }
    assert.ok(host.diagnostics.get('/w/azuredeploy.json')?.length, 'the lab keeps its findings');
  });

  it('after an edit in one of two labs that share nothing, measure the edited file only', () => {
    const files = new Map(filesUnder(path.join(ROOT, 'examples')).map((f) => [f.split(path.sep).join('/'), f]));
    const lab = fs.readFileSync(files.get([...files.keys()].find((f) => f.endsWith('seed-lab/azuredeploy.json')) as string) as string, 'utf8');
    const other = lab.replace(/vnet-we-02-spoke/g, 'vnet-other').replace(/ilb-we-02-web/g, 'ilb-other').replace(/10\.2\.1\./g, '10.9.1.').replace(/VM-WE-02-Web01/g, 'vm-other');
    const ws = new Workspace();
    ws.setFile('/a/azuredeploy.json', lab);
    ws.setFile('/b/azuredeploy.json', other);
    const reports = new WorkerReports(known);
    const host = new Host();
    host.apply(reports.report(ws, ws.analyze(), NONE));
    assert.deepEqual(reports.measured, { diagnostics: 'all', lenses: 'all' });
    const texts = new Map([['/a/azuredeploy.json', lab.replace('{', '{\n')], ['/b/azuredeploy.json', other]]);
    ws.setFile('/a/azuredeploy.json', texts.get('/a/azuredeploy.json') as string);
    const r = reports.report(ws, ws.analyze(), NONE);
    assert.deepEqual(reports.measured, { diagnostics: 1, lenses: 1 }, 'only the edited lab\'s file is measured');
    assert.deepEqual(r.diagnostics.map(([f]) => f), ['/a/azuredeploy.json']);
    assert.deepEqual(r.summary.lenses.map(([f]) => f), ['/a/azuredeploy.json'], 'its lens moved a line down');
    host.apply(r);
    assert.equal(host.state(), freshHost(texts, NONE));
  });

  it("after an edit of one of two groups that share a module file, send the module's lenses as a fresh report has them", () => {
    const dir = path.join(ROOT, 'test/fixtures/bicep/generic-lb-module');
    const main = fs.readFileSync(path.join(dir, 'main.bicep'), 'utf8');
    const other = main.replace(/ilb-generic/g, 'ilb-other').replace(/vnet-gen/g, 'vnet-other').replace(/srv-/g, 'oth-').replace(/10\.3\.0\./g, '10.7.0.');
    const module = '/w/modules/loadBalancer.bicep';
    const files = new Map([
      ['/w/a.bicep', main],
      ['/w/b.bicep', other],
      [module, fs.readFileSync(path.join(dir, 'modules/loadBalancer.bicep'), 'utf8')],
    ]);
    const ws = new Workspace();
    for (const [p, t] of files) ws.setFile(p, t);
    const reports = new WorkerReports(known);
    const host = new Host();
    const first = ws.analyze();
    assert.equal(first.groups.total, 2, 'the two callers share nothing: two groups, each with the module');
    host.apply(reports.report(ws, first, NONE));
    assert.equal(host.state(), freshHost(files, NONE));
    const before = host.summary?.lenses.get(module);
    assert.equal(before?.length, 1, "one lens at the module's load balancer");
    assert.match(before?.[0]?.title ?? '', /hairpin-prone/);
    // The second caller's port changes: only its group is built again; the module's lens is still
    // the first group's load balancer's, as a fresh report has it.
    const edited = other.replace('frontendPort: 443', 'frontendPort: 8443');
    assert.notEqual(edited, other);
    files.set('/w/b.bicep', edited);
    ws.setFile('/w/b.bicep', edited);
    const second = ws.analyze();
    assert.equal(second.groups.checked, 1);
    host.apply(reports.report(ws, second, NONE));
    assert.equal(host.state(), freshHost(files, NONE));
    assert.equal(host.summary?.lenses.get(module)?.[0]?.name, before?.[0]?.name);
  });

  it("after a Bicep edit the graph does not read (its graph kept), send the edited file's diagnostics and lenses at their new places", () => {
    const file = '/w/main.bicep';
    const text = fs.readFileSync(path.join(ROOT, 'test/fixtures/bicep/identity-reads/main.bicep'), 'utf8');
    const ws = new Workspace();
    ws.setFile(file, text);
    const reports = new WorkerReports(known);
    const host = new Host();
    const first = ws.analyze();
    host.apply(reports.report(ws, first, NONE));
    const before = host.state();
    // Two lines more in the storage account's body, above the load balancer.
    const edited = text.replace("kind: 'StorageV2'", "kind: 'StorageV2'\n  accessTier: 'Hot'\n  // cool later");
    ws.setFile(file, edited);
    const second = ws.analyze();
    assert.equal(second.graphs[0]?.graph.loadBalancers[0]?.resource, first.graphs[0]?.graph.loadBalancers[0]?.resource, 'the load balancer was not evaluated again');
    const r = reports.report(ws, second, NONE);
    assert.deepEqual([r.diagnostics.map(([f]) => f), r.summary.lenses.map(([f]) => f)], [[file], [file]]);
    host.apply(r);
    assert.notEqual(host.state(), before, 'the places moved');
    assert.equal(host.state(), freshHost(new Map([[file, edited]]), NONE));
  });
});

describe('applyChanges: an editor\'s change event applied to the text the worker holds', () => {
  it('applies an insertion, a deletion and a replacement', () => {
    assert.equal(applyChanges('abcdef', [{ offset: 2, length: 0, text: 'XY' }], 8), 'abXYcdef');
    assert.equal(applyChanges('abcdef', [{ offset: 1, length: 3, text: '' }], 3), 'aef');
    assert.equal(applyChanges('a\nb\nc', [{ offset: 1, length: 3, text: '-' }], 3), 'a-c');
  });

  it('applies the changes of one event in order, as VS Code sends several (last in the text first)', () => {
    // Several cursors typing one character each, and a replacement: VS Code lists them from the end of the text.
    const text = '{\n  "a": 1,\n  "b": 2\n}';
    const changes = [
      { offset: text.indexOf('2'), length: 1, text: '20' },
      { offset: text.indexOf('"b"'), length: 0, text: ' ' },
      { offset: text.indexOf('"a"'), length: 0, text: ' ' },
    ];
    assert.equal(applyChanges(text, changes, text.length + 3), '{\n   "a": 1,\n   "b": 20\n}');
  });

  it('equals the edited text for random events of non-overlapping changes', () => {
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    let text = 'resource lb \'Microsoft.Network/loadBalancers@2023-09-01\' = {\n  name: \'ilb\'\n}\n'.repeat(5);
    for (let round = 0; round < 300; round++) {
      // Up to 4 ranges in the text, apart, each replaced; listed from the end as VS Code lists them.
      const cuts = Array.from({ length: 2 * (1 + rand(4)) }, () => rand(text.length + 1)).sort((a, b) => a - b);
      const ranges: [number, number][] = [];
      for (let i = 0; i + 1 < cuts.length; i += 2) if (!ranges.length || (ranges.at(-1) as [number, number])[1] < (cuts[i] as number)) ranges.push([cuts[i] as number, cuts[i + 1] as number]);
      const inserts = ranges.map(() => ['', 'x', '\n', '{ }', '\u00e9\ud83d\ude00'][rand(5)] as string);
      let expected = '';
      let at = 0;
      ranges.forEach(([s, e], i) => {
        expected += text.slice(at, s) + inserts[i];
        at = e;
      });
      expected += text.slice(at);
      const changes = ranges.map(([s, e], i) => ({ offset: s, length: e - s, text: inserts[i] as string })).reverse();
      assert.equal(applyChanges(text, changes, expected.length), expected, `round ${round}`);
      text = expected;
    }
  });

  it('refuses changes that do not fit the text: the worker then asks for the whole text', () => {
    assert.equal(applyChanges('abc', [{ offset: 2, length: 5, text: '' }], 2), undefined, 'a range past the end');
    assert.equal(applyChanges('abc', [{ offset: -1, length: 0, text: 'x' }], 4), undefined, 'a negative offset');
    assert.equal(applyChanges('abc', [{ offset: 1.5, length: 0, text: 'x' }], 4), undefined, 'a fractional offset');
    assert.equal(applyChanges('abc', [{ offset: 1, length: 0, text: 'x' }], 5), undefined, 'another length after the edit than the editor\'s');
  });
});
