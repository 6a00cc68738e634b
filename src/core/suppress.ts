/**
 * Suppressions: a finding a person has looked at and accepted, with the reason written next to it.
 *
 * - Bicep, and ARM JSON with comments: `// ilb-hairpin-disable-next-line hairpin-prone-rule <reason>`
 *   on the line before the finding (blank lines between are allowed).
 * - Strict JSON, which has no comments: the load balancer resource's `comments` property, which
 *   ARM accepts on every resource:
 *   `"comments": "ilb-hairpin-disable hairpin-prone-rule <rule name>: <reason>"` (`*` for every rule).
 */
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
