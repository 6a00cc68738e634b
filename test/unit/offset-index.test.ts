/**
 * The offset index (parse/offset-index.ts) against jsonc-parser's own syntax tree: every value of
 * every JSON file of the examples and the corpus, and texts with comments, trailing commas,
 * escaped and repeated keys, is found at the offset and length the tree gives, its property too.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { getNodePath, parseTree, type Node } from 'jsonc-parser';
import { EXPAND_FROM, OffsetIndex } from '../../src/core/parse/offset-index';
import { child, parseArm } from '../../src/core/parse/arm';
import { SourceFile } from '../../src/core/source';
import { CORPUS, EXAMPLES } from './fix-helpers';

function jsonFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && /\.json$/i.test(e.name)).map((e) => path.join(e.parentPath, e.name));
}

/**
 * Compares the index with the tree at every value; returns how many values were compared. Each
 * text is indexed whole (expandFrom 0, as the product indexes texts under SPARSE_FROM characters),
 * sparsely as the product indexes longer ones (containers under EXPAND_FROM characters indexed
 * when asked into) and with nearly every container left to that.
 */
function compare(text: string, where: string): number {
  let values = 0;
  for (const expandFrom of [0, EXPAND_FROM, 8]) values = compareWith(text, `${where} (expanded from ${expandFrom})`, expandFrom);
  return values;
}

function compareWith(text: string, where: string, expandFrom: number): number {
  const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const index = OffsetIndex.build(text, expandFrom);
  if (!tree) return 0;
  assert.ok(index, `${where}: indexed`);
  // With repeated keys the last one is the value (as JSON.parse has it): compare those only.
  const seen = new Map<string, Node>();
  const visit = (n: Node): void => {
    if (n.type !== 'property') seen.set(JSON.stringify(getNodePath(n)), n);
    for (const c of n.children ?? []) visit(c);
  };
  visit(tree);
  for (const [key, n] of seen) {
    const got = index.locate(JSON.parse(key));
    assert.ok(got, `${where}: ${key} is found`);
    assert.deepEqual([got.offset, got.length], [n.offset, n.length], `${where}: ${key}`);
    if (n.parent?.type === 'property') assert.deepEqual([got.parent?.offset, got.parent?.length], [n.parent.offset, n.parent.length], `${where}: the property of ${key}`);
  }
  return seen.size;
}

/** Is a node the key of its property? */
const isKey = (n: Node): boolean => n.parent?.type === 'property' && n.parent.children?.[0] === n;

describe('offset index: where jsonc-parser puts each value', () => {
  it('every value of the examples and the corpus', () => {
    let values = 0;
    const files = [...jsonFiles(EXAMPLES), ...jsonFiles(CORPUS)];
    for (const f of files) values += compare(fs.readFileSync(f, 'utf8').replace(/^\uFEFF/, ''), path.relative(path.dirname(CORPUS), f));
    assert.ok(files.length > 10 && values > 10_000, `${files.length} files, ${values} values`);
  });

  // (The index serves texts JSON.parse reads; any other goes the tolerant way, through jsonc-parser's tree.)
  it('comments, trailing commas, escaped and repeated keys, empty containers', () => {
    const texts = [
      '{ /* c */ "a": [1, 2, ], // d\n "b": { "c\\u0064": "x", "c\\u0064": "y" }, "e": {}, "f": [] }',
      '[ { "a": { "b": [ { "c": null } ] } }, true, "s", -1.5e3 ]',
      '{ "a": 1, "a": { "x": 2 } }',
    ];
    texts.forEach((t, i) => compare(t, `text ${i}`));
  });

  it('after a character typed inside a string, the edited index finds every value of the new text', () => {
    let edits = 0;
    for (const f of [...jsonFiles(EXAMPLES), ...jsonFiles(CORPUS)].slice(0, 40)) {
      const text = fs.readFileSync(f, 'utf8').replace(/^\uFEFF/, '');
      const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
      if (!tree) continue;
      // A string value in the middle of the file, and one near its end.
      const strings: Node[] = [];
      const visit = (n: Node): void => {
        if (n.type === 'string' && !isKey(n)) strings.push(n);
        for (const c of n.children ?? []) visit(c);
      };
      visit(tree);
      for (const s of [strings[strings.length >> 1], strings[strings.length - 1]]) {
        if (!s || s.length < 3) continue;
        for (const expandFrom of [0, EXPAND_FROM, 8]) {
          const index = OffsetIndex.build(text, expandFrom);
          assert.ok(index);
          const at = s.offset + 1;
          const next = index.edited(text.slice(0, at) + 'Q' + text.slice(at), text, at, at, at + 1);
          assert.ok(next, `${f}: the edit at ${at} keeps the structure`);
          const edited = text.slice(0, at) + 'Q' + text.slice(at);
          const after = parseTree(edited, [], { allowTrailingComma: true, disallowComments: false }) as Node;
          const check = (n: Node): void => {
            if (n.type !== 'property' && !isKey(n)) {
              const got = next.locate(getNodePath(n));
              assert.deepEqual(got && [got.offset, got.length], [n.offset, n.length], `${f} (expanded from ${expandFrom}): ${JSON.stringify(getNodePath(n))} after the edit`);
            }
            for (const c of n.children ?? []) check(c);
          };
          check(after);
          edits++;
        }
      }
    }
    assert.ok(edits > 30, `${edits} edits`);
  });
});

describe("a strict parse's nodes: jsonc-parser's shape without its tree", () => {
  it('every node of the seed lab and the corpus has the type, place, value, children and parent of the tree', () => {
    let nodes = 0;
    for (const f of [...jsonFiles(EXAMPLES), ...jsonFiles(CORPUS)].slice(0, 60)) {
      const text = fs.readFileSync(f, 'utf8');
      let strict = true;
      try {
        JSON.parse(text);
      } catch {
        strict = false;
      }
      if (!strict) continue;
      const lazy = parseArm(new SourceFile(f, text)).root;
      const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
      assert.ok(lazy && tree, f);
      const same = (a: Node, b: Node, where: string): void => {
        nodes++;
        assert.deepEqual([a.type, a.offset, a.length, a.value], [b.type, b.offset, b.length, b.value], where);
        // A value's parent is its property (with its key), a property's the object: as in the tree.
        assert.equal(a.parent?.type, b.parent?.type, `${where}: the parent's type`);
        assert.deepEqual([a.parent?.offset, a.parent?.length], [b.parent?.offset, b.parent?.length], `${where}: the parent's place`);
        if (b.parent?.type === 'property') assert.equal(a.parent?.children?.[0]?.value, b.parent.children?.[0]?.value, `${where}: the parent's key`);
        const ak = a.children ?? [];
        const bk = b.children ?? [];
        assert.equal(ak.length, bk.length, `${where}: children`);
        ak.forEach((c, i) => same(c, bk[i] as Node, `${where}/${i}`));
      };
      same(lazy, tree, f);
    }
    assert.ok(nodes > 10_000, `${nodes} nodes`);
  });

  it("finds a property's value case-insensitively as the tree does: the exact key first, else the first key that matches, else nothing", () => {
    const text = '{"Type": "a", "name": "b", "NAME": "c", "Properties": {"frontendIPConfigurations": [1]}, "__proto__": {"x": 1}, "2": "n"}';
    const lazy = parseArm(new SourceFile('/t.json', text)).root;
    const tree = parseTree(text, []);
    assert.ok(lazy && tree);
    for (const key of ['type', 'TYPE', 'Type', 'name', 'NAME', 'Name', 'properties', '__PROTO__', '__proto__', '2', 'condition', 'toString', 'constructor', 'hasOwnProperty']) {
      const a = child(lazy, key);
      const b = child(tree, key);
      assert.deepEqual([a?.type, a?.offset, a?.length, a?.value], [b?.type, b?.offset, b?.length, b?.value], key);
    }
    const props = child(lazy, 'PROPERTIES');
    assert.equal(child(props, 'FrontendIpConfigurations')?.type, 'array');
  });
});
