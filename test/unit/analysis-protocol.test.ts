/**
 * The worker's diagnostics (plainDiagnostics) keep a finding's diagnostic while its files' texts
 * stay the same: after any edit they must be exactly those of a fresh workspace's analysis.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Workspace } from '../../src/core/workspace';
import { SentDiagnostics, plainDiagnostics, type PlainDiagnostic } from '../../src/extension/analysis-protocol';
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

describe('the worker sends only the files whose diagnostics changed', () => {
  const diagnostic = (message: string): PlainDiagnostic => ({ range: [1, 2, 1, 5], message, severity: 'warning', code: 'hairpin-prone-rule', related: [] });

  it('every file at first and after a reset; then the changed, new and emptied files only', () => {
    const sent = new SentDiagnostics();
    const a = [diagnostic('a')];
    const b = [diagnostic('b')];
    assert.deepEqual(sent.changes([['/a', a], ['/b', b]]), { full: true, diagnostics: [['/a', a], ['/b', b]] });
    // The same objects, and equal data in new objects: nothing to send.
    assert.deepEqual(sent.changes([['/a', a], ['/b', [diagnostic('b')]]]), { full: false, diagnostics: [] });
    const a2 = [diagnostic('a'), diagnostic('a, too')];
    const c = [diagnostic('c')];
    assert.deepEqual(sent.changes([['/a', a2], ['/c', c]]), { full: false, diagnostics: [['/a', a2], ['/c', c], ['/b', []]] });
    assert.deepEqual(sent.changes([['/a', a2], ['/c', c]]), { full: false, diagnostics: [] });
    sent.reset();
    assert.deepEqual(sent.changes([['/c', c]]), { full: true, diagnostics: [['/c', c]] });
  });

  it('the changes applied in order give each analysis\'s diagnostics (a workspace edited file by file)', () => {
    const ws = new Workspace();
    const files = new Map(filesUnder(path.join(ROOT, 'examples')).filter((f) => /\.(bicep|json)$/.test(f)).map((f) => [f.split(path.sep).join('/'), fs.readFileSync(f, 'utf8')]));
    for (const [p, t] of files) ws.setFile(p, t);
    const sent = new SentDiagnostics();
    const host = new Map<string, PlainDiagnostic[]>();
    const apply = (now: [string, PlainDiagnostic[]][]): void => {
      const { full, diagnostics } = sent.changes(now);
      if (full) host.clear();
      for (const [file, list] of diagnostics) {
        if (list.length) host.set(file, list);
        else host.delete(file);
      }
      assert.deepEqual(new Map([...host].sort()), new Map(now.map(([f, l]) => [f, l] as [string, PlainDiagnostic[]]).sort()));
    };
    apply(plainDiagnostics(ws, ws.analyze(), NONE, known));
    for (const [file, text] of files) {
      // Broken, then back: the file's findings go and come back.
      ws.setFile(file, text.slice(0, text.length >> 1));
      apply(plainDiagnostics(ws, ws.analyze(), NONE, known));
      ws.setFile(file, `\n${text}`);
      apply(plainDiagnostics(ws, ws.analyze(), NONE, known));
    }
  });
});
