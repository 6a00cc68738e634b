/**
 * The result of scanning a set of files, in the shape the CLI prints (see DESIGN.md): paths
 * relative to a base folder with `/`, ranges as 0-based lines and UTF-16 columns.
 */
import type { TemplateAnalysis } from './engine';
import { display } from './evaluate/value';
import type { RuleNode } from './graph/model';
import { ruleMembers } from './rules/hairpin-prone-rule';
import type { Finding, Severity } from './rules/types';
import type { Range, SourceFile, SourceSpan } from './source';
import { TOOL_NAME, TOOL_VERSION } from './version';

export interface ReportLocation {
  file: string;
  range: Range;
}

export interface ReportFinding extends ReportLocation {
  ruleId: string;
  severity: Severity;
  message: string;
  loadBalancer: string;
  lbRule: string;
  frontendIp: string | null;
  members: number | null;
  failureChance: number | null;
  related: (ReportLocation & { message: string })[];
}

export interface ReportLoadBalancer {
  name: string;
  file: string;
  internal: boolean;
  rules: { name: string; enableFloatingIP: boolean | null; members: number | null; hairpinProne: boolean }[];
}

export interface ScanReport {
  tool: { name: string; version: string };
  scanned: { files: number; templates: number };
  findings: ReportFinding[];
  loadBalancers: ReportLoadBalancer[];
  parseErrors: (ReportLocation & { message: string })[];
  /** Things the evaluator could not do (absurd copy counts, cycles); not findings. */
  notes: (ReportLocation & { message: string; severity: 'warning' | 'info' })[];
  /** Files that could not be read. */
  readErrors: { file: string; message: string }[];
}

export class ReportBuilder {
  private readonly report: ScanReport = {
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    scanned: { files: 0, templates: 0 },
    findings: [],
    loadBalancers: [],
    parseErrors: [],
    notes: [],
    readErrors: [],
  };
  private readonly files = new Map<string, SourceFile>();

  constructor(private readonly relative: (path: string) => string) {}

  fileScanned(): void {
    this.report.scanned.files++;
  }

  readError(path: string, message: string): void {
    this.report.readErrors.push({ file: this.relative(path), message });
  }

  add(analysis: TemplateAnalysis, options: { reportParseErrors: boolean }): void {
    this.files.set(analysis.file.path, analysis.file);
    if (options.reportParseErrors) {
      for (const e of analysis.document.errors) this.report.parseErrors.push({ ...this.loc(e.span), message: e.message });
    }
    if (!analysis.isTemplate) return;
    this.report.scanned.templates++;
    for (const p of analysis.problems) this.report.notes.push({ ...this.loc(p.span), message: p.message, severity: p.severity });
    for (const f of analysis.findings) this.report.findings.push(this.finding(f));
    const prone = new Set(analysis.findings.map((f) => `${f.facts.loadBalancer}\u0000${f.facts.lbRule}`));
    for (const lb of analysis.graph?.loadBalancers ?? []) {
      const name = display(lb.name);
      this.report.loadBalancers.push({
        name,
        file: this.relative(lb.resource.file),
        internal: lb.frontends.some((f) => f.internal === true),
        rules: lb.rules.map((r) => ruleSummary(name, r, prone)),
      });
    }
  }

  /** Registers a file so that spans in it can be turned into ranges. */
  source(file: SourceFile): void {
    this.files.set(file.path, file);
  }

  build(): ScanReport {
    const byPlace = (a: ReportLocation, b: ReportLocation): number =>
      a.file.localeCompare(b.file) || a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;
    this.report.findings.sort(byPlace);
    this.report.parseErrors.sort(byPlace);
    return this.report;
  }

  private loc(span: SourceSpan): ReportLocation {
    const file = this.files.get(span.file);
    const range = file ? file.rangeOf(span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return { file: this.relative(span.file), range };
  }

  private finding(f: Finding): ReportFinding {
    return {
      ruleId: f.ruleId,
      severity: f.severity,
      message: f.message,
      ...this.loc(f.span),
      loadBalancer: f.facts.loadBalancer,
      lbRule: f.facts.lbRule,
      frontendIp: f.facts.frontendIp,
      members: f.facts.members,
      failureChance: f.facts.failureChance,
      related: f.related.map((r) => ({ ...this.loc(r.span), message: r.message })),
    };
  }
}

function ruleSummary(lbName: string, r: RuleNode, prone: Set<string>): ReportLoadBalancer['rules'][number] {
  return {
    name: display(r.name),
    enableFloatingIP: typeof r.floatingIp === 'boolean' ? r.floatingIp : null,
    members: ruleMembers(r).total,
    hairpinProne: prone.has(`${lbName}\u0000${display(r.name)}`),
  };
}

const ORDER: Record<Severity | 'none', number> = { info: 1, warning: 2, error: 3, none: 99 };

/** Does a finding of `severity` reach the `--fail-on` threshold? */
export function reaches(severity: Severity, failOn: Severity | 'none'): boolean {
  return ORDER[severity] >= ORDER[failOn];
}
