/**
 * The floating-IP (DSR) fix: `enableFloatingIP` set to true on the rule, changed where it is
 * written, otherwise added to the rule's `properties` in the style of the surrounding text
 * (indentation, one-line or multi-line objects, JSON or Bicep). Plain data: the editor and the CLI
 * apply the same edits.
 */
import { findNodeAtOffset, parseTree, type Node } from 'jsonc-parser';
import type * as A from '../parse/bicep/ast';
import { findProperty, parseBicep, propertyName, walk } from '../parse/bicep';
import type { CallSite, Finding } from '../rules/types';
import { child } from '../parse/arm';
import { bicepObjectAt, insertBicepProperty, insertJsonProperty, jsonObjectAt, type TextEdit } from '../edit';
import { moduleRefusal } from './targets';
import type { FixResult, TextOf } from './types';

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

function jsonInsertion(text: string, objectStart: number, file: string): TextEdit[] | undefined {
  const object = jsonObjectAt(text, objectStart);
  return object ? insertJsonProperty(text, object, file, '"enableFloatingIP"', 'true') : undefined;
}

function bicepInsertion(text: string, objectStart: number, file: string): TextEdit[] | undefined {
  const object = bicepObjectAt(text, objectStart);
  return object ? insertBicepProperty(text, object, file, 'enableFloatingIP', 'true') : undefined;
}
