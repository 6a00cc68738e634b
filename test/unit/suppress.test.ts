/**
 * Suppressions: `// ilb-hairpin-disable-next-line hairpin-prone-rule <reason>` on the line before
 * a finding (Bicep, JSONC ARM; blank lines between allowed), and for strict JSON the load
 * balancer resource's `"comments": "ilb-hairpin-disable hairpin-prone-rule <rule name or *>: <reason>"`.
 * A suppressed finding is gone from the analysis, the CLI scan and the CLI fix.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';

import { ruleSite } from '../../src/core/rules/types';
import { Workspace, type WorkspaceAnalysis } from '../../src/core/workspace';
import { cli, FIXTURES_DIR, REPO_ROOT, SEED_LAB } from './helpers';

const FIXES = path.join(REPO_ROOT, 'test', 'fixtures', 'fixes');
const SEED_LAB_BICEP = path.join(REPO_ROOT, 'examples', 'seed-lab-bicep', 'main.bicep');
const BICEP_MULTI = path.join(FIXES, 'bicep', 'multi-line', 'main.bicep');
const TWO_RULES = path.join(FIXES, 'arm', 'two-rules.json');

const read = (p: string): string => fs.readFileSync(p, 'utf8');
const DIRECTIVE = '// ilb-hairpin-disable-next-line hairpin-prone-rule the members never call their own frontend';

function analyze(file: string, text: string): WorkspaceAnalysis {
  const ws = new Workspace();
  ws.setFile(file, text);
  const a = ws.analyze();
  assert.deepEqual(a.parseErrors, [], `${file} parses`);
  return a;
}

const rulesOf = (a: WorkspaceAnalysis): string[] => a.findings.map((f) => f.facts.lbRule).sort();

/**
 * `line` inserted above the line holding `needle`, indented like it: `blank` blank lines between,
 * and `skip` non-blank lines of the text between (0: right above the needle's line).
 */
function insertAbove(text: string, needle: string, line: string, opts: { blank?: number; blankText?: string; skip?: number } = {}): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(eol);
  const at = lines.findIndex((l) => l.includes(needle));
  assert.ok(at >= 0, `"${needle}" is in the text`);
  assert.equal(lines.findIndex((l, i) => i > at && l.includes(needle)), -1, `"${needle}" is on one line only`);
  const indent = /^[ \t]*/.exec(lines[at] as string)?.[0] ?? '';
  const where = at - (opts.skip ?? 0);
  const inserted = [indent + line, ...Array.from({ length: opts.blank ?? 0 }, () => opts.blankText ?? '')];
  return [...lines.slice(0, where), ...inserted, ...lines.slice(where)].join(eol);
}

/** The same, below the needle's line. */
function insertBelow(text: string, needle: string, line: string): string {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.includes(needle));
  assert.ok(at >= 0);
  return [...lines.slice(0, at + 1), line, ...lines.slice(at + 1)].join('\n');
}

interface Language {
  name: string;
  file: string;
  text: string;
  /** The text of the line the finding starts on (its enableFloatingIP). */
  findingLine: string;
  /** The non-blank line right above it. */
  lineAbove: string;
  /** A fixture whose finding starts on the rule's name (enableFloatingIP left out) and the needle of that line. */
  nameFile: string;
  nameText: string;
  nameLine: string;
  nameNext: string;
}

const LANGUAGES: Language[] = [
  {
    name: 'Bicep',
    file: '/virtual/seed/main.bicep',
    text: read(SEED_LAB_BICEP),
    findingLine: 'enableFloatingIP: false',
    lineAbove: 'backendPort: 80',
    nameFile: '/virtual/multi/main.bicep',
    nameText: read(BICEP_MULTI),
    nameLine: "name: 'rule-bicep-multi'",
    nameNext: "frontendIPConfiguration: { id: resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations'",
  },
  {
    name: 'JSONC ARM',
    file: '/virtual/seed/azuredeploy.json',
    text: read(SEED_LAB),
    findingLine: '"enableFloatingIP": false',
    lineAbove: '"backendPort": 80',
    nameFile: '/virtual/trailing/azuredeploy.json',
    nameText: read(path.join(FIXES, 'arm', 'trailing-comma.json')),
    nameLine: '"name": "rule-trailing-comma"',
    nameNext: '"frontendIPConfiguration": { "id": "[resourceId(\'Microsoft.Network/loadBalancers/frontendIPConfigurations\'',
  },
];

for (const lang of LANGUAGES) {
  describe(`suppress: // ilb-hairpin-disable-next-line in ${lang.name}`, () => {
    it('without a directive there is one finding', () => {
      assert.deepEqual(rulesOf(analyze(lang.file, lang.text)).length, 1);
      assert.deepEqual(rulesOf(analyze(lang.nameFile, lang.nameText)).length, 1);
    });

    it('the directive on the line before the finding suppresses it', () => {
      assert.deepEqual(rulesOf(analyze(lang.file, insertAbove(lang.text, lang.findingLine, DIRECTIVE))), []);
    });

    it('blank lines between the directive and the finding are allowed (empty or only whitespace)', () => {
      assert.deepEqual(rulesOf(analyze(lang.file, insertAbove(lang.text, lang.findingLine, DIRECTIVE, { blank: 2 }))), []);
      assert.deepEqual(rulesOf(analyze(lang.file, insertAbove(lang.text, lang.findingLine, DIRECTIVE, { blank: 1, blankText: ' \t  ' }))), []);
    });

    it('the directive works in a CRLF file', () => {
      const crlf = lang.text.replace(/\n/g, '\r\n');
      assert.equal(rulesOf(analyze(lang.file, crlf)).length, 1);
      assert.deepEqual(rulesOf(analyze(lang.file, insertAbove(crlf, lang.findingLine, DIRECTIVE, { blank: 1 }))), []);
    });

    it('the directive before the rule name suppresses a finding that starts there (enableFloatingIP left out)', () => {
      assert.deepEqual(rulesOf(analyze(lang.nameFile, insertAbove(lang.nameText, lang.nameLine, DIRECTIVE))), []);
    });

    it('another rule id does not suppress it', () => {
      for (const other of [
        '// ilb-hairpin-disable-next-line some-other-rule reason',
        '// ilb-hairpin-disable-next-line hairpin-prone-rule-v2 reason',
        '// ilb-hairpin-disable-next-line reason only',
      ]) {
        assert.equal(rulesOf(analyze(lang.file, insertAbove(lang.text, lang.findingLine, other))).length, 1, other);
      }
    });

    it('a directive two non-blank lines above does not suppress it', () => {
      const text = insertAbove(lang.text, lang.findingLine, DIRECTIVE, { skip: 1 });
      const lines = text.split('\n');
      const at = lines.findIndex((l) => l.includes(lang.findingLine));
      assert.ok((lines[at - 1] as string).includes(lang.lineAbove) && (lines[at - 2] as string).includes('ilb-hairpin-disable-next-line'), 'the directive is two lines up');
      assert.equal(rulesOf(analyze(lang.file, text)).length, 1);
      assert.equal(rulesOf(analyze(lang.nameFile, insertAbove(lang.nameText, lang.nameNext, DIRECTIVE))).length, 1, 'a directive above the line after the name');
    });

    it('a directive after the finding line does not suppress it', () => {
      assert.equal(rulesOf(analyze(lang.file, insertBelow(lang.text, lang.findingLine, DIRECTIVE))).length, 1);
    });

    it('the comments form on a line is not a line directive', () => {
      const notADirective = insertAbove(lang.text, lang.findingLine, '// ilb-hairpin-disable hairpin-prone-rule reason');
      assert.equal(rulesOf(analyze(lang.file, notADirective)).length, 1, 'the comments form is not a line directive');
    });
  });
}

describe('suppress: only a comment is a directive', () => {
  it('the directive text inside a string on the line before does not suppress (JSON)', () => {
    const text = read(SEED_LAB).replace('"backendPort": 80,', `"backendPort": "[length('// ilb-hairpin-disable-next-line hairpin-prone-rule x')]",`);
    assert.equal(rulesOf(analyze('/v/seed.json', text)).length, 1);
  });

  it('the directive text inside a string on the line before does not suppress (Bicep)', () => {
    const text = read(SEED_LAB_BICEP).replace('          backendPort: 80\n', "          backendPort: length('// ilb-hairpin-disable-next-line hairpin-prone-rule x')\n");
    assert.equal(rulesOf(analyze('/v/seed.bicep', text)).length, 1);
  });
});

describe("suppress: Bicep's own #disable-next-line and #disable-diagnostics", () => {
  const file = '/virtual/seed/main.bicep';
  const text = read(SEED_LAB_BICEP);
  const line = 'enableFloatingIP: false';
  const count = (t: string): number => rulesOf(analyze(file, t)).length;

  it('#disable-next-line with the rule id right above the finding suppresses it, also among other codes and with a comment', () => {
    assert.equal(count(text), 1);
    assert.equal(count(insertAbove(text, line, '#disable-next-line hairpin-prone-rule')), 0);
    assert.equal(count(insertAbove(text, line, '#disable-next-line no-unused-params hairpin-prone-rule // the members never call the VIP')), 0);
  });

  it('as Bicep reads it: only the very next line, only the named code', () => {
    assert.equal(count(insertAbove(text, line, '#disable-next-line hairpin-prone-rule', { blank: 1 })), 1, 'a blank line between');
    assert.equal(count(insertAbove(text, line, '#disable-next-line hairpin-prone-rule', { skip: 1 })), 1, 'two lines up');
    assert.equal(count(insertAbove(text, line, '#disable-next-line no-unused-params')), 1, 'another code');
    assert.equal(count(insertAbove(text, line, '#disable-next-line hairpin-prone-rule-v2')), 1, 'a longer code');
  });

  it('a #disable-diagnostics region suppresses until #restore-diagnostics', () => {
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.includes(line));
    const region = ['#disable-diagnostics hairpin-prone-rule', ...lines.slice(0, at), '#restore-diagnostics hairpin-prone-rule', ...lines.slice(at)];
    assert.equal(count(['#disable-diagnostics hairpin-prone-rule', ...lines].join('\n')), 0, 'disabled to the end of the file');
    assert.equal(count(region.join('\n')), 1, 'restored before the finding');
  });
});

describe('suppress: the directive suppresses only the finding below it', () => {
  const text = read(TWO_RULES);
  it('two rules in one load balancer', () => {
    assert.deepEqual(rulesOf(analyze('/v/two.json', text)), ['rule-a', 'rule-b']);
    // rule-a's finding is on its enableFloatingIP; rule-b's on its name.
    assert.deepEqual(rulesOf(analyze('/v/two.json', insertAbove(text, '"enableFloatingIP": false', DIRECTIVE))), ['rule-b']);
    assert.deepEqual(rulesOf(analyze('/v/two.json', insertAbove(text, '"name": "rule-b"', DIRECTIVE))), ['rule-a']);
    assert.deepEqual(rulesOf(analyze('/v/two.json', insertAbove(text, '"name": "rule-a"', DIRECTIVE))), ['rule-a', 'rule-b'], 'rule-a is reported at its enableFloatingIP, not its name');
  });
});

// ------------------------------------------------------------------ the comments property (strict JSON)

interface Template {
  resources: Record<string, unknown>[];
}

/** The seed lab as strict JSON with `comments` on the resource of the given type. */
function seedWithComments(comments: string, type = 'Microsoft.Network/loadBalancers'): string {
  const t = JSON.parse(read(SEED_LAB)) as Template;
  const r = t.resources.find((x) => x['type'] === type);
  assert.ok(r, type);
  r['comments'] = comments;
  const text = JSON.stringify(t, null, 2);
  JSON.parse(text);
  return text;
}

describe('suppress: the load balancer\'s comments property', () => {
  const file = '/virtual/comments/azuredeploy.json';
  const findings = (text: string): string[] => rulesOf(analyze(file, text));

  it('a comment that is no directive changes nothing', () => {
    assert.deepEqual(findings(seedWithComments('The web tier load balancer.')), ['rule-http']);
  });

  it('with the rule name', () => {
    assert.deepEqual(findings(seedWithComments('ilb-hairpin-disable hairpin-prone-rule rule-http: the web server never calls its own frontend')), []);
  });

  it('with *', () => {
    assert.deepEqual(findings(seedWithComments('ilb-hairpin-disable hairpin-prone-rule *: no member calls the frontend')), []);
  });

  it('after other text, separated by ;', () => {
    assert.deepEqual(findings(seedWithComments('The web tier load balancer; ilb-hairpin-disable hairpin-prone-rule rule-http: accepted')), []);
  });

  it('with another rule name: not suppressed', () => {
    assert.deepEqual(findings(seedWithComments('ilb-hairpin-disable hairpin-prone-rule rule-other: reason')), ['rule-http']);
    assert.deepEqual(findings(seedWithComments('ilb-hairpin-disable hairpin-prone-rule rule-http-2: reason')), ['rule-http']);
  });

  it('with another rule id: not suppressed', () => {
    assert.deepEqual(findings(seedWithComments('ilb-hairpin-disable some-other-rule rule-http: reason')), ['rule-http']);
    assert.deepEqual(findings(seedWithComments('ilb-hairpin-disable some-other-rule *: reason')), ['rule-http']);
  });

  it('on another resource (the NIC): not suppressed', () => {
    assert.deepEqual(findings(seedWithComments('ilb-hairpin-disable hairpin-prone-rule *: reason', 'Microsoft.Network/networkInterfaces')), ['rule-http']);
  });

  it('a name suppresses that rule only; * all of the load balancer\'s rules', () => {
    const t = JSON.parse(read(TWO_RULES).replace(/^\s*\/\/.*\n/m, '')) as Template;
    const lb = t.resources[0] as Record<string, unknown>;
    const text = (comments: string): string => JSON.stringify({ ...t, resources: [{ ...lb, comments }, ...t.resources.slice(1)] }, null, 2);
    assert.deepEqual(findings(text('ilb-hairpin-disable hairpin-prone-rule rule-a: reason')), ['rule-b']);
    assert.deepEqual(findings(text('ilb-hairpin-disable hairpin-prone-rule rule-b: reason')), ['rule-a']);
    assert.deepEqual(findings(text('ilb-hairpin-disable hairpin-prone-rule *: reason')), []);
    assert.deepEqual(findings(text('ilb-hairpin-disable hairpin-prone-rule rule-a: reason; ilb-hairpin-disable hairpin-prone-rule rule-b: other reason')), []);
  });

  it('names made by a property copy loop are the evaluated names', () => {
    const base = read(path.join(FIXTURES_DIR, 'property-copy-rules.json'));
    const withComments = (comments: string): string =>
      base.replace(`"name": "[variables('lbName')]",`, `"name": "[variables('lbName')]",\n      "comments": "${comments}",`);
    assert.deepEqual(findings(base), ['rule-8080', 'rule-8443']);
    assert.deepEqual(findings(withComments('ilb-hairpin-disable hairpin-prone-rule rule-8080: reason')), ['rule-8443']);
  });
});

// ------------------------------------------------------------------ the CLI


const temps: string[] = [];
after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

function tempWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-suppress-'));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

describe('suppress: a rule in a module', () => {
  it('a directive above the rule in the module silences its finding, reported where the module is called', () => {
    const root = path.join(REPO_ROOT, 'test', 'fixtures', 'bicep', 'generic-lb-module');
    const files = [path.join(root, 'main.bicep'), path.join(root, 'modules', 'loadBalancer.bicep')];
    const analyzeAll = (texts: string[]): WorkspaceAnalysis => {
      const ws = new Workspace();
      files.forEach((f, i) => ws.setFile(f.split(path.sep).join('/'), texts[i] as string));
      return ws.analyze();
    };
    const texts = files.map(read);
    const before = analyzeAll(texts);
    assert.deepEqual(before.findings.map((f) => f.facts.viaModule ?? 'in the module'), ['ilb'], 'once, at the module declaration');
    const inModule = before.findings[0] && ruleSite(before.findings[0]);
    assert.ok(inModule);
    assert.equal(inModule.file, files[1]?.split(path.sep).join('/'));
    const text = texts[1] as string;
    const lineStart = text.lastIndexOf('\n', inModule.start) + 1;
    const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
    const suppressed = `${text.slice(0, lineStart)}${indent}// ilb-hairpin-disable-next-line hairpin-prone-rule every caller passes rules for clients outside the pool\n${text.slice(lineStart)}`;
    assert.deepEqual(analyzeAll([texts[0] as string, suppressed]).findings, []);
  });
});

describe('suppress: the CLI', () => {
  const suppressed = {
    'bicep/main.bicep': insertAbove(read(BICEP_MULTI), "name: 'rule-bicep-multi'", DIRECTIVE, { blank: 1 }),
    'jsonc/azuredeploy.json': insertAbove(read(path.join(FIXES, 'arm', 'trailing-comma.json')), '"name": "rule-trailing-comma"', DIRECTIVE),
    'strict/azuredeploy.json': seedWithComments('ilb-hairpin-disable hairpin-prone-rule rule-http: accepted risk'),
  };

  it('scan: suppressed findings are not reported, exit 0', () => {
    const dir = tempWith(suppressed);
    const r = cli(dir, 'scan', '.');
    assert.equal(r.code, 0, r.stdout);
    assert.match(r.stdout, /^0 hairpin-prone rules; 3 templates in 3 files scanned\.$/m);
    const json = JSON.parse(cli(dir, 'scan', '.', '--format', 'json').stdout) as { findings: unknown[] };
    assert.deepEqual(json.findings, []);
    const sarif = JSON.parse(cli(dir, 'scan', '.', '--format', 'sarif').stdout) as { runs: { results: unknown[] }[] };
    assert.deepEqual(sarif.runs[0]?.results, []);
  });

  it('scan: a directive for another rule id leaves its finding reported, exit 1', () => {
    const dir = tempWith({
      ...suppressed,
      'other/main.bicep': insertAbove(read(SEED_LAB_BICEP), 'enableFloatingIP: false', '// ilb-hairpin-disable-next-line some-other-rule reason'),
    });
    const r = cli(dir, 'scan', '.');
    assert.equal(r.code, 1, r.stdout);
    const json = JSON.parse(cli(dir, 'scan', '.', '--format', 'json').stdout) as { findings: { file: string; lbRule: string }[] };
    assert.deepEqual(
      json.findings.map((f) => `${f.file} ${f.lbRule}`),
      ['other/main.bicep rule-http'],
    );
  });

  it('fix: suppressed findings are not fixed', () => {
    const dir = tempWith(suppressed);
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip');
    assert.equal(r.code, 0);
    assert.match(r.stderr, /Nothing to fix\./);
    for (const [rel, text] of Object.entries(suppressed)) assert.equal(fs.readFileSync(path.join(dir, rel), 'utf8'), text, `${rel} unchanged`);
  });
});
