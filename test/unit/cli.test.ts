import { RULES } from '../../src/core/rules';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { colorWanted, runCli } from '../../src/cli/main';
import { cli, FIXTURES_DIR, REPO_ROOT, SEED_LAB, TEMPLATE_SCHEMA } from './helpers';


const seedText = fs.readFileSync(SEED_LAB, 'utf8');
/** Where the seed lab's finding starts: the value of its one `enableFloatingIP`, 0-based. */
const seedFinding = (() => {
  const at = seedText.indexOf('"enableFloatingIP": false') + '"enableFloatingIP": '.length;
  const before = seedText.slice(0, at).split('\n');
  return { line: before.length - 1, character: (before[before.length - 1] as string).length };
})();

/** A template whose `$schema` says deployment template, with a comma missing after contentVersion. */
const BROKEN = `{\n  "$schema": "${TEMPLATE_SCHEMA}",\n  "contentVersion": "1.0.0.0"\n  "resources": [\n    { "type": "Microsoft.Network/loadBalancers", "name": "lb"\n  ]\n}\n`;
const BROKEN_LINE = 3; // 0-based line of "resources", where the comma is missing

let dir = '';
let clean = '';

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-cli-'));
  fs.mkdirSync(path.join(dir, 'web'));
  fs.copyFileSync(SEED_LAB, path.join(dir, 'web', 'azuredeploy.json'));
  fs.writeFileSync(path.join(dir, 'broken.json'), BROKEN);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'not-a-template', version: '1.0.0' }));
  fs.mkdirSync(path.join(dir, 'node_modules', 'some-pkg'), { recursive: true });
  fs.copyFileSync(SEED_LAB, path.join(dir, 'node_modules', 'some-pkg', 'prone.json'));

  clean = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-clean-'));
  for (const f of ['public-lb.json', 'floating-ip-on.json', 'gateway-sku.json']) fs.copyFileSync(path.join(FIXTURES_DIR, f), path.join(clean, f));
});

after(() => {
  for (const d of [dir, clean]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

describe('cli: scan, text output', () => {
  it('lists the seed lab finding as file:line:col with a relative / path, skips node_modules', () => {
    const r = cli(dir, 'scan');
    assert.equal(r.code, 1);
    const loc = `web/azuredeploy.json:${seedFinding.line + 1}:${seedFinding.character + 1}`;
    assert.ok(r.stdout.includes(`${loc} warning hairpin-prone-rule: `), r.stdout);
    assert.ok(r.stdout.includes('ilb-we-02-web'), r.stdout);
    assert.ok(!r.stdout.includes('node_modules'), 'node_modules is skipped');
    assert.equal((r.stdout.match(/hairpin-prone-rule:/g) ?? []).length, 1, 'exactly one finding');
  });

  it('reports the broken template as a parse error and keeps scanning', () => {
    const r = cli(dir, 'scan', '.');
    assert.match(r.stdout, new RegExp(`broken\\.json:${BROKEN_LINE + 1}:\\d+ error parse: `));
    assert.ok(!/package\.json/.test(r.stdout), 'a JSON file that is not a template is ignored quietly');
    assert.match(r.stdout, /1 hairpin-prone rule in 1 file; 2 templates in 3 files scanned; \d+ parse errors?\./);
  });
});

describe('cli: --format json', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let report: any;
  let code = -1;
  before(() => {
    const r = cli(dir, 'scan', '--format', 'json');
    code = r.code;
    report = JSON.parse(r.stdout);
  });

  it('tool and scanned counts', () => {
    assert.equal(code, 1);
    assert.equal(report.tool.name, 'ilb-hairpin');
    assert.match(report.tool.version, /^\d+\.\d+\.\d+/);
    // seed lab, broken template, package.json; node_modules is not walked.
    assert.deepEqual(report.scanned, { files: 3, templates: 2 });
  });

  it('the finding matches the contract', () => {
    assert.equal(report.findings.length, 1);
    const f = report.findings[0];
    assert.equal(f.ruleId, 'hairpin-prone-rule');
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /10\.2\.1\.100:80/);
    assert.equal(f.file, 'web/azuredeploy.json');
    assert.deepEqual(f.range.start, seedFinding);
    assert.deepEqual(f.range.end, { line: seedFinding.line, character: seedFinding.character + 'false'.length });
    assert.equal(f.loadBalancer, 'ilb-we-02-web');
    assert.equal(f.lbRule, 'rule-http');
    assert.equal(f.frontendIp, '10.2.1.100');
    assert.equal(f.members, 1);
    assert.equal(f.related.length, 3);
    for (const rel of f.related) {
      assert.equal(rel.file, 'web/azuredeploy.json');
      assert.equal(typeof rel.message, 'string');
      assert.ok(Number.isInteger(rel.range.start.line) && rel.range.start.line >= 0);
      assert.ok(Number.isInteger(rel.range.start.character) && rel.range.start.character >= 0);
    }
    // The related ranges are 0-based too: the pool's is the line of `{ "name": "be-web" }`.
    const poolLine = seedText.split('\n').findIndex((l) => l.includes('{ "name": "be-web" }'));
    assert.ok(f.related.some((rel: { range: { start: { line: number } } }) => rel.range.start.line === poolLine));
  });

  it('loadBalancers lists the rule as hairpin-prone', () => {
    // The broken template is analyzed as far as it parses, so it may list its own load balancer too.
    const files = report.loadBalancers.map((lb: { file: string }) => lb.file);
    assert.ok(files.every((f: string) => f === 'web/azuredeploy.json' || f === 'broken.json'), files.join(', '));
    assert.deepEqual(report.loadBalancers.filter((lb: { file: string }) => lb.file === 'web/azuredeploy.json'), [
      {
        name: 'ilb-we-02-web',
        file: 'web/azuredeploy.json',
        internal: true,
        rules: [{ name: 'rule-http', enableFloatingIP: false, members: 1, hairpinProne: true }],
      },
    ]);
  });

  it('parseErrors lists the broken template, with 0-based ranges', () => {
    assert.ok(report.parseErrors.length >= 1);
    for (const e of report.parseErrors) {
      assert.equal(e.file, 'broken.json');
      assert.match(e.message, /^JSON: /);
    }
    assert.equal(report.parseErrors[0].range.start.line, BROKEN_LINE);
    assert.match(report.parseErrors[0].message, /comma/);
  });

  it('--format=json (inline value) is the same report', () => {
    assert.deepEqual(JSON.parse(cli(dir, 'scan', '--format=json').stdout), report);
  });
});

describe('cli: --format sarif', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let sarif: any;
  before(() => {
    sarif = JSON.parse(cli(dir, 'scan', '--format', 'sarif').stdout);
  });

  it('is SARIF 2.1.0 with rule metadata', () => {
    assert.equal(sarif.version, '2.1.0');
    assert.match(sarif.$schema, /sarif/i);
    assert.equal(sarif.runs.length, 1);
    const rules = sarif.runs[0].tool.driver.rules;
    assert.deepEqual(
      rules.map((r: { id: string }) => r.id),
      RULES.map((r) => r.id),
    );
    assert.equal(rules[0].helpUri, undefined, 'no placeholder web address');
    assert.match(rules[0].help.text, /docs\/rules\/hairpin-prone-rule\.md/);
    assert.equal(sarif.runs[0].tool.driver.name, 'ilb-hairpin');
  });

  it('results carry ruleId, level and a 1-based region', () => {
    const results = sarif.runs[0].results;
    assert.equal(results.length, 1);
    const r = results[0];
    assert.equal(r.ruleId, 'hairpin-prone-rule');
    assert.equal(r.level, 'warning');
    const loc = r.locations[0].physicalLocation;
    assert.equal(loc.artifactLocation.uri, 'web/azuredeploy.json');
    assert.equal(loc.region.startLine, seedFinding.line + 1);
    assert.equal(loc.region.startColumn, seedFinding.character + 1);
    assert.equal(r.relatedLocations.length, 3);
  });

  it('parse errors become tool notifications', () => {
    const notes = sarif.runs[0].invocations[0].toolExecutionNotifications;
    assert.ok(notes.length >= 1);
    assert.equal(notes[0].locations[0].physicalLocation.artifactLocation.uri, 'broken.json');
    assert.equal(notes[0].locations[0].physicalLocation.region.startLine, BROKEN_LINE + 1);
  });
});

describe('cli: exit codes', () => {
  it('1 with a finding at the default --fail-on warning, and with --fail-on info', () => {
    assert.equal(cli(dir, 'scan').code, 1);
    assert.equal(cli(dir, 'scan', '--fail-on', 'warning').code, 1);
    assert.equal(cli(dir, 'scan', '--fail-on', 'info').code, 1);
  });

  it('0 with --fail-on error or none (the finding is a warning), output unchanged', () => {
    const err = cli(dir, 'scan', '--fail-on', 'error');
    assert.equal(err.code, 0);
    assert.match(err.stdout, /hairpin-prone-rule/);
    assert.equal(cli(dir, 'scan', '--fail-on', 'none').code, 0);
  });

  it('0 on a folder without findings', () => {
    const r = cli(clean, 'scan');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /0 hairpin-prone rules; 3 templates in 3 files scanned\./);
  });

  it('2 for an unknown option or command: one error line and the help hint, not the whole usage', () => {
    for (const argv of [['scan', '--frobnicate'], ['lint'], ['topology', '--colour'], ['fix', '--strategy', 'duct-tape']]) {
      const r = cli(dir, ...argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 2, r.stderr);
      assert.match(lines[0] as string, /^ilb-hairpin: /);
      assert.match(lines[1] as string, /^run 'ilb-hairpin --help'/);
      assert.doesNotMatch(r.stderr, /Usage:/);
    }
    assert.match(cli(dir, 'scan', '--frobnicate').stderr, /^ilb-hairpin: Unknown option '--frobnicate'\./);
    assert.match(cli(dir, 'lint').stderr, /^ilb-hairpin: Unknown command 'lint'\./);
  });

  it('2 for a bad or missing --format / --fail-on value', () => {
    assert.equal(cli(dir, 'scan', '--format', 'xml').code, 2);
    assert.equal(cli(dir, 'scan', '--format').code, 2);
    assert.equal(cli(dir, 'scan', '--fail-on', 'sometimes').code, 2);
  });

  it('2 for a path that does not exist, even next to one with findings: "path not found: X", nothing scanned', () => {
    const r = cli(dir, 'scan', 'no-such-folder');
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'ilb-hairpin: path not found: no-such-folder\n');
    assert.equal(r.stdout, '');
    const both = cli(dir, 'scan', 'web', 'no-such-folder', '--format', 'json');
    assert.equal(both.code, 2);
    assert.equal(both.stderr, 'ilb-hairpin: path not found: no-such-folder\n');
    for (const command of ['fix', 'topology']) {
      const other = cli(dir, command, 'nowhere', ...(command === 'fix' ? ['--strategy', 'floating-ip'] : []));
      assert.equal(other.code, 2);
      assert.equal(other.stderr, 'ilb-hairpin: path not found: nowhere\n');
    }
  });

  it('2 for an unknown command; 0 for help and version', () => {
    assert.equal(cli(dir, 'lint').code, 2);
    assert.match(cli(dir, '--help').stdout, /Usage: ilb-hairpin scan/);
    assert.equal(cli(dir, '--version').code, 0);
  });
});

describe('cli: colours', () => {
  it('only on a terminal, never with NO_COLOR or TERM=dumb', () => {
    assert.equal(colorWanted({ isTTY: true }, {}), true);
    assert.equal(colorWanted({ isTTY: false }, {}), false);
    assert.equal(colorWanted({}, {}), false);
    assert.equal(colorWanted({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(colorWanted({ isTTY: true }, { TERM: 'dumb' }), false);
    assert.equal(colorWanted({ isTTY: true }, { NO_COLOR: '' }), true, 'an empty NO_COLOR does not count (no-color.org)');
  });

  it('colour the severity and the summary when asked, and change no character of the text otherwise', () => {
    let plain = '';
    let colored = '';
    assert.equal(runCli(['scan', 'web'], { cwd: dir, stdout: (s) => (plain += s), stderr: () => undefined }), 1);
    assert.equal(runCli(['scan', 'web'], { cwd: dir, stdout: (s) => (colored += s), stderr: () => undefined, color: true }), 1);
    assert.doesNotMatch(plain, /\u001b/);
    assert.match(colored, /\u001b\[33mwarning\u001b\[0m hairpin-prone-rule: /);
    assert.equal(colored.replace(/\u001b\[[0-9;]*m/g, ''), plain);
    let json = '';
    runCli(['scan', 'web', '--format', 'json'], { cwd: dir, stdout: (s) => (json += s), stderr: () => undefined, color: true });
    assert.doesNotMatch(json, /\u001b/, 'JSON and SARIF are never coloured');
  });
});

describe('cli: the $ilb-hairpin problem matcher (package.json) reads the text output', () => {
  interface Matcher {
    name: string;
    fileLocation: string[];
    pattern: { regexp: string; file: number; line: number; column: number; severity: number; code: number; message: number };
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { contributes: { problemMatchers: Matcher[] } };
  const matcher = pkg.contributes.problemMatchers.find((m) => m.name === 'ilb-hairpin');

  it('matches every finding, parse error and note line of a real scan, with its fields, and nothing else', () => {
    assert.ok(matcher, 'package.json contributes the ilb-hairpin problem matcher');
    const re = new RegExp(matcher.pattern.regexp);
    const p = matcher.pattern;
    // A folder with a finding (with related lines), a parse error and an evaluation note.
    const notes = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-matcher-'));
    try {
      fs.mkdirSync(path.join(notes, 'web app'));
      fs.copyFileSync(SEED_LAB, path.join(notes, 'web app', 'azuredeploy.json'));
      fs.writeFileSync(path.join(notes, 'broken.json'), BROKEN);
      fs.writeFileSync(
        path.join(notes, 'note.json'),
        JSON.stringify({
          $schema: TEMPLATE_SCHEMA,
          contentVersion: '1.0.0.0',
          resources: [{ type: 'Microsoft.Network/networkInterfaces', apiVersion: '2023-09-01', name: "[concat('nic', copyIndex())]", copy: { name: 'nics' }, properties: {} }],
        }),
      );
      const r = cli(notes, 'scan');
      assert.equal(r.code, 1);
      const lines = r.stdout.split('\n');
      const matched = lines.map((l) => re.exec(l)).filter((m): m is RegExpExecArray => m !== null);
      const problems = matched.map((m) => ({ file: m[p.file], line: Number(m[p.line]), column: Number(m[p.column]), severity: m[p.severity], code: m[p.code], message: m[p.message] }));
      // Exactly the findings, parse errors and notes of the JSON report, at the same places.
      const report = JSON.parse(cli(notes, 'scan', '--format', 'json').stdout) as {
        findings: { file: string; severity: string; ruleId: string; range: { start: { line: number; character: number } } }[];
        parseErrors: { file: string; range: { start: { line: number; character: number } } }[];
        notes: { file: string; severity: string; range: { start: { line: number; character: number } } }[];
      };
      const at = (x: { file: string; range: { start: { line: number; character: number } } }): string => `${x.file}:${x.range.start.line + 1}:${x.range.start.character + 1}`;
      assert.deepEqual(
        problems.map((x) => `${x.file}:${x.line}:${x.column} ${x.severity} ${x.code}`),
        [
          ...report.findings.map((f) => `${at(f)} ${f.severity} ${f.ruleId}`),
          ...report.parseErrors.map((e) => `${at(e)} error parse`),
          ...report.notes.map((n) => `${at(n)} ${n.severity} note`),
        ],
      );
      assert.deepEqual([...new Set(problems.map((x) => x.code))], ['hairpin-prone-rule', 'parse', 'note']);
      assert.equal(problems.filter((x) => x.file === 'web app/azuredeploy.json').length, 1, 'a path with a space');
      const finding = problems[0];
      assert.equal(finding?.line, seedFinding.line + 1, '1-based line');
      assert.equal(finding?.column, seedFinding.character + 1, '1-based column');
      assert.match(finding?.message ?? '', /^Hairpin-prone: internal load balancer ilb-we-02-web, rule rule-http/);
      assert.equal(problems[1]?.line, BROKEN_LINE + 1);
      // The related locations (indented) and the summary are not problems of their own.
      assert.ok(lines.some((l) => /^ {4}web app\/azuredeploy\.json:\d+:\d+ member: /.test(l)));
    } finally {
      fs.rmSync(notes, { recursive: true, force: true });
    }
  });

  it('the ANSI colours of a terminal are stripped by VS Code before matching; stripped, the line still matches', () => {
    assert.ok(matcher);
    let colored = '';
    runCli(['scan', 'web'], { cwd: dir, stdout: (s) => (colored += s), stderr: () => undefined, color: true });
    const first = colored.split('\n')[0]?.replace(/\u001b\[[0-9;]*m/g, '') ?? '';
    assert.match(first, new RegExp(matcher.pattern.regexp));
  });
});
