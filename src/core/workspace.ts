/**
 * The workspace: every template and parameter file, one graph across them, findings per file.
 *
 * Files are added, changed and removed as text (the editor's unsaved text or the disk's). Each
 * deployment root (a template, once per parameter file that targets it, or with its defaults
 * when none does) is evaluated on its own; the resources of all roots meet in one graph, where
 * members in one file join pools declared in another by resource ID. Evaluations are cached by
 * the versions of the files they read, so an edit re-evaluates only the roots that depend on it.
 */
import { parseArm, type ArmDocument, type SyntaxProblem } from './parse/arm';
import { evaluateArmTemplate, type TemplateEvaluation } from './evaluate/arm-evaluator';
import type { EvaluationProblem } from './evaluate/resources';
import { getProp, isObject, type Value } from './evaluate/value';
import { buildGraph } from './graph/build';
import type { NetworkGraph } from './graph/model';
import { RULES } from './rules';
import type { Finding } from './rules/types';
import { SourceFile } from './source';
import { looksLikeTemplate, MAX_FILE_BYTES } from './engine';

export type FileRole = 'armTemplate' | 'armParameters' | 'other';

interface FileEntry {
  file: SourceFile;
  version: number;
  role: FileRole;
  arm?: ArmDocument;
  tooLarge?: boolean;
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
  evaluation: TemplateEvaluation;
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
    if (prior && prior.file.text === text) return;
    const file = new SourceFile(path, text.replace(/^\uFEFF/, ''));
    const entry: FileEntry = { file, version: this.nextVersion++, role: 'other' };
    if (text.length > MAX_FILE_BYTES) entry.tooLarge = true;
    else if (/\.jsonc?$/i.test(path)) {
      entry.arm = parseArm(file);
      entry.role =
        entry.arm.kind === 'deploymentTemplate' ? 'armTemplate' : entry.arm.kind === 'deploymentParameters' ? 'armParameters' : 'other';
    }
    this.files.set(path, entry);
  }

  removeFile(path: string): void {
    this.files.delete(path);
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
      if (entry.role !== 'armParameters') continue;
      const target = this.parameterTarget(path, entry);
      if (!target) continue;
      let list = byTemplate.get(target);
      if (!list) byTemplate.set(target, (list = []));
      list.push(path);
    }
    for (const list of byTemplate.values()) list.sort();
    return byTemplate;
  }

  private parameterTarget(path: string, entry: FileEntry): string | undefined {
    const isTemplate = (p: string): boolean => this.files.get(p)?.role === 'armTemplate';
    const byName = templateForParameterFile(path, isTemplate);
    if (byName) return byName;
    // `metadata.template` (or `templateFile`) naming the template relative to the parameter file.
    const root = entry.arm?.root;
    const meta = root?.children?.find((p) => String(p.children?.[0]?.value).toLowerCase() === 'metadata')?.children?.[1];
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
    const roots: { key: string; template: string; parameterFile: string | undefined; environment: string | undefined }[] = [];
    const targets = this.parameterTargets();
    for (const [path, entry] of this.files) {
      if (entry.role !== 'armTemplate') continue;
      const params = targets.get(path);
      if (!params?.length) {
        roots.push({ key: path, template: path, parameterFile: undefined, environment: undefined });
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
    let evaluated = 0;
    const live = new Set<string>();
    const results: RootEvaluation[] = [];
    for (const root of roots) {
      live.add(root.key);
      const cached = this.cache.get(root.key);
      if (cached && this.fresh(cached)) {
        results.push(cached);
        continue;
      }
      const r = this.evaluateRoot(root);
      evaluated++;
      this.cache.set(root.key, r);
      results.push(r);
    }
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
    const findings = mergeFindings(graphs.flatMap(({ graph }) => RULES.flatMap((rule) => rule.check(graph, {}))));
    const problems = results.flatMap((r) => r.evaluation.problems);
    const parseErrors: WorkspaceAnalysis['parseErrors'] = [];
    for (const [path, entry] of this.files) {
      if (entry.arm?.errors.length && (entry.role !== 'other' || looksLikeTemplate(entry.file.text))) {
        parseErrors.push({ file: path, errors: entry.arm.errors });
      }
    }
    return { findings, graphs, problems: dedupeProblems(problems), parseErrors, templates: roots.length ? new Set(roots.map((r) => r.template)).size : 0, evaluated };
  }

  private fresh(r: RootEvaluation): boolean {
    for (const [path, version] of r.deps) if (this.files.get(path)?.version !== version) return false;
    return true;
  }

  private evaluateRoot(root: { key: string; template: string; parameterFile: string | undefined; environment: string | undefined }): RootEvaluation {
    const { key, template, parameterFile, environment } = root;
    const entry = this.files.get(template) as FileEntry;
    const deps = new Map<string, number>([[template, entry.version]]);
    let parameters: Record<string, Value> | undefined;
    if (parameterFile) {
      const pe = this.files.get(parameterFile) as FileEntry;
      deps.set(parameterFile, pe.version);
      parameters = readParameterValues(pe);
    }
    const options = parameterFile
      ? { parameters: parameters ?? {}, parameterSource: shortName(parameterFile), symbolScope: key }
      : { symbolScope: key };
    const evaluation = evaluateArmTemplate(entry.arm as ArmDocument, options);
    return { key, template, parameterFile, environment, deps, evaluation };
  }
}

/** `parameters.<name>.value` of a deployment parameters file; Key Vault references are unknown. */
function readParameterValues(entry: FileEntry): Record<string, Value> {
  const out: Record<string, Value> = {};
  const root = entry.arm?.root;
  const params = root?.children?.find((p) => String(p.children?.[0]?.value).toLowerCase() === 'parameters')?.children?.[1];
  for (const p of params?.children ?? []) {
    const name = p.children?.[0]?.value;
    const def = p.children?.[1];
    if (typeof name !== 'string' || !def) continue;
    const v = jsonValue(def);
    if (!isObject(v)) continue;
    const value = getProp(v, 'value');
    if (value !== undefined) out[name] = value;
    // A `reference` (Key Vault secret) stays unset: the template then sees it as unknown.
  }
  return out;
}

function jsonValue(node: NonNullable<ArmDocument['root']>): Value {
  switch (node.type) {
    case 'object': {
      const o: Record<string, Value> = {};
      for (const p of node.children ?? []) {
        const k = p.children?.[0]?.value;
        const v = p.children?.[1];
        if (typeof k === 'string' && v) o[k] = jsonValue(v);
      }
      return o;
    }
    case 'array':
      return (node.children ?? []).map(jsonValue);
    case 'string':
    case 'number':
    case 'boolean':
      return node.value as Value;
    default:
      return null;
  }
}

/** `main.parameters.prod.json` -> `prod`; `main.parameters.json` -> `default`. */
function environmentOf(parameterFile: string): string {
  const m = /\.parameters\.([^./]+)\.jsonc?$/i.exec(parameterFile);
  return m ? (m[1] as string).toLowerCase() : 'default';
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

/** One finding per place and rule; the parameter files that make it prone are listed together. */
function mergeFindings(findings: Finding[]): Finding[] {
  const byPlace = new Map<string, Finding>();
  for (const f of findings) {
    const key = `${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}\u0000${f.facts.loadBalancer}\u0000${f.facts.lbRule}`;
    const prior = byPlace.get(key);
    if (!prior) {
      byPlace.set(key, f);
      continue;
    }
    const sources = [prior.facts.parameterSource, f.facts.parameterSource].filter((s): s is string => !!s);
    if (sources.length === 2 && prior.facts.parameterSource !== f.facts.parameterSource) {
      const merged = `${prior.facts.parameterSource}, ${f.facts.parameterSource}`;
      byPlace.set(key, {
        ...prior,
        message: prior.message.replace(/ \[with [^\]]*\]$/, ` [with ${merged}]`),
        facts: { ...prior.facts, parameterSource: merged },
      });
    }
  }
  return [...byPlace.values()];
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
