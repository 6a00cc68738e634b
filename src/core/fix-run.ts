/**
 * One fix run over several findings, for `ilb-hairpin fix` and the editor's fix-all: each fix is
 * computed against the text the fixes before it left (the workspace is analysed again in between),
 * so fixes whose edits meet compose instead of clashing, and one run settles what a second would.
 */
import { computeFix, type FixOptions } from './fixes';
import { applyEdits, type TextEdit } from './edit';
import type { FixStrategy } from './fixes/types';
import { ruleSite, type Finding } from './rules/types';
import type { Workspace } from './workspace';

/** What happened to one selected finding. */
export type FixOutcome =
  | { finding: Finding; ok: true; title: string; notes: string[] }
  | { finding: Finding; ok: false; reason: string };

/** A file the run changes: its text before (empty for a new file) and after. */
export interface FileChange {
  file: string;
  before: string;
  after: string;
  created: boolean;
}

export interface FixRunResult {
  outcomes: FixOutcome[];
  changes: FileChange[];
  /** The notes of the applied fixes, each once. */
  notes: string[];
}

export interface FixRunOptions extends FixOptions {
  /** Which findings to fix (among the workspace's findings). */
  select: (finding: Finding) => boolean;
  /** Does a file exist outside the workspace's view (a fix never creates over one)? */
  exists?: (file: string) => boolean;
  /**
   * Refuse a finding whose fix edits any file this predicate rejects (the editor's fix-all keeps
   * to the file being saved); the finding is left as it is, with the reason.
   */
  mayEdit?: (file: string) => string | undefined;
  /** How a file is named in a reason (the CLI: relative to its working folder). */
  display?: (file: string) => string;
  /** Put the workspace's texts back afterwards (the editor's live workspace); default false. */
  restore?: boolean;
}

/** The identity of a finding across re-analyses (its offsets move when an earlier fix edits the file). */
export function findingKey(f: Finding): string {
  return [f.ruleId, f.span.file, f.facts.loadBalancer, f.facts.lbRule, f.facts.frontendName, f.facts.viaModule ?? ''].join('\u0000');
}

/**
 * Applies `strategy` to every selected finding. The fixes are computed in rounds against the
 * current texts: those of a round whose edits do not meet are applied together (two findings of
 * one rule share their edit), and a fix whose edits meet another's is computed again in the next
 * round against the result. Findings that cannot be fixed are reported with the reason and change
 * nothing.
 */
export function runFixes(workspace: Workspace, strategy: FixStrategy, options: FixRunOptions): FixRunResult {
  const originals = new Map<string, string | undefined>();
  const created = new Set<string>();
  const outcomes: FixOutcome[] = [];
  const notes = new Set<string>();
  const done = new Set<string>();
  const textOf = (file: string): string | undefined => workspace.source(file)?.text;
  const name = options.display ?? ((file: string) => file);
  const fixOptions: FixOptions = { ...(options.os ? { os: options.os } : {}), ...(options.sku ? { sku: options.sku } : {}) };
  try {
    // Every round settles at least one finding (the first one computed never meets an edit of its
    // own round), so the rounds end.
    for (;;) {
      const pending = workspace.analyze().findings.filter((f) => options.select(f) && !done.has(findingKey(f)));
      if (pending.length === 0) break;
      const round: TextEdit[] = [];
      for (const finding of pending) {
        const result = computeFix(strategy, finding, textOf, fixOptions);
        if (result.ok && result.fix.edits.some((e) => round.some((x) => meets(x, e)))) continue; // next round
        done.add(findingKey(finding));
        const reason = result.ok ? refusal(result.fix.edits) : result.reason;
        if (reason !== undefined || !result.ok) {
          outcomes.push({ finding, ok: false, reason: reason ?? 'no fix' });
          continue;
        }
        for (const e of result.fix.edits) if (!round.some((x) => same(x, e))) round.push(e);
        outcomes.push({ finding, ok: true, title: result.fix.title, notes: result.fix.notes });
        for (const n of result.fix.notes) notes.add(n);
      }
      const byFile = new Map<string, TextEdit[]>();
      for (const e of round) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
      for (const [file, edits] of byFile) {
        const isNew = edits.some((e) => e.create);
        if (!originals.has(file)) originals.set(file, isNew ? undefined : textOf(file));
        if (isNew) created.add(file);
        workspace.setFile(file, applyEdits(isNew ? '' : (textOf(file) ?? ''), edits));
      }
    }
    const changes: FileChange[] = [];
    for (const [file, before] of originals) {
      const after = textOf(file) ?? '';
      if (before !== after) changes.push({ file, before: before ?? '', after, created: created.has(file) });
    }
    return { outcomes, changes, notes: [...notes] };
  } finally {
    if (options.restore) {
      for (const [file, before] of originals) {
        if (before === undefined) workspace.removeFile(file);
        else workspace.setFile(file, before);
      }
    }
  }

  /** Why a computed fix is not applied here, if it is not. */
  function refusal(edits: readonly TextEdit[]): string | undefined {
    const taken = edits.find((e) => e.create && (workspace.has(e.file) || options.exists?.(e.file)));
    if (taken) return `${name(taken.file)} already exists (the fix would create it); nothing was changed`;
    for (const e of edits) {
      const refused = options.mayEdit?.(e.file);
      if (refused !== undefined) return refused;
      if (!e.create && textOf(e.file) === undefined) return `${name(e.file)} cannot be read`;
    }
    return undefined;
  }
}

function same(a: TextEdit, b: TextEdit): boolean {
  return a.file === b.file && a.offset === b.offset && a.length === b.length && a.newText === b.newText && !!a.create === !!b.create;
}

/** Two different edits of one file that touch the same place (an insertion counts as one character). */
function meets(a: TextEdit, b: TextEdit): boolean {
  return a.file === b.file && !same(a, b) && a.offset < b.offset + Math.max(b.length, 1) && b.offset < a.offset + Math.max(a.length, 1);
}

/** The strategy a fix-all applies: the only one that is complete without a new file or a choice. */
export const FIX_ALL_STRATEGY: FixStrategy = 'floating-ip-loopback';

/**
 * Fix-all for one file (the editor's `source.fixAll`, also run on save): only edits that keep
 * every client served. Floating IP alone makes each member drop what is addressed to the VIP, so
 * a rule is fixed only with the VIP on every member's loopback, when the templates tell every
 * member's OS (nobody is asked on save) and the edits stay in this file; otherwise it is left as
 * it is and the outcome says why.
 */
export function fixAllInFile(workspace: Workspace, file: string, options: Pick<FixRunOptions, 'display' | 'restore'> = {}): FixRunResult {
  const name = options.display ?? ((f: string) => f);
  return runFixes(workspace, FIX_ALL_STRATEGY, {
    ...options,
    select: (f) => f.ruleId === 'hairpin-prone-rule' && ruleSite(f).file === file,
    mayEdit: (other) => (other === file ? undefined : `its backend machines are declared in ${name(other)}, which a fix-all of ${name(file)} does not edit`),
  });
}

/**
 * One replacement that turns `before` into `after`: the text between their common prefix and
 * suffix (what an editor applies as a single, minimal edit).
 */
export function minimalEdit(before: string, after: string): { offset: number; length: number; newText: string } {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (end < max - start && before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)) end++;
  return { offset: start, length: before.length - start - end, newText: after.slice(start, after.length - end) };
}
