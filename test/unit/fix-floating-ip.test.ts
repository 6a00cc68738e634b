/**
 * The floating-IP quick fix (`floatingIpFix`, `applyEdits`) and `ilb-hairpin fix`.
 *
 * Guarantees, for every finding whose fix is offered in the fixtures, the examples and the shared
 * corpus (each `<owner>/<repo>` folder one workspace, read into memory, never written): the edited
 * text still parses (no new JSON errors, strict JSON stays strict, no more Bicep diagnostics); the
 * finding is gone after re-analysis and no new finding appears; a second round offers nothing for
 * the same place; nothing outside the edit spans differs; the inserted property is indented like
 * its siblings and one-line objects stay on one line. Then the layouts one by one, the refusals
 * with their reasons, and the CLI.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findNodeAtOffset, parseTree, type Node as JsonNode } from 'jsonc-parser';
import { applyPatch, parsePatch } from 'diff';

import { floatingIpFix } from '../../src/core/fixes/floating-ip';
import type { Fix, FixResult } from '../../src/core/fixes/types';
import { applyEdits, type TextEdit } from '../../src/core/edit';
import { parseBicep, walk } from '../../src/core/parse/bicep';
import type * as B from '../../src/core/parse/bicep';
import { ruleSite, type Finding } from '../../src/core/rules/types';
import type { SourceSpan } from '../../src/core/source';
import { type Workspace, type WorkspaceAnalysis } from '../../src/core/workspace';
import { cli, FIXTURES_DIR, REPO_ROOT, SEED_LAB, loadBalancer, nic, poolId, template, vm } from './helpers';
import { CORPUS, describeFinding, dirsIn, EXAMPLES, isStrictJson, jsonErrors, jsonFilesIn, load, type Loaded, onlyFinding, readTexts, ruleKey, toPosix } from './fix-helpers';

const BICEP_FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'bicep');
const FIXES = path.join(REPO_ROOT, 'test', 'fixtures', 'fixes');
const SEED_LAB_BICEP = path.join(EXAMPLES, 'seed-lab-bicep', 'main.bicep');

// ------------------------------------------------------------------ workspaces in memory

/** The text the fix reads, as the CLI and the editor give it (the workspace's). */
function textOfWorkspace(ws: Workspace): (file: string) => string | undefined {
  return (file) => ws.source(file)?.text;
}

/** One workspace of a single text. */
function loadOne(file: string, text: string): Loaded {
  return load(new Map([[file, text]]));
}

const findingKey = (f: Finding): string => `${ruleKey(f)}|${f.facts.parameterSource ?? ''}`;

function offered(l: Loaded, f: Finding): Fix {
  const r = floatingIpFix(f, textOfWorkspace(l.ws));
  assert.ok(r.ok, `fix offered for ${describeFinding(f)}: ${r.ok ? '' : r.reason}`);
  return r.fix;
}

function refused(l: Loaded, f: Finding): string {
  const r: FixResult = floatingIpFix(f, textOfWorkspace(l.ws));
  assert.ok(!r.ok, `no fix offered for ${describeFinding(f)}`);
  return r.reason;
}

/** The single-file result of a fix: the text before and after. */
function applied(l: Loaded, fix: Fix): { file: string; before: string; after: string } {
  const files = [...new Set(fix.edits.map((e) => e.file))];
  assert.equal(files.length, 1, 'the fix edits one file');
  const file = files[0] as string;
  const before = l.ws.source(file)?.text ?? '';
  return { file, before, after: applyEdits(before, fix.edits) };
}

// ------------------------------------------------------------------ the guarantees

function bicepDiagnostics(file: string, text: string): number {
  return parseBicep(text, { fileKind: /\.bicepparam$/i.test(file) ? 'bicepparam' : 'bicep' }).diagnostics.length;
}

const lineStartOf = (text: string, offset: number): number => text.lastIndexOf('\n', offset - 1) + 1;
const lineEndOf = (text: string, offset: number): number => {
  const i = text.indexOf('\n', offset);
  return i < 0 ? text.length : i;
};
/** The leading whitespace of the line holding `offset`, when `offset` is the first thing on it; else undefined. */
function leadingIndent(text: string, offset: number): string | undefined {
  const lead = text.slice(lineStartOf(text, offset), offset);
  return /^[ \t]*$/.test(lead) ? lead : undefined;
}

/** Start offsets of the properties of the object written at `start` (JSON or Bicep). */
/** The innermost object literal around an offset (JSON or Bicep). */
function enclosingObject(file: string, text: string, offset: number): SourceSpan | undefined {
  if (/\.bicep$/i.test(file)) {
    let found: SourceSpan | undefined;
    walk(parseBicep(text, { fileKind: 'bicep' }).program, (n) => {
      if (n.start > offset || n.end < offset) return false;
      if (n.kind === 'Object' && n.start < offset && offset < n.end) found = { file, start: n.start, end: n.end };
      return true;
    });
    return found;
  }
  const tree = parseTree(text, [], { allowTrailingComma: true });
  for (let n = tree ? findNodeAtOffset(tree, offset) : undefined; n; n = n.parent) {
    if (n.type === 'object' && n.offset < offset && offset < n.offset + n.length) return { file, start: n.offset, end: n.offset + n.length };
  }
  return undefined;
}

function propertyStarts(file: string, text: string, start: number): number[] | undefined {
  if (/\.bicep$/i.test(file)) {
    let found: B.ObjectExpression | undefined;
    walk(parseBicep(text, { fileKind: 'bicep' }).program, (n) => {
      if (found) return false;
      if (n.kind === 'Object' && n.start === start) {
        found = n;
        return false;
      }
      return n.start <= start && start < n.end;
    });
    return found?.properties.map((p) => p.start);
  }
  const root = parseTree(text, [], { allowTrailingComma: true });
  for (let n: JsonNode | undefined = root && findNodeAtOffset(root, start); n; n = n.parent) {
    if (n.type === 'object' && n.offset === start) return (n.children ?? []).map((c) => c.offset);
  }
  return undefined;
}

/** The indentation of the properties that start their own line (the last one wins), if any do. */
function siblingIndent(text: string, starts: number[]): string | undefined {
  for (let i = starts.length - 1; i >= 0; i--) {
    const indent = leadingIndent(text, starts[i] as number);
    if (indent !== undefined) return indent;
  }
  return undefined;
}

/** Places whose line breaks do not follow the file's (CRLF files given LF breaks): reported by their own test. */
const lineEndingIssues: string[] = [];
let fixesChecked = 0;

/**
 * Applies the fix of `f` and checks every guarantee. `l` is the workspace it came from; the edited
 * workspace is built afresh from the texts.
 */
function checkGuarantees(l: Loaded, f: Finding, fix: Fix): void {
  const what = describeFinding(f);
  assert.ok(fix.edits.length > 0, `${what}: the fix has edits`);
  assert.ok(fix.notes.length > 0 && fix.title.includes(f.facts.lbRule), `${what}: title and notes`);
  const byFile = new Map<string, TextEdit[]>();
  for (const e of fix.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  const next = new Map(l.texts);
  const edited: { file: string; from: number; to: number }[] = [];

  for (const [file, edits] of byFile) {
    const before = l.ws.source(file)?.text;
    assert.ok(before !== undefined, `${what}: the edited file ${file} is in the workspace`);
    const after = applyEdits(before, edits);
    assert.notEqual(after, before, `${what}: the fix changes ${file}`);

    // Only `false` is replaced (by `true`); everything else is an insertion.
    for (const e of edits) {
      assert.ok(e.offset >= 0 && e.offset + e.length <= before.length, `${what}: edit inside the text`);
      if (e.length > 0) {
        assert.match(before.slice(e.offset, e.offset + e.length).trim(), /^"?false"?$/i, `${what}: only a written false is replaced`);
        assert.equal(e.newText, 'true', `${what}: false becomes true`);
      } else {
        // The property, or the comma that precedes it when a comment stays on the line before.
        assert.match(e.newText, /^(,|.*enableFloatingIP["']?\s*:\s*true.*)$/s, `${what}: the insertion is enableFloatingIP: true (or its comma)`);
      }
    }

    // Nothing outside the edit spans differs.
    const lo = Math.min(...edits.map((e) => e.offset));
    const hi = Math.max(...edits.map((e) => e.offset + e.length));
    assert.equal(after.slice(0, lo), before.slice(0, lo), `${what}: text before the edit unchanged`);
    assert.equal(after.slice(after.length - (before.length - hi)), before.slice(hi), `${what}: text after the edit unchanged`);
    const growth = after.length - before.length;
    edited.push({ file, from: lo, to: hi + growth });

    // Still parses.
    if (/\.bicep(param)?$/i.test(file)) {
      assert.ok(bicepDiagnostics(file, after) <= bicepDiagnostics(file, before), `${what}: no new Bicep diagnostics`);
    } else {
      const errorsBefore = jsonErrors(before);
      const errorsAfter = jsonErrors(after);
      assert.ok(errorsAfter.length <= errorsBefore.length, `${what}: no new JSON errors (${JSON.stringify(errorsAfter)})`);
      if (isStrictJson(before)) assert.ok(isStrictJson(after), `${what}: strict JSON stays strict JSON`);
    }

    // Style: the inserted property is indented like its siblings; one-line objects stay one line.
    for (const e of edits) {
      // Into the rule's properties, or (a rule a module builds from its caller's data) into the
      // caller's object for that rule.
      const target = f.fixTarget?.properties ?? (f.fixTarget?.callSites?.some((c) => c.file === file) ? enclosingObject(file, before, e.offset) : undefined);
      if (e.length > 0) {
        assert.ok(!e.newText.includes('\n'), `${what}: a replacement stays on its line`);
        continue;
      }
      // The comma of a property inserted after a trailing comment (the other edit holds the property).
      if (e.newText === ',') continue;
      // Where this edit's text stands in `after`: shifted by what the edits before it inserted.
      const shift = edits.filter((x) => x.offset < e.offset).reduce((n, x) => n + x.newText.length - x.length, 0);
      assert.ok(target && target.file === file, `${what}: an insertion goes into the rule's properties`);
      assert.ok(e.offset > target.start && e.offset < target.end, `${what}: the insertion is inside the properties object`);
      const objectText = before.slice(target.start, target.end);
      if (!objectText.includes('\n')) {
        assert.ok(!e.newText.includes('\n'), `${what}: a one-line object stays on one line`);
        const objectAfter = after.slice(target.start, target.end + growth);
        assert.ok(!objectAfter.includes('\n') && objectAfter.endsWith('}'), `${what}: the object is still one line: ${objectAfter}`);
        continue;
      }
      assert.ok(e.newText.includes('\n'), `${what}: in a multi-line object the property gets its own line`);
      const key = e.offset + shift + e.newText.search(/["']?enableFloatingIP/);
      const insertedIndent = leadingIndent(after, key);
      assert.ok(insertedIndent !== undefined, `${what}: the inserted property starts its line`);
      const starts = propertyStarts(file, before, target.start);
      assert.ok(starts, `${what}: the properties object is found in the text`);
      const expected = siblingIndent(before, starts);
      if (expected !== undefined) assert.equal(JSON.stringify(insertedIndent), JSON.stringify(expected), `${what}: indented like its siblings`);
      const line = after.slice(lineStartOf(after, key), lineEndOf(after, key));
      assert.match(line.trim(), /^["']?enableFloatingIP["']?\s*:\s*true\b/, `${what}: the new line holds the property`);
      if (before.includes('\r\n') && /(^|[^\r])\n/.test(e.newText)) lineEndingIssues.push(`${file}: ${JSON.stringify(e.newText)} in a CRLF file`);
    }
    next.set(file, after);
  }
  fixesChecked++;

  // Re-analysis: the finding is gone, nothing new appears.
  const again = load(next);
  const keysBefore = new Set(l.analysis.findings.map(findingKey));
  const gone = again.analysis.findings.filter((g) => ruleKey(g) === ruleKey(f));
  assert.deepEqual(gone.map(describeFinding), [], `${what}: the finding is gone after the fix`);
  const fresh = again.analysis.findings.filter((g) => !keysBefore.has(findingKey(g)));
  assert.deepEqual(fresh.map(describeFinding), [], `${what}: no new finding after the fix`);
  const parseErrorsOf = (a: WorkspaceAnalysis, file: string): number => a.parseErrors.filter((p) => p.file === file).reduce((n, p) => n + p.errors.length, 0);
  for (const { file } of edited) {
    assert.ok(parseErrorsOf(again.analysis, file) <= parseErrorsOf(l.analysis, file), `${what}: the workspace reports no new parse error in ${file}`);
  }

  // A second round offers nothing for the same place.
  for (const g of again.analysis.findings) {
    const r = floatingIpFix(g, textOfWorkspace(again.ws));
    if (!r.ok) continue;
    for (const e of r.fix.edits) {
      for (const x of edited) {
        if (e.file !== x.file) continue;
        assert.ok(e.offset + e.length < x.from || e.offset > x.to, `${what}: after the fix, ${describeFinding(g)} offers an edit at ${e.offset} inside the fixed span ${x.from}-${x.to}`);
      }
    }
  }
}

/** Checks every offered fix of a workspace; returns how many were offered and how many refused. */
function checkWorkspace(l: Loaded): { fixed: number; refused: number } {
  let fixed = 0;
  let refusedCount = 0;
  for (const f of l.analysis.findings) {
    const r = floatingIpFix(f, textOfWorkspace(l.ws));
    if (!r.ok) {
      assert.ok(r.reason.length > 10, `${describeFinding(f)}: a refusal says why`);
      refusedCount++;
      continue;
    }
    checkGuarantees(l, f, r.fix);
    fixed++;
  }
  return { fixed, refused: refusedCount };
}

describe('floating-IP fix: the guarantees, for every offered fix', () => {
  const workspaces: { label: string; root: string }[] = [
    ...jsonFilesIn(FIXTURES_DIR).map((root) => ({ label: `fixtures/arm/${path.basename(root)}`, root })),
    ...dirsIn(BICEP_FIXTURES).map((root) => ({ label: `fixtures/bicep/${path.basename(root)}`, root })),
    ...dirsIn(EXAMPLES).map((root) => ({ label: `examples/${path.basename(root)}`, root })),
    ...jsonFilesIn(path.join(FIXES, 'arm')).map((root) => ({ label: `fixtures/fixes/arm/${path.basename(root)}`, root })),
    ...dirsIn(path.join(FIXES, 'bicep')).map((root) => ({ label: `fixtures/fixes/bicep/${path.basename(root)}`, root })),
    { label: 'fixtures/deployments/linked', root: path.join(REPO_ROOT, 'test', 'fixtures', 'deployments', 'linked') },
    { label: 'fixtures/workspace/cli-params', root: path.join(REPO_ROOT, 'test', 'fixtures', 'workspace', 'cli-params') },
  ];
  let total = 0;
  for (const { label, root } of workspaces) {
    it(label, () => {
      total += checkWorkspace(load(readTexts(root))).fixed;
    });
  }
  it('the fixtures and examples offer a fair number of fixes', () => {
    assert.ok(total >= 25, `only ${total} fixes were offered and checked`);
  });
});

describe('floating-IP fix: the guarantees on the shared corpus', { skip: !fs.existsSync(CORPUS) && 'shared/corpus is not present' }, () => {
  interface Expected {
    positives: { file: string; lbRule: string }[];
  }
  const expected = fs.existsSync(CORPUS) ? (JSON.parse(fs.readFileSync(path.join(CORPUS, 'expected.json'), 'utf8')) as Expected) : { positives: [] };
  const repos = dirsIn(CORPUS).flatMap((owner) => dirsIn(owner).map((repo) => toPosix(path.relative(CORPUS, repo))));
  let fixed = 0;
  const seenPositives = new Set<string>();
  for (const repo of repos) {
    it(`${repo}: each workspace's offered fixes`, () => {
      const l = load(readTexts(path.join(CORPUS, repo)));
      fixed += checkWorkspace(l).fixed;
      for (const f of l.analysis.findings) seenPositives.add(`${toPosix(path.relative(CORPUS, f.span.file))}|${f.facts.lbRule}`);
    });
  }
  it('the corpus positives were all analysed, and most are fixable', () => {
    const label = (p: { file: string; lbRule: string }): boolean =>
      [...seenPositives].some((s) => {
        const [file, rule] = s.split('|') as [string, string];
        return file === p.file && (p.lbRule.startsWith('*') ? rule.endsWith(p.lbRule.slice(1)) : rule === p.lbRule);
      });
    const missing = expected.positives.filter((p) => !label(p));
    assert.deepEqual(missing, [], 'every labelled positive has a finding the fix was tried on');
    assert.ok(fixed >= 20, `only ${fixed} corpus fixes were offered and checked`);
  });
});

// ------------------------------------------------------------------ the layouts one by one

/** A template from the helpers, written with the given indentation. */
function generatedTemplate(floatingIp: unknown): Record<string, unknown> {
  const lbName = 'ilb-generated';
  const nicId = "[resourceId('Microsoft.Network/networkInterfaces', 'nic-generated')]";
  return JSON.parse(
    template({
      resources: [
        loadBalancer({ name: lbName, frontendIp: '10.30.0.10', rules: [{ name: 'rule-generated', floatingIp }] }),
        nic('nic-generated', [poolId(lbName, 'be')]),
        vm('vm-generated', [nicId]),
      ],
    }),
  ) as Record<string, unknown>;
}

/** The same template with `enableFloatingIP: true` on its rule (set in place, or appended last). */
function withFloatingIp(t: Record<string, unknown>): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(t)) as { resources: { properties: { loadBalancingRules: { properties: Record<string, unknown> }[] } }[] };
  const props = copy.resources[0]?.properties.loadBalancingRules[0]?.properties;
  assert.ok(props);
  props['enableFloatingIP'] = true;
  return copy as unknown as Record<string, unknown>;
}

const GEN_FILE = '/virtual/generated/azuredeploy.json';

describe('floating-IP fix: enableFloatingIP false is replaced in place', () => {
  it('ARM: the seed lab', () => {
    const text = fs.readFileSync(SEED_LAB, 'utf8');
    const l = loadOne(toPosix(SEED_LAB), text);
    const f = onlyFinding(l);
    const fix = offered(l, f);
    assert.equal(fix.edits.length, 1);
    const e = fix.edits[0] as TextEdit;
    assert.equal(text.slice(e.offset, e.offset + e.length), 'false');
    assert.equal(e.newText, 'true');
    assert.equal(applied(l, fix).after, text.replace('"enableFloatingIP": false', '"enableFloatingIP": true'));
    checkGuarantees(l, f, fix);
  });

  it('Bicep: the seed lab', () => {
    const text = fs.readFileSync(SEED_LAB_BICEP, 'utf8');
    const l = loadOne(toPosix(SEED_LAB_BICEP), text);
    const f = onlyFinding(l);
    const fix = offered(l, f);
    assert.equal(fix.edits.length, 1);
    const e = fix.edits[0] as TextEdit;
    assert.equal(text.slice(e.offset, e.offset + e.length), 'false');
    assert.equal(applied(l, fix).after, text.replace('enableFloatingIP: false', 'enableFloatingIP: true'));
    checkGuarantees(l, f, fix);
  });

  it('ARM: odd casing and a "False" string become true, the key kept as written', () => {
    const file = path.join(FIXTURES_DIR, 'odd-casing.json');
    const text = fs.readFileSync(file, 'utf8');
    const l = loadOne(toPosix(file), text);
    const f = onlyFinding(l);
    const fix = offered(l, f);
    assert.equal(applied(l, fix).after, text.replace('"ENABLEFLOATINGIP": "False"', '"ENABLEFLOATINGIP": true'));
    checkGuarantees(l, f, fix);
  });

  for (const [name, indent] of [
    ['2 spaces', 2],
    ['4 spaces', 4],
    ['tabs', '\t'],
  ] as const) {
    it(`ARM, indented with ${name}`, () => {
      const t = generatedTemplate(false);
      const text = JSON.stringify(t, null, indent) + '\n';
      const l = loadOne(GEN_FILE, text);
      const f = onlyFinding(l);
      const fix = offered(l, f);
      assert.equal(applied(l, fix).after, JSON.stringify(withFloatingIp(t), null, indent) + '\n');
      checkGuarantees(l, f, fix);
    });
  }
});

describe('floating-IP fix: enableFloatingIP absent is inserted in the style of the text', () => {
  for (const [name, indent] of [
    ['2 spaces', 2],
    ['4 spaces', 4],
    ['tabs', '\t'],
  ] as const) {
    it(`ARM, multi-line, indented with ${name}: a new last line, like JSON.stringify would write it`, () => {
      const t = generatedTemplate(undefined);
      const text = JSON.stringify(t, null, indent) + '\n';
      const l = loadOne(GEN_FILE, text);
      const f = onlyFinding(l);
      const fix = offered(l, f);
      assert.equal(fix.edits[0]?.length, 0, 'an insertion');
      assert.equal(applied(l, fix).after, JSON.stringify(withFloatingIp(t), null, indent) + '\n');
      checkGuarantees(l, f, fix);
    });
  }

  it('the one-line JSON object { "protocol": "Tcp", "frontendPort": 80 } gets the property on its line', () => {
    const obj = '{ "protocol": "Tcp", "frontendPort": 80 }';
    const text = `{\n  "rule": {\n    "properties": ${obj}\n  }\n}\n`;
    const start = text.indexOf(obj);
    const r = floatingIpFix(syntheticFinding({ properties: { file: '/virtual/one-line.json', start, end: start + obj.length } }), () => text);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    assert.equal(applyEdits(text, r.fix.edits), text.replace(obj, '{ "protocol": "Tcp", "frontendPort": 80, "enableFloatingIP": true }'));
  });

  it('the one-line Bicep object { protocol: \'Tcp\', frontendPort: 80 } gets the property on its line', () => {
    const obj = "{ protocol: 'Tcp', frontendPort: 80 }";
    const text = `var ruleProperties = ${obj}\n`;
    const start = text.indexOf(obj);
    const r = floatingIpFix(syntheticFinding({ properties: { file: '/virtual/one-line.bicep', start, end: start + obj.length } }), () => text);
    assert.ok(r.ok, r.ok ? '' : r.reason);
    const after = applyEdits(text, r.fix.edits);
    assert.equal(after, text.replace(obj, "{ protocol: 'Tcp', frontendPort: 80, enableFloatingIP: true }"));
    assert.equal(bicepDiagnostics('x.bicep', after), 0);
  });

  it('ARM: a whole template whose rule properties are one line', () => {
    const l = load(readTexts(path.join(FIXES, 'arm', 'one-line.json')));
    const f = onlyFinding(l);
    const fix = offered(l, f);
    const { before, after } = applied(l, fix);
    assert.equal(after, before.replace('"backendPort": 80 }', '"backendPort": 80, "enableFloatingIP": true }'));
    assert.ok(isStrictJson(after));
    checkGuarantees(l, f, fix);
  });

  it('JSONC: after a trailing comma the result parses and the property has its own line', () => {
    const l = load(readTexts(path.join(FIXES, 'arm', 'trailing-comma.json')));
    const f = onlyFinding(l);
    const fix = offered(l, f);
    const { before, after } = applied(l, fix);
    assert.deepEqual(jsonErrors(after), []);
    const lines = after.split('\n');
    const at = lines.findIndex((x) => x.includes('"backendPort": 80'));
    assert.equal(lines[at], '              "backendPort": 80,');
    assert.match(lines[at + 1] as string, /^ {14}"enableFloatingIP": true,?$/);
    assert.equal(lines[at + 2], '            }');
    assert.equal(lines.length, before.split('\n').length + 1);
    checkGuarantees(l, f, fix);
  });

  it('JSONC: a // comment after the last property: the result parses, the comment is kept, the property indented like the others', () => {
    const l = load(readTexts(path.join(FIXES, 'arm', 'comment-after-last.json')));
    const f = onlyFinding(l);
    const fix = offered(l, f);
    const { after } = applied(l, fix);
    assert.deepEqual(jsonErrors(after), []);
    assert.equal((after.match(/\/\/ the port the app listens on/g) ?? []).length, 1);
    assert.match(after, /\n {14}"enableFloatingIP": true\b/);
    checkGuarantees(l, f, fix);
  });

  for (const kind of ['comment-after-last', 'block-comment-after-last'] as const) {
    it(`JSONC: the comment after the last property stays on that property's line (${kind})`, () => {
      const l = load(readTexts(path.join(FIXES, 'arm', `${kind}.json`)));
      const { after } = applied(l, offered(l, onlyFinding(l)));
      const lines = after.split('\n');
      const at = lines.findIndex((x) => x.includes('"backendPort": 80'));
      assert.match(lines[at] as string, /"backendPort": 80,?\s*(\/\/|\/\*) the port the app listens on/);
      assert.match(lines[at + 1] as string, /^ {14}"enableFloatingIP": true,?$/);
    });
  }

  it('Bicep, multi-line: a new line under the last property, same indentation, no comma', () => {
    const l = load(readTexts(path.join(FIXES, 'bicep', 'multi-line')));
    const f = onlyFinding(l);
    const fix = offered(l, f);
    const { before, after } = applied(l, fix);
    assert.equal(after, before.replace('          backendPort: 80\n        }', '          backendPort: 80\n          enableFloatingIP: true\n        }'));
    checkGuarantees(l, f, fix);
  });

  it('Bicep, one-line: the property joins the line after a comma', () => {
    const l = load(readTexts(path.join(FIXES, 'bicep', 'one-line')));
    const f = onlyFinding(l);
    const fix = offered(l, f);
    const { before, after } = applied(l, fix);
    assert.equal(after, before.replace('backendPort: 80 }', 'backendPort: 80, enableFloatingIP: true }'));
    checkGuarantees(l, f, fix);
  });

  it('Bicep: a // comment after the last property stays on that property\'s line', () => {
    const l = load(readTexts(path.join(FIXES, 'bicep', 'comment-after-last')));
    const { before, after } = applied(l, offered(l, onlyFinding(l)));
    assert.equal(
      after,
      before.replace('          backendPort: 80 // the port the app listens on\n', '          backendPort: 80 // the port the app listens on\n          enableFloatingIP: true\n'),
    );
  });

  it('ARM, CRLF line breaks: the inserted line break is CRLF too', () => {
    const t = generatedTemplate(undefined);
    const text = (JSON.stringify(t, null, 2) + '\n').replace(/\n/g, '\r\n');
    const l = loadOne(GEN_FILE, text);
    const { after } = applied(l, offered(l, onlyFinding(l)));
    assert.equal(after, (JSON.stringify(withFloatingIp(t), null, 2) + '\n').replace(/\n/g, '\r\n'));
  });

  it('Bicep, CRLF line breaks: the inserted line break is CRLF too', () => {
    const file = path.join(FIXES, 'bicep', 'multi-line', 'main.bicep');
    const text = fs.readFileSync(file, 'utf8').replace(/\n/g, '\r\n');
    const l = loadOne(toPosix(file), text);
    const { after } = applied(l, offered(l, onlyFinding(l)));
    assert.equal(after, text.replace('          backendPort: 80\r\n        }', '          backendPort: 80\r\n          enableFloatingIP: true\r\n        }'));
  });

  it('CRLF files still get a working fix (parses, finding gone, indentation kept)', () => {
    const t = generatedTemplate(undefined);
    const arm = loadOne(GEN_FILE, (JSON.stringify(t, null, 4) + '\n').replace(/\n/g, '\r\n'));
    const fa = onlyFinding(arm);
    checkGuarantees(arm, fa, offered(arm, fa));
    const file = path.join(FIXES, 'bicep', 'multi-line', 'main.bicep');
    const bicep = loadOne(toPosix(file), fs.readFileSync(file, 'utf8').replace(/\n/g, '\r\n'));
    const fb = onlyFinding(bicep);
    checkGuarantees(bicep, fb, offered(bicep, fb));
  });
});

/** A finding with only what the fix reads (the rule name and the fix target). */
function syntheticFinding(fixTarget: Finding['fixTarget']): Finding {
  const span: SourceSpan = { file: '/virtual/x.json', start: 0, end: 0 };
  return {
    ruleId: 'hairpin-prone-rule',
    severity: 'warning',
    message: 'synthetic',
    span,
    related: [],
    facts: {
      loadBalancer: 'lb',
      lbRule: 'rule',
      frontendIp: null,
      frontendName: 'fe',
      frontendPort: 80,
      protocol: 'Tcp',
      haPorts: false,
      members: 1,
      membersKnown: 1,
      failureChance: 1,
    },
    ...(fixTarget ? { fixTarget } : {}),
  };
}

// ------------------------------------------------------------------ refusals

describe('floating-IP fix: refusals say why', () => {
  it('a rule a module builds from its caller\'s data, when the module does not read enableFloatingIP from it', () => {
    const texts = readTexts(path.join(BICEP_FIXTURES, 'generic-lb-module'));
    const modulePath = [...texts.keys()].find((p) => p.endsWith('loadBalancer.bicep')) as string;
    // The module ignores the caller's enableFloatingIP: setting it at the call would change nothing.
    texts.set(modulePath, (texts.get(modulePath) as string).replace(/contains\(loadBalancingRule, 'enableFloatingIP'\) \? loadBalancingRule\.enableFloatingIP : false/, 'false || false'));
    const l = load(texts);
    assert.equal(l.analysis.findings.length, 1, 'one finding for the one deployment, at the module declaration');
    for (const f of l.analysis.findings) {
      const reason = refused(l, f);
      assert.match(reason, /built inside module ilb from its caller's values/);
      assert.match(reason, /the module does not read enableFloatingIP from its parameters/);
    }
  });

  it('an IPv6 frontend (privateIPAddressVersion IPv6): refused, and the finding says why', () => {
    const l = load(readTexts(path.join(FIXES, 'arm', 'ipv6-frontend.json')));
    assert.match(refused(l, onlyFinding(l)), /IPv6/);
    assert.ok(onlyFinding(l).message.endsWith('Floating IP is no option here (Azure does not support floating IP on an IPv6 internal frontend): add a secondary NIC, or put a proxy tier in front.'), onlyFinding(l).message);
  });

  it('a member through a NIC ipConfiguration with primary: false: refused, and the finding says why', () => {
    const l = load(readTexts(path.join(FIXES, 'arm', 'secondary-ipconfig.json')));
    assert.match(refused(l, onlyFinding(l)), /secondary IP configuration/);
    assert.match(onlyFinding(l).message, /Floating IP is no option here \(a member joins the pool through a NIC's secondary IP configuration, where Azure does not support floating IP\): add a secondary NIC, or put a proxy tier in front\.$/);
  });

  it('a property-copy loop that makes several rules (ARM), and a Bicep for-loop of rules', () => {
    const arm = load(readTexts(path.join(FIXTURES_DIR, 'property-copy-rules.json')));
    assert.equal(arm.analysis.findings.length, 2);
    for (const f of arm.analysis.findings) assert.match(refused(arm, f), /made by a loop together with other rules/);
    const bicep = load(readTexts(path.join(BICEP_FIXTURES, 'object-loops')));
    assert.ok(bicep.analysis.findings.length >= 2);
    for (const f of bicep.analysis.findings) assert.match(refused(bicep, f), /made by a loop together with other rules/);
  });

  it('enableFloatingIP: "[parameters(\'fip\')]" with default false', () => {
    const l = load(readTexts(path.join(FIXES, 'arm', 'param-floating-ip.json')));
    const reason = refused(l, onlyFinding(l));
    assert.match(reason, /enableFloatingIP is computed/);
    assert.ok(reason.includes("[parameters('fip')]"), reason);
  });

  it('a computed value in Bicep (a parameter set by a .bicepparam file)', () => {
    const l = load(readTexts(path.join(BICEP_FIXTURES, 'bicepparam-vm-count')));
    assert.match(refused(l, onlyFinding(l)), /enableFloatingIP is computed \(floating\)/);
  });

  it('a finding without a fix target, or whose file cannot be read', () => {
    assert.match(refused(loadOne('/v/x.json', '{}'), syntheticFinding(undefined)), /does not say where/);
    const r = floatingIpFix(syntheticFinding({ properties: { file: '/v/gone.json', start: 0, end: 2 } }), () => undefined);
    assert.ok(!r.ok && /cannot be read/.test(r.reason));
  });

  it('a member through a NIC\'s second ipConfiguration when only the first says primary: true', () => {
    const l = load(readTexts(path.join(FIXES, 'arm', 'secondary-ipconfig-implicit.json')));
    assert.match(refused(l, onlyFinding(l)), /secondary IP configuration/);
  });

  it('a rule written literally inside a module or linked template is fixed in that file (its finding is at the call site)', () => {
    const l = load(readTexts(path.join(BICEP_FIXTURES, 'modules-across-folders')));
    assert.equal(l.analysis.findings.length, 1);
    const f = l.analysis.findings[0] as Finding;
    assert.match(f.span.file, /main\.bicep$/);
    assert.match(ruleSite(f).file, /network\/lb\.bicep$/);
    const fix = offered(l, f);
    const { file, before, after } = applied(l, fix);
    assert.match(file, /network\/lb\.bicep$/);
    assert.equal(after, before.replace('enableFloatingIP: false', 'enableFloatingIP: true'));
  });
});

// ------------------------------------------------------------------ the CLI

/** Every file under a folder: relative `/` path -> content. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) visit(full);
      else out.set(toPosix(path.relative(dir, full)), fs.readFileSync(full, 'utf8'));
    }
  };
  visit(dir);
  return out;
}

const temps: string[] = [];
/** A temp folder with the given files (destination relative path -> source path). */
function tempWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-fix-'));
  temps.push(dir);
  for (const [to, from] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, to)), { recursive: true });
    fs.copyFileSync(from, path.join(dir, to));
  }
  return dir;
}

after(() => {
  for (const d of temps) fs.rmSync(d, { recursive: true, force: true });
});

/** Fixable templates only; load balancer names all differ. */
const FIXABLE: Record<string, string> = {
  'web/azuredeploy.json': SEED_LAB,
  'arm/one-line.json': path.join(FIXES, 'arm', 'one-line.json'),
  'arm/trailing-comma.json': path.join(FIXES, 'arm', 'trailing-comma.json'),
  'arm/comment-after-last.json': path.join(FIXES, 'arm', 'comment-after-last.json'),
  'arm/two-rules.json': path.join(FIXES, 'arm', 'two-rules.json'),
  'bicep-multi/main.bicep': path.join(FIXES, 'bicep', 'multi-line', 'main.bicep'),
  'bicep-one-line/main.bicep': path.join(FIXES, 'bicep', 'one-line', 'main.bicep'),
};

/** The findings left in a folder, read from disk, and whether each is fixable. */
function findingsOnDisk(dir: string): { rule: string; fixable: boolean; reason?: string }[] {
  const l = load(readTexts(dir));
  return l.analysis.findings.map((f) => {
    const r = floatingIpFix(f, textOfWorkspace(l.ws));
    return r.ok ? { rule: f.facts.lbRule, fixable: true } : { rule: f.facts.lbRule, fixable: false, reason: r.reason };
  });
}

describe('cli: ilb-hairpin fix --strategy floating-ip', () => {
  let dir = '';
  let original = new Map<string, string>();
  before(() => {
    dir = tempWith(FIXABLE);
    original = snapshot(dir);
  });

  it('--dry-run prints a unified diff, writes nothing, and exits 0', () => {
    const mtimes = [...original.keys()].map((f) => fs.statSync(path.join(dir, f)).mtimeMs);
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(snapshot(dir), original, 'no file changed');
    assert.deepEqual(
      [...original.keys()].map((f) => fs.statSync(path.join(dir, f)).mtimeMs),
      mtimes,
      'no file written',
    );
    for (const f of original.keys()) {
      assert.ok(r.stdout.includes(`--- a/${f}`), `diff of ${f}:\n${r.stdout}`);
      assert.ok(r.stdout.includes(`+++ b/${f}`), `diff of ${f}`);
    }
    assert.match(r.stdout, /^-\s+"enableFloatingIP": false,$/m);
    assert.match(r.stdout, /^\+\s+"enableFloatingIP": true,$/m);
    assert.match(r.stdout, /^\+\s+enableFloatingIP: true$/m);
    assert.match(r.stdout, /^@@ -\d+,\d+ \+\d+,\d+ @@/m);
    assert.ok(!r.stderr.includes('Fixed '), 'a dry run does not say it fixed anything');
  });

  it('without --dry-run writes exactly what the diff showed, exits 0, and a scan finds nothing left', () => {
    const dry = cli(dir, 'fix', '.', '--strategy', 'floating-ip', '--dry-run');
    const patches = parsePatch(dry.stdout);
    assert.equal(patches.length, original.size);
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Fixed 8 of 8\./);
    const now = snapshot(dir);
    for (const p of patches) {
      const file = (p.oldFileName ?? '').replace(/^a\//, '');
      const expected = applyPatch(original.get(file) ?? '', p);
      assert.equal(now.get(file), expected, `${file} is what the diff showed`);
    }
    for (const [file, text] of now) assert.notEqual(text, original.get(file), `${file} was fixed`);
    // No hairpin-prone rule is left; floating IP alone leaves the members without the VIP on
    // their loopback, which floating-ip-without-loopback reports (exit 1).
    const scan = cli(dir, 'scan', '.');
    assert.equal(scan.code, 1, scan.stdout);
    assert.match(scan.stdout, /^0 hairpin-prone rules, \d+ floating-ip-without-loopback; 7 templates in 7 files scanned\.$/m);
    assert.deepEqual(findingsOnDisk(dir), []);
  });

  it('a second fix finds nothing to do and changes nothing', () => {
    const before = snapshot(dir);
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip');
    assert.equal(r.code, 0);
    assert.match(r.stderr, /Nothing to fix\./);
    assert.deepEqual(snapshot(dir), before);
  });
});

describe('cli: fix --rule NAME', () => {
  it('fixes only that rule and leaves the other files alone', () => {
    const dir = tempWith(FIXABLE);
    const original = snapshot(dir);
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip', '--rule', 'rule-b');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /rule rule-b: Enable floating IP/);
    assert.match(r.stderr, /Fixed 1 of 1\./);
    const now = snapshot(dir);
    for (const [file, text] of original) {
      if (file !== 'arm/two-rules.json') assert.equal(now.get(file), text, `${file} unchanged`);
    }
    const fixed = now.get('arm/two-rules.json') ?? '';
    assert.equal(fixed, (original.get('arm/two-rules.json') ?? '').replace('"backendPort": 443\n', '"backendPort": 443,\n              "enableFloatingIP": true\n'));
    const left = findingsOnDisk(dir).map((f) => f.rule);
    assert.ok(left.includes('rule-a') && !left.includes('rule-b'), left.join(', '));
  });

  it('--rule with --dry-run shows only that rule', () => {
    const dir = tempWith(FIXABLE);
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip', '--rule', 'rule-a', '--dry-run');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(parsePatch(r.stdout).length, 1);
    assert.ok(r.stdout.includes('--- a/arm/two-rules.json'));
    assert.match(r.stdout, /^-\s+"enableFloatingIP": false$/m);
    assert.match(r.stdout, /^\+\s+"enableFloatingIP": true$/m);
  });

  it('a rule name no finding has: exit 1, says so, writes nothing', () => {
    const dir = tempWith(FIXABLE);
    const original = snapshot(dir);
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip', '--rule', 'no-such-rule');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /No hairpin-prone rule named no-such-rule/);
    assert.deepEqual(snapshot(dir), original);
  });
});

describe('cli: fix when some finding is refused', () => {
  it('exit 1, says why on stderr, and still fixes the others', () => {
    const dir = tempWith({
      'web/azuredeploy.json': SEED_LAB,
      'param/azuredeploy.json': path.join(FIXES, 'arm', 'param-floating-ip.json'),
      'ipv6/azuredeploy.json': path.join(FIXES, 'arm', 'ipv6-frontend.json'),
    });
    const original = snapshot(dir);
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /param\/azuredeploy\.json:\d+: rule rule-param-floating-ip: not fixed: enableFloatingIP is computed \("\[parameters\('fip'\)\]"\)/);
    assert.match(r.stderr, /ipv6\/azuredeploy\.json:\d+: rule rule-ipv6-frontend: not fixed: .*IPv6/);
    assert.match(r.stderr, /Fixed 1 of 3\./);
    const now = snapshot(dir);
    assert.equal(now.get('param/azuredeploy.json'), original.get('param/azuredeploy.json'));
    assert.equal(now.get('ipv6/azuredeploy.json'), original.get('ipv6/azuredeploy.json'));
    assert.equal(now.get('web/azuredeploy.json'), original.get('web/azuredeploy.json')?.replace('"enableFloatingIP": false', '"enableFloatingIP": true'));
  });

  it('the ARM fixtures as one folder: after the fix, every finding left is one the fix refuses', () => {
    const files: Record<string, string> = {};
    for (const f of jsonFilesIn(FIXTURES_DIR)) files[path.basename(f)] = f;
    const dir = tempWith(files);
    const before = findingsOnDisk(dir);
    assert.ok(before.some((f) => f.fixable) && before.some((f) => !f.fixable));
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not fixed: the rule is made by a loop together with other rules/);
    const left = findingsOnDisk(dir);
    assert.deepEqual(left.filter((f) => f.fixable), []);
    assert.deepEqual(left.map((f) => f.rule).sort(), before.filter((f) => !f.fixable).map((f) => f.rule).sort());
    const scan = JSON.parse(cli(dir, 'scan', '.', '--format', 'json').stdout) as { findings: { lbRule: string; ruleId: string }[] };
    const hairpin = scan.findings.filter((f) => f.ruleId === 'hairpin-prone-rule');
    assert.deepEqual(hairpin.map((f) => f.lbRule).sort(), left.map((f) => f.rule).sort(), 'the CLI scan reports the same');
  });

  it('a module-built rule: fixed once, in the caller\'s data for that rule (the call-site copy is not fixed twice)', () => {
    const root = path.join(BICEP_FIXTURES, 'generic-lb-module');
    const dir = tempWith({ 'main.bicep': path.join(root, 'main.bicep'), 'modules/loadBalancer.bicep': path.join(root, 'modules', 'loadBalancer.bicep') });
    const original = snapshot(dir);
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Fixed 1 of 1\./);
    const after = snapshot(dir);
    const module = [...after.keys()].find((k) => k.endsWith('loadBalancer.bicep')) as string;
    const main = [...after.keys()].find((k) => k.endsWith('main.bicep')) as string;
    assert.equal(after.get(module), original.get(module), 'the module is not changed');
    const before = original.get(main) as string;
    assert.equal(after.get(main), before.replace("        backendPort: 443\n      }", "        backendPort: 443\n        enableFloatingIP: true\n      }"));
    assert.equal(cli(dir, 'scan', '.').code, 0, 'no finding after the fix');
  });

  it('a template with a byte order mark keeps it', () => {
    const dir = tempWith({});
    const file = path.join(dir, 'azuredeploy.json');
    fs.writeFileSync(file, '\uFEFF' + fs.readFileSync(SEED_LAB, 'utf8'));
    const r = cli(dir, 'fix', '.', '--strategy', 'floating-ip');
    assert.equal(r.code, 0, r.stderr);
    const text = fs.readFileSync(file, 'utf8');
    assert.ok(text.startsWith('\uFEFF'), 'the BOM is kept');
    assert.ok(text.includes('"enableFloatingIP": true'));
  });
});

describe('cli: fix usage errors exit 2 and write nothing', () => {
  let dir = '';
  let original = new Map<string, string>();
  before(() => {
    dir = tempWith({ 'web/azuredeploy.json': SEED_LAB });
    original = snapshot(dir);
  });

  for (const [label, argv, message] of [
    ['--strategy missing', ['fix', '.'], /--strategy is required/],
    ['--strategy missing, with --dry-run', ['fix', '.', '--dry-run'], /--strategy is required/],
    ['an unknown strategy', ['fix', '.', '--strategy', 'teleport'], /--strategy takes one of floating-ip, /],
    ['--strategy without a value', ['fix', '.', '--strategy'], /--strategy takes one of/],
    ['--rule without a name', ['fix', '.', '--strategy', 'floating-ip', '--rule'], /--rule takes a load-balancing rule name/],
  ] as const) {
    it(label, () => {
      const r = cli(dir, ...argv);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.match(r.stderr, /run 'ilb-hairpin --help'/);
      assert.equal(r.stdout, '');
      assert.deepEqual(snapshot(dir), original);
    });
  }
});

// Last, so that every fix checked above has reported its line breaks.
describe('floating-IP fix: line endings', () => {
  it('every checked fix keeps the line breaks of a CRLF file (every file and workspace above)', () => {
    assert.ok(fixesChecked > 0, 'the guarantee tests ran first');
    assert.deepEqual([...lineEndingIssues], []);
  });
});
