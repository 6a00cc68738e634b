/**
 * What the extension host and the analysis worker (analysis-worker.ts) say to each other: files
 * to read and texts in, what was read, diagnostic data and the summaries the host shows out, all
 * plain data. No `vscode` here: the worker imports it too.
 */
import { display } from '../core/evaluate/value';
import { RULES } from '../core/rules';
import { ruleSite, type Finding, type Severity } from '../core/rules/types';
import type { SourceFile, SourceSpan } from '../core/source';
import { applyRuleSettings, type RuleSettings } from '../core/settings';
import type { NetworkGraph } from '../core/graph/model';
import type { EvaluationProblem } from '../core/evaluate/resources';
import type { Workspace, WorkspaceAnalysis } from '../core/workspace';

const LOOP_RULES = new Set(RULES.filter((r) => r.topology === 'hairpin-loop').map((r) => r.id));

/** A line/character range: [startLine, startCharacter, endLine, endCharacter]. */
export type PlainRange = [number, number, number, number];

export interface PlainDiagnostic {
  range: PlainRange;
  message: string;
  severity: Severity;
  /** A rule id (with its docs page), `template-evaluation`, or a rule id the registry does not know. */
  code: string;
  related: { file: string; range: PlainRange; message: string }[];
}

export interface LensData {
  start: number;
  title: string;
  name: string;
}

/**
 * What the status bar, the context keys and the CodeLens show, as the worker sends it after each
 * analysis: what changed since its last message (all of it with the message's `full`).
 */
export interface AnalysisSummary {
  templates: number;
  /** Hairpin-prone rules (the status bar's figure). */
  hairpinProne: number;
  /** The template files the workspace knows (ARM and Bicep templates and their parameter files), when they changed. */
  templateFiles?: string[];
  /** "Show topology" lenses of the files whose lenses changed ([]: none any more). */
  lenses: [string, LensData[]][];
}

/** The summary as the host keeps it: the worker's messages applied in order (see applySummary). */
export interface SummaryView {
  templates: number;
  hairpinProne: number;
  templateFiles: readonly string[];
  lenses: ReadonlyMap<string, LensData[]>;
  /** Bumped when the template files changed, and when some file's lenses did: what depends on them is made again only then. */
  templateFilesVersion: number;
  lensesVersion: number;
}

/**
 * The host's summary after a worker message: `full` replaces it; otherwise the message's changes
 * are applied to it, its lens map updated in place (none before a full one: the first message, and
 * the first after the host cleared everything, is full).
 */
export function applySummary(view: SummaryView | undefined, summary: AnalysisSummary, full: boolean): SummaryView | undefined {
  if (!full && !view) return undefined;
  const lenses = full || !view ? new Map<string, LensData[]>() : (view.lenses as Map<string, LensData[]>);
  for (const [file, list] of summary.lenses) {
    if (list.length) lenses.set(file, list);
    else lenses.delete(file);
  }
  const templateFiles = summary.templateFiles ?? view?.templateFiles ?? [];
  return {
    templates: summary.templates,
    hairpinProne: summary.hairpinProne,
    templateFiles,
    lenses,
    templateFilesVersion: summary.templateFiles || !view ? ++summaryVersions : view.templateFilesVersion,
    lensesVersion: full || summary.lenses.length || !view ? ++summaryVersions : view.lensesVersion,
  };
}

/** The versions of SummaryView: never the same twice in a process, even after the host dropped its summary. */
let summaryVersions = 0;

/** A local file the worker is asked to read: the path the workspace knows it by, and where it is on disk. */
export interface ReadRequest {
  path: string;
  fsPath: string;
}

/**
 * What the worker found reading a file: its text (which the host's mirror needs), or that it is a
 * template the graph has no use for (no text is kept), or why it was not read.
 */
export type ReadOutcome = { path: string; text: string } | { path: string; inert: true } | { path: string; error: string };

/** One replacement of an editor's change event: `length` characters at `offset` become `text`. */
export interface TextChange {
  offset: number;
  length: number;
  text: string;
}

export type ToWorker =
  | { type: 'set'; path: string; text: string }
  /**
   * An edit of an editor's text whose whole text the worker was sent before: the event's changes,
   * applied in order (as VS Code's document mirrors apply them), and the text's length after them,
   * which the worker checks (a mismatch: it asks for the whole text, `resync`).
   */
  | { type: 'edit'; path: string; changes: TextChange[]; length: number }
  /**
   * Local workspace folders for the worker to list (walked as the CLI walks them, with each
   * folder's exclusion globs, following symbolic links where `search.followSymlinks` does, as VS
   * Code's file search would): the extension host's thread neither searches nor reads them.
   */
  | { type: 'list'; id: number; folders: { fsPath: string; exclude: string[]; followLinks: boolean }[] }
  /** Local files for the worker to read from disk, as the CLI reads them, and add. */
  | { type: 'read'; batch: number; files: ReadRequest[] }
  /** A template the host's prefilter found inert (no text sent: it is neither decoded nor parsed). */
  | { type: 'setInert'; path: string }
  | { type: 'remove'; path: string }
  /** `full`: the host has no diagnostics of the worker's (it cleared them): send every file's. */
  | { type: 'analyze'; generation: number; rules: RuleSettings; full?: boolean };

export type FromWorker =
  /** The candidate files of each folder asked for, in the order asked (null: the walk failed), and what could not be walked. */
  | { type: 'listed'; id: number; files: string[][] | null; errors: { file: string; message: string }[] }
  | { type: 'read'; batch: number; files: ReadOutcome[] }
  /**
   * `diagnostics`: the files whose diagnostics changed since the worker's last analysis message,
   * each with all its diagnostics now ([]: none any more); with `full`, every file that has any
   * (the host drops the others). A message the host finds stale is still applied in order.
   */
  | { type: 'analysis'; generation: number; diagnostics: [string, PlainDiagnostic[]][]; full: boolean; summary: AnalysisSummary; ms: number }
  | { type: 'failed'; generation: number; error: string }
  /** The worker could not apply an `edit` (no text of the file, or another length after it): send the whole text. */
  | { type: 'resync'; path: string };

/**
 * `text` after an editor's change event (see ToWorker's `edit`), or undefined when the changes do
 * not fit it: a change outside the text, or another length than `length` after them.
 */
export function applyChanges(text: string, changes: readonly TextChange[], length: number): string | undefined {
  let out = text;
  for (const c of changes) {
    if (!Number.isInteger(c.offset) || !Number.isInteger(c.length) || c.offset < 0 || c.length < 0 || c.offset + c.length > out.length) return undefined;
    out = out.slice(0, c.offset) + c.text + out.slice(c.offset + c.length);
  }
  return out.length === length ? out : undefined;
}

/**
 * A finding's diagnostic, by its span (a copy of the finding with another severity shares it),
 * kept with what it was made from (the finding's fields, the files' texts its ranges were measured
 * in): after an edit the findings of the groups it did not reach are the same objects, in the same
 * texts, and are not measured again. The entry keeps none of the finding's objects but its related
 * locations: the young-generation collections keep a WeakMap entry's value while its key is dead,
 * and a finding reaches its load balancer's evaluation (its subject), which each edit of the
 * template then kept alive into the old generation.
 */
const MADE = new WeakMap<SourceSpan, { made: FindingFields; sources: (SourceFile | undefined)[]; diagnostic: PlainDiagnostic }>();

/** What a finding's diagnostic is made of, besides the ranges. */
type FindingFields = Pick<Finding, 'related' | 'message' | 'severity' | 'ruleId'>;

/** An evaluation problem's diagnostic (see MADE). */
const PROBLEMS_MADE = new WeakMap<object, PlainDiagnostic>();

/** The diagnostics of an analysis, by file, with line/character ranges. */
export function plainDiagnostics(
  workspace: Workspace,
  analysis: WorkspaceAnalysis,
  settings: RuleSettings,
  known: (ruleId: string) => boolean,
  /** Only these files' (the others are neither measured nor listed). */
  only?: ReadonlySet<string>,
): [string, PlainDiagnostic[]][] {
  const byFile = new Map<string, PlainDiagnostic[]>();
  const sources = new Map<string, SourceFile | undefined>();
  const sourceOf = (file: string): SourceFile | undefined => {
    let source = sources.get(file);
    if (source === undefined && !sources.has(file)) sources.set(file, (source = workspace.source(file)));
    return source;
  };
  const range = (span: SourceSpan): PlainRange => {
    const r = sourceOf(span.file)?.rangeOf(span);
    return r ? [r.start.line, r.start.character, r.end.line, r.end.character] : [0, 0, 0, 0];
  };
  const add = (file: string, d: PlainDiagnostic): void => {
    const list = byFile.get(file);
    if (list) list.push(d);
    else byFile.set(file, [d]);
  };
  const diagnosticOf = (f: Finding): PlainDiagnostic => {
    const kept = MADE.get(f.span);
    // The same finding again (the workspace keeps a group's findings while its evaluations are
    // kept), or a copy of it with another severity: its ranges are as measured while the texts they
    // were measured in are the files' texts.
    if (kept && sameFinding(kept.made, f) && kept.sources[0] === sourceOf(f.span.file) && f.related.every((r, i) => kept.sources[i + 1] === sourceOf(r.span.file))) return kept.diagnostic;
    const diagnostic: PlainDiagnostic = {
      range: range(f.span),
      message: f.message,
      severity: f.severity,
      code: known(f.ruleId) ? f.ruleId : `?${f.ruleId}`,
      related: f.related.map((r) => ({ file: r.span.file, range: range(r.span), message: r.message })),
    };
    MADE.set(f.span, { made: { related: f.related, message: f.message, severity: f.severity, ruleId: f.ruleId }, sources: [sourceOf(f.span.file), ...f.related.map((r) => sourceOf(r.span.file))], diagnostic });
    return diagnostic;
  };
  const findings = only ? analysis.findings.filter((f) => only.has(f.span.file)) : analysis.findings;
  for (const f of applyRuleSettings(findings, settings)) add(f.span.file, diagnosticOf(f));
  for (const p of analysis.problems) {
    if (only && !only.has(p.span.file)) continue;
    // (A problem the workspace gives again is of an evaluation whose files are unchanged, as above.)
    let d = PROBLEMS_MADE.get(p);
    if (!d) PROBLEMS_MADE.set(p, (d = { range: range(p.span), message: p.message, severity: p.severity, code: 'template-evaluation', related: [] }));
    add(p.span.file, d);
  }
  return [...byFile];
}

/** The same diagnostics: most are the same objects (plainDiagnostics keeps them); the rest compared field by field. */
function sameDiagnostics(a: PlainDiagnostic[], b: PlainDiagnostic[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameDiagnostic(a[i] as PlainDiagnostic, b[i] as PlainDiagnostic)) return false;
  return true;
}

function sameDiagnostic(a: PlainDiagnostic, b: PlainDiagnostic): boolean {
  if (a === b) return true;
  if (a.message !== b.message || a.severity !== b.severity || a.code !== b.code || !sameRange(a.range, b.range) || a.related.length !== b.related.length) return false;
  return a.related.every((r, i) => {
    const o = b.related[i] as PlainDiagnostic['related'][number];
    return r.file === o.file && r.message === o.message && sameRange(r.range, o.range);
  });
}

const sameRange = (a: PlainRange, b: PlainRange): boolean => a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];

/** The kept fields of a finding match a finding: the same one, or a copy with the same severity (another rule setting makes a new copy each analysis). */
function sameFinding(a: FindingFields, b: FindingFields): boolean {
  return a.related === b.related && a.message === b.message && a.severity === b.severity && a.ruleId === b.ruleId;
}

/** A load balancer's lens before its hairpin-prone count is known (see lensesIn). */
interface LbLens {
  start: number;
  name: string;
  rules: number;
}

/** The lenses of a graph's load balancers by file, made once per graph (a group's graph outlives the edits of other groups). */
const LENSES_IN = new WeakMap<NetworkGraph, Map<string, LbLens[]>>();

function lensesIn(graph: NetworkGraph): Map<string, LbLens[]> {
  let byFile = LENSES_IN.get(graph);
  if (!byFile) {
    byFile = new Map();
    for (const lb of graph.loadBalancers) {
      const file = lb.resource.file;
      const lens = { start: lb.resource.span.start, name: display(lb.name), rules: lb.rules.length };
      const list = byFile.get(file);
      if (list) list.push(lens);
      else byFile.set(file, [lens]);
    }
    LENSES_IN.set(graph, byFile);
  }
  return byFile;
}

/** Parts of one environment a place can tell apart (placeOf). */
const PLACES = 2 ** 32;

/** The place of the part `i` of environment `e`, as one number ordered as (e, i). */
function placeOf(e: number, i: number): number {
  return e * PLACES + i;
}

/** The graphs an analysis joins, per environment. */
function partsOf(analysis: WorkspaceAnalysis): (readonly NetworkGraph[])[] {
  return analysis.graphs.map((g) => g.parts ?? [g.graph]);
}

/** Adds `by` (1 or -1) to the count of `key`; a count of 0 is no entry. */
function count<K>(map: Map<K, number>, key: K, by: number): void {
  const n = (map.get(key) ?? 0) + by;
  if (n) map.set(key, n);
  else map.delete(key);
}

/**
 * What the worker sends after each analysis: the files whose diagnostics changed since its last
 * message, each with all its diagnostics now ([]: none any more), and what changed of the summary
 * the status bar, the context keys and the CodeLens show (everything after a reset: `full`).
 *
 * After an edit most of the workspace's findings, problems and group graphs are the same objects
 * as in the last analysis (core/workspace keeps what an edit did not reach): only the files of the
 * ones that are not are measured and compared again, so that typing in one template of a large
 * workspace costs what that template's findings cost, not a pass over every file. Anything else
 * (other rule settings, another number of environments) makes everything again, as after a reset,
 * and sends what differs from what was sent.
 */
export class WorkerReports {
  private fresh = true;
  private last: { findings: readonly Finding[]; problems: readonly object[]; parts: (readonly NetworkGraph[])[]; settings: string } | undefined;
  /** The lenses of the last parts (lensesIn), in their places: after an edit only the changed places are looked up again. */
  private lensMaps: Map<string, LbLens[]>[][] = [];
  /**
   * Where each file has lenses in lensMaps: the places (placeOf) of the parts whose lenses include
   * it, so that after an edit the edited file's lenses are gathered from its own parts, not by a
   * lookup in every part of the workspace.
   */
  private readonly lensPlaces = new Map<string, Set<number>>();
  private readonly sent = new Map<string, PlainDiagnostic[]>();
  private readonly lenses = new Map<string, LensData[]>();
  /** Loop rules' findings by file and load balancer, counted by their load-balancing rule (the lenses' hairpin-prone figure). */
  private readonly proneRules = new Map<string, Map<unknown, number>>();
  /** One key per hairpin-prone rule and deployment (the status bar's figure), counted. */
  private readonly hairpinProne = new Map<string, number>();
  private templateFilesAt = -1;
  /** How many files the last report measured the diagnostics and lenses of ('all': every file's), for tests. */
  measured: { diagnostics: number | 'all'; lenses: number | 'all' } = { diagnostics: 'all', lenses: 'all' };

  constructor(private readonly known: (ruleId: string) => boolean) {}

  /** Forgets what was sent: the next report is every file's and the whole summary (`full`). */
  reset(): void {
    this.fresh = true;
    this.last = undefined;
    this.lensMaps = [];
    this.lensPlaces.clear();
    this.sent.clear();
    this.lenses.clear();
    this.proneRules.clear();
    this.hairpinProne.clear();
    this.templateFilesAt = -1;
  }

  report(workspace: Workspace, analysis: WorkspaceAnalysis, settings: RuleSettings): { full: boolean; diagnostics: [string, PlainDiagnostic[]][]; summary: AnalysisSummary } {
    const full = this.fresh;
    if (full) this.reset();
    const parts = partsOf(analysis);
    const settingsKey = JSON.stringify(settings.rules);
    const last = this.last;
    // Set before anything can throw: a report that fails half-way makes the next one full.
    this.fresh = true;
    let diagnosticFiles: Set<string> | undefined;
    let lensFiles: Set<string> | undefined;
    if (last && !full && last.settings === settingsKey && last.parts.length === parts.length) {
      const diagnosed = (diagnosticFiles = new Set());
      const lensed = (lensFiles = new Set());
      const { removed, added } = changedItems(last.findings, analysis.findings);
      for (const [list, by] of [[removed, -1], [added, 1]] as const) {
        for (const f of list) {
          diagnosed.add(f.span.file);
          if (this.countFinding(f, by)) lensed.add(ruleSite(f).file);
        }
      }
      const problems = changedItems(last.problems as readonly EvaluationProblem[], analysis.problems);
      for (const p of [...problems.removed, ...problems.added]) diagnosed.add(p.span.file);
      this.lensMaps = parts.map((now, e) => {
        const before = last.parts[e] as readonly NetworkGraph[];
        let maps = this.lensMaps[e] as Map<string, LbLens[]>[];
        if (now === before) return maps;
        if (now.length !== before.length) {
          maps.forEach((m, i) => this.placeLenses(e, i, m, false));
          maps = now.map(lensesIn);
          maps.forEach((m, i) => this.placeLenses(e, i, m, true));
        } else maps = maps.slice();
        for (let i = 0; i < Math.max(now.length, before.length); i++) {
          const g = now[i];
          if (g === before[i]) continue;
          for (const x of [g, before[i]]) if (x) for (const file of lensesIn(x).keys()) lensed.add(file);
          if (g && now.length === before.length) {
            this.placeLenses(e, i, maps[i] as Map<string, LbLens[]>, false);
            maps[i] = lensesIn(g);
            this.placeLenses(e, i, maps[i], true);
          }
        }
        return maps;
      });
    } else {
      this.proneRules.clear();
      this.hairpinProne.clear();
      for (const f of analysis.findings) this.countFinding(f, 1);
      this.lensMaps = parts.map((graphs) => graphs.map(lensesIn));
      this.lensPlaces.clear();
      this.lensMaps.forEach((maps, e) => maps.forEach((m, i) => this.placeLenses(e, i, m, true)));
    }
    this.measured = { diagnostics: diagnosticFiles?.size ?? 'all', lenses: lensFiles?.size ?? 'all' };
    const diagnostics = this.diagnosticChanges(workspace, analysis, settings, diagnosticFiles);
    const lenses = this.lensChanges(lensFiles);
    const structure = workspace.structureVersion;
    const summary: AnalysisSummary = { templates: analysis.templates, hairpinProne: this.hairpinProne.size, lenses };
    if (full || structure !== this.templateFilesAt) {
      summary.templateFiles = workspace.paths().filter((p) => {
        const role = workspace.role(p);
        return role !== undefined && role !== 'other';
      });
      this.templateFilesAt = structure;
    }
    this.last = { findings: analysis.findings, problems: analysis.problems, parts, settings: settingsKey };
    this.fresh = false;
    return { full, diagnostics, summary };
  }

  /** Records (or forgets) that the part `i` of environment `e` has the lenses of each file of `lenses`. */
  private placeLenses(e: number, i: number, lenses: Map<string, LbLens[]>, add: boolean): void {
    const place = placeOf(e, i);
    for (const file of lenses.keys()) {
      let places = this.lensPlaces.get(file);
      if (add) {
        if (!places) this.lensPlaces.set(file, (places = new Set()));
        places.add(place);
      } else if (places?.delete(place) && !places.size) this.lensPlaces.delete(file);
    }
  }

  /** Counts a finding in (1) or out (-1) of the summary's figures; true when it is a loop rule's (its rule's lens changes). */
  private countFinding(f: Finding, by: number): boolean {
    // One finding per rule and deployment (a rule in a module is reported where the module is called).
    if (f.ruleId === 'hairpin-prone-rule') count(this.hairpinProne, `${f.span.file}#${f.span.start}#${f.facts.loadBalancer}#${f.facts.lbRule}`, by);
    // Hairpin-prone: the rules the topology draws as a loop (the other rules' findings are lines of their nodes).
    if (!LOOP_RULES.has(f.ruleId)) return false;
    const key = `${ruleSite(f).file}\u0000${f.facts.loadBalancer}`;
    let rules = this.proneRules.get(key);
    if (!rules) this.proneRules.set(key, (rules = new Map()));
    count(rules, f.facts.lbRule, by);
    if (!rules.size) this.proneRules.delete(key);
    return true;
  }

  /** The files (all, or `only`) whose diagnostics differ from what was sent; they count as sent. */
  private diagnosticChanges(workspace: Workspace, analysis: WorkspaceAnalysis, settings: RuleSettings, only: Set<string> | undefined): [string, PlainDiagnostic[]][] {
    if (only?.size === 0) return [];
    return sentChanges(this.sent, new Map(plainDiagnostics(workspace, analysis, settings, this.known, only)), only, sameDiagnostics);
  }

  /**
   * The files (all, or `only`) whose lenses differ from what was sent ([]: none any more): one per
   * load balancer declaration, in the order of the environments' graphs, with its rules and
   * hairpin-prone rules.
   */
  private lensChanges(only: Set<string> | undefined): [string, LensData[]][] {
    if (only?.size === 0) return [];
    const now = new Map<string, LensData[]>();
    const add = (file: string, lbs: readonly LbLens[]): void => {
      let list = now.get(file);
      if (!list) now.set(file, (list = []));
      for (const lb of lbs) {
        if (list.some((l) => l.start === lb.start)) continue;
        const prone = this.proneRules.get(`${file}\u0000${lb.name}`)?.size ?? 0;
        list.push({ start: lb.start, name: lb.name, title: `$(type-hierarchy) Show topology · ${lb.rules} rule${lb.rules === 1 ? '' : 's'}${prone ? `, ${prone} hairpin-prone` : ''}` });
      }
    };
    if (!only) {
      for (const maps of this.lensMaps) for (const byFile of maps) for (const [file, lbs] of byFile) add(file, lbs);
    } else {
      // Each file's parts in the order of the environments and their parts, as the pass above.
      for (const file of only) {
        const places = this.lensPlaces.get(file);
        if (!places) continue;
        for (const place of [...places].sort((a, b) => a - b)) {
          const lbs = this.lensMaps[Math.floor(place / PLACES)]?.[place % PLACES]?.get(file);
          if (lbs) add(file, lbs);
        }
      }
    }
    return sentChanges(this.lenses, now, only, sameLenses);
  }
}

/**
 * The files (of `now`, and the others of `only`, or of every file when there is no `only`) whose
 * lists differ from what `sent` holds ([]: none any more); `sent` then holds them.
 */
function sentChanges<T>(sent: Map<string, T[]>, now: Map<string, T[]>, only: Set<string> | undefined, same: (a: T[], b: T[]) => boolean): [string, T[]][] {
  const changes: [string, T[]][] = [];
  for (const [file, list] of now) {
    const before = sent.get(file);
    if (!before || !same(before, list)) changes.push([file, list]);
    sent.set(file, list);
  }
  for (const file of only ?? [...sent.keys()]) {
    if (now.has(file) || !sent.has(file)) continue;
    changes.push([file, []]);
    sent.delete(file);
  }
  return changes;
}

/** What is in `now` and not in `before`, and the other way round, by identity (in order when the lists are as long). */
function changedItems<T>(before: readonly T[], now: readonly T[]): { removed: T[]; added: T[] } {
  const removed: T[] = [];
  const added: T[] = [];
  if (before === now) return { removed, added };
  if (before.length === now.length) {
    for (let i = 0; i < now.length; i++) {
      if (before[i] === now[i]) continue;
      removed.push(before[i] as T);
      added.push(now[i] as T);
    }
    return { removed, added };
  }
  const old = new Set(before);
  for (const x of now) if (!old.delete(x)) added.push(x);
  removed.push(...old);
  return { removed, added };
}

const sameLenses = (a: LensData[], b: LensData[]): boolean => a.length === b.length && a.every((l, i) => l.start === b[i]?.start && l.title === b[i]?.title && l.name === b[i]?.name);
