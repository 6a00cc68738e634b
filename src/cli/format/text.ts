import type { ReportLocation, ScanReport } from '../../core/report';

function at(l: ReportLocation): string {
  return `${l.file}:${l.range.start.line + 1}:${l.range.start.character + 1}`;
}

/** Human-readable output: one `file:line:col severity rule message` line per finding. */
export function formatText(report: ScanReport): string {
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(`${at(f)} ${f.severity} ${f.ruleId}: ${f.message}`);
    for (const r of f.related) lines.push(`    ${at(r)} ${r.message}`);
  }
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
