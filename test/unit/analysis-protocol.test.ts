/**
 * The worker's diagnostics (plainDiagnostics) keep a finding's diagnostic while its files' texts
 * stay the same: after any edit they must be exactly those of a fresh workspace's analysis.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Workspace } from '../../src/core/workspace';
import { plainDiagnostics } from '../../src/extension/analysis-protocol';
import type { RuleSettings } from '../../src/core/settings';

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
    for (const [file] of first) {
      // Two lines more at the top of a file with findings: every range in it moves down.
      const text = files.get(file) as string;
      const edited = text.replace('{', '{\n\n');
      files.set(file, edited);
      ws.setFile(file, edited);
      const analysis = ws.analyze();
      for (const settings of [NONE, warning]) assert.equal(JSON.stringify(plainDiagnostics(ws, analysis, settings, known).sort()), fresh(files, settings), `after an edit of ${file}`);
    }
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
