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

export interface AnalysisSummary {
  templates: number;
  /** Hairpin-prone rules (the status bar's figure). */
  hairpinProne: number;
  /** The template files the workspace knows (ARM and Bicep templates and their parameter files). */
  templateFiles: string[];
  /** "Show topology" lenses by file. */
  lenses: [string, LensData[]][];
}

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

export type ToWorker =
  | { type: 'set'; path: string; text: string }
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
  | { type: 'failed'; generation: number; error: string };

/**
 * A finding's diagnostic, by its span (a copy of the finding with another severity shares it),
 * kept with the files' texts its ranges were measured in: after an edit the findings of the groups
 * it did not reach are the same objects, in the same texts, and are not measured again.
 */
const MADE = new WeakMap<SourceSpan, { finding: Finding; sources: (SourceFile | undefined)[]; diagnostic: PlainDiagnostic }>();

/** An evaluation problem's diagnostic (see MADE). */
const PROBLEMS_MADE = new WeakMap<object, PlainDiagnostic>();

/** The diagnostics of an analysis, by file, with line/character ranges. */
export function plainDiagnostics(workspace: Workspace, analysis: WorkspaceAnalysis, settings: RuleSettings, known: (ruleId: string) => boolean): [string, PlainDiagnostic[]][] {
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
    // The same finding object again: the workspace gives a finding again only while every file its
    // evaluation read (where its spans lie) is unchanged (core/workspace: a group's findings are
    // kept while its evaluations are), so its ranges are as measured. A copy (another severity) is
    // checked against the texts its ranges were measured in.
    if (kept && kept.finding === f) return kept.diagnostic;
    if (kept && sameFinding(kept.finding, f) && kept.sources[0] === sourceOf(f.span.file) && f.related.every((r, i) => kept.sources[i + 1] === sourceOf(r.span.file))) return kept.diagnostic;
    const diagnostic: PlainDiagnostic = {
      range: range(f.span),
      message: f.message,
      severity: f.severity,
      code: known(f.ruleId) ? f.ruleId : `?${f.ruleId}`,
      related: f.related.map((r) => ({ file: r.span.file, range: range(r.span), message: r.message })),
    };
    MADE.set(f.span, { finding: f, sources: [sourceOf(f.span.file), ...f.related.map((r) => sourceOf(r.span.file))], diagnostic });
    return diagnostic;
  };
  for (const f of applyRuleSettings(analysis.findings, settings)) add(f.span.file, diagnosticOf(f));
  for (const p of analysis.problems) {
    // (A problem the workspace gives again is of an evaluation whose files are unchanged, as above.)
    let d = PROBLEMS_MADE.get(p);
    if (!d) PROBLEMS_MADE.set(p, (d = { range: range(p.span), message: p.message, severity: p.severity, code: 'template-evaluation', related: [] }));
    add(p.span.file, d);
  }
  return [...byFile];
}

/**
 * What the worker last sent of each file's diagnostics, so that after an edit it sends only the
 * files whose diagnostics changed (typing in one template changes one file's, or none) and the host
 * sets only those: not every file's, compared on the host's thread.
 */
export class SentDiagnostics {
  private sent = new Map<string, PlainDiagnostic[]>();
  private fresh = true;

  /** Forgets what was sent: the next changes are every file's (`full`). */
  reset(): void {
    this.sent.clear();
    this.fresh = true;
  }

  /** The files whose diagnostics differ from what was sent ([] for a file that has none any more); they count as sent. */
  changes(now: [string, PlainDiagnostic[]][]): { full: boolean; diagnostics: [string, PlainDiagnostic[]][] } {
    const next = new Map(now);
    const diagnostics: [string, PlainDiagnostic[]][] = [];
    for (const [file, list] of now) {
      const before = this.sent.get(file);
      if (!before || !sameDiagnostics(before, list)) diagnostics.push([file, list]);
    }
    for (const file of this.sent.keys()) if (!next.has(file)) diagnostics.push([file, []]);
    const full = this.fresh;
    this.sent = next;
    this.fresh = false;
    return { full, diagnostics };
  }
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

/** The same finding, or a copy of it with the same severity (another rule setting makes a new copy each analysis). */
function sameFinding(a: Finding, b: Finding): boolean {
  return a === b || (a.related === b.related && a.message === b.message && a.severity === b.severity && a.ruleId === b.ruleId);
}

/** What the status bar, the context keys and the CodeLens show of an analysis. */
export function summarize(workspace: Workspace, analysis: WorkspaceAnalysis): AnalysisSummary {
  const lenses = new Map<string, LensData[]>();
  // Hairpin-prone: the rules the topology draws as a loop (the other rules' findings are lines of their nodes), by file and load balancer.
  const proneRules = new Map<string, Set<unknown>>();
  for (const f of analysis.findings) {
    if (!LOOP_RULES.has(f.ruleId)) continue;
    const key = `${ruleSite(f).file}\u0000${f.facts.loadBalancer}`;
    const set = proneRules.get(key) ?? new Set();
    proneRules.set(key, set.add(f.facts.lbRule));
  }
  for (const { graph } of analysis.graphs) {
    for (const lb of graph.loadBalancers) {
      const file = lb.resource.file;
      const list = lenses.get(file) ?? [];
      if (list.some((l) => l.start === lb.resource.span.start)) continue;
      const name = display(lb.name);
      const prone = proneRules.get(`${file}\u0000${name}`)?.size ?? 0;
      const rules = lb.rules.length;
      list.push({ start: lb.resource.span.start, name, title: `$(type-hierarchy) Show topology · ${rules} rule${rules === 1 ? '' : 's'}${prone ? `, ${prone} hairpin-prone` : ''}` });
      lenses.set(file, list);
    }
  }
  // One finding per rule and deployment (a rule in a module is reported where the module is called).
  const hairpinProne = new Set(analysis.findings.filter((f) => f.ruleId === 'hairpin-prone-rule').map((f) => `${f.span.file}#${f.span.start}#${f.facts.loadBalancer}#${f.facts.lbRule}`)).size;
  const templateFiles = workspace.paths().filter((p) => {
    const role = workspace.role(p);
    return role !== undefined && role !== 'other';
  });
  return { templates: analysis.templates, hairpinProne, templateFiles, lenses: [...lenses] };
}
