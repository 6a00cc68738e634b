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
import { buildGraph, mergeGraphs, readByGraph } from '../graph/build';
import { linkTokens, partitionByTokens } from '../graph/links';
import type { NetworkGraph } from '../graph/model';
import { inRuleOrder } from '../rules';
import { checkGraph } from '../findings';
import type { Finding } from '../rules/types';
import type { SourceFile } from '../source';
import { lineSuppressed } from '../suppress';
import { MAX_FILE_BYTES, looksLikeTemplate } from '../engine';
import { FileIndex, STRUCTURE, type FileEntry, type FileRole } from './files';
import { deploymentRoots, readParameterValues, resolveLink, resolveRelative, rootSignature, shortName, type Root } from './roots';
import { dedupeProblems, labelEnvironments, mergeFindings, mergeIndex, replaceInMerge, type MergeIndex } from './merge';

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
  /** What its resources link by (graph/links.ts), when first asked. */
  tokens?: ReturnType<typeof linkTokens>;
}

/** The graph and the findings of one group of deployments (see Workspace.groupedAnalysis), per environment. */
interface GroupAnalysis {
  members: RootEvaluation[];
  environments: string;
  perEnvironment: GroupPart[];
}

/** A group's graph and findings in one environment. */
interface GroupPart {
  graph: NetworkGraph;
  findings: Finding[];
}

export interface WorkspaceAnalysis {
  /** Findings, de-duplicated across evaluations (parameter sources merged into one finding). */
  findings: Finding[];
  /**
   * The graph of each environment (the parameter files' environments, or `default`), and the
   * graphs of the groups it joins (`parts`, in order: see Workspace.groupedAnalysis): a part the
   * last analysis had too is the same object, so that what is derived from the graph (the
   * extension's lenses) is derived again only from the parts an edit changed.
   */
  graphs: {
    environment: string;
    graph: NetworkGraph;
    parts?: readonly NetworkGraph[];
    /** Every rule's findings on this graph, in the registry's order, before suppressions and merging. */
    findings?: readonly Finding[];
  }[];
  problems: EvaluationProblem[];
  parseErrors: { file: string; errors: SyntaxProblem[] }[];
  templates: number;
  /** Roots evaluated afresh by this analysis (the rest came from the cache). */
  evaluated: number;
  /** Groups of deployments whose graph was built and checked afresh (see Workspace.groupedAnalysis); of how many. */
  groups: { checked: number; total: number };
  /** Findings merged afresh (see Workspace.mergedFindings): after an edit, often only the edited group's; the rest kept their places. */
  merged: number;
}

export interface WorkspaceOptions {
  /**
   * Keep the graph and the findings of each group of deployments that share nothing the graph
   * links by, and after an edit build and check only the edited one's group (default true: the
   * editor). A one-shot scan (the CLI) sets false: one graph, no link tokens to compute.
   */
  incremental?: boolean;
}

export class Workspace {
  private readonly files = new FileIndex();
  private readonly cache = new Map<string, RootEvaluation>();
  private readonly incremental: boolean;
  /**
   * The groups of the last analysis, by their first member (see groupedAnalysis). A Map whose
   * entries are replaced, not a WeakMap: the young-generation collections keep a WeakMap entry's
   * value while its key is dead, until a full collection, so that each edit's evaluation of the
   * edited template (the value's members) lived on and was promoted to the old generation.
   */
  private groups = new Map<RootEvaluation, GroupAnalysis>();
  private groupsChecked = 0;
  private groupsTotal = 0;

  constructor(options: WorkspaceOptions = {}) {
    this.incremental = options.incremental ?? true;
  }

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

  /** Changes when a file is added or removed or becomes another kind (a template, a parameter file, other). */
  get structureVersion(): number {
    return this.files.structureVersion;
  }

  source(path: string): SourceFile | undefined {
    return this.files.get(path)?.file;
  }

  /** Is a file a template that cannot add to the graph (counted, its text not kept)? */
  isInert(path: string): boolean {
    return this.files.get(path)?.inert === true;
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
    const changes = this.files.takeChanges();
    this.updateFileNotes(changes);
    // The roots change with the set of files, and with an edit of what they read of a file
    // (roots.ts: rootSignature); typing in a template's resources leaves them.
    const rootsStale =
      this.rootsAt !== this.files.structureVersion || [...changes].some(([path, prior]) => rootSignature(this.files, path, prior) !== rootSignature(this.files, path, this.files.get(path)));
    if (rootsStale) {
      this.roots = deploymentRoots(this.files);
      this.rootsAt = this.files.structureVersion;
      this.templateCount = this.roots.length ? new Set(this.roots.map((r) => r.template)).size : 0;
    }
    const roots = this.roots;
    this.evaluatedCount = 0;
    let results: RootEvaluation[];
    // Only the roots that read a changed file can be stale (all of them when the roots changed).
    let reached: Set<string> | undefined;
    // After an edit: the last evaluation of each root evaluated again, by its index.
    let replaced: Map<number, RootEvaluation> | undefined;
    if (rootsStale) {
      results = roots.map((root) => this.ensureRoot(root));
      this.rootIndex = new Map(roots.map((r, i) => [r.key, i]));
      const live = new Set(roots.map((r) => r.key));
      for (const key of this.cache.keys()) if (!live.has(key)) this.cache.delete(key);
      // One graph per environment: evaluations with a parameter file meet the evaluations of
      // templates that have none, but never another environment's (dev and prod members of one
      // pool would otherwise be counted together).
      this.environments = [...new Set(roots.map((r) => r.environment).filter((e): e is string => e !== undefined))];
      if (this.environments.length === 0) this.environments.push('default');
    } else {
      reached = new Set<string>();
      for (const path of changes.keys()) for (const key of this.dependents.get(path) ?? []) reached.add(key);
      // (In place: a copy of every root's entry per keystroke is a large object at 20,000 templates.)
      results = this.results;
      replaced = new Map();
      for (const key of reached) {
        const i = this.rootIndex.get(key);
        if (i === undefined) continue;
        replaced.set(i, results[i] as RootEvaluation);
        results[i] = this.ensureRoot(roots[i] as Root);
      }
    }
    this.results = results;
    const evaluated = this.evaluatedCount;
    const environments = this.environments;
    // (Without groups: one graph per environment, built and checked anew.)
    this.groupsChecked = this.incremental ? 0 : 1;
    this.groupsTotal = 1;
    const perEnvironment = this.incremental
      ? this.groupedAnalysis(results, environments, reached)
      : environments.map((environment) => {
          const graph = buildGraph(results.filter((r) => r.environment === undefined || r.environment === environment).flatMap((r) => r.evaluation.resources));
          return { environment, graph, parts: [graph], findings: checkGraph(graph, {}) };
        });
    // (Each environment's graph across its groups is joined only when someone asks for it: the
    // topology, fixes. See EnvironmentView.)
    const graphs: WorkspaceAnalysis['graphs'] = perEnvironment;
    const { findings, merged } = this.mergedFindings(perEnvironment);
    const problems = this.evaluationProblems(results, replaced);
    const parseErrors: WorkspaceAnalysis['parseErrors'] = [];
    for (const notes of this.fileNotes.values()) {
      if (notes.lookalike) problems.push(notes.lookalike);
      parseErrors.push(...notes.parseErrors);
    }
    return { findings, graphs, problems: dedupeProblems(problems), parseErrors, templates: this.templateCount, evaluated, groups: { checked: this.groupsChecked, total: this.groupsTotal }, merged };
  }

  /**
   * The evaluations' problems in root order. After an edit whose re-evaluated roots had none and
   * have none (`replaced`: their evaluations before), the last list (copied: the analysis adds the
   * files' notes to it) is the same.
   */
  private evaluationProblems(results: RootEvaluation[], replaced: Map<number, RootEvaluation> | undefined): EvaluationProblem[] {
    const last = this.lastProblems;
    if (last && replaced) {
      let same = true;
      for (const [i, before] of replaced) if ((results[i] as RootEvaluation).evaluation.problems.length || before.evaluation.problems.length) same = false;
      if (same) return last.slice();
    }
    const list: EvaluationProblem[] = [];
    for (const r of results) if (r.evaluation.problems.length) list.push(...r.evaluation.problems);
    this.lastProblems = list;
    return list.slice();
  }

  private lastProblems: EvaluationProblem[] | undefined;

  /** The structure version the roots were found at (-1: never). */
  private rootsAt = -1;
  /** The last analysis's evaluation of each root (in the order of the roots), each root's index, the environments. */
  private results: RootEvaluation[] = [];
  private rootIndex = new Map<string, number>();
  private environments: string[] = [];
  /** The last partition of the evaluations that have resources into groups (see partition). */
  private lastPartition: { members: RootEvaluation[][]; at: Map<string, [number, number]> } | undefined;
  private templateCount = 0;
  /** The roots whose last evaluation read each file. */
  private readonly dependents = new Map<string, Set<string>>();
  /** What each file says of itself (a look-alike template, syntax errors), kept up to date with the changes. */
  private readonly fileNotes = new Map<string, { lookalike?: EvaluationProblem; parseErrors: WorkspaceAnalysis['parseErrors'] }>();

  private updateFileNotes(changes: Map<string, FileEntry | undefined>): void {
    for (const path of changes.keys()) {
      const entry = this.files.get(path);
      if (!entry) {
        this.fileNotes.delete(path);
        continue;
      }
      const parseErrors: WorkspaceAnalysis['parseErrors'] = [];
      if (entry.arm?.errors.length && (entry.role !== 'other' || looksLikeTemplate(entry.file.text))) parseErrors.push({ file: path, errors: entry.arm.errors });
      if (entry.bicep?.diagnostics.length) {
        parseErrors.push({
          file: path,
          errors: entry.bicep.diagnostics.map((d) => ({ span: { file: path, start: d.start, end: d.end }, message: `Bicep: ${d.message}` })),
        });
      }
      const lookalike = entry.lookalike ? { span: { file: path, start: 0, end: 0 }, message: entry.lookalike, severity: 'warning' as const } : undefined;
      if (lookalike || parseErrors.length) this.fileNotes.set(path, { ...(lookalike ? { lookalike } : {}), parseErrors });
      else this.fileNotes.delete(path);
    }
  }

  /**
   * Suppressions read, by finding: a finding given again (a kept group's) is one whose files are
   * unchanged, comments and all (a group is kept only while every evaluation in it is, and an
   * evaluation only while every file it read is), so it is read once.
   */
  private readonly suppressions = new WeakMap<Finding, boolean>();

  /**
   * Is a finding suppressed by a comment on its line? A copy shown where a module is called (its
   * first related location is the rule in the module) goes with a suppression written at that rule.
   */
  private suppressed(f: Finding): boolean {
    const known = this.suppressions.get(f);
    if (known !== undefined) return known;
    const atModule = f.facts.viaModule !== undefined ? f.related[0]?.span : undefined;
    const at = (span: Finding['span']): boolean => lineSuppressed({ ...f, span }, this.files.get(span.file)?.file);
    const suppressed = at(f.span) || (atModule !== undefined && at(atModule));
    this.suppressions.set(f, suppressed);
    return suppressed;
  }

  /** The groups of the last analysis, in order (see mergedFindings), and the partition they are of. */
  private groupList: GroupAnalysis[] = [];
  /** The environments (their key) every group of groupList was made or kept for. */
  private groupListEnvironments: string | undefined;
  /** Each environment's groups' graphs and findings, in the order of groupList (see groupedAnalysis). */
  private partsOf: EnvironmentParts[] = [];
  private groupsOf: RootEvaluation[][] | undefined;
  /** The last merged findings of a one-environment analysis, the groups they came from, and what its input counted. */
  private lastMerge: { findings: Finding[]; groups: GroupAnalysis[]; index: MergeIndex } | undefined;

  /**
   * The findings of every environment, merged (merge.ts) and without the suppressed, and how many
   * were merged afresh. After an edit that made only one group's findings again, in a workspace of
   * one environment, the last list with that group's findings put in their places when the merge
   * is sure to treat them alone (replaceInMerge): typing in one template then costs what its own
   * findings cost, not a pass over every finding of the workspace. Otherwise all are merged again.
   */
  private mergedFindings(perEnvironment: { environment: string; findings: Finding[] }[]): { findings: Finding[]; merged: number } {
    const one = this.incremental && perEnvironment.length === 1;
    const last = this.lastMerge;
    this.lastMerge = undefined;
    const groups = this.groupList;
    if (one && last && last.groups.length === groups.length) {
      // The one group that is not the same object, if only one is (-2: more than one).
      let at = -1;
      for (let i = 0; i < groups.length && at > -2; i++) if (groups[i] !== last.groups[i]) at = at === -1 ? i : -2;
      if (at === -1) {
        this.lastMerge = last;
        return { findings: last.findings.slice(), merged: 0 };
      }
      if (at >= 0) {
        const old = (last.groups[at] as GroupAnalysis).perEnvironment[0]?.findings ?? [];
        const fresh = (groups[at] as GroupAnalysis).perEnvironment[0]?.findings ?? [];
        const findings = replaceInMerge(last.index, last.findings, old, fresh, (f) => this.suppressed(f));
        if (findings) {
          this.lastMerge = { findings, groups, index: last.index };
          return { findings: findings.slice(), merged: fresh.length };
        }
      }
    }
    const input = labelEnvironments(perEnvironment.map(({ environment, findings }) => ({ environment, findings })));
    const findings = mergeFindings(input).filter((f) => !this.suppressed(f));
    if (!one) return { findings, merged: input.length };
    this.lastMerge = { findings, groups, index: mergeIndex(input) };
    return { findings: findings.slice(), merged: input.length };
  }

  /**
   * The graph and findings of each environment, from groups of deployments: two deployments are in
   * one group when their resources share a link token (graph/links.ts), so that no part of the
   * graph reaches across groups and each group's graph and rules give what one graph of all would.
   * A group whose deployments are the same evaluations as in the last analysis keeps its graph and
   * findings; after an edit only the edited deployment's group (with what it now links to) is built
   * and checked again. The findings are in rule order, then in the order of the deployments.
   */
  private groupedAnalysis(
    results: RootEvaluation[],
    environments: string[],
    reached: Set<string> | undefined,
  ): { environment: string; graph: NetworkGraph; parts: NetworkGraph[]; findings: Finding[] }[] {
    const { members: partition, changed, from } = this.partition(results, reached);
    const envKey = environments.join('\u0000');
    let groups: GroupAnalysis[];
    const last = this.groupList;
    // (Every group of the last list was made or kept for its environments, groupListEnvironments.)
    const kept = changed && this.groupsOf === from && last.length === partition.length && this.groupListEnvironments === envKey;
    if (kept) {
      // The partition as before but for the groups in `changed`: only those are built and checked
      // again (no pass over every group of the workspace after a keystroke).
      groups = last.slice();
      for (const g of changed) {
        const members = partition[g] as RootEvaluation[];
        const before = last[g] as GroupAnalysis;
        // An edit of resources the graph does not read (a public IP's SKU, tags, a storage
        // account): the same graph, checked again (the findings' places are read anew).
        const group = sameGraphInput(before.members, members) ? recheckGroup(before, members) : analyzeGroup(members, environments, envKey);
        this.groupsChecked++;
        groups[g] = group;
        this.groups.delete(before.members[0] as RootEvaluation);
        this.groups.set(members[0] as RootEvaluation, group);
      }
    } else {
      const next = new Map<RootEvaluation, GroupAnalysis>();
      groups = partition.map((members) => {
        const first = members[0] as RootEvaluation;
        let group = this.groups.get(first);
        if (!group || group.environments !== envKey || group.members.length !== members.length || !group.members.every((m, i) => m === members[i])) {
          group = analyzeGroup(members, environments, envKey);
          this.groupsChecked++;
        }
        next.set(first, group);
        return group;
      });
      this.groups = next;
    }
    this.groupList = groups;
    this.groupListEnvironments = envKey;
    this.groupsOf = partition;
    this.groupsTotal = groups.length;
    this.partsOf = nextParts(environments, groups, kept ? this.partsOf : undefined, changed);
    return environmentViews(environments, this.partsOf);
  }

  /**
   * The evaluations that have resources, in groups that share no link token (in the order of the
   * roots). After an edit that re-evaluated roots whose tokens stayed the same (typing in a
   * template rarely changes what it declares or names), the last partition is kept with the new
   * evaluations in their places; otherwise it is made again (union-find over the tokens).
   */
  /** `changed`: the groups whose members differ from those of the partition `from` (the last one), when it was kept. */
  private partition(results: RootEvaluation[], reached: Set<string> | undefined): { members: RootEvaluation[][]; changed?: number[]; from?: RootEvaluation[][] } {
    const last = this.lastPartition;
    if (last && reached) {
      const swaps: [number, number, RootEvaluation][] = [];
      let same = true;
      for (const key of reached) {
        const i = this.rootIndex.get(key);
        const now = i === undefined ? undefined : results[i];
        const at = last.at.get(key);
        const before = at ? last.members[at[0]]?.[at[1]] : undefined;
        if (now === before) continue;
        const live = now !== undefined && now.evaluation.resources.length > 0;
        if (!live && !before) continue;
        if (!live || !before?.tokens || !now) {
          same = false;
          break;
        }
        now.tokens ??= linkTokens(now.evaluation.resources);
        if (!sameTokens(now.tokens, before.tokens)) {
          same = false;
          break;
        }
        swaps.push([(at as [number, number])[0], (at as [number, number])[1], now]);
      }
      if (same) {
        if (!swaps.length) return { members: last.members, changed: [], from: last.members };
        const members = last.members.slice();
        const changed: number[] = [];
        for (const [g, m, r] of swaps) {
          if (members[g] === last.members[g]) {
            members[g] = (members[g] as RootEvaluation[]).slice();
            changed.push(g);
          }
          (members[g] as RootEvaluation[])[m] = r;
        }
        this.lastPartition = { members, at: last.at };
        return { members, changed, from: last.members };
      }
    }
    const live = results.filter((r) => r.evaluation.resources.length > 0);
    // Deployments that declare the same thing are one group; so are a declaration and a reference to it.
    const members = partitionByTokens(live, (r) => (r.tokens ??= linkTokens(r.evaluation.resources)));
    const at = new Map<string, [number, number]>();
    members.forEach((list, g) => list.forEach((r, m) => at.set(r.key, [g, m])));
    this.lastPartition = { members, at };
    return { members };
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
      // (A file it no longer reads keeps it listed: it is then only checked, and found fresh.)
      for (const path of r.deps.keys()) {
        const list = this.dependents.get(path);
        if (list) list.add(root.key);
        else this.dependents.set(path, new Set([root.key]));
      }
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

/** One group's graph and findings in each environment (one graph for all when no member has an environment of its own). */
function analyzeGroup(members: RootEvaluation[], environments: string[], envKey: string): GroupAnalysis {
  const check = (list: RootEvaluation[]): GroupPart => {
    const graph = buildGraph(list.flatMap((r) => r.evaluation.resources));
    return { graph, findings: checkGraph(graph, {}) };
  };
  if (members.every((m) => m.environment === undefined)) {
    const one = check(members);
    return { members, environments: envKey, perEnvironment: environments.map(() => one) };
  }
  return { members, environments: envKey, perEnvironment: environments.map((environment) => check(members.filter((m) => m.environment === undefined || m.environment === environment))) };
}

/** Do two lists of deployments give buildGraph the same resources (the same objects, in order), environment by environment? */
function sameGraphInput(a: RootEvaluation[], b: RootEvaluation[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as RootEvaluation;
    const y = b[i] as RootEvaluation;
    if (x === y) continue;
    if (x.environment !== y.environment || !sameGraphResources(x.evaluation.resources, y.evaluation.resources)) return false;
  }
  return true;
}

/** Are the resources buildGraph reads of two lists the same objects, in order? (No copy: after most edits the first one differs.) */
function sameGraphResources(p: readonly EvaluatedResource[], q: readonly EvaluatedResource[]): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < p.length && !readByGraph(p[i] as EvaluatedResource)) i++;
    while (j < q.length && !readByGraph(q[j] as EvaluatedResource)) j++;
    if (i === p.length || j === q.length) return i === p.length && j === q.length;
    if (p[i++] !== q[j++]) return false;
  }
}

/**
 * A group whose graph input is unchanged (sameGraphInput): its graphs kept (new objects around the
 * same nodes, so that what is derived from a part is derived again: the lenses' places), its rules
 * run again, which is what gives the findings the places of the edited text.
 */
function recheckGroup(before: GroupAnalysis, members: RootEvaluation[]): GroupAnalysis {
  const again = new Map<GroupPart, GroupPart>();
  const perEnvironment = before.perEnvironment.map((e) => {
    let next = again.get(e);
    if (!next) {
      const graph: NetworkGraph = { ...e.graph };
      again.set(e, (next = { graph, findings: checkGraph(graph, {}) }));
    }
    return next;
  });
  return { members, environments: before.environments, perEnvironment };
}

function sameTokens(a: NonNullable<RootEvaluation['tokens']>, b: NonNullable<RootEvaluation['tokens']>): boolean {
  const same = (x: Set<string>, y: Set<string>): boolean => x.size === y.size && [...x].every((t) => y.has(t));
  return same(a.declared, b.declared) && same(a.named, b.named);
}

/** An environment's parts, one per group, and their graphs (see Workspace.groupedAnalysis). */
interface EnvironmentParts {
  parts: GroupPart[];
  graphs: NetworkGraph[];
}

/**
 * Each environment's parts: after an edit, the last lists (`last`, copied) with the `changed`
 * groups' in their places, rather than a look into every group of the workspace.
 */
function nextParts(environments: string[], groups: GroupAnalysis[], last: EnvironmentParts[] | undefined, changed: number[] | undefined): EnvironmentParts[] {
  return environments.map((_, e) => {
    const before = last?.[e];
    if (!before || !changed) {
      const parts = groups.map((g) => g.perEnvironment[e] as GroupPart);
      return { parts, graphs: parts.map((p) => p.graph) };
    }
    const parts = before.parts.slice();
    const graphs = before.graphs.slice();
    for (const g of changed) {
      const part = (groups[g] as GroupAnalysis).perEnvironment[e] as GroupPart;
      parts[g] = part;
      graphs[g] = part.graph;
    }
    return { parts, graphs };
  });
}

/**
 * What an analysis gives of each environment: its graph across its groups and its findings, both
 * made when first asked for (after an edit of one group, the merge puts its findings in their
 * places, see mergedFindings, and needs no list of every group's).
 *
 * A class, with its getters on the prototype: getters made for each analysis (closures in an
 * object literal) give each analysis's objects a hidden class of V8's of their own, holding those
 * closures, and young-generation collections keep such a hidden class and what its closures reach
 * (the analysis) until a full collection. Made inside groupedAnalysis, they also kept its scope,
 * with the last edit's parts in it.
 */
class EnvironmentView {
  private madeFindings: Finding[] | undefined;
  private madeGraph: NetworkGraph | undefined;
  constructor(
    readonly environment: string,
    /** The graphs of its groups' parts. */
    readonly parts: NetworkGraph[],
    private readonly groupParts: GroupPart[],
  ) {}

  get findings(): Finding[] {
    const parts = this.groupParts;
    return (this.madeFindings ??= parts.length > 1 ? inRuleOrder(parts.map((p) => p.findings)) : (parts[0]?.findings.slice() ?? []));
  }

  get graph(): NetworkGraph {
    return (this.madeGraph ??= mergeGraphs(this.groupParts.map((p) => p.graph)));
  }
}

function environmentViews(environments: string[], partsOf: EnvironmentParts[]): EnvironmentView[] {
  return environments.map((environment, e) => {
    const { parts, graphs } = partsOf[e] as EnvironmentParts;
    return new EnvironmentView(environment, graphs, parts);
  });
}
