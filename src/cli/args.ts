import type { Severity } from '../core/rules/types';

export type Format = 'text' | 'json' | 'sarif';

export interface ScanArgs {
  command: 'scan';
  paths: string[];
  format: Format;
  failOn: Severity | 'none';
  /** `--config FILE`: the rule settings (else `.ilb-hairpin.json` in the working folder, when there). */
  config?: string;
}

export const STRATEGIES = ['floating-ip', 'floating-ip-loopback', 'secondary-nic', 'nginx-nva', 'app-gateway'] as const;
export const SKUS = ['Standard_v2', 'WAF_v2'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface FixArgs {
  command: 'fix';
  paths: string[];
  strategy: Strategy;
  rule: string | undefined;
  os: 'linux' | 'windows' | undefined;
  sku: (typeof SKUS)[number] | undefined;
  dryRun: boolean;
}

export const TOPOLOGY_FORMATS = ['json', 'mermaid', 'dot', 'svg'] as const;
export type TopologyFormat = (typeof TOPOLOGY_FORMATS)[number];

export interface TopologyArgs {
  command: 'topology';
  paths: string[];
  format: TopologyFormat;
  output: string | undefined;
  environment: string | undefined;
  rule: string | undefined;
}

export type ParsedArgs = ScanArgs | FixArgs | TopologyArgs | { command: 'help' } | { command: 'version' } | { command: 'error'; message: string };

export const USAGE = `Usage: ilb-hairpin scan [paths...] [--format text|json|sarif] [--fail-on error|warning|info|none]
                        [--config FILE]
       ilb-hairpin fix [paths...] --strategy floating-ip|floating-ip-loopback|secondary-nic|nginx-nva|app-gateway
                       [--os linux|windows] [--sku Standard_v2|WAF_v2] [--rule NAME] [--dry-run]
       ilb-hairpin topology [paths...] [--format json|mermaid|dot|svg] [--output FILE] [--environment ENV] [--rule [FILE:]NAME]

Finds Azure internal load balancer rules that fail when a backend member calls the
load balancer's own frontend (the ILB hairpin) in ARM and Bicep templates.

Commands:
  scan [paths...]        Scan files and folders (default: the current folder).
                         Folders are walked recursively, skipping node_modules and .git.
  fix [paths...]         Apply the quick fix of each finding (the same edits as in VS Code):
                         --strategy floating-ip sets enableFloatingIP to true on the rule;
                         floating-ip-loopback also adds to each backend VM a CustomScript
                         extension that puts the frontend IP on its loopback (--os when the
                         template does not tell the OS).
                         secondary-nic gives each backend VM a second NIC in no pool
                         and a guest route of the VIP/32 through it (--os linux|windows).
                         nginx-nva scaffolds two NGINX VMs behind their own internal
                         load balancer that proxy to the backends (Bicep: a new module).
                         app-gateway puts an Application Gateway v2 (--sku Standard_v2,
                         the default, or WAF_v2) in front of HTTP/HTTPS rules, in a new
                         subnet of the members' virtual network (Bicep: a new module).
                         --rule NAME only that load-balancing rule; --dry-run prints a
                         unified diff instead of writing.
  topology [paths...]    The graph of the load balancers, rules, pools and members, with the
                         hairpin-prone rules marked: --format json (default, the preview's view
                         model), mermaid, dot (Graphviz) or svg (laid out by elkjs).
                         --output FILE writes it there instead of to stdout; --environment ENV
                         shows one parameter file's environment (default: all, merged);
                         --rule NAME selects a hairpin-prone rule: the SVG draws its failing
                         path and adds its packet walks (FILE:NAME when rules in several files
                         have that name; the error lists them).

Options:
  --format <f>           text (default), json, or sarif (SARIF 2.1.0).
  --fail-on <level>      Exit 1 when a finding reaches this severity: error, warning
                         (default), info, or none.
  --config FILE          Rule settings: { "rules": { "<rule-id>": "error|warning|information|hint|off" },
                         "exclude": ["**/generated/**"] } (default: .ilb-hairpin.json in the
                         current folder, when there).
  -h, --help             Show this help.
  -v, --version          Show the version.

Exit codes: scan: 0 no finding reaches --fail-on; 1 some finding does; 2 usage or read error.
            fix: 0 every selected finding was fixed; 1 some were not (it says why); 2 usage or
                 read error (then nothing is changed).
            topology: 0 written; 2 usage or read error (unknown --environment or --rule; an
                 --output that is a scanned file or a template); nothing is written then.`;

const FORMATS: readonly Format[] = ['text', 'json', 'sarif'];
const LEVELS: readonly (Severity | 'none')[] = ['error', 'warning', 'info', 'none'];

export function parseArgs(argv: readonly string[]): ParsedArgs {
  if (argv.length === 0) return { command: 'help' };
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') return { command: 'help' };
  if (command === '-v' || command === '--version') return { command: 'version' };
  if (command === 'fix') return parseFix(rest);
  if (command === 'topology') return parseTopology(rest);
  if (command !== 'scan') return { command: 'error', message: `Unknown command '${command}'.` };
  const out: ScanArgs = { command: 'scan', paths: [], format: 'text', failOn: 'warning' };
  const error = readOptions(rest, out.paths, {
    '--format': (v) => {
      if (!v || !FORMATS.includes(v as Format)) return `--format takes one of ${FORMATS.join(', ')}.`;
      out.format = v as Format;
      return undefined;
    },
    '--fail-on': (v) => {
      if (!v || !LEVELS.includes(v as Severity)) return `--fail-on takes one of ${LEVELS.join(', ')}.`;
      out.failOn = v as Severity | 'none';
      return undefined;
    },
    '--config': (v) => {
      if (!v) return '--config takes a file.';
      out.config = v;
      return undefined;
    },
  });
  if (error !== undefined) return error === HELP ? { command: 'help' } : { command: 'error', message: error };
  if (out.paths.length === 0) out.paths.push('.');
  return out;
}

const HELP = '\u0000help';

/**
 * Reads `--option value` / `--option=value` pairs with the given handlers (each returns an error
 * message, or undefined), flags (handlers that take no value are listed in `flags`) and paths.
 * Returns an error message, HELP, or undefined when all is read.
 */
function readOptions(
  rest: readonly string[],
  paths: string[],
  handlers: Record<string, (value: string | undefined) => string | undefined>,
  flags: Record<string, () => void> = {},
): string | undefined {
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '-h' || flag === '--help') return HELP;
    const onFlag = flags[flag];
    if (onFlag) {
      onFlag();
      continue;
    }
    const handler = handlers[flag];
    if (handler) {
      const problem = handler(inline ?? rest[++i]);
      if (problem !== undefined) return problem;
      continue;
    }
    if (a.startsWith('-') && a !== '-') return `Unknown option '${a}'.`;
    paths.push(a);
  }
  return undefined;
}

function parseFix(rest: readonly string[]): ParsedArgs {
  const out: FixArgs = { command: 'fix', paths: [], strategy: 'floating-ip', rule: undefined, os: undefined, sku: undefined, dryRun: false };
  let strategyGiven = false;
  const error = readOptions(
    rest,
    out.paths,
    {
      '--strategy': (v) => {
        if (!v || !STRATEGIES.includes(v as Strategy)) return `--strategy takes one of ${STRATEGIES.join(', ')}.`;
        out.strategy = v as Strategy;
        strategyGiven = true;
        return undefined;
      },
      '--rule': (v) => {
        if (!v) return '--rule takes a load-balancing rule name.';
        out.rule = v;
        return undefined;
      },
      '--os': (v) => {
        if (v !== 'linux' && v !== 'windows') return '--os takes linux or windows.';
        out.os = v;
        return undefined;
      },
      '--sku': (v) => {
        if (!v || !SKUS.includes(v as (typeof SKUS)[number])) return `--sku takes one of ${SKUS.join(', ')}.`;
        out.sku = v as (typeof SKUS)[number];
        return undefined;
      },
    },
    { '--dry-run': () => (out.dryRun = true) },
  );
  if (error !== undefined) return error === HELP ? { command: 'help' } : { command: 'error', message: error };
  if (!strategyGiven) return { command: 'error', message: '--strategy is required.' };
  if (out.paths.length === 0) out.paths.push('.');
  return out;
}

function parseTopology(rest: readonly string[]): ParsedArgs {
  const out: TopologyArgs = { command: 'topology', paths: [], format: 'json', output: undefined, environment: undefined, rule: undefined };
  const value = (name: string, set: (v: string) => void) => (v: string | undefined) => {
    if (!v) return `${name} takes a value.`;
    set(v);
    return undefined;
  };
  const error = readOptions(rest, out.paths, {
    '--format': (v) => {
      if (!v || !TOPOLOGY_FORMATS.includes(v as TopologyFormat)) return `--format takes one of ${TOPOLOGY_FORMATS.join(', ')}.`;
      out.format = v as TopologyFormat;
      return undefined;
    },
    '--output': value('--output', (v) => (out.output = v)),
    '--environment': value('--environment', (v) => (out.environment = v)),
    '--rule': value('--rule', (v) => (out.rule = v)),
  });
  if (error !== undefined) return error === HELP ? { command: 'help' } : { command: 'error', message: error };
  if (out.paths.length === 0) out.paths.push('.');
  return out;
}
