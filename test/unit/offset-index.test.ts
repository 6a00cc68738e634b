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
import { OffsetIndex } from '../../src/core/parse/offset-index';
import { CORPUS, EXAMPLES } from './fix-helpers';

function jsonFiles(root: string): string[] {
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && /\.json$/i.test(e.name)).map((e) => path.join(e.parentPath, e.name));
}

/** Compares the index with the tree at every value; returns how many values were compared. */
function compare(text: string, where: string): number {
  const tree = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  const index = OffsetIndex.build(text);
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
});
