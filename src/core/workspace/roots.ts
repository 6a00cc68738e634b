/**
 * The workspace's deployment roots: which templates are deployed on their own (not only called as
 * modules or linked templates), with which parameter files and in which environment, and the
 * workspace file a module path or a `templateLink` names.
 */
import { getNodeValue } from 'jsonc-parser';
import { child, type ArmDocument } from '../parse/arm';
import type * as B from '../parse/bicep/ast';
import { Unknown, getProp, isObject, type Value } from '../evaluate/value';
import type { FileEntry, FileIndex, FileRole } from './files';

/** One deployment root: a template with its defaults, or with one parameter file. */
export interface Root {
  key: string;
  template: string;
  parameterFile: string | undefined;
  environment: string | undefined;
}

/** The roots of the workspace: each template once per parameter file that targets it, or with its defaults. */
export function deploymentRoots(files: FileIndex): Root[] {
  const roots: Root[] = [];
  const targets = parameterTargets(files);
  const called = moduleTargets(files);
  for (const [path, entry] of files.entries()) {
    if (entry.role !== 'armTemplate' && entry.role !== 'bicep') continue;
    // A module or linked template is evaluated with the values its callers pass, not with its
    // defaults or its own parameter files (that would deploy its resources twice).
    if (called.has(path)) continue;
    const params = targets.get(path);
    if (!params?.length) {
      roots.push({ key: path, template: path, parameterFile: undefined, environment: undefined });
      continue;
    }
    // A template's only, unlabelled parameter file (`main.parameters.json`) is no environment of
    // its own: its evaluation meets every environment, like a template's defaults do.
    if (params.length === 1 && environmentOf(params[0] as string) === 'default') {
      roots.push({ key: `${path}\u0000${params[0]}`, template: path, parameterFile: params[0], environment: undefined });
      continue;
    }
    const used = new Set<string>();
    for (const p of params) {
      let environment = environmentOf(p);
      if (used.has(environment)) environment = shortName(p);
      used.add(environment);
      roots.push({ key: `${path}\u0000${p}`, template: path, parameterFile: p, environment });
    }
  }
  return roots;
}

/**
 * What of a file the roots depend on besides the set of files: its role and inertness, the links
 * and module paths it writes, the template a parameter file names. An edit that leaves this alone
 * (typing in a template's resources) leaves the roots as they are.
 */
export function rootSignature(files: FileIndex, path: string, entry: FileEntry | undefined): string {
  if (!entry) return '';
  const head = `${entry.role}${entry.inert ? ' inert' : ''}`;
  if (entry.role === 'armTemplate' && entry.arm) {
    entry.links ??= staticLinks(entry.arm);
    const text = (v: Value | undefined): string => (v instanceof Unknown ? `{${v.symbol ?? v.text ?? ''}}` : JSON.stringify(v) ?? '');
    return `${head} ${entry.links.map((l) => `${text(l.relativePath)} ${text(l.uri)}`).join('\u0001')}`;
  }
  if (entry.role === 'bicep') {
    const modules = (entry.bicep?.program.statements ?? []).flatMap((st) => (st.kind === 'ModuleDeclaration' && st.path.kind === 'String' ? [String(st.path.value)] : []));
    return `${head} ${modules.join('\u0001')}`;
  }
  if (entry.role === 'armParameters') return `${head} ${String(parameterTarget(files, path, entry))}`;
  if (entry.role === 'bicepParameters') return `${head} ${String(usingTarget(files, path, entry))}`;
  return head;
}

/** How a parameter file names its template: `<base>.parameters[.<env>].json` beside it. */
export function templateForParameterFile(paramPath: string, exists: (p: string) => boolean): string | undefined {
  const m = /^(.*?)\.parameters(?:\.[^./\\]+)?\.jsonc?$/i.exec(paramPath);
  if (!m) return undefined;
  for (const ext of ['.json', '.jsonc']) {
    const candidate = `${m[1]}${ext}`;
    if (exists(candidate)) return candidate;
  }
  return undefined;
}

/** Parameter files and the templates they target (by convention or by `metadata`). */
function parameterTargets(files: FileIndex): Map<string, string[]> {
  const byTemplate = new Map<string, string[]>();
  for (const [path, entry] of files.entries()) {
    let target: string | undefined;
    if (entry.role === 'armParameters') target = parameterTarget(files, path, entry);
    else if (entry.role === 'bicepParameters') target = usingTarget(files, path, entry);
    else continue;
    if (!target) continue;
    let list = byTemplate.get(target);
    if (!list) byTemplate.set(target, (list = []));
    list.push(path);
  }
  for (const list of byTemplate.values()) list.sort();
  return byTemplate;
}

/** `using './main.bicep'` of a .bicepparam file (an ARM JSON target works too). */
function usingTarget(files: FileIndex, path: string, entry: FileEntry): string | undefined {
  const using = entry.bicep?.program.statements.find((st): st is B.UsingDeclaration => st.kind === 'UsingDeclaration');
  const rel = using?.path?.kind === 'String' ? using.path.value : null;
  if (!rel) return undefined;
  const target = resolveRelative(path, rel);
  const role = files.get(target)?.role;
  return role === 'bicep' || role === 'armTemplate' ? target : undefined;
}

/**
 * The workspace file a `templateLink` names: `relativePath`; a `file://` URI; an http(s) URI
 * whose path ends in a workspace file near the linking one; or `<unknown base> + 'path.json'`
 * (`_artifactsLocation` and the like), the path taken from the linking file's folder or the
 * nearest folder above it that has it.
 */
export function resolveLink(files: FileIndex, from: string, link: { relativePath?: Value; uri?: Value }, role: FileRole | 'any' = 'armTemplate'): string | undefined {
  const isTemplate = (p: string): boolean => {
    const entry = files.get(p);
    return entry !== undefined && (role === 'any' || entry.role === role);
  };
  if (typeof link.relativePath === 'string') {
    const p = resolveRelative(from, link.relativePath);
    return isTemplate(p) ? p : undefined;
  }
  const uri = link.uri;
  let tail: string | undefined;
  if (typeof uri === 'string') {
    if (/^file:\/\//i.test(uri)) {
      const p = decodeURI(uri.replace(/^file:\/\//i, '').replace(/[?#].*$/, ''));
      if (isTemplate(p)) return p;
      tail = p;
    } else {
      tail = /^https?:\/\/[^/]+(\/[^?#]*)/i.exec(uri)?.[1];
    }
  } else if (uri instanceof Unknown && uri.symbol) {
    tail = literalTail(uri.symbol);
  }
  if (!tail) return undefined;
  // `<template>.json` + 'nested/x.json' (a base that was the template's own URI) reads as nested/x.json.
  const segments = tail
    .replace(/[?#].*$/, '')
    .split('/')
    .map((x) => x.replace(/^.*\.jsonc?(?=.)/i, ''))
    .filter((x) => x && x !== '.');
  if (!segments.length || !/\.jsonc?$/i.test(segments[segments.length - 1] as string)) return undefined;
  // The longest tail of the path that exists under the linking file's folder or one above it.
  for (let k = segments.length; k >= 1; k--) {
    const rel = segments.slice(segments.length - k).join('/');
    for (let dir = from.slice(0, from.lastIndexOf('/')); dir; dir = dir.slice(0, dir.lastIndexOf('/'))) {
      const p = `${dir}/${rel}`;
      if (p !== from && isTemplate(p)) return p;
      if (!dir.includes('/')) break;
    }
  }
  return undefined;
}

/**
 * Files that other files use as modules or linked templates: they are evaluated through their
 * callers. A file reached by no caller outside a cycle (a calls b, b calls a) is not one of
 * them, so that the cycle is still analyzed (and reported).
 */
function moduleTargets(files: FileIndex): Set<string> {
  const edges = new Map<string, string[]>();
  const add = (from: string, to: string | undefined): void => {
    if (!to || to === from || !files.has(to)) return;
    const list = edges.get(from) ?? [];
    list.push(to);
    edges.set(from, list);
  };
  for (const [path, entry] of files.entries()) {
    if (entry.role === 'armTemplate' && entry.arm) {
      entry.links ??= staticLinks(entry.arm);
      for (const link of entry.links) add(path, resolveLink(files, path, link));
    } else if (entry.role === 'bicep') {
      for (const st of entry.bicep?.program.statements ?? []) {
        if (st.kind !== 'ModuleDeclaration' || st.path.kind !== 'String' || st.path.value === null) continue;
        if (!/^(br|ts)[:/]/i.test(st.path.value)) add(path, resolveRelative(path, st.path.value));
      }
    }
  }
  const called = new Set([...edges.values()].flat());
  const reached = new Set<string>();
  const visit = (p: string): void => {
    for (const t of edges.get(p) ?? []) {
      if (reached.has(t)) continue;
      reached.add(t);
      visit(t);
    }
  };
  for (const p of edges.keys()) if (!called.has(p)) visit(p);
  return new Set([...called].filter((p) => reached.has(p)));
}

function parameterTarget(files: FileIndex, path: string, entry: FileEntry): string | undefined {
  const isTemplate = (p: string): boolean => files.get(p)?.role === 'armTemplate';
  const byName = templateForParameterFile(path, isTemplate);
  if (byName) return byName;
  // `metadata.template` (or `templateFile`) naming the template relative to the parameter file.
  const root = entry.arm?.root;
  const meta = child(root, 'metadata');
  for (const p of meta?.children ?? []) {
    const key = String(p.children?.[0]?.value).toLowerCase();
    const value = p.children?.[1]?.value;
    if ((key === 'template' || key === 'templatefile') && typeof value === 'string') {
      const candidate = resolveRelative(path, value);
      if (isTemplate(candidate)) return candidate;
    }
  }
  // Folder convention: the only template in the same folder.
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  const siblings = files.paths().filter((p) => isTemplate(p) && p.startsWith(dir) && !p.slice(dir.length).includes('/'));
  return siblings.length === 1 ? siblings[0] : undefined;
}

/** `parameters.<name>.value` of a deployment parameters file; Key Vault references are unknown. */
export function readParameterValues(entry: FileEntry): Record<string, Value> {
  const out: Record<string, Value> = {};
  const root = entry.arm?.root;
  const params = child(root, 'parameters');
  for (const p of params?.children ?? []) {
    const name = p.children?.[0]?.value;
    const def = p.children?.[1];
    if (typeof name !== 'string' || !def) continue;
    const v = getNodeValue(def) as Value;
    if (!isObject(v)) continue;
    const value = getProp(v, 'value');
    if (value !== undefined) out[name] = value;
    else if (getProp(v, 'reference') !== undefined) {
      // A Key Vault secret: its value is read at deployment, never the template's default.
      out[name] = new Unknown(`parameter '${name}' is a Key Vault reference`, `parameters('${name}')`);
    }
  }
  return out;
}


/**
 * `main.parameters.prod.json` -> `prod`; `main.parameters.json` -> `default`;
 * `main.prod.bicepparam` -> `prod`; `main.bicepparam` -> `default`.
 */
export function environmentOf(parameterFile: string): string {
  const m = /\.parameters\.([^./]+)\.jsonc?$/i.exec(parameterFile) ?? /\.([^./]+)\.bicepparam$/i.exec(parameterFile);
  return m ? (m[1] as string).toLowerCase() : 'default';
}

/**
 * The `templateLink`s written in a template, read without evaluating: a plain `relativePath`, or
 * the last quoted `.json` path inside a `uri` expression (enough to know which file is linked).
 */
function staticLinks(doc: ArmDocument): { relativePath?: Value; uri?: Value }[] {
  const out: { relativePath?: Value; uri?: Value }[] = [];
  const fromLink = (link: unknown): void => {
    if (link === null || typeof link !== 'object') return;
    for (const [k, v] of Object.entries(link as Record<string, unknown>)) {
      if (typeof v !== 'string') continue;
      const key = k.toLowerCase();
      if (key === 'relativepath' && !v.startsWith('[')) out.push({ relativePath: v });
      if (key === 'uri') {
        const quoted = [...v.matchAll(/'([^']*\.jsonc?)[^']*'/gi)].pop()?.[1];
        if (quoted) out.push({ uri: new Unknown('linked', undefined, `{base}${quoted.startsWith('/') ? '' : '/'}${quoted}`) });
        else if (!v.startsWith('[')) out.push({ uri: v });
      }
    }
  };
  const prop = (o: unknown, key: string): unknown => getProp(o as Value, key);
  // Links sit on deployments: resources, their children, and the resources of inline templates.
  const visitResources = (resources: unknown, depth: number): void => {
    if (depth > 16 || resources === null || typeof resources !== 'object') return;
    for (const r of Object.values(resources as Record<string, unknown>)) {
      const props = prop(r, 'properties');
      fromLink(prop(props, 'templatelink'));
      visitResources(prop(prop(props, 'template'), 'resources'), depth + 1);
      visitResources(prop(r, 'resources'), depth + 1);
    }
  };
  const visit = (root: unknown, depth: number): void => visitResources(prop(root, 'resources'), depth);
  visit(doc.value ?? (doc.root ? getNodeValue(doc.root) : undefined), 0);
  return out;
}

/**
 * The path a symbolic link names: the last literal part that names a `.json` file, e.g.
 * `{_artifactsLocation}nested/vms.json{_artifactsLocationSasToken}` -> `nested/vms.json`.
 */
function literalTail(symbol: string): string | undefined {
  const literals: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of symbol) {
    if (ch === '{') {
      if (depth === 0 && current) literals.push(current);
      if (depth === 0) current = '';
      depth++;
    } else if (ch === '}') {
      depth = Math.max(0, depth - 1);
    } else if (depth === 0) {
      current += ch;
    }
  }
  if (current) literals.push(current);
  const last = literals.reverse().find((l) => /\.jsonc?/i.test(l));
  return last?.replace(/(\.jsonc?).*$/i, '$1');
}

export function shortName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function resolveRelative(from: string, rel: string): string {
  if (rel.startsWith('/')) return rel;
  const parts = from.split('/').slice(0, -1);
  for (const seg of rel.replace(/\\/g, '/').split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}

