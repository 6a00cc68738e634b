/**
 * Where each value of a JSON text is, without a syntax tree: one pass of jsonc-parser's scanner
 * (`visit`) fills typed arrays with each node's offset, length and children, so a 32 MB template
 * costs a few bytes per node instead of a tree of objects (hundreds of MB). The values themselves
 * come from JSON.parse; this only answers "where is the value at this path".
 *
 * In a text of SPARSE_FROM characters or more, only containers of at least EXPAND_FROM characters
 * keep their children: a smaller one (a typical resource of a large template) is one entry, indexed
 * on its own when a location inside it is asked for (a few recent ones are kept). So the index of a
 * 32 MB template of 40,000 resources holds about 40,000 entries, not two million. A smaller text
 * (nearly every template) is indexed whole: its index is small, and the index after typing in it
 * is the same index shifted, with nothing to index again.
 *
 * A new sub-index takes the arrays of the one it pushes out of those kept: a topology that locates
 * a value in each of 40,000 resources makes 40,000 small indexes in the same few arrays. (A whole
 * index of the text, made once for such callers before, held tens of MB more at the peak and was
 * slower; so were 240,000 small typed arrays, whose memory outside the JavaScript heap only a
 * full collection frees.)
 */
import { visit, type JSONPath, type Node } from 'jsonc-parser';

const OBJECT = 1;
const ARRAY = 2;
const PROPERTY = 3;
const LEAF = 4;

/** A container shorter than this (in characters) is not expanded (see above). */
export const EXPAND_FROM = 1024;
/** Texts this long (in characters) or longer are indexed sparsely (see above). */
export const SPARSE_FROM = 2 * 1024 * 1024;
/** Sub-indexes of unexpanded containers kept, most recently used last. */
const SUBS_KEPT = 32;
/** `count` of a container whose children are not in this index. */
const UNEXPANDED = -1;

/** `a`, or a copy of it with room for at least `n` numbers. */
function withRoom<T extends Int32Array | Uint8Array>(a: T, n: number): T {
  if (n <= a.length) return a;
  let size = Math.max(16, a.length * 2);
  while (size < n) size *= 2;
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

export class OffsetIndex {
  private size = 0;
  private kind: Uint8Array;
  private off: Int32Array;
  private len: Int32Array;
  /**
   * For an object or array: where its children start in `kids`. For a property: the length of its
   * key (with quotes); its value, when it has one (`count` 1), is the node after it.
   */
  private first: Int32Array;
  /** Children of an object or array (UNEXPANDED: not indexed here, see subIndex); 1 or 0 for a property. */
  private count: Int32Array;
  /** The children of objects and arrays, each one's in a run. */
  private kids: Int32Array;
  private kidsSize = 0;
  /** Indexes of unexpanded containers, by their node (see subIndex). */
  private subs: Map<number, OffsetIndex> | undefined;

  private constructor(
    private readonly text: string,
    private readonly expandFrom: number,
    capacity = 64,
    /** An index no longer used, whose arrays this one takes (see above). */
    recycled?: OffsetIndex,
  ) {
    if (recycled) {
      ({ kind: this.kind, off: this.off, len: this.len, first: this.first, count: this.count, kids: this.kids } = recycled);
      recycled.size = 0;
      recycled.kidsSize = 0;
      return;
    }
    this.kind = new Uint8Array(capacity);
    this.off = new Int32Array(capacity);
    this.len = new Int32Array(capacity);
    this.first = new Int32Array(capacity);
    this.count = new Int32Array(capacity);
    this.kids = new Int32Array(capacity);
  }

  /**
   * Indexes a text; undefined when it nests too deep for the scanner (no location then). Containers
   * shorter than `expandFrom` characters (but the root) are indexed only when asked into.
   * `recycled`: an index no longer used, whose arrays the new one takes.
   */
  static build(text: string, expandFrom = text.length >= SPARSE_FROM ? EXPAND_FROM : 0, recycled?: OffsetIndex): OffsetIndex | undefined {
    // (About one value per 16 characters in a template: room for a small text at once.)
    const index = new OffsetIndex(text, expandFrom, expandFrom > 0 ? 1024 : Math.max(16, text.length >> 4), recycled);
    try {
      index.scan();
    } catch (e) {
      if (e instanceof RangeError) return undefined;
      throw e;
    }
    return index.size ? index : undefined;
  }

  private add(kind: number, offset: number): number {
    if (this.size === this.off.length) {
      this.kind = withRoom(this.kind, this.size + 1);
      this.off = withRoom(this.off, this.size + 1);
      this.len = withRoom(this.len, this.size + 1);
      this.first = withRoom(this.first, this.size + 1);
      this.count = withRoom(this.count, this.size + 1);
    }
    const id = this.size++;
    this.kind[id] = kind;
    this.off[id] = offset;
    // (An id taken back from a small container is used again: nothing of its old node stays.)
    this.len[id] = 0;
    this.first[id] = 0;
    this.count[id] = 0;
    return id;
  }

  private scan(): void {
    // The open containers and properties (parallel stacks: where each one's children start in
    // `children`, and where the index stood when it opened: a small container's descendants are
    // taken back when it closes), and the children collected so far, of all of them in one
    // stack. No object per value: a 32 MB template has two million of them.
    const openIds: number[] = [];
    const openFrom: number[] = [];
    const openKidsAt: number[] = [];
    const children: number[] = [];
    const open = (id: number): void => {
      openIds.push(id);
      openFrom.push(children.length);
      openKidsAt.push(this.kidsSize);
    };
    /** Closes node `id`, whose children are those of `children` from `from` on. */
    const close = (id: number, end: number, from: number, kidsAt: number): void => {
      const n = children.length - from;
      this.len[id] = end - (this.off[id] as number);
      if (this.kind[id] === PROPERTY) {
        // Its value is the node after it (see `first`).
        this.count[id] = n;
      } else if (this.kind[id] !== LEAF && id > 0 && end - (this.off[id] as number) < this.expandFrom) {
        this.size = id + 1;
        this.kidsSize = kidsAt;
        this.count[id] = UNEXPANDED;
      } else {
        this.kids = withRoom(this.kids, this.kidsSize + n);
        this.first[id] = this.kidsSize;
        this.count[id] = n;
        for (let i = 0; i < n; i++) this.kids[this.kidsSize + i] = children[from + i] as number;
        this.kidsSize += n;
      }
      children.length = from;
    };
    /** A value is complete: it becomes its parent's child; a property it completes closes too. */
    const done = (id: number, end: number): void => {
      const top = openIds.length - 1;
      if (top < 0) return;
      children.push(id);
      const parent = openIds[top] as number;
      if (this.kind[parent] === PROPERTY) {
        openIds.pop();
        close(parent, end, openFrom.pop() as number, openKidsAt.pop() as number);
        if (openIds.length) children.push(parent);
      }
    };
    const begin = (kind: number) => (offset: number): void => open(this.add(kind, offset));
    const end = (offset: number, length: number): void => {
      const id = openIds.pop();
      if (id === undefined) return;
      close(id, offset + length, openFrom.pop() as number, openKidsAt.pop() as number);
      done(id, offset + length);
    };
    visit(
      this.text,
      {
        onObjectBegin: begin(OBJECT),
        onArrayBegin: begin(ARRAY),
        onObjectEnd: end,
        onArrayEnd: end,
        onObjectProperty: (_property, offset, length) => {
          const id = this.add(PROPERTY, offset);
          this.first[id] = length;
          open(id);
        },
        onLiteralValue: (_value, offset, length) => {
          const id = this.add(LEAF, offset);
          close(id, offset + length, children.length, this.kidsSize);
          done(id, offset + length);
        },
      },
      { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true },
    );
  }

  private keyIs(prop: number, key: string): boolean {
    const at = this.off[prop] as number;
    const n = this.first[prop] as number;
    if (n === key.length + 2 && this.text.startsWith(key, at + 1)) return true;
    const raw = this.text.slice(at, at + n);
    if (!raw.includes('\\')) return false;
    try {
      return JSON.parse(raw) === key;
    } catch {
      return false;
    }
  }

  private child(id: number, i: number): number {
    return this.kind[id] === PROPERTY ? id + 1 : (this.kids[(this.first[id] as number) + i] as number);
  }

  /**
   * The value at a path (keys exact, as JSON.parse gives them; the last of equal keys wins), or
   * the unexpanded container the rest of the path goes into (`rest`: how many segments are left).
   */
  private find(path: JSONPath): { value: number; property: number; rest: number } | undefined {
    let node = 0;
    let property = -1;
    for (let s = 0; s < path.length; s++) {
      const segment = path[s] as string | number;
      const kind = this.kind[node];
      if (this.count[node] === UNEXPANDED) return { value: node, property, rest: path.length - s };
      if (kind === ARRAY && typeof segment === 'number') {
        if (segment < 0 || segment >= (this.count[node] as number)) return undefined;
        node = this.child(node, segment);
        property = -1;
      } else if (kind === OBJECT && typeof segment === 'string') {
        let found = -1;
        for (let i = 0, n = this.count[node] as number; i < n; i++) {
          const p = this.child(node, i);
          if (this.keyIs(p, segment)) found = p;
        }
        if (found < 0 || !this.count[found]) return undefined;
        property = found;
        node = this.child(found, 0);
      } else {
        return undefined;
      }
    }
    return { value: node, property, rest: 0 };
  }

  /** The index of an unexpanded container's own text (offsets from its start), kept for the next locations. */
  private subIndex(id: number): OffsetIndex | undefined {
    const subs = (this.subs ??= new Map());
    let sub = subs.get(id);
    if (sub) subs.delete(id);
    else {
      let recycled: OffsetIndex | undefined;
      if (subs.size >= SUBS_KEPT) {
        const oldest = subs.keys().next().value as number;
        recycled = subs.get(oldest);
        subs.delete(oldest);
      }
      const at = this.off[id] as number;
      sub = OffsetIndex.build(this.text.slice(at, at + (this.len[id] as number)), 0, recycled);
      if (!sub) return undefined;
    }
    subs.set(id, sub);
    return sub;
  }

  /**
   * The node at a path, shaped as much like jsonc-parser's as locations need: offset, length, and
   * for a property's value, its parent (the property: key through value).
   */
  locate(path: JSONPath, shift = 0): Node | undefined {
    const found = this.find(path);
    if (!found) return undefined;
    const shape = (id: number, parent?: Node): Node => ({
      type: this.kind[id] === OBJECT ? 'object' : this.kind[id] === ARRAY ? 'array' : this.kind[id] === PROPERTY ? 'property' : 'string',
      offset: (this.off[id] as number) + shift,
      length: this.len[id] as number,
      ...(parent ? { parent } : {}),
    });
    if (found.rest > 0) {
      const inner = this.subIndex(found.value)?.locate(path.slice(path.length - found.rest), shift + (this.off[found.value] as number));
      // The container's own entry in its index is its root: a value right inside it has its property there.
      return inner;
    }
    return shape(found.value, found.property >= 0 ? shape(found.property) : undefined);
  }

  /** The innermost node containing `offset` (for reuse after an edit). */
  private deepestAt(offset: number): number {
    let node = 0;
    for (;;) {
      const n = this.count[node] as number;
      if (n === UNEXPANDED) return node;
      let lo = 0;
      let hi = n - 1;
      let next = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        const c = this.child(node, mid);
        if ((this.off[c] as number) > offset) hi = mid - 1;
        else {
          if (offset < (this.off[c] as number) + (this.len[c] as number)) next = c;
          lo = mid + 1;
        }
      }
      if (next < 0) return node;
      node = next;
    }
  }

  /** The value (not an object or array) that contains `offset`, looked for inside an unexpanded container too. */
  private leafAt(offset: number): { start: number; length: number } | undefined {
    const node = this.deepestAt(offset);
    if (this.count[node] === UNEXPANDED) {
      const base = this.off[node] as number;
      const inner = this.subIndex(node)?.leafAt(offset - base);
      return inner && { start: inner.start + base, length: inner.length };
    }
    return this.kind[node] === LEAF ? { start: this.off[node] as number, length: this.len[node] as number } : undefined;
  }

  /**
   * The index of the text after an edit that replaced [start, oldEnd) by text up to newEnd inside
   * one string value (no quote, backslash or line break typed or removed): the same structure,
   * offsets after the edit shifted. Undefined when the edit is not of that kind. This index is
   * given up (its arrays now describe the new text).
   */
  edited(text: string, oldText: string, start: number, oldEnd: number, newEnd: number): OffsetIndex | undefined {
    const leaf = this.leafAt(start);
    if (!leaf || oldText.charCodeAt(leaf.start) !== 34 /* " */) return undefined;
    if (start <= leaf.start || oldEnd >= leaf.start + leaf.length) return undefined;
    if (/["\\\n\r]/.test(text.slice(start, newEnd)) || /["\\]/.test(oldText.slice(start, oldEnd))) return undefined;
    const delta = newEnd - oldEnd;
    for (let i = 0; i < this.size; i++) {
      const o = this.off[i] as number;
      if (o + (this.len[i] as number) < start) continue;
      if (o > start) this.off[i] = o + delta;
      else this.len[i] = (this.len[i] as number) + delta;
    }
    // (The kept sub-indexes are of the old text: the new index makes its own when asked.)
    const next = new OffsetIndex(text, this.expandFrom, 0);
    Object.assign(next, { size: this.size, kind: this.kind, off: this.off, len: this.len, first: this.first, count: this.count, kids: this.kids, kidsSize: this.kidsSize });
    this.size = 0;
    return next;
  }
}
