/**
 * The workspace: every template and parameter file, one graph across them, findings per file.
 *
 * Files are added, changed and removed as text (the editor's unsaved text or the disk's). Each
 * deployment root (a template, once per parameter file that targets it, or with its defaults
 * when none does) is evaluated on its own; the resources of all roots meet in one graph, where
 * members in one file join pools declared in another by resource ID. Evaluations are cached by
 * the versions of the files they read, so an edit re-evaluates only the roots that depend on it.
 */
import { getNodeValue } from 'jsonc-parser';
import { child, mayAddToGraph, parseArm, reuseSyntaxTree, type ArmDocument, type SyntaxProblem } from './parse/arm';
import { parseBicep, reparseBicep } from './parse/bicep';
import type * as B from './parse/bicep/ast';
import { evaluateArmTemplate, type ArmHost, type TemplateEvaluation } from './evaluate/arm-evaluator';
import { evaluateBicep, evaluateBicepParams, type BicepIncrementalState, type LoadedTemplate, type ModuleHost } from './evaluate/bicep-evaluator';
import { idKey, type EvaluatedResource, type EvaluationProblem } from './evaluate/resources';
import { Unknown, getProp, isObject, type Value } from './evaluate/value';
import { buildGraph } from './graph/build';
import type { NetworkGraph } from './graph/model';
import { checkGraph } from './findings';
import type { CallSite, Finding } from './rules/types';
import { SourceFile, textEdit } from './source';
import { lineSuppressed } from './suppress';
import { looksLikeTemplate, MAX_FILE_BYTES } from './engine';

/** The pseudo-dependency on the set of files (see findDeclared). */
const STRUCTURE = '\u0000structure';

export type FileRole = 'armTemplate' | 'armParameters' | 'bicep' | 'bicepParameters' | 'other';

interface FileEntry {
  file: SourceFile;
  version: number;
  role: FileRole;
  arm?: ArmDocument;
  bicep?: B.BicepParseResult;
  tooLarge?: boolean;
  /** A template that cannot add to the graph (see makeInert). */
  inert?: boolean;
  /** The templateLinks written in it (computed once per version). */
  links?: { relativePath?: Value; uri?: Value }[];
}


interface Root {
  key: string;
  template: string;
  parameterFile: string | undefined;
  environment: string | undefined;
}

/** One evaluation of a template: with its defaults, or with one parameter file. */
interface RootEvaluation {
  key: string;
  template: string;
  parameterFile: string | undefined;
  /** The environment of its parameter file; undefined for an evaluation with defaults. */
  environment: string | undefined;
  /** Versions of every file this evaluation read. */
  deps: Map<string, number>;
  evaluation: Pick<TemplateEvaluation, 'resources' | 'problems'>;
  /** For a Bicep root: what the next evaluation after an edit of the file may take over. */
  bicepState?: BicepIncrementalState;
}

export interface WorkspaceAnalysis {
  /** Findings, de-duplicated across evaluations (parameter sources merged into one finding). */
  findings: Finding[];
  /** The graph of each environment (the parameter files' environments, or `default`). */
  graphs: { environment: string; graph: NetworkGraph }[];
  problems: EvaluationProblem[];
  parseErrors: { file: string; errors: SyntaxProblem[] }[];
  templates: number;
  /** Roots evaluated afresh by this analysis (the rest came from the cache). */
  evaluated: number;
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

export class Workspace {
  private readonly files = new Map<string, FileEntry>();
  private readonly cache = new Map<string, RootEvaluation>();
  private nextVersion = 1;

  /** Adds or replaces a file's text. Paths are the files' identities (`/` separators). */
  setFile(path: string, text: string): void {
    const prior = this.files.get(path);
    if (prior && !prior.inert && prior.file.text === text) return;
    if (!prior) this.structureVersion++;
    const clean = text.replace(/^\uFEFF/, '');
    const file = new SourceFile(path, clean);
    const entry: FileEntry = { file, version: this.nextVersion++, role: 'other' };
    if (text.length > MAX_FILE_BYTES) entry.tooLarge = true;
    else if (/\.bicep$/i.test(path)) {
      entry.role = 'bicep';
      // After an edit only the statements around it are parsed again (the rest are kept).
      entry.bicep = prior?.bicep && prior.role === 'bicep' ? reparseBicep(prior.bicep, textEdit(prior.file.text, clean), clean) : parseBicep(clean, { fileKind: 'bicep' });
    } else if (/\.bicepparam$/i.test(path)) {
      entry.bicep = parseBicep(clean, { fileKind: 'bicepparam' });
      entry.role = 'bicepParameters';
    } else if (/\.jsonc?$/i.test(path)) {
      const arm = parseArm(file);
      if (prior?.arm) reuseSyntaxTree(prior.arm, arm);
      entry.role = arm.kind === 'deploymentTemplate' ? 'armTemplate' : arm.kind === 'deploymentParameters' ? 'armParameters' : 'other';
      if (entry.role === 'armParameters' || (entry.role === 'armTemplate' && mayAddToGraph(arm) !== false) || arm.errors.length) entry.arm = arm;
      else this.makeInert(entry, path);
    }
    this.files.set(path, entry);
  }

  /**
   * A template that declares no load balancer, pool, NIC, VM, scale set or deployment cannot add
   * to the graph: it counts as a template, but neither its tree nor its text is kept.
   */
  private makeInert(entry: FileEntry, path: string): void {
    entry.inert = true;
    entry.file = new SourceFile(path, '');
  }

  removeFile(path: string): void {
    if (this.files.delete(path)) this.structureVersion++;
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  paths(): string[] {
    return [...this.files.keys()];
  }

  source(path: string): SourceFile | undefined {
    return this.files.get(path)?.file;
  }

  role(path: string): FileRole | undefined {
    return this.files.get(path)?.role;
  }

  /** Parameter files and the templates they target (by convention or by `metadata`). */
  private parameterTargets(): Map<string, string[]> {
    const byTemplate = new Map<string, string[]>();
    for (const [path, entry] of this.files) {
      let target: string | undefined;
      if (entry.role === 'armParameters') target = this.parameterTarget(path, entry);
      else if (entry.role === 'bicepParameters') target = this.usingTarget(path, entry);
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
  private usingTarget(path: string, entry: FileEntry): string | undefined {
    const using = entry.bicep?.program.statements.find((st): st is B.UsingDeclaration => st.kind === 'UsingDeclaration');
    const rel = using?.path?.kind === 'String' ? using.path.value : null;
    if (!rel) return undefined;
    const target = resolveRelative(path, rel);
    const role = this.files.get(target)?.role;
    return role === 'bicep' || role === 'armTemplate' ? target : undefined;
  }

  /**
   * The workspace file a `templateLink` names: `relativePath`; a `file://` URI; an http(s) URI
   * whose path ends in a workspace file near the linking one; or `<unknown base> + 'path.json'`
   * (`_artifactsLocation` and the like), the path taken from the linking file's folder or the
   * nearest folder above it that has it.
   */
  resolveLink(from: string, link: { relativePath?: Value; uri?: Value }, role: FileRole = 'armTemplate'): string | undefined {
    const isTemplate = (p: string): boolean => this.files.get(p)?.role === role;
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
  private moduleTargets(): Set<string> {
    const edges = new Map<string, string[]>();
    const add = (from: string, to: string | undefined): void => {
      if (!to || to === from || !this.files.has(to)) return;
      const list = edges.get(from) ?? [];
      list.push(to);
      edges.set(from, list);
    };
    for (const [path, entry] of this.files) {
      if (entry.role === 'armTemplate' && entry.arm) {
        entry.links ??= staticLinks(entry.arm);
        for (const link of entry.links) add(path, this.resolveLink(path, link));
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

  private parameterTarget(path: string, entry: FileEntry): string | undefined {
    const isTemplate = (p: string): boolean => this.files.get(p)?.role === 'armTemplate';
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
    const siblings = [...this.files.keys()].filter((p) => isTemplate(p) && p.startsWith(dir) && !p.slice(dir.length).includes('/'));
    return siblings.length === 1 ? siblings[0] : undefined;
  }

  /** Re-evaluates what changed since the last call and returns the findings of the whole workspace. */
  analyze(): WorkspaceAnalysis {
    const roots: Root[] = [];
    const targets = this.parameterTargets();
    const called = this.moduleTargets();
    for (const [path, entry] of this.files) {
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
    this.evaluatedCount = 0;
    this.roots = roots;
    const live = new Set(roots.map((r) => r.key));
    const results = roots.map((root) => this.ensureRoot(root));
    const evaluated = this.evaluatedCount;
    for (const key of this.cache.keys()) if (!live.has(key)) this.cache.delete(key);

    // One graph per environment: evaluations with a parameter file meet the evaluations of
    // templates that have none, but never another environment's (dev and prod members of one
    // pool would otherwise be counted together).
    const environments = [...new Set(results.map((r) => r.environment).filter((e): e is string => e !== undefined))];
    if (environments.length === 0) environments.push('default');
    const graphs = environments.map((environment) => ({
      environment,
      graph: buildGraph(results.filter((r) => r.environment === undefined || r.environment === environment).flatMap((r) => r.evaluation.resources)),
    }));
    const suppressed = (f: Finding): boolean => lineSuppressed(f, this.files.get(f.span.file)?.file);
    const findings = mergeFindings(labelEnvironments(graphs.map(({ environment, graph }) => ({ environment, findings: checkGraph(graph, {}) })))).filter(
      // A copy shown where a module is called (its first related location is the rule in the
      // module) goes with a suppression written at that rule.
      (f) => !suppressed(f) && !(f.facts.viaModule !== undefined && f.related[0] && suppressed({ ...f, span: f.related[0].span })),
    );
    const problems = results.flatMap((r) => r.evaluation.problems);
    const parseErrors: WorkspaceAnalysis['parseErrors'] = [];
    for (const [path, entry] of this.files) {
      if (entry.arm?.errors.length && (entry.role !== 'other' || looksLikeTemplate(entry.file.text))) {
        parseErrors.push({ file: path, errors: entry.arm.errors });
      }
      if (entry.bicep?.diagnostics.length) {
        parseErrors.push({
          file: path,
          errors: entry.bicep.diagnostics.map((d) => ({ span: { file: path, start: d.start, end: d.end }, message: `Bicep: ${d.message}` })),
        });
      }
    }
    return { findings, graphs, problems: dedupeProblems(problems), parseErrors, templates: roots.length ? new Set(roots.map((r) => r.template)).size : 0, evaluated };
  }

  /** The roots of the analysis in progress, for lookups of `existing` resources. */
  private roots: Root[] = [];
  private readonly evaluating = new Set<string>();
  private evaluatedCount = 0;
  /** Bumped when files come or go: lookups across the workspace depend on the set of files. */
  private structureVersion = 0;

  private ensureRoot(root: Root): RootEvaluation {
    const cached = this.cache.get(root.key);
    if (cached && this.fresh(cached)) return cached;
    this.evaluating.add(root.key);
    try {
      const r = this.evaluateRoot(root, cached);
      this.evaluatedCount++;
      this.cache.set(root.key, r);
      return r;
    } finally {
      this.evaluating.delete(root.key);
    }
  }

  /**
   * A resource with this ID declared (not `existing`) by another deployment of the workspace, for
   * the properties of an `existing` reference. The evaluation that asks depends on every file the
   * search read, and on the set of files.
   */
  private findDeclared(idKeyWanted: string, deps: Map<string, number>): EvaluatedResource | undefined {
    deps.set(STRUCTURE, this.structureVersion);
    for (const root of this.roots) {
      if (this.evaluating.has(root.key)) continue;
      const r = this.ensureRoot(root);
      for (const [p, v] of r.deps) deps.set(p, v);
      const found = r.evaluation.resources.find((x) => !x.existing && idKey(x.id) === idKeyWanted);
      if (found) return found;
    }
    return undefined;
  }

  private fresh(r: RootEvaluation): boolean {
    for (const [path, version] of r.deps) {
      if (path === STRUCTURE ? version !== this.structureVersion : this.files.get(path)?.version !== version) return false;
    }
    return true;
  }

  /** `previous`: the stale evaluation of the same root, for what an edit of its own file left alone. */
  private evaluateRoot(root: Root, previous?: RootEvaluation): RootEvaluation {
    const { key, template, parameterFile, environment } = root;
    const entry = this.files.get(template) as FileEntry;
    const deps = new Map<string, number>([[template, entry.version]]);
    if (entry.inert) return { key, template, parameterFile, environment, deps, evaluation: { resources: [], problems: [] } };
    const problems: EvaluationProblem[] = [];
    let parameters: Record<string, Value> = {};
    if (parameterFile) {
      const pe = this.files.get(parameterFile) as FileEntry;
      deps.set(parameterFile, pe.version);
      if (pe.role === 'bicepParameters' && pe.bicep) {
        const evaluated = evaluateBicepParams(pe.file, pe.bicep.program);
        parameters = evaluated.values;
        problems.push(...evaluated.problems);
      } else {
        parameters = readParameterValues(pe);
      }
    }
    const common = parameterFile ? { parameters, parameterSource: shortName(parameterFile), symbolScope: key } : { symbolScope: key };
    // `problems` stays live: bodies evaluated later, while the graph is built, add to it.
    if (entry.role === 'bicep' && entry.bicep) {
      // Incremental only when nothing but the file itself changed since the previous evaluation.
      const onlySelf =
        previous?.bicepState &&
        [...previous.deps].every(([p, v]) => p === template || (p === STRUCTURE ? v === this.structureVersion : this.files.get(p)?.version === v));
      // What is taken over was read from the same other files: they stay dependencies.
      if (onlySelf && previous) for (const [p, v] of previous.deps) if (!deps.has(p)) deps.set(p, v);
      const options = { ...common, host: this.moduleHost(deps), problems, ...(onlySelf && previous?.bicepState ? { previous: previous.bicepState } : {}) };
      const evaluation = evaluateBicep(entry.file, entry.bicep.program, options);
      return { key, template, parameterFile, environment, deps, evaluation: { resources: evaluation.resources, problems }, bicepState: evaluation.state };
    }
    const evaluation = evaluateArmTemplate(entry.arm as ArmDocument, { ...common, host: this.armHost(deps), problems });
    return { key, template, parameterFile, environment, deps, evaluation };
  }

  /** Loads linked templates from the workspace, recording each file read as a dependency. */
  private armHost(deps: Map<string, number>): ArmHost {
    return {
      loadLinked: (from, link) => {
        deps.set(STRUCTURE, this.structureVersion);
        const path = this.resolveLink(from, link);
        const entry = path ? this.files.get(path) : undefined;
        if (!path || !entry?.arm) return undefined;
        deps.set(path, entry.version);
        return entry.arm;
      },
      loadLinkedParameters: (from, link) => this.linkedParameters(deps, from, link),
    };
  }

  /** Loads module targets from the workspace, recording each file read as a dependency. */
  private linkedParameters(deps: Map<string, number>, from: string, link: { relativePath?: Value; uri?: Value }): Record<string, Value> | undefined {
    const path = this.resolveLink(from, link, 'armParameters');
    const entry = path ? this.files.get(path) : undefined;
    if (!path || !entry) return undefined;
    deps.set(path, entry.version);
    return readParameterValues(entry);
  }

  private moduleHost(deps: Map<string, number>): ModuleHost {
    return {
      findDeclared: (id) => {
        const key = idKey(id);
        return key === undefined ? undefined : this.findDeclared(key, deps);
      },
      load: (from: string, rel: string): LoadedTemplate | undefined => {
        const path = resolveRelative(from, rel);
        const entry = this.files.get(path);
        if (!entry) return undefined;
        deps.set(path, entry.version);
        if (entry.role === 'bicep' && entry.bicep) return { kind: 'bicep', file: entry.file, program: entry.bicep.program };
        if (entry.role === 'armTemplate' && entry.arm) return { kind: 'arm', document: entry.arm };
        return undefined;
      },
    };
  }
}

/** `parameters.<name>.value` of a deployment parameters file; Key Vault references are unknown. */
function readParameterValues(entry: FileEntry): Record<string, Value> {
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
function environmentOf(parameterFile: string): string {
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

function shortName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function resolveRelative(from: string, rel: string): string {
  if (rel.startsWith('/')) return rel;
  const parts = from.split('/').slice(0, -1);
  for (const seg of rel.replace(/\\/g, '/').split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}

/**
 * A finding whose own deployment has no parameter file may still differ by environment (its
 * members come from another template's dev or prod evaluation). Those that are not the same in
 * every environment name the environments they hold in.
 */
function labelEnvironments(perEnvironment: { environment: string; findings: Finding[] }[]): Finding[] {
  const envsOf = new Map<string, Set<string>>();
  const keyOf = (f: Finding): string => `${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}\u0000${f.message}`;
  for (const { environment, findings } of perEnvironment) {
    for (const f of findings) {
      if (f.facts.parameterSource) continue;
      const k = keyOf(f);
      envsOf.set(k, (envsOf.get(k) ?? new Set()).add(environment));
    }
  }
  return perEnvironment.flatMap(({ environment, findings }) =>
    findings.map((f) => {
      if (f.facts.parameterSource || (envsOf.get(keyOf(f))?.size ?? 0) === perEnvironment.length) return f;
      return { ...f, message: `${f.message} [in environment ${environment}]`, facts: { ...f.facts, parameterSource: `environment ${environment}` } };
    }),
  );
}

const SOURCE_SUFFIX = / \[(?:with|in) [^\]]*\]$/;

/**
 * One finding per place, rule and statement: evaluations that say the same thing (the same
 * members and chance) are merged and their parameter sources listed together; evaluations that
 * differ (2 members with dev, 4 with prod) stay separate findings.
 */
function mergeFindings(findings: Finding[]): Finding[] {
  const byPlace = new Map<string, Finding>();
  for (const f of findings) {
    const statement = f.message.replace(SOURCE_SUFFIX, '');
    const key = `${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}\u0000${statement}`;
    const prior = byPlace.get(key);
    if (!prior) {
      byPlace.set(key, f);
      continue;
    }
    const a = prior.facts.parameterSource;
    const b = f.facts.parameterSource;
    if (a === undefined || b === undefined || a.split(', ').includes(b)) {
      // The defaults make it prone too: no parameter file needs naming.
      if (b === undefined && a !== undefined) byPlace.set(key, f);
      continue;
    }
    const merged = `${a}, ${b}`;
    byPlace.set(key, { ...prior, message: `${statement} [with ${merged.replace(/environment /g, '')}]`, facts: { ...prior.facts, parameterSource: merged } });
  }
  const merged = [...byPlace.values()];
  // One rule in a module, made hairpin-prone by several calls: its fix must reach every call.
  const sitesAt = new Map<string, CallSite[]>();
  for (const f of findings) {
    if (!f.fixTarget?.callSites || f.facts.viaModule !== undefined) continue;
    const key = `${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}\u0000${f.facts.lbRule}`;
    sitesAt.set(key, [...(sitesAt.get(key) ?? []), ...f.fixTarget.callSites]);
  }
  return merged.map((f) => {
    const sites = f.facts.viaModule === undefined ? sitesAt.get(`${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}\u0000${f.facts.lbRule}`) : undefined;
    if (!sites || !f.fixTarget) return f;
    const unique = sites.filter((s, i) => sites.findIndex((t) => t.file === s.file && t.offset === s.offset && t.rule === s.rule) === i);
    f.fixTarget.callSites = unique; // (the findings are this analysis's own; copying would make the lazy targets)
    return f;
  });
}

function dedupeProblems(problems: EvaluationProblem[]): EvaluationProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.span.file}\u0000${p.span.start}\u0000${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
