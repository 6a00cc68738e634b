/**
 * Text widths without a browser: the layout runs in the CLI too, so node sizes come from an
 * estimate of the rendered width (per character class, in ems of a sans-serif face), slightly
 * generous so that labels fit whatever font the theme uses. Lines are wrapped where there is room
 * for more lines; a line that must stay one line is cut with an ellipsis, and the full text stays
 * in the node's tooltip and accessible name.
 */

const NARROW = new Set("il.,:;'|!jI· ");
/** A little wider, in bold above all (DejaVu Sans Bold: t 0.48, r 0.49, f 0.44 em). */
const SEMI = new Set('()[]/\\`ftr');
const WIDE = new Set('mwMW@%&');

/** Estimated width in pixels of `text` at `size` px. */
export function textWidth(text: string, size: number, bold = false): number {
  let em = 0;
  for (const ch of text) {
    if (NARROW.has(ch)) em += 0.34;
    else if (SEMI.has(ch)) em += bold ? 0.46 : 0.42;
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

/** Where a name may break across lines: after these (VM-WE-02-Web01, a.b.c, path/to), and a space. */
const BREAK_AFTER = new Set(' -._/:,@|=');

/**
 * A word too long for one line in pieces that fit: broken after a hyphen, dot or slash where one
 * falls in the second half of a line, else between two characters. Nothing is left out.
 */
function splitWord(word: string, size: number, max: number, bold: boolean): string[] {
  const out: string[] = [];
  let rest = word;
  while (rest && textWidth(rest, size, bold) > max) {
    let fit = 1;
    while (fit < rest.length && textWidth(rest.slice(0, fit + 1), size, bold) <= max) fit++;
    let cut = fit;
    for (let i = fit; i > fit / 2; i--) {
      if (BREAK_AFTER.has(rest[i - 1] as string)) {
        cut = i;
        break;
      }
    }
    out.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  if (rest) out.push(rest);
  return out;
}

/** Words of `text` in lines of at most `max` pixels (a word longer than a line is broken, never cut). */
export function wrapText(text: string, size: number, max: number, bold = false): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (textWidth(next, size, bold) <= max) {
      line = next;
      continue;
    }
    // A word longer than a line starts on this line's rest and is broken (a name is never cut).
    const long = textWidth(word, size, bold) > max;
    if (line && !long) lines.push(line);
    const pieces = long ? splitWord(next, size, max, bold) : [word];
    line = (pieces.pop() ?? '').trimStart();
    lines.push(...pieces.map((x) => x.trimEnd()));
  }
  if (line) lines.push(line);
  return lines;
}

/** `text` wrapped in at most `maxLines` lines; only what does not fit in them is cut with an ellipsis. */
export function wrapLines(text: string, size: number, max: number, maxLines: number, bold = false): string[] {
  const lines = wrapText(text, size, max, bold);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  kept[maxLines - 1] = fitText(`${lines.slice(maxLines - 1).join(' ')}`, size, max, bold);
  return kept;
}
