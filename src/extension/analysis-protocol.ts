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
  /** Local files for the worker to read from disk, as the CLI reads them, and add (the host's thread only lists them). */
  | { type: 'read'; batch: number; files: ReadRequest[] }
  /** A template the host's prefilter found inert (no text sent: it is neither decoded nor parsed). */
  | { type: 'setInert'; path: string }
  | { type: 'remove'; path: string }
  | { type: 'analyze'; generation: number; rules: RuleSettings };

export type FromWorker =
  | { type: 'read'; batch: number; files: ReadOutcome[] }
  | { type: 'analysis'; generation: number; diagnostics: [string, PlainDiagnostic[]][]; summary: AnalysisSummary; ms: number }
  | { type: 'failed'; generation: number; error: string };

/**
 * A finding's diagnostic, by its span (a copy of the finding with another severity shares it),
 * kept with the files' texts its ranges were measured in: after an edit the findings of the groups
 * it did not reach are the same objects, in the same texts, and are not measured again.
 */
const MADE = new WeakMap<SourceSpan, { finding: Finding; sources: (SourceFile | undefined)[]; diagnostic: PlainDiagnostic }>();

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
  for (const p of analysis.problems) add(p.span.file, { range: range(p.span), message: p.message, severity: p.severity, code: 'template-evaluation', related: [] });
  return [...byFile];
}

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
