import type { ScanReport } from '../../core/report';

/** The DESIGN.md JSON contract; `notes` and `readErrors` are additions. */
export function formatJson(report: ScanReport): string {
  return JSON.stringify(report, null, 2) + '\n';
}
