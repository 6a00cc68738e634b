/**
 * Rule settings: `.ilb-hairpin.json` (and `ilbHairpin.rules`) parsed with clear messages for what
 * is wrong, severities and `off` applied to findings, exclude globs, and the CLI's `--config`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { applyRuleSettings, globToRegExp, isExcluded, parseSettings } from '../../src/core/settings';
import { cli, SEED_LAB } from './helpers';

describe('settings: .ilb-hairpin.json', () => {
  it('reads rules and exclude', () => {
    const { settings, problems } = parseSettings('{ "rules": { "hairpin-prone-rule": "error", "floating-ip-unsupported": "off" }, "exclude": ["**/gen/**"] }');
    assert.deepEqual(problems, []);
    assert.deepEqual(settings, { rules: { 'hairpin-prone-rule': 'error', 'floating-ip-unsupported': 'off' }, exclude: ['**/gen/**'] });
  });

  it('says what is wrong and keeps the rest', () => {
    const { settings, problems } = parseSettings('{ "rules": { "no-such-rule": "error", "hairpin-prone-rule": "loud", "floating-ip-unsupported": "hint" }, "exclude": "x", "other": 1 }');
    assert.deepEqual(settings.rules, { 'floating-ip-unsupported': 'hint' });
    assert.equal(problems.length, 4);
    assert.match(problems.join('\n'), /unknown rule "no-such-rule"/);
    assert.match(problems.join('\n'), /"loud" is none of error, warning, information, hint, off/);
    assert.match(problems.join('\n'), /"exclude" must be a list/);
    assert.match(problems.join('\n'), /unknown setting "other"/);
    assert.match(parseSettings('{ "rules": ').problems[0] ?? '', /not valid JSON/);
    assert.match(parseSettings('[]').problems[0] ?? '', /expected an object/);
  });

  it('applies severities and off', () => {
    const findings = [
      { ruleId: 'hairpin-prone-rule', severity: 'warning' as const },
      { ruleId: 'floating-ip-unsupported', severity: 'error' as const },
      { ruleId: 'floating-ip-without-loopback', severity: 'warning' as const },
    ];
    const out = applyRuleSettings(findings, { rules: { 'hairpin-prone-rule': 'information', 'floating-ip-unsupported': 'off' }, exclude: [] });
    assert.deepEqual(out, [
      { ruleId: 'hairpin-prone-rule', severity: 'info' },
      { ruleId: 'floating-ip-without-loopback', severity: 'warning' },
    ]);
  });

  it('globs: ** any folders, * and ? within a name, a bare name at any depth, a folder with what is under it', () => {
    assert.ok(globToRegExp('**/generated/**').test('a/generated/x.json'));
    assert.ok(globToRegExp('**/generated/**').test('generated/x.json'));
    assert.ok(!globToRegExp('**/generated/**').test('a/generator/x.json'));
    assert.ok(globToRegExp('*.bicep').test('deep/main.bicep'));
    assert.ok(!globToRegExp('infra/*.json').test('infra/sub/a.json'));
    assert.ok(globToRegExp('infra/?.json').test('infra/a.json'));
    assert.ok(globToRegExp('legacy').test('legacy/a/b.json'));
    assert.ok(isExcluded('x/old/a.json', { rules: {}, exclude: ['nope', 'old'] }));
    assert.ok(!isExcluded('x/new/a.json', { rules: {}, exclude: ['old'] }));
  });
});

describe('cli: scan with rule settings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-settings-'));
  fs.mkdirSync(path.join(dir, 'app'));
  fs.mkdirSync(path.join(dir, 'legacy'));
  fs.copyFileSync(SEED_LAB, path.join(dir, 'app', 'azuredeploy.json'));
  fs.copyFileSync(SEED_LAB, path.join(dir, 'legacy', 'azuredeploy.json'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const json = (r: { stdout: string }): { findings: { file: string; severity: string }[] } => JSON.parse(r.stdout);

  it('without settings: a warning in each copy', () => {
    const r = cli(dir, 'scan', '.', '--format', 'json');
    assert.equal(r.code, 1);
    assert.deepEqual(json(r).findings.map((f) => [f.file, f.severity]).sort(), [['app/azuredeploy.json', 'warning'], ['legacy/azuredeploy.json', 'warning']]);
  });

  it('.ilb-hairpin.json in the folder: the severity it sets, the files it excludes', () => {
    fs.writeFileSync(path.join(dir, '.ilb-hairpin.json'), JSON.stringify({ rules: { 'hairpin-prone-rule': 'error' }, exclude: ['legacy/**'] }));
    const r = cli(dir, 'scan', '.', '--format', 'json');
    fs.rmSync(path.join(dir, '.ilb-hairpin.json'));
    assert.equal(r.code, 1);
    assert.deepEqual(json(r).findings.map((f) => [f.file, f.severity]), [['app/azuredeploy.json', 'error']]);
  });

  it('--config FILE: off leaves the rule out (exit 0); information is below --fail-on warning; SARIF says note', () => {
    fs.writeFileSync(path.join(dir, 'off.json'), '{ "rules": { "hairpin-prone-rule": "off" } }');
    fs.writeFileSync(path.join(dir, 'info.json'), '{ "rules": { "hairpin-prone-rule": "information" } }');
    const off = cli(dir, 'scan', '.', '--config', 'off.json', '--format', 'json');
    assert.equal(off.code, 0);
    assert.deepEqual(json(off).findings, []);
    const info = cli(dir, 'scan', '.', '--config', 'info.json', '--format', 'sarif');
    assert.equal(info.code, 0);
    const results = (JSON.parse(info.stdout) as { runs: { results: { level: string }[] }[] }).runs[0]?.results ?? [];
    assert.deepEqual(results.map((x) => x.level), ['note', 'note']);
  });

  it('a wrong or missing config file: exit 2 with what is wrong, nothing scanned', () => {
    fs.writeFileSync(path.join(dir, 'bad.json'), '{ "rules": { "hairpin-prone-rule": "loud" } }');
    const bad = cli(dir, 'scan', '.', '--config', 'bad.json');
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    assert.match(bad.stderr, /^ilb-hairpin: bad\.json: rule "hairpin-prone-rule": "loud" is none of/);
    const missing = cli(dir, 'scan', '.', '--config', 'nope.json');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nope\.json: .*no such file/i);
  });
});
