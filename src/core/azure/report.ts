/**
 * The CLI report (see core/report) of a deployed scan: findings located by resource ID; and the
 * analysis made for it alone, part by part (the extension's bundles, which keep the whole graph,
 * never load this module).
 */
import { getProp, type ValueObject } from '../evaluate/value';
import { buildGraph } from '../graph/build';
import { linkTokens, partitionByTokens } from '../graph/links';
import { buildReport, reportLoadBalancers, type ReportLoadBalancer, type ScanReport } from '../report';
import { byRuleOrder, RULES } from '../rules';
import { withoutSubject, type Finding } from '../rules/types';
import { standInVms, wrapRows, type DeployedAnalysis, type DeployedEstate } from './estate';
import { forgetDeployed } from './resources';

export function deployedReport(estate: DeployedEstate, analysis: DeployedAnalysis | undefined): ScanReport {
  const report = buildReport(
    { source: () => undefined },
    { findings: analysis?.findings ?? [], graphs: analysis?.graphs ?? [], ...(analysis?.loadBalancers ? { loadBalancers: analysis.loadBalancers } : {}), parseErrors: [], problems: [], templates: 0 },
    { relative: (p) => p, filesScanned: 0, readErrors: [] },
  );
  report.azure = {
    source: estate.source,
    scope: estate.scope,
    subscriptions: estate.subscriptions.map((s) => ({ ...s })),
    notes: [...estate.notes],
    requests: estate.requests,
  };
  return report;
}

/**
 * The findings and the report's load balancers, as analyzeEstate and the report give them, for a
 * scan that needs nothing else (the CLI's `azure`): the estate's rows are taken out of it and
 * analysed in parts that share no link token (graph/links.ts: the graph of each part is what one
 * graph of all would hold of it), and each part's rows and graph are let go once its findings and
 * load balancers are summarised. A tenant's memory then holds the rows read and what is found,
 * never the rows, the whole graph and the findings at once.
 */
export function analyzeEstateForReport(estate: Pick<DeployedEstate, 'resources' | 'portal'>): DeployedAnalysis & { loadBalancers: ReportLoadBalancer[] } {
  const rows = [...estate.resources, ...standInVms(estate.resources)];
  estate.resources = [];
  const parts: (ValueObject[] | undefined)[] = partitionByTokens(rows, rowTokens);
  rows.length = 0;
  const findings: Finding[] = [];
  const loadBalancers: ReportLoadBalancer[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as ValueObject[];
    parts[i] = undefined;
    const graph = buildGraph(wrapRows(part, estate.portal));
    const found = RULES.flatMap((rule) => rule.check(graph, {}));
    for (const lb of reportLoadBalancers([{ graph }], found, (p) => p)) loadBalancers.push(lb);
    for (const f of found) findings.push(withoutSubject(f));
    for (const row of part) forgetDeployed(row);
  }
  // In rule order, as from one graph (a stable sort keeps the order of the parts within a rule).
  findings.sort(byRuleOrder);
  return { findings, graphs: [], loadBalancers };
}

/** A row's link tokens, read afresh (the row's body is read once per pass, never kept). */
function rowTokens(row: ValueObject): ReturnType<typeof linkTokens> {
  const type = getProp(row, 'type');
  return linkTokens([{ type: typeof type === 'string' ? type : '', existing: false, id: getProp(row, 'id') ?? '', body: () => row }], { cache: false });
}
