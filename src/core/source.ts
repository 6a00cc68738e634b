/** Source files, offsets and the locations findings point at. Offsets are UTF-16 code units. */

export interface Position {
  /** 0-based line. */
  line: number;
  /** 0-based UTF-16 column. */
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/** A span in a file by offsets; adapters turn it into line/character ranges. */
export interface SourceSpan {
  file: string;
  start: number;
  end: number;
  /**
   * Set for what is deployed (read from Azure Resource Manager, see core/azure): the resource
   * the span stands for, located by its ID instead of a line. Its offsets only order and nest
   * the parts of one resource.
   */
  resource?: DeployedResourceRef;
}

/** A deployed resource (or a part of one, such as a load-balancing rule) and its portal page. */
export interface DeployedResourceRef {
  id: string;
  /** The Azure portal page that shows it (none for a custom Resource Manager endpoint). */
  portal?: string;
}

export class SourceFile {
  private lineStarts: Uint32Array | undefined;
  constructor(
    /** Absolute path with `/` separators (or a URI-like key); the identity of the file. */
    readonly path: string,
    readonly text: string,
  ) {}

  private starts(): Uint32Array {
    if (this.lineStarts) return this.lineStarts;
    // Twice over the text, counting and then filling: one exact array (a large template has a
    // million lines; a growing list of them leaves its earlier copies behind).
    let n = 1;
    this.lineBreaks(() => n++);
    const starts = new Uint32Array(n);
    n = 1;
    this.lineBreaks((next) => (starts[n++] = next));
    this.lineStarts = starts;
    return starts;
  }

  /** Calls `found` with the offset after each line break (\n, \r\n or \r), in order. */
  private lineBreaks(found: (next: number) => void): void {
    const t = this.text;
    if (!t.includes('\r')) {
      // Only \n line breaks: let the native search find them.
      for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) found(i + 1);
      return;
    }
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      if (c === 13 /* \r */) {
        if (t.charCodeAt(i + 1) === 10) i++;
        found(i + 1);
      } else if (c === 10) {
        found(i + 1);
      }
    }
  }

  positionAt(offset: number): Position {
    const starts = this.starts();
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - (starts[lo] as number) };
  }

  offsetAt(pos: Position): number {
    const starts = this.starts();
    if (pos.line >= starts.length) return this.text.length;
    return Math.min(this.text.length, (starts[Math.max(0, pos.line)] as number) + Math.max(0, pos.character));
  }

  rangeOf(span: { start: number; end: number }): Range {
    return { start: this.positionAt(span.start), end: this.positionAt(span.end) };
  }
}

/** Normalises a file-system path to the `/`-separated form used as a file's identity. */
export function normalizePath(p: string): string {
  return p.replace(/\\/g, '/');
}

/** The one edit that turns `before` into `after`: the common prefix and suffix left out. */
export function textEdit(before: string, after: string): { start: number; end: number; text: string } {
  // Binary searches over native comparisons of slices: much faster than a loop over characters.
  const max = Math.min(before.length, after.length);
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (before.slice(0, mid) === after.slice(0, mid)) lo = mid;
    else hi = mid - 1;
  }
  const start = lo;
  lo = 0;
  hi = max - start;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (before.slice(before.length - mid) === after.slice(after.length - mid)) lo = mid;
    else hi = mid - 1;
  }
  return { start, end: before.length - lo, text: after.slice(start, after.length - lo) };
}
