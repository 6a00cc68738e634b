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
    // Into a typed array sized for lines of about 24 characters, doubled when short, trimmed when
    // much too long: a large template has a million lines, and a list grown by pushes leaves its
    // earlier copies behind.
    const t = this.text;
    let starts = new Uint32Array(Math.max(16, Math.ceil(t.length / 24)));
    let n = 1;
    const found = (next: number): void => {
      if (n === starts.length) {
        const more = new Uint32Array(starts.length * 2);
        more.set(starts);
        starts = more;
      }
      starts[n++] = next;
    };
    if (!t.includes('\r')) {
      // Only \n line breaks: let the native search find them.
      for (let i = t.indexOf('\n'); i >= 0; i = t.indexOf('\n', i + 1)) found(i + 1);
    } else {
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
    this.lineStarts = n < starts.length * 0.75 ? starts.slice(0, n) : starts.subarray(0, n);
    return this.lineStarts;
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
