/**
 * Text widths without a browser: the layout runs in the CLI too, so node sizes come from an
 * estimate of the rendered width (per character class, in ems of a sans-serif face), slightly
 * generous so that labels fit whatever font the theme uses. Lines that do not fit are cut with an
 * ellipsis; the full text stays in the node's tooltip and accessible name.
 */

const NARROW = new Set("il.,:;'|!()[]{}/\\`ftrjI· ");
const WIDE = new Set('mwMW@%&');

/** Estimated width in pixels of `text` at `size` px. */
export function textWidth(text: string, size: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    if (NARROW.has(ch)) em += 0.34;
    else if (WIDE.has(ch)) em += 0.92;
    else if (ch >= 'A' && ch <= 'Z') em += 0.72;
    else if (ch >= '0' && ch <= '9') em += 0.64;
    else if (ch.charCodeAt(0) > 0x2000) em += 1;
    else em += 0.6;
  }
  return em * size * (bold ? 1.1 : 1);
}

/** `text`, cut with an ellipsis to fit `max` pixels. */
export function fitText(text: string, size: number, max: number, bold = false): string {
  if (textWidth(text, size, bold) <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (textWidth(`${text.slice(0, mid)}…`, size, bold) <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo).trimEnd()}…`;
}

/** Words of `text` in lines of at most `max` pixels (a word longer than a line is cut). */
export function wrapText(text: string, size: number, max: number, bold = false): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (textWidth(next, size, bold) <= max) {
      line = next;
      continue;
    }
    if (line) lines.push(line);
    line = textWidth(word, size, bold) <= max ? word : fitText(word, size, max, bold);
  }
  if (line) lines.push(line);
  return lines;
}
