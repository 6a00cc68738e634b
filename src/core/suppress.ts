/**
 * Suppressions: a finding a person has looked at and accepted, with the reason written next to it.
 *
 * - Bicep, and ARM JSON with comments: `// ilb-hairpin-disable-next-line hairpin-prone-rule <reason>`
 *   on the line before the finding (blank lines between are allowed).
 * - Strict JSON, which has no comments: the load balancer resource's `comments` property, which
 *   ARM accepts on every resource:
 *   `"comments": "ilb-hairpin-disable hairpin-prone-rule <rule name>: <reason>"` (`*` for every rule).
 */
import { createScanner, findNodeAtOffset, parseTree, SyntaxKind } from 'jsonc-parser';
import { insertJsonProperty, type TextEdit } from './edit';
import type { Finding } from './rules/types';
import type { SourceFile } from './source';

export const DIRECTIVE = 'ilb-hairpin-disable-next-line';
/** A comment line of its own (text inside a string on that line is no directive). */
const NEXT_LINE = /^\/\/\s*ilb-hairpin-disable-next-line\s+([A-Za-z0-9-]+)(?:\s+(.*))?$/;
const IN_COMMENTS = /ilb-hairpin-disable\s+([A-Za-z0-9-]+)\s+([^:]+?)\s*(?::\s*(.*))?$/;

/** The `comments` directive of a resource, for one rule id and rule name. */
export function commentsSuppress(comments: unknown, ruleId: string, ruleName: string): boolean {
  if (typeof comments !== 'string') return false;
  for (const part of comments.split(/[;\n]/)) {
    const m = IN_COMMENTS.exec(part.trim());
    if (m && m[1] === ruleId && (m[2] === '*' || m[2] === ruleName)) return true;
  }
  return false;
}

/** Is the finding preceded by a `// ilb-hairpin-disable-next-line <its rule>` line? */
export function lineSuppressed(finding: Finding, file: SourceFile | undefined): boolean {
  if (!file || !file.text) return false;
  let line = file.positionAt(finding.span.start).line - 1;
  for (; line >= 0; line--) {
    const text = lineText(file, line).trim();
    if (text === '') continue;
    const m = NEXT_LINE.exec(text);
    return !!m && m[1] === finding.ruleId;
  }
  return false;
}

function lineText(file: SourceFile, line: number): string {
  const start = file.offsetAt({ line, character: 0 });
  const end = file.offsetAt({ line: line + 1, character: 0 });
  return file.text.slice(start, end).replace(/\r?\n$/, '');
}

/** Does the JSON text already use comments (so a `//` directive keeps it in the dialect it is)? */
function jsonHasComments(text: string): boolean {
  const scanner = createScanner(text, false);
  for (let t = scanner.scan(); t !== SyntaxKind.EOF; t = scanner.scan()) {
    if (t === SyntaxKind.LineCommentTrivia || t === SyntaxKind.BlockCommentTrivia) return true;
  }
  return false;
}

/**
 * The edit that suppresses a finding with a reason, in the form its file allows: a
 * `// ilb-hairpin-disable-next-line` line above the finding in Bicep and in JSON that has
 * comments (or is .jsonc); else the load balancer's `comments` property (strict JSON).
 */
export function suppressionEdits(finding: Finding, text: string, reason: string): TextEdit[] | undefined {
  const file = finding.span.file;
  const oneLine = reason.replace(/\s+/g, ' ').trim();
  if (/\.(bicep|jsonc)$/i.test(file) || jsonHasComments(text)) {
    const lineStart = text.lastIndexOf('\n', finding.span.start - 1) + 1;
    const indent = /^[ \t]*/.exec(text.slice(lineStart))?.[0] ?? '';
    const nl = text.includes('\r\n') ? '\r\n' : '\n';
    return [{ file, offset: lineStart, length: 0, newText: `${indent}// ${DIRECTIVE} ${finding.ruleId} ${oneLine}${nl}` }];
  }
  const lb = finding.fixTarget?.loadBalancer;
  if (!lb || lb.file !== file) return undefined;
  const tree = parseTree(text, [], { allowTrailingComma: true });
  let object = tree ? findNodeAtOffset(tree, lb.start) : undefined;
  while (object && !(object.type === 'object' && object.offset === lb.start)) object = object.parent;
  if (!object) return undefined;
  const directive = `ilb-hairpin-disable ${finding.ruleId} ${finding.facts.lbRule}: ${oneLine.replace(/^reason:\s*/i, '').replace(/;/g, ',')}`;
  const existing = object.children?.find((p) => p.children?.[0]?.value === 'comments')?.children?.[1];
  if (existing?.type === 'string') {
    const value = String(existing.value);
    if (value.startsWith('[') && value.endsWith(']') && !value.startsWith('[[')) return undefined; // an expression: left to the person
    return [{ file, offset: existing.offset, length: existing.length, newText: JSON.stringify(value ? `${value}; ${directive}` : directive) }];
  }
  if (existing) return undefined; // a computed comment: left to the person
  return insertJsonProperty(text, object, file, '"comments"', JSON.stringify(directive));
}
