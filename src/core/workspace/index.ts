/**
 * The workspace: every template and parameter file, one graph across them, findings per file.
 * The file index is in files.ts, the deployment roots in roots.ts; this is the incremental
 * analysis.
 *
 * Files are added, changed and removed as text (the editor's unsaved text or the disk's). Each
 * deployment root (a template, once per parameter file that targets it, or with its defaults
 * when none does) is evaluated on its own; the resources of all roots meet in one graph, where
 * members in one file join pools declared in another by resource ID. Evaluations are cached by
 * the versions of the files they read, so an edit re-evaluates only the roots that depend on it.
 */
import type { ArmDocument, SyntaxProblem } from '../parse/arm';
import { evaluateArmTemplate, type ArmHost, type TemplateEvaluation } from '../evaluate/arm-evaluator';
import { evaluateBicep, evaluateBicepParams, type BicepIncrementalState, type LoadedTemplate, type ModuleHost } from '../evaluate/bicep-evaluator';
import { idKey, type EvaluatedResource, type EvaluationProblem } from '../evaluate/resources';
import type { Value } from '../evaluate/value';
import { buildGraph } from '../graph/build';
import type { NetworkGraph } from '../graph/model';
import { checkGraph } from '../findings';
import type { Finding } from '../rules/types';
import type { SourceFile } from '../source';
import { lineSuppressed } from '../suppress';
import { MAX_FILE_BYTES, looksLikeTemplate } from '../engine';
import { FileIndex, STRUCTURE, type FileEntry, type FileRole } from './files';
import { deploymentRoots, readParameterValues, resolveLink, resolveRelative, shortName, type Root } from './roots';
import { dedupeProblems, labelEnvironments, mergeFindings } from './merge';

/** Why a template the workspace keeps no tree of (see FileIndex) is not evaluated as a module or linked template. */
const INERT_REASON = 'it declares no load balancer, NIC, VM, scale set or deployment';

/** Why a workspace file a link or module names is not evaluated as a template. */
function notATemplate(entry: FileEntry): string {
  if (entry.tooLarge) return `it is larger than ${MAX_FILE_BYTES / (1024 * 1024)} MB, the most a file may be`;
  switch (entry.role) {
    case 'armParameters':
      return 'it is a parameter file, not a template';
    case 'bicepParameters':
      return 'it is a Bicep parameter file, not a template';
    case 'armTemplate':
    case 'bicep':
      return 'it does not parse';
    case 'other':
      return /\.jsonc?$/i.test(entry.file.path) ? "it is not a deployment template (its $schema does not name deploymentTemplate.json)" : 'it is not a template (.json or .bicep)';
  }
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

export class Workspace {
  private readonly files = new FileIndex();
  private readonly cache = new Map<string, RootEvaluation>();

  /** Adds or replaces a file's text. Paths are the files' identities (`/` separators). */
  setFile(path: string, text: string): void {
    this.files.set(path, text);
  }

  /**
   * Adds or replaces a file from its bytes (UTF-8, or UTF-16 with a byte order mark, as decodeText
   * reads them): a template that certainly declares nothing the graph reads is not even decoded.
   */
  setFileBytes(path: string, bytes: Uint8Array): ReturnType<FileIndex['setBytes']> {
    return this.files.setBytes(path, bytes);
  }

  /**
   * Adds or replaces a JSON template whose bytes `certainlyInertTemplate` (parse/prefilter.ts)
   * already accepted elsewhere (the extension decides on its host thread): counted, never parsed.
   */
  setInertTemplate(path: string): void {
    this.files.setInert(path);
  }

  removeFile(path: string): void {
    this.files.remove(path);
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  paths(): string[] {
    return this.files.paths();
  }

  source(path: string): SourceFile | undefined {
    return this.files.get(path)?.file;
  }

  role(path: string): FileRole | undefined {
    return this.files.get(path)?.role;
  }

  /** The workspace file a module path or `templateLink` names (see roots.ts). */
  resolveLink(from: string, link: { relativePath?: Value; uri?: Value }, role: FileRole = 'armTemplate'): string | undefined {
    return resolveLink(this.files, from, link, role);
  }

  /** Re-evaluates what changed since the last call and returns the findings of the whole workspace. */
  analyze(): WorkspaceAnalysis {
    const roots = deploymentRoots(this.files);
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
    for (const [path, entry] of this.files.entries()) if (entry.lookalike) problems.push({ span: { file: path, start: 0, end: 0 }, message: entry.lookalike, severity: 'warning' });
    const parseErrors: WorkspaceAnalysis['parseErrors'] = [];
    for (const [path, entry] of this.files.entries()) {
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

  /**
   * Every resource the last `analyze()` evaluated, of every root (environments not merged), in
   * root order: what a deployment of the workspace would send to Azure Resource Manager.
   */
  evaluatedResources(): EvaluatedResource[] {
    return this.roots.flatMap((root) => this.cache.get(root.key)?.evaluation.resources ?? []);
  }

  /** The roots of the analysis in progress, for lookups of `existing` resources. */
  private roots: Root[] = [];
  private readonly evaluating = new Set<string>();
  private evaluatedCount = 0;

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
    deps.set(STRUCTURE, this.files.structureVersion);
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
    for (const [path, version] of r.deps) if (!this.files.current(path, version)) return false;
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
        [...previous.deps].every(([p, v]) => p === template || this.files.current(p, v));
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
        deps.set(STRUCTURE, this.files.structureVersion);
        const path = resolveLink(this.files, from, link);
        const entry = path ? this.files.get(path) : undefined;
        if (path && entry?.inert) {
          deps.set(path, entry.version);
          return { unread: INERT_REASON };
        }
        if (!path || !entry?.arm) {
          // A file at that path that is no template to evaluate: say what it is, not that it is missing.
          const other = path ?? resolveLink(this.files, from, link, 'any');
          const found = other ? this.files.get(other) : undefined;
          if (!other || !found) return undefined;
          deps.set(other, found.version);
          return { unread: notATemplate(found), contentUnknown: true };
        }
        deps.set(path, entry.version);
        return entry.arm;
      },
      loadLinkedParameters: (from, link) => this.linkedParameters(deps, from, link),
    };
  }

  /** Loads module targets from the workspace, recording each file read as a dependency. */
  private linkedParameters(deps: Map<string, number>, from: string, link: { relativePath?: Value; uri?: Value }): Record<string, Value> | undefined {
    const path = resolveLink(this.files, from, link, 'armParameters');
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
        if (entry.role === 'armTemplate' && entry.inert) return { kind: 'unread', reason: INERT_REASON };
        return { kind: 'unread', reason: notATemplate(entry) };
      },
    };
  }
}
