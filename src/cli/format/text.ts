import type { ReportLocation, ScanReport } from '../../core/report';

function at(l: ReportLocation): string {
  if (l.resourceId !== undefined) return l.resourceId;
  return `${l.file}:${l.range.start.line + 1}:${l.range.start.character + 1}`;
}

/** Human-readable output: one `file:line:col severity rule message` line per finding. */
export function formatText(report: ScanReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(`${at(f)} ${f.severity} ${f.ruleId}: ${f.message}`);
    if (f.portalUrl !== undefined) lines.push(`    portal: ${f.portalUrl}`);
    for (const r of f.related) lines.push(`    ${at(r)} ${r.message}`);
  }
  if (report.azure) return azureText(report, report.azure, lines);
  for (const e of report.parseErrors) lines.push(`${at(e)} error parse: ${e.message}`);
  for (const n of report.notes) lines.push(`${at(n)} ${n.severity} note: ${n.message}`);
  for (const e of report.readErrors) lines.push(`${e.file} error read: ${e.message}`);
  if (lines.length) lines.push('');
  const n = report.findings.length;
  const templatesWith = new Set(report.findings.map((f) => f.file)).size;
  lines.push(
    `${n} hairpin-prone rule${n === 1 ? '' : 's'}` +
      (n ? ` in ${templatesWith} file${templatesWith === 1 ? '' : 's'}` : '') +
      `; ${report.scanned.templates} template${report.scanned.templates === 1 ? '' : 's'} in ${report.scanned.files} file${report.scanned.files === 1 ? '' : 's'} scanned` +
      (report.parseErrors.length ? `; ${report.parseErrors.length} parse error${report.parseErrors.length === 1 ? '' : 's'}` : '') +
      '.',
  );
  return lines.join('\n') + '\n';
}

/** The deployed scan's end: failed subscriptions and notes, then a summary of what was read. */
function azureText(report: ScanReport, azure: NonNullable<ScanReport['azure']>, lines: string[]): string {
  for (const s of azure.subscriptions) {
    if (s.status === 'read') continue;
    lines.push(`subscription ${s.name ? `${s.name} (${s.id})` : s.id} ${s.status === 'failed' ? 'error not read' : 'warning partly read'}: ${s.message ?? ''}`);
  }
  for (const n of azure.notes) lines.push(`note: ${n}`);
  if (lines.length) lines.push('');
  const n = report.findings.length;
  const lbs = report.loadBalancers.length;
  const read = azure.subscriptions.filter((s) => s.status !== 'failed').length;
  const failed = azure.subscriptions.length - read;
  lines.push(
    `${n} hairpin-prone rule${n === 1 ? '' : 's'} in ${lbs} deployed load balancer${lbs === 1 ? '' : 's'}` +
      `; ${read} subscription${read === 1 ? '' : 's'} read through ${azure.source === 'arm' ? 'Azure Resource Manager' : 'Azure Resource Graph'}` +
      (failed ? `; ${failed} could not be read` : '') +
      ` (${azure.scope}).`,
  );
  return lines.join('\n') + '\n';
}
