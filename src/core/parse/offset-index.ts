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
/**
 * Sub-indexes made before the whole text is indexed instead: a caller that locates a value in
 * every resource (a topology of 40,000 members) is served by one pass, not 40,000 small ones.
 */
const SUBS_BEFORE_WHOLE = 256;
/** `count` of a container whose children are not in this index. */
const UNEXPANDED = -1;

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
  private subs = new Map<number, OffsetIndex>();
  private subsMade = 0;
  /** The whole text's index, once SUBS_BEFORE_WHOLE sub-indexes were made: it answers from then on. */
  private whole: OffsetIndex | undefined;

  private constructor(
    private readonly text: string,
    private readonly expandFrom: number,
    capacity = 64,
  ) {
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
   */
  static build(text: string, expandFrom = text.length >= SPARSE_FROM ? EXPAND_FROM : 0): OffsetIndex | undefined {
    // (About one value per 16 characters in a template: room for a small text at once.)
    const index = new OffsetIndex(text, expandFrom, expandFrom > 0 ? 1024 : Math.max(16, text.length >> 4));
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
      const grow = <T extends Int32Array | Uint8Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(Math.max(16, a.length * 2));
        b.set(a);
        return b;
      };
      this.kind = grow(this.kind);
      this.off = grow(this.off);
      this.len = grow(this.len);
      this.first = grow(this.first);
      this.count = grow(this.count);
    }
    const id = this.size++;
    this.kind[id] = kind;
    this.off[id] = offset;
    return id;
  }

  private scan(): void {
    // Open containers and properties, with the children collected so far and where the index
    // stood when they opened (a small container's descendants are taken back when it closes).
    const stack: { id: number; children: number[]; kidsAt: number }[] = [];
    const close = (id: number, end: number, children: number[], kidsAt = this.kidsSize): void => {
      this.len[id] = end - (this.off[id] as number);
      if (this.kind[id] === PROPERTY) {
        // Its value is the node after it (see `first`).
        this.count[id] = children.length;
        return;
      }
      if (this.kind[id] !== LEAF && id > 0 && end - (this.off[id] as number) < this.expandFrom) {
        this.size = id + 1;
        this.kidsSize = kidsAt;
        this.count[id] = UNEXPANDED;
        return;
      }
      if (this.kidsSize + children.length > this.kids.length) {
        let n = Math.max(16, this.kids.length * 2);
        while (n < this.kidsSize + children.length) n *= 2;
        const k = new Int32Array(n);
        k.set(this.kids);
        this.kids = k;
      }
      this.first[id] = this.kidsSize;
      this.count[id] = children.length;
      this.kids.set(children, this.kidsSize);
      this.kidsSize += children.length;
    };
    /** A value is complete: it becomes its parent's child; a property it completes closes too. */
    const done = (id: number, end: number): void => {
      const parent = stack[stack.length - 1];
      if (!parent) return;
      parent.children.push(id);
      if (this.kind[parent.id] === PROPERTY) {
        stack.pop();
        close(parent.id, end, parent.children);
        const owner = stack[stack.length - 1];
        owner?.children.push(parent.id);
      }
    };
    const begin = (kind: number) => (offset: number): void => {
      stack.push({ id: this.add(kind, offset), children: [], kidsAt: this.kidsSize });
    };
    const end = (offset: number, length: number): void => {
      const open = stack.pop();
      if (!open) return;
      close(open.id, offset + length, open.children, open.kidsAt);
      done(open.id, offset + length);
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
          stack.push({ id, children: [], kidsAt: this.kidsSize });
        },
        onLiteralValue: (_value, offset, length) => {
          const id = this.add(LEAF, offset);
          close(id, offset + length, []);
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
    let sub = this.subs.get(id);
    if (sub) this.subs.delete(id);
    else {
      this.subsMade++;
      const at = this.off[id] as number;
      sub = OffsetIndex.build(this.text.slice(at, at + (this.len[id] as number)), 0);
      if (!sub) return undefined;
      if (this.subs.size >= SUBS_KEPT) this.subs.delete(this.subs.keys().next().value as number);
    }
    this.subs.set(id, sub);
    return sub;
  }

  /**
   * The node at a path, shaped as much like jsonc-parser's as locations need: offset, length, and
   * for a property's value, its parent (the property: key through value).
   */
  locate(path: JSONPath, shift = 0): Node | undefined {
    if (this.subsMade >= SUBS_BEFORE_WHOLE && this.expandFrom > 0) {
      this.whole ??= OffsetIndex.build(this.text, 0);
      this.subs.clear();
      if (this.whole) return this.whole.locate(path, shift);
    }
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
    if (this.whole) return this.whole.edited(text, oldText, start, oldEnd, newEnd);
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
