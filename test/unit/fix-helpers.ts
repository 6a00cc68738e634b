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

export function load(texts: Map<string, string>): Loaded {
  const ws = new Workspace();
  for (const [p, t] of texts) ws.setFile(p, t);
  return { texts, ws, analysis: ws.analyze() };
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
