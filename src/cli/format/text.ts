import type { ReportLocation, ScanReport } from '../../core/report';

function at(l: ReportLocation): string {
  if (l.resourceId !== undefined) return l.resourceId;
  return `${l.file}:${l.range.start.line + 1}:${l.range.start.character + 1}`;
}

const SGR = { error: '31', warning: '33', info: '36', hint: '2', dim: '2', bold: '1' } as const;

/**
 * Human-readable output: one `file:line:col severity rule: message` line per finding (the
 * `ilb-hairpin` problem matcher in package.json reads exactly this). With `color`, the severity
 * and the summary are coloured with ANSI codes (VS Code's task output strips them before matching).
 */
export function formatText(report: ScanReport, options: { color?: boolean } = {}): string {
  const paint = (code: string, text: string): string => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const sev = (s: keyof typeof SGR): string => paint(SGR[s], s);
  const lines: string[] = [];
  for (const f of report.findings) {
    lines.push(`${at(f)} ${sev(f.severity)} ${f.ruleId}: ${f.message}`);
    if (f.portalUrl !== undefined) lines.push(`    portal: ${f.portalUrl}`);
    for (const r of f.related) lines.push(paint(SGR.dim, `    ${at(r)} ${r.message}`));
  }
  if (report.azure) return azureText(report, report.azure, lines);
  for (const e of report.parseErrors) lines.push(`${at(e)} ${sev('error')} parse: ${e.message}`);
  for (const n of report.notes) lines.push(`${at(n)} ${sev(n.severity)} note: ${n.message}`);
  for (const e of report.readErrors) lines.push(`${e.file} ${sev('error')} read: ${e.message}`);
  if (lines.length) lines.push('');
  // The headline counts the hairpin-prone rules; the other rules' findings are counted by rule.
  const hairpin = report.findings.filter((f) => f.ruleId === 'hairpin-prone-rule');
  const n = hairpin.length;
  const templatesWith = new Set(hairpin.map((f) => f.file)).size;
  const others = new Map<string, number>();
  for (const f of report.findings) if (f.ruleId !== 'hairpin-prone-rule') others.set(f.ruleId, (others.get(f.ruleId) ?? 0) + 1);
  const summary =
    `${n} hairpin-prone rule${n === 1 ? '' : 's'}` +
    (n ? ` in ${templatesWith} file${templatesWith === 1 ? '' : 's'}` : '') +
    [...others].map(([id, k]) => `, ${k} ${id}`).join('') +
    `; ${report.scanned.templates} template${report.scanned.templates === 1 ? '' : 's'} in ${report.scanned.files} file${report.scanned.files === 1 ? '' : 's'} scanned` +
    (report.parseErrors.length ? `; ${report.parseErrors.length} parse error${report.parseErrors.length === 1 ? '' : 's'}` : '') +
    '.';
  lines.push(paint(SGR.bold, summary));
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
