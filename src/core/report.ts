/**
 * The result of scanning a workspace, in the shape the CLI prints (see DESIGN.md): paths
 * relative to a base folder with `/`, ranges as 0-based lines and UTF-16 columns.
 */
import { display } from './evaluate/value';
import type { NetworkGraph, RuleNode } from './graph/model';
import { ruleMembers } from './graph/query';
import type { Finding, Severity } from './rules/types';
import type { Range, SourceSpan } from './source';
import { TOOL_NAME, TOOL_VERSION } from './version';
import type { Workspace, WorkspaceAnalysis } from './workspace';

export interface ReportLocation {
  /** The file, relative to the base folder; for a deployed resource, its resource ID. */
  file: string;
  /** 0-based; empty (0:0) for a deployed resource. */
  range: Range;
  /** Set for a deployed resource (read from Azure): its resource ID, located by it instead of a line. */
  resourceId?: string;
  /** The Azure portal page of a deployed resource, when the cloud has a known portal. */
  portalUrl?: string;
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
  parameterSource?: string;
  related: (ReportLocation & { message: string })[];
}

export interface ReportLoadBalancer {
  name: string;
  /** The file that declares it; for a deployed one, its resource ID (also in `resourceId`). */
  file: string;
  resourceId?: string;
  internal: boolean;
  rules: { name: string; enableFloatingIP: boolean | null; members: number | null; hairpinProne: boolean }[];
}

export interface ScanReport {
  tool: { name: string; version: string };
  scanned: { files: number; templates: number };
  /** Set by `ilb-hairpin azure`: what was read of the deployed estate. */
  azure?: AzureReport;
  findings: ReportFinding[];
  loadBalancers: ReportLoadBalancer[];
  parseErrors: (ReportLocation & { message: string })[];
  /** Things the evaluator could not do (absurd copy counts, cycles); not findings. */
  notes: (ReportLocation & { message: string; severity: 'warning' | 'info' })[];
  /** Files that could not be read. */
  readErrors: { file: string; message: string }[];
}

/** What `ilb-hairpin azure` read: the scope, the source, each subscription's outcome, notes. */
export interface AzureReport {
  source: string;
  scope: string;
  subscriptions: { id: string; name?: string; status: 'read' | 'partial' | 'failed'; message?: string; loadBalancers: number }[];
  notes: string[];
  requests: number;
}

const EMPTY_RANGE: Range = { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };

/** A deployed resource's location: its resource ID (in `file` too, the identity of a location) and portal page. */
export function deployedLocation(span: SourceSpan): ReportLocation | undefined {
  if (!span.resource) return undefined;
  const out: ReportLocation = { file: span.resource.id, range: EMPTY_RANGE, resourceId: span.resource.id };
  if (span.resource.portal !== undefined) out.portalUrl = span.resource.portal;
  return out;
}

/**
 * Builds the report of one workspace analysis (or of a deployed estate's: no sources, no parse
 * errors; its load balancers summarised already when its graph was not kept).
 */
export function buildReport(
  workspace: Pick<Workspace, 'source'>,
  analysis: Pick<WorkspaceAnalysis, 'findings' | 'graphs' | 'parseErrors' | 'problems' | 'templates'> & { loadBalancers?: ReportLoadBalancer[] },
  options: { relative: (path: string) => string; filesScanned: number; readErrors: { file: string; message: string }[] },
): ScanReport {
  const loc = (span: SourceSpan): ReportLocation => {
    const deployed = deployedLocation(span);
    if (deployed) return deployed;
    const file = workspace.source(span.file);
    const range = file ? file.rangeOf(span) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return { file: options.relative(span.file), range };
  };
  const byPlace = (a: ReportLocation, b: ReportLocation): number =>
    a.file.localeCompare(b.file) || a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character;

  const finding = (f: Finding): ReportFinding => {
    const out: ReportFinding = {
      ruleId: f.ruleId,
      severity: f.severity,
      message: f.message,
      ...loc(f.span),
      loadBalancer: f.facts.loadBalancer,
      lbRule: f.facts.lbRule,
      frontendIp: f.facts.frontendIp,
      members: f.facts.members,
      failureChance: f.facts.failureChance,
      // (Object.assign, not a spread: a spread's copy of each location had a hidden class of its own in V8.)
      related: f.related.map((r) => Object.assign(loc(r.span), { message: r.message })),
    };
    if (f.facts.parameterSource !== undefined) out.parameterSource = f.facts.parameterSource;
    return out;
  };

  return {
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    scanned: { files: options.filesScanned, templates: analysis.templates },
    findings: analysis.findings.map(finding).sort(byPlace),
    loadBalancers: analysis.loadBalancers ?? reportLoadBalancers(analysis.graphs, analysis.findings, options.relative),
    parseErrors: analysis.parseErrors.flatMap((p) => p.errors.map((e) => ({ ...loc(e.span), message: e.message }))).sort(byPlace),
    notes: analysis.problems.map((p) => ({ ...loc(p.span), message: p.message, severity: p.severity })),
    readErrors: options.readErrors.map((e) => ({ file: options.relative(e.file), message: e.message })),
  };
}

/**
 * The report's load balancers: each one of the graphs once (a load balancer two environments
 * share is one), with its rules and which of them are hairpin-prone in `findings`.
 */
export function reportLoadBalancers(graphs: readonly { graph: NetworkGraph }[], findings: readonly Finding[], relative: (path: string) => string): ReportLoadBalancer[] {
  const prone = new Set(findings.map((f) => `${f.span.file}\u0000${f.facts.loadBalancer}\u0000${f.facts.lbRule}`));
  const loadBalancers: ReportLoadBalancer[] = [];
  const seen = new Set<string>();
  for (const { graph } of graphs) {
    for (const lb of graph.loadBalancers) {
      const name = display(lb.name);
      const key = `${lb.resource.file}\u0000${lb.resource.span.start}\u0000${name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const deployedId = lb.resource.span.resource?.id;
      loadBalancers.push({
        name,
        file: deployedId ?? relative(lb.resource.file),
        ...(deployedId !== undefined ? { resourceId: deployedId } : {}),
        internal: lb.frontends.some((f) => f.internal === true),
        rules: lb.rules.map((r) => ruleSummary(r, prone.has(`${lb.resource.file}\u0000${name}\u0000${display(r.name)}`))),
      });
    }
  }
  return loadBalancers;
}

function ruleSummary(r: RuleNode, hairpinProne: boolean): ReportLoadBalancer['rules'][number] {
  return {
    name: display(r.name),
    enableFloatingIP: typeof r.floatingIp === 'boolean' ? r.floatingIp : null,
    members: ruleMembers(r).total,
    hairpinProne,
  };
}

const ORDER: Record<Severity | 'none', number> = { hint: 0, info: 1, warning: 2, error: 3, none: 99 };

/** Does a finding of `severity` reach the `--fail-on` threshold? */
export function reaches(severity: Severity, failOn: Severity | 'none'): boolean {
  return ORDER[severity] >= ORDER[failOn];
}
