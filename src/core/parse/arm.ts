import { parseTree, printParseErrorCode, findNodeAtLocation, type Node, type ParseError } from 'jsonc-parser';
import type { SourceFile, SourceSpan } from '../source';

export type JsonNode = Node;

export interface SyntaxProblem {
  span: SourceSpan;
  message: string;
}

export type ArmDocumentKind = 'deploymentTemplate' | 'deploymentParameters' | 'other';

export interface ArmDocument {
  file: SourceFile;
  root: JsonNode | undefined;
  kind: ArmDocumentKind;
  errors: SyntaxProblem[];
}

const TEMPLATE_SCHEMA = /deploymenttemplate\.json/i;
const PARAMETERS_SCHEMA = /deploymentparameters\.json/i;

/**
 * Parses a JSON or JSONC document (comments and trailing commas allowed, as ARM allows them) and
 * tells whether it is a deployment template: by its `$schema`, or by having both `resources` and
 * `contentVersion` at the top.
 */
export function parseArm(file: SourceFile): ArmDocument {
  const errs: ParseError[] = [];
  const root = parseTree(file.text, errs, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });
  const errors = errs.map((e) => ({
    span: { file: file.path, start: e.offset, end: e.offset + Math.max(e.length, 1) },
    message: `JSON: ${describeParseError(printParseErrorCode(e.error))}`,
  }));
  return { file, root, kind: classify(root, file.path), errors };
}

function describeParseError(code: string): string {
  // jsonc-parser's codes are identifiers such as "CommaExpected"; turn them into words.
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function classify(root: JsonNode | undefined, path: string): ArmDocumentKind {
  if (!root || root.type !== 'object') return 'other';
  const schema = childValue(root, '$schema');
  if (typeof schema === 'string') {
    if (TEMPLATE_SCHEMA.test(schema)) return 'deploymentTemplate';
    if (PARAMETERS_SCHEMA.test(schema)) return 'deploymentParameters';
  }
  if (property(root, 'resources') && property(root, 'contentVersion')) return 'deploymentTemplate';
  // `$schema` is optional in practice: a `*.parameters*.json` with `parameters` and no resources.
  if (/\.parameters(\.[^./]+)?\.jsonc?$/i.test(path) && property(root, 'parameters') && !property(root, 'resources')) return 'deploymentParameters';
  return 'other';
}

/** The property node (key + value) of `obj` whose key matches case-insensitively. */
export function property(obj: JsonNode | undefined, key: string): JsonNode | undefined {
  if (!obj || obj.type !== 'object' || !obj.children) return undefined;
  const lower = key.toLowerCase();
  let insensitive: JsonNode | undefined;
  for (const p of obj.children) {
    const k = p.children?.[0]?.value;
    if (typeof k !== 'string') continue;
    if (k === key) return p;
    if (!insensitive && k.toLowerCase() === lower) insensitive = p;
  }
  return insensitive;
}

/** The value node of `obj[key]` (case-insensitive). */
export function child(obj: JsonNode | undefined, key: string): JsonNode | undefined {
  return property(obj, key)?.children?.[1];
}

function childValue(obj: JsonNode, key: string): unknown {
  return child(obj, key)?.value;
}

export function spanOfNode(file: string, node: JsonNode): SourceSpan {
  return { file, start: node.offset, end: node.offset + node.length };
}

export { findNodeAtLocation };
