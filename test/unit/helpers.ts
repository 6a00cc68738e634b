import { runCli } from '../../src/cli/main';
/**
 * Shared helpers for the unit tests: where the repository is, small template builders, and the
 * inline `// expect <rule> members=<n|?>` markers of the fixture templates.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { analyzeArmText, type TemplateAnalysis } from '../../src/core/engine';
import type { ArmEvaluationOptions } from '../../src/core/evaluate/arm-evaluator';
import { Unknown, type Value } from '../../src/core/evaluate/value';
import type { SourceSpan } from '../../src/core/source';

/** The repository root: the nearest folder above this file with package.json and tsconfig.test.json (out/ has a package.json copy). */
export const REPO_ROOT: string = (() => {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'tsconfig.test.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = up;
  }
})();

export const FIXTURES_DIR = path.join(REPO_ROOT, 'test', 'fixtures', 'arm');
export const SEED_LAB = path.join(REPO_ROOT, 'examples', 'seed-lab', 'azuredeploy.json');

export const TEMPLATE_SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';

/** A deployment template as text, from its parts. */
export function template(parts: {
  parameters?: Record<string, unknown>;
  variables?: Record<string, unknown>;
  functions?: unknown[];
  resources?: unknown[] | Record<string, unknown>;
  outputs?: Record<string, unknown>;
}): string {
  const t: Record<string, unknown> = { $schema: TEMPLATE_SCHEMA, contentVersion: '1.0.0.0' };
  if (parts.functions) t['functions'] = parts.functions;
  if (parts.parameters) t['parameters'] = parts.parameters;
  if (parts.variables) t['variables'] = parts.variables;
  t['resources'] = parts.resources ?? [];
  if (parts.outputs) t['outputs'] = parts.outputs;
  return JSON.stringify(t, null, 2);
}

export function analyze(text: string, options: ArmEvaluationOptions = {}, file = '/virtual/template.json'): TemplateAnalysis {
  return analyzeArmText(file, text, options);
}

/** The text a span covers. */
export function textAt(text: string, span: SourceSpan): string {
  return text.slice(span.start, span.end);
}

/** 1-based line of an offset. */
export function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

export function assertUnknown(v: Value | undefined, ...mentions: string[]): Unknown {
  assert.ok(v instanceof Unknown, `expected an Unknown, got ${JSON.stringify(v)}`);
  for (const m of mentions) {
    assert.ok(v.reason.toLowerCase().includes(m.toLowerCase()), `reason "${v.reason}" should mention "${m}"`);
  }
  return v;
}

// ------------------------------------------------------------------ the network pieces of a template

export const SUBNET = "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet', 'default')]";

/** A name as an expression argument: `[expr]` is embedded as `expr`, a literal is quoted. */
const arg = (name: string): string => (name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : `'${name.replace(/'/g, "''")}'`);

export const poolId = (lb: string, pool: string): string =>
  `[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', ${arg(lb)}, ${arg(pool)})]`;
export const frontendId = (lb: string, fe: string): string =>
  `[resourceId('Microsoft.Network/loadBalancers/frontendIPConfigurations', ${arg(lb)}, ${arg(fe)})]`;

/** An internal (or public) load balancer with one frontend, the given pools and rules. */
export function loadBalancer(opts: {
  name: string;
  frontend?: 'internal' | 'public' | 'neither';
  frontendIp?: string;
  pools?: unknown[];
  rules?: { name: string; pools?: string[]; floatingIp?: unknown; protocol?: string; port?: number }[];
  sku?: string;
}): Record<string, unknown> {
  const feProps =
    opts.frontend === 'public'
      ? { publicIPAddress: { id: "[resourceId('Microsoft.Network/publicIPAddresses', 'pip')]" } }
      : opts.frontend === 'neither'
        ? { privateIPAllocationMethod: 'Dynamic' }
        : {
            privateIPAllocationMethod: opts.frontendIp ? 'Static' : 'Dynamic',
            ...(opts.frontendIp ? { privateIPAddress: opts.frontendIp } : {}),
            subnet: { id: SUBNET },
          };
  return {
    type: 'Microsoft.Network/loadBalancers',
    apiVersion: '2023-09-01',
    name: opts.name,
    location: 'westeurope',
    sku: { name: opts.sku ?? 'Standard' },
    properties: {
      frontendIPConfigurations: [{ name: 'fe', properties: feProps }],
      backendAddressPools: opts.pools ?? [{ name: 'be' }],
      loadBalancingRules: (opts.rules ?? [{ name: 'rule' }]).map((r) => {
        const pools = r.pools ?? ['be'];
        const props: Record<string, unknown> = {
          frontendIPConfiguration: { id: frontendId(opts.name, 'fe') },
          protocol: r.protocol ?? 'Tcp',
          frontendPort: r.port ?? 80,
          backendPort: r.port ?? 80,
        };
        if (pools.length === 1) props['backendAddressPool'] = { id: poolId(opts.name, pools[0] as string) };
        else props['backendAddressPools'] = pools.map((p) => ({ id: poolId(opts.name, p) }));
        if (r.floatingIp !== undefined) props['enableFloatingIP'] = r.floatingIp;
        return { name: r.name, properties: props };
      }),
    },
  };
}

/** A NIC with one ipConfiguration in the given pools (pool IDs as template strings). */
export function nic(name: string, poolIds: string[], extra: { ip?: string; copy?: unknown; condition?: unknown } = {}): Record<string, unknown> {
  const r: Record<string, unknown> = {
    type: 'Microsoft.Network/networkInterfaces',
    apiVersion: '2023-09-01',
    name,
    location: 'westeurope',
    properties: {
      ipConfigurations: [
        {
          name: 'ipconfig1',
          properties: {
            privateIPAllocationMethod: extra.ip ? 'Static' : 'Dynamic',
            ...(extra.ip ? { privateIPAddress: extra.ip } : {}),
            subnet: { id: SUBNET },
            loadBalancerBackendAddressPools: poolIds.map((id) => ({ id })),
          },
        },
      ],
    },
  };
  if (extra.copy) r['copy'] = extra.copy;
  if (extra.condition !== undefined) r['condition'] = extra.condition;
  return r;
}

/** A VM attached to the NICs whose IDs are given (as template strings). */
export function vm(name: string, nicIds: string[], extra: { copy?: unknown } = {}): Record<string, unknown> {
  const r: Record<string, unknown> = {
    type: 'Microsoft.Compute/virtualMachines',
    apiVersion: '2023-09-01',
    name,
    location: 'westeurope',
    properties: {
      hardwareProfile: { vmSize: 'Standard_B2s' },
      networkProfile: { networkInterfaces: nicIds.map((id) => ({ id })) },
    },
  };
  if (extra.copy) r['copy'] = extra.copy;
  return r;
}

/** A scale set in the given pools; `capacity` as written (omitted when undefined). */
export function scaleSet(name: string, poolIds: string[], capacity?: unknown): Record<string, unknown> {
  const sku: Record<string, unknown> = { name: 'Standard_D2s_v5' };
  if (capacity !== undefined) sku['capacity'] = capacity;
  return {
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    apiVersion: '2023-09-01',
    name,
    location: 'westeurope',
    sku,
    properties: {
      virtualMachineProfile: {
        networkProfile: {
          networkInterfaceConfigurations: [
            {
              name: 'nic',
              properties: {
                primary: true,
                ipConfigurations: [
                  { name: 'ipconfig1', properties: { subnet: { id: SUBNET }, loadBalancerBackendAddressPools: poolIds.map((id) => ({ id })) } },
                ],
              },
            },
          ],
        },
      },
    },
  };
}

// ------------------------------------------------------------------ inline markers

export interface ExpectedFinding {
  /** 1-based line the finding starts on. */
  line: number;
  ruleId: string;
  /** Member count, or null for `members=?`. */
  members: number | null;
  /** `severity=<s>` when the marker says it (else the rule's default severity is expected). */
  severity?: string;
}

/**
 * The findings a fixture expects: `// expect <ruleId> members=<n|?> [severity=<s>]` in a comment
 * at the end of the line where each finding starts. Several on one line are separated by `;`.
 */
export function expectedFindings(text: string): ExpectedFinding[] {
  const out: ExpectedFinding[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((l, i) => {
    const comment = l.indexOf('//');
    if (comment < 0) return;
    const tail = l.slice(comment);
    const re = /\bexpect\s+([a-z0-9-]+)\s+members=(\d+|\?)(?:\s+severity=([a-z]+))?/g;
    for (let m = re.exec(tail); m; m = re.exec(tail)) {
      const e: ExpectedFinding = { line: i + 1, ruleId: m[1] as string, members: m[2] === '?' ? null : Number(m[2]) };
      if (m[3]) e.severity = m[3];
      out.push(e);
    }
  });
  return out;
}

export function sortExpected(list: ExpectedFinding[]): ExpectedFinding[] {
  return [...list].sort((a, b) => a.line - b.line || a.ruleId.localeCompare(b.ruleId) || String(a.members).localeCompare(String(b.members)));
}

/** What one run of the CLI printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with `cwd`, collecting its output. */
export function cli(cwd: string, ...argv: string[]): CliRun {
  let stdout = '';
  let stderr = '';
  const code = runCli(argv, { cwd, stdout: (x) => (stdout += x), stderr: (x) => (stderr += x) });
  return { code, stdout, stderr };
}
