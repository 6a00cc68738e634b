/**
 * Re-parsing after an edit. Top-level statements are independent once the lexer is back in its
 * plain state, which it is after every line break between statements. So a re-parse starts two
 * statements before the edit (a statement may look at the first tokens of the next line), parses
 * the new text until it reaches, past the edit, the start of a statement of the previous parse,
 * and takes the rest from the previous parse, moved by the change in length.
 */
import type * as A from './ast';
import { type LexSink } from './lexer';
import { Parser } from './parser';
import { shiftOffsets } from './walk';

export interface BicepParseOptions {
  /** `bicep` or `bicepparam` reports declarations the other kind of file has; `any` (the default) accepts both. */
  fileKind?: A.BicepFileKind;
}

/** A replacement of the old text's `[start, end)` by `text`. */
export interface BicepEdit {
  start: number;
  end: number;
  text: string;
}

/** How many statements before the edit are parsed again (each looks at most at the first tokens of the next). */
const STATEMENTS_BEFORE_EDIT = 2;

function newSink(): LexSink {
  return { diagnostics: [], comments: [], pragmas: [] };
}

function compareDiagnostics(a: A.Diagnostic, b: A.Diagnostic): number {
  return a.start - b.start || a.end - b.end || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0);
}

/** The index of the first item whose start is at or after `offset` (items sorted by start). */
function firstAtOrAfter(items: readonly A.Span[], offset: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (items[mid].start < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Parses a .bicep or .bicepparam text. Never throws; problems are in `diagnostics`. */
export function parseBicep(text: string, options: BicepParseOptions = {}): A.BicepParseResult {
  const fileKind = options.fileKind ?? 'any';
  const sink = newSink();
  const statements = new Parser(text, 0, fileKind, sink).parseProgram();
  const program: A.Program = {
    kind: 'Program',
    fileKind,
    statements,
    pragmas: sink.pragmas,
    comments: sink.comments,
    start: 0,
    end: text.length,
  };
  return { program, diagnostics: sink.diagnostics.sort(compareDiagnostics) };
}

/**
 * The parse of `newText`, which is `previous`'s text with `edit` applied: equal to
 * `parseBicep(newText)`, but only the statements around the edit are parsed again. The statements
 * after the edit are taken over from `previous` and, when the edit changes the length of the text,
 * their offsets are moved in place: `previous` must not be used afterwards.
 */
export function reparseBicep(previous: A.BicepParseResult, edit: BicepEdit, newText: string): A.BicepParseResult {
  const old = previous.program;
  const delta = edit.text.length - (edit.end - edit.start);
  if (edit.start < 0 || edit.end < edit.start || edit.end > old.end || newText.length !== old.end + delta) {
    return parseBicep(newText, { fileKind: old.fileKind });
  }
  const statements = old.statements;
  // The first statement that ends at or after the edit's start (statements are in order and do not overlap).
  let touched = 0;
  for (let hi = statements.length; touched < hi; ) {
    const mid = (touched + hi) >>> 1;
    if (statements[mid].end < edit.start) touched = mid + 1;
    else hi = mid;
  }
  const from = Math.max(0, touched - STATEMENTS_BEFORE_EDIT);
  const regionStart = from === 0 ? 0 : statements[from].start;
  const newEditEnd = edit.start + edit.text.length;

  // Parse from `regionStart` until a statement starts where an old one did, after the edit.
  let candidate = touched;
  let resumeIndex = statements.length;
  const sink = newSink();
  const region = new Parser(newText, regionStart, old.fileKind, sink).parseProgram((t) => {
    if (t.start < newEditEnd) return false;
    const oldStart = t.start - delta;
    if (oldStart < edit.end) return false;
    while (candidate < statements.length && statements[candidate].start < oldStart) candidate++;
    if (candidate >= statements.length || statements[candidate].start !== oldStart) return false;
    resumeIndex = candidate;
    return true;
  });

  const tail = statements.slice(resumeIndex);
  const resumeAt = resumeIndex < statements.length ? statements[resumeIndex].start + delta : Infinity;
  const splice = <X extends A.Span>(oldItems: X[], newItems: X[]): X[] => {
    const after = oldItems.slice(firstAtOrAfter(oldItems, resumeAt - delta));
    if (delta !== 0) shiftOffsets(after, delta);
    return oldItems.slice(0, firstAtOrAfter(oldItems, regionStart)).concat(newItems.slice(0, firstAtOrAfter(newItems, resumeAt)), after);
  };
  if (delta !== 0) shiftOffsets(tail, delta);
  const program: A.Program = {
    kind: 'Program',
    fileKind: old.fileKind,
    statements: statements.slice(0, from).concat(region, tail),
    pragmas: splice(old.pragmas, sink.pragmas),
    comments: splice(old.comments, sink.comments),
    start: 0,
    end: newText.length,
  };
  return { program, diagnostics: splice(previous.diagnostics, sink.diagnostics.sort(compareDiagnostics)) };
}
