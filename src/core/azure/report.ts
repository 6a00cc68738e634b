/** The CLI report (see core/report) of a deployed scan: findings located by resource ID. */
import { buildReport, type ScanReport } from '../report';
import type { DeployedAnalysis, DeployedEstate } from './estate';

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
