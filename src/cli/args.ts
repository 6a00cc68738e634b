import type { Severity } from '../core/rules/types';
import { armEndpointProblem, CLOUDS, type CloudName } from '../core/azure/clouds';
import type { AzureSource } from '../core/azure/estate';

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

/** What `azure` (and `topology --azure`) reads, and from which cloud. */
export interface AzureTarget {
  subscriptions: string[];
  resourceGroup: string | undefined;
  allSubscriptions: boolean;
  source: AzureSource | undefined;
  cloud: CloudName | undefined;
  armEndpoint: string | undefined;
}

export interface AzureArgs {
  command: 'azure';
  target: AzureTarget;
  format: Format;
  failOn: Severity | 'none';
}

export interface TopologyArgs {
  command: 'topology';
  paths: string[];
  /** Set by `--azure`: the deployed graph instead of the files'. */
  azure?: AzureTarget;
  format: TopologyFormat;
  output: string | undefined;
  environment: string | undefined;
  rule: string | undefined;
}

export type ParsedArgs = ScanArgs | FixArgs | TopologyArgs | AzureArgs | { command: 'help' } | { command: 'version' } | { command: 'error'; message: string };

export const USAGE = `Usage: ilb-hairpin scan [paths...] [--format text|json|sarif] [--fail-on error|warning|info|none]
                        [--config FILE]
       ilb-hairpin fix [paths...] --strategy floating-ip|floating-ip-loopback|secondary-nic|nginx-nva|app-gateway
                       [--os linux|windows] [--sku Standard_v2|WAF_v2] [--rule [FILE:]NAME] [--dry-run]
       ilb-hairpin topology [paths...] [--format json|mermaid|dot|svg] [--output FILE] [--environment ENV] [--rule [FILE:]NAME]
       ilb-hairpin azure [--subscription ID]... [--resource-group NAME] [--all-subscriptions]
                         [--source arm|resource-graph] [--format text|json|sarif] [--fail-on LEVEL]
                         [--cloud AzureCloud|AzureUSGovernment|AzureChinaCloud] [--arm-endpoint URL]
       ilb-hairpin topology --azure [the azure options] [--format ...] [--output FILE] [--rule NAME]

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
  azure                  Scan what is deployed in Azure (read only; the Reader role is enough):
                         the same rule and message, located by the rule's resource ID and a
                         portal link. --subscription ID (repeatable; default $AZURE_SUBSCRIPTION_ID),
                         --resource-group NAME, or --all-subscriptions the identity can read.
                         --source arm (default for named subscriptions) reads each subscription
                         through Resource Manager; resource-graph (default for
                         --all-subscriptions) reads them all in two Resource Graph queries.
                         Sign-in: the token in ILB_HAIRPIN_ARM_TOKEN if set (for example
                         from az account get-access-token), else DefaultAzureCredential (Azure
                         CLI, environment, managed identity, workload identity).
                         --cloud picks the cloud; --arm-endpoint URL a custom Resource Manager
                         (Azure Stack Hub). Subscriptions that cannot be read are named; the rest
                         are still scanned.
  topology --azure       The deployed graph (same options as azure).

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
                 --output that is a scanned file or a template); nothing is written then.
            azure: as scan; 2 also when no subscription could be read at all.`;

const FORMATS: readonly Format[] = ['text', 'json', 'sarif'];
const LEVELS: readonly (Severity | 'none')[] = ['error', 'warning', 'info', 'none'];

export function parseArgs(argv: readonly string[]): ParsedArgs {
  if (argv.length === 0) return { command: 'help' };
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') return { command: 'help' };
  if (command === '-v' || command === '--version') return { command: 'version' };
  if (command === 'fix') return parseFix(rest);
  if (command === 'topology') return parseTopology(rest);
  if (command === 'azure') return parseAzure(rest);
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
  const target = emptyTarget();
  let azure = false;
  const error = readOptions(
    rest,
    out.paths,
    {
      '--format': (v) => {
        if (!v || !TOPOLOGY_FORMATS.includes(v as TopologyFormat)) return `--format takes one of ${TOPOLOGY_FORMATS.join(', ')}.`;
        out.format = v as TopologyFormat;
        return undefined;
      },
      '--output': value('--output', (v) => (out.output = v)),
      '--environment': value('--environment', (v) => (out.environment = v)),
      '--rule': value('--rule', (v) => (out.rule = v)),
      ...azureHandlers(target),
    },
    { '--azure': () => (azure = true), '--all-subscriptions': () => (target.allSubscriptions = true) },
  );
  if (error !== undefined) return error === HELP ? { command: 'help' } : { command: 'error', message: error };
  const usedAzureOptions = target.subscriptions.length > 0 || target.allSubscriptions || [target.resourceGroup, target.source, target.cloud, target.armEndpoint].some((x) => x !== undefined);
  if (azure) {
    if (out.paths.length) return { command: 'error', message: 'topology --azure reads Azure, not paths.' };
    const problem = finishTarget(target);
    if (problem !== undefined) return { command: 'error', message: problem };
    out.azure = target;
    return out;
  }
  if (usedAzureOptions) return { command: 'error', message: 'The Azure options of topology need --azure.' };
  if (out.paths.length === 0) out.paths.push('.');
  return out;
}

function emptyTarget(): AzureTarget {
  return { subscriptions: [], resourceGroup: undefined, allSubscriptions: false, source: undefined, cloud: undefined, armEndpoint: undefined };
}

const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Resource group names: letters, digits, underscores, hyphens, periods and parentheses, up to 90. */
const RESOURCE_GROUP = /^[-\p{L}\p{N}_.()]{1,90}$/u;
const SOURCES: readonly AzureSource[] = ['arm', 'resource-graph'];

function azureHandlers(t: AzureTarget): Record<string, (v: string | undefined) => string | undefined> {
  return {
    '--subscription': (v) => {
      if (!v || !SUBSCRIPTION_ID.test(v)) return `--subscription takes a subscription ID (a GUID such as 00000000-0000-0000-0000-000000000000)${v ? `, not '${v}'` : ''}.`;
      if (!t.subscriptions.some((s) => s.toLowerCase() === v.toLowerCase())) t.subscriptions.push(v);
      return undefined;
    },
    '--resource-group': (v) => {
      if (!v || !RESOURCE_GROUP.test(v) || v.endsWith('.')) return `--resource-group takes a resource group name${v ? `, not '${v}'` : ''}.`;
      t.resourceGroup = v;
      return undefined;
    },
    '--source': (v) => {
      if (!v || !SOURCES.includes(v as AzureSource)) return `--source takes one of ${SOURCES.join(', ')}.`;
      t.source = v as AzureSource;
      return undefined;
    },
    '--cloud': (v) => {
      if (!v || !CLOUDS.includes(v as CloudName)) return `--cloud takes one of ${CLOUDS.join(', ')}.`;
      t.cloud = v as CloudName;
      return undefined;
    },
    '--arm-endpoint': (v) => {
      if (!v) return '--arm-endpoint takes a URL.';
      const problem = armEndpointProblem(v);
      if (problem !== undefined) return `--arm-endpoint: ${problem}`;
      t.armEndpoint = v;
      return undefined;
    },
  };
}

/** Fills in the default subscription and checks that the target names a scope. */
function finishTarget(t: AzureTarget): string | undefined {
  if (t.allSubscriptions && t.subscriptions.length) return '--all-subscriptions and --subscription exclude each other.';
  if (!t.allSubscriptions && t.subscriptions.length === 0) {
    const env = process.env['AZURE_SUBSCRIPTION_ID'];
    if (env && SUBSCRIPTION_ID.test(env)) t.subscriptions.push(env);
    else return 'Name a subscription (--subscription ID, or AZURE_SUBSCRIPTION_ID) or use --all-subscriptions.';
  }
  return undefined;
}

function parseAzure(rest: readonly string[]): ParsedArgs {
  const out: AzureArgs = { command: 'azure', target: emptyTarget(), format: 'text', failOn: 'warning' };
  const paths: string[] = [];
  const error = readOptions(
    rest,
    paths,
    {
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
      ...azureHandlers(out.target),
    },
    { '--all-subscriptions': () => (out.target.allSubscriptions = true) },
  );
  if (error !== undefined) return error === HELP ? { command: 'help' } : { command: 'error', message: error };
  if (paths.length) return { command: 'error', message: `azure takes no paths ('${paths[0]}'); it reads Azure.` };
  const problem = finishTarget(out.target);
  return problem !== undefined ? { command: 'error', message: problem } : out;
}
