/**
 * The floating-IP (DSR) fix: `enableFloatingIP` set to true on the rule, changed where it is
 * written, otherwise added to the rule's `properties` in the style of the surrounding text
 * (indentation, one-line or multi-line objects, JSON or Bicep). Plain data: the editor and the CLI
 * apply the same edits.
 */
import { findNodeAtOffset, parseTree, type Node } from 'jsonc-parser';
import type * as A from '../parse/bicep/ast';
import { findProperty, parseBicep, propertyName, walk } from '../parse/bicep';
import { moduleRefusal } from '../rules/hairpin-prone-rule';
import type { CallSite, Finding } from '../rules/types';
import { child } from '../parse/arm';

export interface TextEdit {
  file: string;
  offset: number;
  length: number;
  newText: string;
  /** The file does not exist yet: the edit is its whole text (offset and length 0). */
  create?: boolean;
}

export type FixStrategy = 'floating-ip' | 'floating-ip-loopback' | 'secondary-nic' | 'nginx-nva';

export interface Fix {
  strategy: FixStrategy;
  title: string;
  /** What the user must still do or know (shown with the action, printed by the CLI). */
  notes: string[];
  edits: TextEdit[];
}

export type FixResult = { ok: true; fix: Fix } | { ok: false; reason: string };

/** Reads a file's current text. */
export type TextOf = (file: string) => string | undefined;

const NOTE =
  "Floating IP delivers packets with the frontend IP as their destination: each member must hold the VIP on its loopback and the application must listen on it. Health probes still reach the NIC's own IP, so keep listening there too.";

export function floatingIpFix(finding: Finding, textOf: TextOf): FixResult {
  const target = finding.fixTarget;
  if (!target) return { ok: false, reason: 'the finding does not say where its rule is written' };
  const title = `Enable floating IP (DSR) on rule ${finding.facts.lbRule}`;
  if (target.refused) {
    if (!target.callSites) return { ok: false, reason: target.refused };
    const edits = allCallSiteEdits(target.callSites, textOf);
    return typeof edits === 'string' ? { ok: false, reason: `${target.refused} (${edits})` } : { ok: true, fix: { strategy: 'floating-ip', title, notes: [NOTE], edits } };
  }
  if (target.value) {
    const text = textOf(target.value.file);
    if (text === undefined) return { ok: false, reason: `${target.value.file} cannot be read` };
    const written = text.slice(target.value.start, target.value.end).trim();
    if (!/^"?false"?$/i.test(written)) {
      const edits = target.callSites ? allCallSiteEdits(target.callSites, textOf) : undefined;
      if (edits && typeof edits !== 'string') return { ok: true, fix: { strategy: 'floating-ip', title, notes: [NOTE], edits } };
      if (target.module) return { ok: false, reason: `${moduleRefusal(target.module)}${edits ? ` (${edits})` : ''}` };
      return { ok: false, reason: `enableFloatingIP is computed (${written}): set it to true where its value comes from` };
    }
    return { ok: true, fix: { strategy: 'floating-ip', title, notes: [NOTE], edits: [{ file: target.value.file, offset: target.value.start, length: target.value.end - target.value.start, newText: 'true' }] } };
  }
  if (!target.properties) return { ok: false, reason: 'the rule has no properties object written in the template' };
  const file = target.properties.file;
  const text = textOf(file);
  if (text === undefined) return { ok: false, reason: `${file} cannot be read` };
  const edits = /\.bicep$/i.test(file) ? bicepInsertion(text, target.properties.start, file) : jsonInsertion(text, target.properties.start, file);
  if (!edits) return { ok: false, reason: 'the rule properties could not be located in the current text' };
  return { ok: true, fix: { strategy: 'floating-ip', title, notes: [NOTE], edits } };
}

const RULE_KEYS = /^(frontendPort|backendPort|protocol|probe\w*|frontendIPConfiguration\w*|backendAddressPool\w*|loadDistribution|idleTimeoutInMinutes|enableTcpReset|disableOutboundSnat)$/i;

/**
 * A rule a module builds from its caller's data: `enableFloatingIP: true` in the caller's object
 * for that rule (the one with its name and rule properties among the module's parameters),
 * when the module reads `enableFloatingIP` from that data. A string says why not.
 */
function allCallSiteEdits(sites: CallSite[], textOf: TextOf): TextEdit[] | string {
  const edits: TextEdit[] = [];
  for (const site of sites) {
    const made = callSiteEdits(site, textOf);
    if (typeof made === 'string') return sites.length > 1 ? `at the call in ${site.file}: ${made}` : made;
    edits.push(...made);
  }
  return edits;
}

function callSiteEdits(site: CallSite, textOf: TextOf): TextEdit[] | string {
  const moduleText = textOf(site.moduleFile);
  if (moduleText === undefined || !/\.enableFloatingIP\b|\[\s*['"]enableFloatingIP['"]\s*\]/.test(moduleText)) return 'the module does not read enableFloatingIP from its parameters';
  const text = textOf(site.file);
  if (text === undefined) return `${site.file} cannot be read`;
  if (/\.bicep$/i.test(site.file)) {
    const { program } = parseBicep(text, { fileKind: 'bicep' });
    const decl = program.statements.find((st): st is A.ModuleDeclaration => st.kind === 'ModuleDeclaration' && st.name.start === site.offset);
    if (!decl) return 'the module call could not be located in the current text';
    const found: A.ObjectExpression[] = [];
    walk(decl.value, (n) => {
      if (n.kind !== 'Object') return true;
      const name = findProperty(n, 'name');
      const named = name && name.value.kind === 'String' && text.slice(name.value.start, name.value.end) === `'${site.rule}'`;
      if (named && n.properties.some((p) => p.kind === 'ObjectProperty' && RULE_KEYS.test(propertyName(p) ?? ''))) found.push(n);
      return true;
    });
    if (found.length !== 1) return found.length ? `${found.length} objects in the call are named ${site.rule}` : `the call does not write rule ${site.rule} as an object`;
    const object = found[0] as A.ObjectExpression;
    const existing = findProperty(object, 'enableFloatingIP');
    if (existing) {
      const v = text.slice(existing.value.start, existing.value.end).trim();
      return v === 'false' ? [{ file: site.file, offset: existing.value.start, length: existing.value.end - existing.value.start, newText: 'true' }] : `the call's enableFloatingIP is computed (${v})`;
    }
    return insertBicepProperty(text, object, site.file, 'enableFloatingIP', 'true');
  }
  const tree = parseTree(text, [], { allowTrailingComma: true });
  let deployment = tree ? findNodeAtOffset(tree, site.offset) : undefined;
  while (deployment && !(deployment.type === 'object' && deployment.parent?.type === 'array')) deployment = deployment.parent;
  const parameters = child(child(deployment, 'properties'), 'parameters');
  if (!parameters) return 'the deployment passes no parameters';
  const found: Node[] = [];
  const visit = (n: Node): void => {
    if (n.type === 'object') {
      const name = child(n, 'name');
      if (name?.type === 'string' && name.value === site.rule && (n.children ?? []).some((p) => RULE_KEYS.test(String(p.children?.[0]?.value)))) found.push(n);
    }
    for (const c of n.children ?? []) visit(c);
  };
  visit(parameters);
  if (found.length !== 1) return found.length ? `${found.length} objects in the call are named ${site.rule}` : `the call does not write rule ${site.rule} as an object`;
  const object = found[0] as Node;
  const existing = child(object, 'enableFloatingIP');
  if (existing) return existing.type === 'boolean' && existing.value === false ? [{ file: site.file, offset: existing.offset, length: existing.length, newText: 'true' }] : "the call's enableFloatingIP is computed";
  return insertJsonProperty(text, object, site.file, '"enableFloatingIP"', 'true');
}

/** The indentation of the line that holds `offset`. */
export function indentAt(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))?.[0] ?? '';
}

export function onSameLine(text: string, a: number, b: number): boolean {
  return !text.slice(Math.min(a, b), Math.max(a, b)).includes('\n');
}

function jsonInsertion(text: string, objectStart: number, file: string): TextEdit[] | undefined {
  const tree = parseTree(text, [], { allowTrailingComma: true });
  const object = ancestorAt(tree ? findNodeAtOffset(tree, objectStart) : undefined, objectStart);
  return object ? insertJsonProperty(text, object, file, '"enableFloatingIP"', 'true') : undefined;
}

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

/** `\r\n` when the text uses it, else `\n`. */
export function eol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/**
 * When only a comment (and spaces) follow `offset` on its line, the offset where that line's text
 * ends; undefined when nothing follows or code does.
 */
function restOfLine(text: string, offset: number): number | undefined {
  const nl = text.indexOf('\n', offset);
  const lineEnd = nl < 0 ? text.length : text[nl - 1] === '\r' ? nl - 1 : nl;
  const rest = text.slice(offset, lineEnd).trim();
  if (rest === '') return undefined;
  return /^(\/\/.*|\/\*.*\*\/)$/.test(rest) ? lineEnd : undefined;
}

export function ancestorAt(node: Node | undefined, offset: number): Node | undefined {
  for (let n = node; n; n = n.parent) if (n.type === 'object' && n.offset === offset) return n;
  return undefined;
}

function bicepInsertion(text: string, objectStart: number, file: string): TextEdit[] | undefined {
  const object = bicepObjectAt(text, objectStart);
  return object ? insertBicepProperty(text, object, file, 'enableFloatingIP', 'true') : undefined;
}

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

/** Applies edits to a text (edits of one file, in any order, not overlapping). */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.offset - a.offset)) out = out.slice(0, e.offset) + e.newText + out.slice(e.offset + e.length);
  return out;
}
