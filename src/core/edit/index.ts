/**
 * Style-preserving text edits, shared by the fixes and the suppressions: a property inserted in
 * JSON or Bicep in the file's own indentation, line endings and one-line or multi-line form, and
 * the enclosing object found by its offset.
 */
export { applyEdits, eol, indentAt, onSameLine, restOfLine, type TextEdit } from './text';
export { ancestorAt, insertJsonProperty, jsonObjectAt } from './json';
export { bicepObjectAt, insertBicepProperty, resourceDeclarationAt } from './bicep';
