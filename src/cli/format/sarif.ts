import type { ReportLocation, ScanReport } from '../../core/report';
import { RULES } from '../../core/rules';
import { docsPathOf, type Severity } from '../../core/rules/types';

type SarifLevel = 'error' | 'warning' | 'note';

function level(s: Severity): SarifLevel {
  return s === 'info' || s === 'hint' ? 'note' : s;
}

function physical(l: ReportLocation): object {
  // SARIF lines and columns are 1-based; columns count UTF-16 code units (the default columnKind).
  return {
    artifactLocation: { uri: encodeURI(l.file), uriBaseId: '%SRCROOT%' },
    region: {
      startLine: l.range.start.line + 1,
      startColumn: l.range.start.character + 1,
      endLine: l.range.end.line + 1,
      endColumn: l.range.end.character + 1,
    },
  };
}

/**
 * Where a result is: a region of a file, or for a deployed resource a logical location named by
 * its resource ID (there is no file), with its portal page.
 */
function location(l: ReportLocation): object {
  if (l.resourceId !== undefined) {
    return {
      logicalLocations: [{ fullyQualifiedName: l.resourceId, name: l.resourceId.slice(l.resourceId.lastIndexOf('/') + 1), kind: 'resource' }],
      ...(l.portalUrl !== undefined ? { properties: { portalUrl: l.portalUrl } } : {}),
    };
  }
  return { physicalLocation: physical(l) };
}

/** SARIF 2.1.0 with rule metadata and help URIs; parse errors become tool notifications. */
export function formatSarif(report: ScanReport): string {
  const rules = RULES.map((r) => ({
    id: r.id,
    name: r.id.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase()),
    shortDescription: { text: r.title },
    fullDescription: { text: r.summary },
    // No helpUri: the project has no published web home; the page ships with the package.
    help: { text: `${r.summary} The rule's page: ${docsPathOf(r)} (in the repository and in the npm package).` },
    defaultConfiguration: { level: level(r.defaultSeverity) },
  }));
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { description: { text: 'The folder the scan ran in.' } } },
        invocations: [
          {
            executionSuccessful: report.readErrors.length === 0 && !report.azure?.subscriptions.some((s) => s.status === 'failed'),
            toolExecutionNotifications: [
              ...report.parseErrors.map((e) => ({
                level: 'error',
                message: { text: e.message },
                locations: [{ physicalLocation: physical(e) }],
              })),
              ...report.readErrors.map((e) => ({
                level: 'error',
                message: { text: `${e.file}: ${e.message}` },
              })),
              ...(report.azure?.subscriptions ?? [])
                .filter((s) => s.status !== 'read')
                .map((s) => ({ level: s.status === 'failed' ? 'error' : 'warning', message: { text: `subscription ${s.id}: ${s.message ?? s.status}` } })),
              ...(report.azure?.notes ?? []).map((n) => ({ level: 'note', message: { text: n } })),
            ],
          },
        ],
        results: report.findings.map((f) => ({
          ruleId: f.ruleId,
          ruleIndex: ruleIndex.get(f.ruleId) ?? -1,
          level: level(f.severity),
          message: { text: f.message },
          locations: [location(f)],
          relatedLocations: f.related.map((r, i) => ({ id: i + 1, message: { text: r.message }, ...location(r) })),
          partialFingerprints: { 'ilbHairpinRule/v1': `${f.file}|${f.loadBalancer}|${f.lbRule}` },
          properties: {
            loadBalancer: f.loadBalancer,
            lbRule: f.lbRule,
            frontendIp: f.frontendIp,
            members: f.members,
            failureChance: f.failureChance,
            ...(f.portalUrl !== undefined ? { portalUrl: f.portalUrl } : {}),
          },
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
