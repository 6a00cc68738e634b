/**
 * Where each value of a JSON text is, without a syntax tree: one pass of jsonc-parser's scanner
 * (`visit`) fills typed arrays with each node's offset, length and children, so a 32 MB template
 * costs a few bytes per node instead of a tree of objects (hundreds of MB). The values themselves
 * come from JSON.parse; this only answers "where is the value at this path".
 */
import { visit, type JSONPath, type Node } from 'jsonc-parser';

const OBJECT = 1;
const ARRAY = 2;
const PROPERTY = 3;
const LEAF = 4;

export class OffsetIndex {
  private size = 0;
  private kind = new Uint8Array(1024);
  private off = new Int32Array(1024);
  private len = new Int32Array(1024);
  /**
   * For an object or array: where its children start in `kids`. For a property: the length of its
   * key (with quotes); its value, when it has one (`count` 1), is the node after it.
   */
  private first = new Int32Array(1024);
  private count = new Int32Array(1024);
  /** The children of objects and arrays, each one's in a run. */
  private kids = new Int32Array(1024);
  private kidsSize = 0;

  private constructor(private readonly text: string) {}

  /** Indexes a text; undefined when it nests too deep for the scanner (no location then). */
  static build(text: string): OffsetIndex | undefined {
    const index = new OffsetIndex(text);
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
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
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
    // Open containers and properties, with the children collected so far.
    const stack: { id: number; children: number[] }[] = [];
    const close = (id: number, end: number, children: number[]): void => {
      this.len[id] = end - (this.off[id] as number);
      if (this.kind[id] === PROPERTY) {
        // Its value is the node after it (see `first`).
        this.count[id] = children.length;
        return;
      }
      if (this.kidsSize + children.length > this.kids.length) {
        let n = this.kids.length * 2;
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
      stack.push({ id: this.add(kind, offset), children: [] });
    };
    const end = (offset: number, length: number): void => {
      const open = stack.pop();
      if (!open) return;
      close(open.id, offset + length, open.children);
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
          stack.push({ id, children: [] });
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

  /** The value at a path (keys exact, as JSON.parse gives them; the last of equal keys wins). */
  private find(path: JSONPath): { value: number; property: number } | undefined {
    let node = 0;
    let property = -1;
    for (const segment of path) {
      const kind = this.kind[node];
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
    return { value: node, property };
  }

  /**
   * The node at a path, shaped as much like jsonc-parser's as locations need: offset, length, and
   * for a property's value, its parent (the property: key through value).
   */
  locate(path: JSONPath): Node | undefined {
    const found = this.find(path);
    if (!found) return undefined;
    const shape = (id: number, parent?: Node): Node => ({
      type: this.kind[id] === OBJECT ? 'object' : this.kind[id] === ARRAY ? 'array' : this.kind[id] === PROPERTY ? 'property' : 'string',
      offset: this.off[id] as number,
      length: this.len[id] as number,
      ...(parent ? { parent } : {}),
    });
    return shape(found.value, found.property >= 0 ? shape(found.property) : undefined);
  }

  /** The innermost node containing `offset` (for reuse after an edit). */
  private deepestAt(offset: number): number {
    let node = 0;
    for (;;) {
      const n = this.count[node] as number;
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

  /**
   * The index of the text after an edit that replaced [start, oldEnd) by text up to newEnd inside
   * one string value (no quote, backslash or line break typed or removed): the same structure,
   * offsets after the edit shifted. Undefined when the edit is not of that kind. This index is
   * given up (its arrays now describe the new text).
   */
  edited(text: string, oldText: string, start: number, oldEnd: number, newEnd: number): OffsetIndex | undefined {
    const leaf = this.deepestAt(start);
    if (this.kind[leaf] !== LEAF || oldText.charCodeAt(this.off[leaf] as number) !== 34 /* " */) return undefined;
    if (start <= (this.off[leaf] as number) || oldEnd >= (this.off[leaf] as number) + (this.len[leaf] as number)) return undefined;
    if (/["\\\n\r]/.test(text.slice(start, newEnd)) || /["\\]/.test(oldText.slice(start, oldEnd))) return undefined;
    const delta = newEnd - oldEnd;
    for (let i = 0; i < this.size; i++) {
      const o = this.off[i] as number;
      if (o + (this.len[i] as number) < start) continue;
      if (o > start) this.off[i] = o + delta;
      else this.len[i] = (this.len[i] as number) + delta;
    }
    const next = new OffsetIndex(text);
    Object.assign(next, { size: this.size, kind: this.kind, off: this.off, len: this.len, first: this.first, count: this.count, kids: this.kids, kidsSize: this.kidsSize });
    this.size = 0;
    return next;
  }
}
