/**
 * What the fix tests share: loading a folder or a text into a workspace, the finding it has, and
 * the checks every applied fix must pass (the file still parses, its indentation).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTree, type ParseError } from 'jsonc-parser';
import { applyEdits, type TextEdit } from '../../src/core/edit';
import { parseBicep } from '../../src/core/parse/bicep';
import type { Finding } from '../../src/core/rules/types';
import { Workspace, type WorkspaceAnalysis } from '../../src/core/workspace';
import { REPO_ROOT } from './helpers';

export const CORPUS = path.resolve(REPO_ROOT, '..', 'shared', 'corpus');
export const EXAMPLES = path.join(REPO_ROOT, 'examples');
export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures');
export const TEMPLATE_FILE = /\.(bicep|bicepparam|jsonc?)$/i;

export const read = (p: string): string => fs.readFileSync(p, 'utf8');
export const toPosix = (p: string): string => p.split(path.sep).join('/');

/** Every template under a folder (or the one file): `/` path -> text. */
export function readTexts(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (p: string): void => {
    if (fs.statSync(p).isFile()) {
      if (TEMPLATE_FILE.test(p)) out.set(toPosix(p), read(p));
      return;
    }
    for (const e of fs.readdirSync(p, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory() && (e.name === 'node_modules' || e.name === '.git')) continue;
      if (e.isDirectory() || e.isFile()) visit(path.join(p, e.name));
    }
  };
  visit(root);
  return out;
}

export const listDir = (dir: string, pick: (e: fs.Dirent) => boolean): string[] =>
  fs.existsSync(dir)
    ? fs
        .readdirSync(dir, { withFileTypes: true })
        .filter(pick)
        .map((e) => path.join(dir, e.name))
        .sort()
    : [];
export const dirsIn = (dir: string): string[] => listDir(dir, (e) => e.isDirectory());
export const jsonFilesIn = (dir: string): string[] => listDir(dir, (e) => e.isFile() && /\.jsonc?$/i.test(e.name));

export interface Loaded {
  texts: Map<string, string>;
  ws: Workspace;
  analysis: WorkspaceAnalysis;
}

/**
 * The workspace of the texts, and its hairpin-prone findings: the fix tests are about that rule's
 * fixes (floating IP alone is then rightly reported by floating-ip-without-loopback, which has
 * its own tests).
 */
export function load(texts: Map<string, string>): Loaded {
  const ws = new Workspace();
  for (const [p, t] of texts) ws.setFile(p, t);
  const analysis = ws.analyze();
  return { texts, ws, analysis: { ...analysis, findings: analysis.findings.filter((f) => f.ruleId === 'hairpin-prone-rule') } };
}

export const loadOne = (file: string, text: string): Loaded => load(new Map([[file, text]]));

/** The text the fix reads, as the CLI and the editor give it (the workspace's). */
export const textOf = (l: Loaded) => (file: string): string | undefined => l.ws.source(file)?.text;

export const ruleKey = (f: Finding): string => `${f.ruleId}|${f.span.file}|${f.facts.loadBalancer}|${f.facts.lbRule}|${f.facts.viaModule ?? ''}`;
export const describeFinding = (f: Finding): string => `${f.span.file} rule ${f.facts.loadBalancer}/${f.facts.lbRule}${f.facts.viaModule ? ` via ${f.facts.viaModule}` : ''}`;

export function onlyFinding(l: Loaded): Finding {
  assert.equal(l.analysis.findings.length, 1, l.analysis.findings.map(describeFinding).join('\n'));
  return l.analysis.findings[0] as Finding;
}

/** The texts after edits in any of their files. */
export function applyAll(texts: Map<string, string>, edits: readonly TextEdit[]): Map<string, string> {
  const next = new Map(texts);
  const byFile = new Map<string, TextEdit[]>();
  for (const e of edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  for (const [file, list] of byFile) next.set(file, applyEdits(next.get(file) ?? '', list));
  return next;
}

export function jsonErrors(text: string): ParseError[] {
  const errors: ParseError[] = [];
  parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  return errors;
}

export function isStrictJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

export const bicepDiagnostics = (text: string): number => parseBicep(text, { fileKind: 'bicep' }).diagnostics.length;

/** Whether lines are indented with tabs or spaces, by majority. */
export function indentChar(text: string): '\t' | ' ' {
  const tabs = (text.match(/^\t/gm) ?? []).length;
  const spaces = (text.match(/^ /gm) ?? []).length;
  return tabs > spaces ? '\t' : ' ';
}

/** Each workspace of test/fixtures and examples, as the other fix tests analyse them (a JSON file or a folder on its own). */
export function fixtureWorkspaces(): { label: string; root: string }[] {
  const rel = (p: string): string => toPosix(path.relative(REPO_ROOT, p));
  const roots = [
    ...jsonFilesIn(path.join(FIXTURES, 'arm')),
    ...dirsIn(path.join(FIXTURES, 'bicep')),
    ...jsonFilesIn(path.join(FIXTURES, 'fixes', 'arm')),
    ...dirsIn(path.join(FIXTURES, 'fixes', 'bicep')),
    ...dirsIn(path.join(FIXTURES, 'host-workspace')),
    ...dirsIn(path.join(FIXTURES, 'lab')),
    path.join(FIXTURES, 'deployments', 'linked'),
    path.join(FIXTURES, 'workspace', 'cli-params'),
    ...dirsIn(EXAMPLES),
  ];
  // Every template folder of test/fixtures is covered by one of the roots above.
  return roots.map((root) => ({ label: rel(root), root }));
}

/** A hairpin-prone rule a careful human found in the shared corpus (`corpus/expected.json`). */
export interface CorpusPositive {
  /** The first two path segments: the workspace the file is analysed in. */
  repo: string;
  file: string;
  /** The rule's name; `*suffix` matches names that end so. */
  lbRule: string;
}

export function corpusPositives(): CorpusPositive[] {
  if (!fs.existsSync(CORPUS)) return [];
  const expected = JSON.parse(read(path.join(CORPUS, 'expected.json'))) as { positives: { file: string; lbRule: string }[] };
  return expected.positives.map((p) => ({ ...p, repo: p.file.split('/').slice(0, 2).join('/') }));
}

/** The positive's finding in its repository's workspace: the rule itself when it is in the file, else its copy at the module call site. */
export function corpusFinding(l: Loaded, p: CorpusPositive): Finding | undefined {
  const file = toPosix(path.join(CORPUS, p.file));
  const matches = (actual: string): boolean => (p.lbRule.startsWith('*') ? actual.endsWith(p.lbRule.slice(1)) : p.lbRule === actual);
  const candidates = l.analysis.findings.filter((f) => f.span.file === file && matches(f.facts.lbRule));
  return candidates.find((x) => !x.facts.viaModule) ?? candidates[0];
}

// ------------------------------------------------------------------ readable copies of guest scripts

const normal = (script: string): string => script.replace(/\r\n/g, '\n').replace(/\n$/, '');

/** The scripts embedded encoded in a text: CustomScript `script` (base64 UTF-8) and PowerShell `-EncodedCommand` (base64 UTF-16LE). */
export function encodedScripts(text: string): string[] {
  return [
    ...[...text.matchAll(/"?\bscript"?: *["']([A-Za-z0-9+/=]{40,})["']/g)].map((m) => Buffer.from(m[1] as string, 'base64').toString('utf8')),
    ...[...text.matchAll(/-EncodedCommand ([A-Za-z0-9+/=]{40,})/g)].map((m) => Buffer.from(m[1] as string, 'base64').toString('utf16le')),
  ].map(normal);
}

/** The readable copies in a text: `//` comment blocks under the head line, and ARM `comments` that start with it. */
export function readableCopies(text: string, head: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() !== `// ${head}`) return;
    const body: string[] = [];
    for (let j = i + 1; j < lines.length && /^\s*\/\/(?: {3}.*)?$/.test(lines[j] as string); j++) body.push((lines[j] as string).trim().replace(/^\/\/(?: {3})?/, ''));
    out.push(body.join('\n'));
  });
  for (const m of text.matchAll(/"comments"\s*:\s*("(?:[^"\\]|\\.)*")/g)) {
    const value = JSON.parse(m[1] as string) as string;
    if (value.startsWith(`${head}\n`)) out.push(value.slice(head.length + 1));
  }
  return out;
}

/**
 * Every script a fix embeds encoded is also there to read: as a comment next to it, or (ARM scale
 * sets, which have no place for one) in the fix's notes; every readable copy is one of the scripts.
 */
export function assertReadableCopies(after: string, notes: readonly string[], head: string, what: string): void {
  const scripts = encodedScripts(after);
  const copies = readableCopies(after, head);
  for (const c of copies) assert.ok(scripts.includes(c), `${what}: a readable copy that no embedded script matches:\n${c}`);
  for (const s of scripts) assert.ok(copies.includes(s) || notes.some((n) => normal(n).endsWith(`\n${s}`)), `${what}: an embedded script without a readable copy:\n${s}`);
}

/** Nothing outside the edit spans differs: the text between edits (in offset order) appears unchanged in `after`. */
export function assertOutsideUnchanged(before: string, after: string, edits: readonly TextEdit[], what: string): void {
  const sorted = [...edits].sort((a, b) => a.offset - b.offset);
  let from = 0;
  let at = 0;
  for (let i = 0; i < sorted.length; ) {
    const offset = (sorted[i] as TextEdit).offset;
    const group = sorted.filter((e) => e.offset === offset);
    i += group.length;
    assert.ok(offset >= from, `${what}: edits do not overlap`);
    const between = before.slice(from, offset);
    assert.equal(after.slice(at, at + between.length), between, `${what}: the text before offset ${offset} is unchanged`);
    at += between.length;
    // Edits at one offset are applied last-sorted-first by applyEdits; their texts follow each other.
    const inserted = group.map((e) => e.newText);
    const joined = inserted.join('');
    const reversed = [...inserted].reverse().join('');
    const here = after.slice(at, at + joined.length);
    assert.ok(here === joined || here === reversed, `${what}: the inserted text at ${offset} is in place`);
    at += joined.length;
    from = offset + Math.max(...group.map((e) => e.length));
  }
  assert.equal(after.slice(at), before.slice(from), `${what}: the text after the last edit is unchanged`);
}
