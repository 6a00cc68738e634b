/** Style-preserving edits of Bicep text. */
import type * as A from '../parse/bicep/ast';
import { parseBicep, walk } from '../parse/bicep';
import { eol, indentAt, onSameLine, restOfLine, type TextEdit } from './text';

/** The resource declaration of a Bicep program that starts at `start`. */
export function resourceDeclarationAt(program: A.Program, start: number): A.ResourceDeclaration | undefined {
  return program.statements.find((s): s is A.ResourceDeclaration => s.kind === 'ResourceDeclaration' && s.start === start);
}

/** The Bicep object literal that starts at `offset` in the text (or in its program, when parsed already). */
export function bicepObjectAt(text: string, offset: number, program = parseBicep(text, { fileKind: 'bicep' }).program): A.ObjectExpression | undefined {
  let object: A.ObjectExpression | undefined;
  walk(program, (n) => {
    if (object) return false;
    if (n.kind === 'Object' && n.start === offset) {
      object = n;
      return false;
    }
    return n.start <= offset && offset < n.end;
  });
  return object;
}

/** `key: value` as the last property of a Bicep object, in the text's style (see insertJsonProperty). */
export function insertBicepProperty(text: string, object: A.ObjectExpression, file: string, key: string, value: string): TextEdit[] {
  const last = object.properties[object.properties.length - 1];
  if (!last) return [{ file, offset: object.start + 1, length: 0, newText: ` ${key}: ${value} ` }];
  if (onSameLine(text, object.start, last.start)) return [{ file, offset: last.end, length: 0, newText: `, ${key}: ${value}` }];
  // After a trailing comment on the last property's line, so the comment stays with it.
  const at = restOfLine(text, last.end) ?? last.end;
  const indent = indentAt(text, last.start);
  const nl = eol(text);
  return [{ file, offset: at, length: 0, newText: `${nl}${indent}${key}: ${value.split('\n').join(`${nl}${indent}`)}` }];
}
