/**
 * Text edits as plain data, and what the style-preserving edits read from a text: the
 * indentation of a line, its line endings, whether two offsets share a line.
 */

export interface TextEdit {
  file: string;
  offset: number;
  length: number;
  newText: string;
  /** The file does not exist yet: the edit is its whole text (offset and length 0). */
  create?: boolean;
}

/** Applies edits to a text (edits of one file, in any order, not overlapping). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.offset - a.offset)) out = out.slice(0, e.offset) + e.newText + out.slice(e.offset + e.length);
  return out;
}

/** The indentation of the line that holds `offset`. */
export function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))?.[0] ?? '';
}

export function onSameLine(text: string, a: number, b: number): boolean {
  return !text.slice(Math.min(a, b), Math.max(a, b)).includes('\n');
}

/** `\r\n` when the text uses it, else `\n`. */
export function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/**
 * When only a comment (and spaces) follow `offset` on its line, the offset where that line's text
 * ends; undefined when nothing follows or code does.
 */
export function restOfLine(text: string, offset: number): number | undefined {
  const nl = text.indexOf('\n', offset);
  const lineEnd = nl < 0 ? text.length : text[nl - 1] === '\r' ? nl - 1 : nl;
  const rest = text.slice(offset, lineEnd).trim();
  if (rest === '') return undefined;
  return /^(\/\/.*|\/\*.*\*\/)$/.test(rest) ? lineEnd : undefined;
}
