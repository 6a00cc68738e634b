/** Style-preserving edits of JSON (and JSON with comments) text. */
import { findNodeAtOffset, parseTree, type Node } from 'jsonc-parser';
import { eol, indentAt, onSameLine, restOfLine, type TextEdit } from './text';

/**
 * Edits that add `key: value` as the last property of a JSON object, in the text's style: one
 * line for a one-line object, else a line of its own indented like its siblings (a multi-line
 * value is indented from there), after any comment that ends the last property's line.
 */
export function insertJsonProperty(text: string, object: Node, file: string, key: string, value: string): TextEdit[] {
  const props = object.children ?? [];
  const last = props[props.length - 1];
  if (!last) return [{ file, offset: object.offset + 1, length: 0, newText: `${key}: ${value}` }];
  const end = last.offset + last.length;
  if (onSameLine(text, object.offset, last.offset)) return [{ file, offset: end, length: 0, newText: `, ${key}: ${value}` }];
  const indent = indentAt(text, last.offset);
  const nl = eol(text);
  const line = `${nl}${indent}${key}: ${value.split('\n').join(`${nl}${indent}`)}`;
  const after = restOfLine(text, end);
  // A comment after the last value stays with it: the comma goes after the value, the new
  // property on a line of its own after the comment.
  if (after !== undefined) return [{ file, offset: end, length: 0, newText: ',' }, { file, offset: after, length: 0, newText: line }];
  return [{ file, offset: end, length: 0, newText: `,${line}` }];
}

/** The object node that starts at `offset`, among `node` and its ancestors. */
export function ancestorAt(node: Node | undefined, offset: number): Node | undefined {
  for (let n = node; n; n = n.parent) if (n.type === 'object' && n.offset === offset) return n;
  return undefined;
}

/** The JSON object that starts at `offset` in the text. */
export function jsonObjectAt(text: string, offset: number): Node | undefined {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  return ancestorAt(tree ? findNodeAtOffset(tree, offset) : undefined, offset);
}
