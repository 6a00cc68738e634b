import type { Severity } from '../core/rules/types';

export type Format = 'text' | 'json' | 'sarif';

export interface ScanArgs {
  command: 'scan';
  paths: string[];
  format: Format;
  failOn: Severity | 'none';
}

export type ParsedArgs = ScanArgs | { command: 'help' } | { command: 'version' } | { command: 'error'; message: string };

export const USAGE = `Usage: ilb-hairpin scan [paths...] [--format text|json|sarif] [--fail-on error|warning|info|none]

Finds Azure internal load balancer rules that fail when a backend member calls the
load balancer's own frontend (the ILB hairpin) in ARM and Bicep templates.

Commands:
  scan [paths...]        Scan files and folders (default: the current folder).
                         Folders are walked recursively, skipping node_modules and .git.

Options:
  --format <f>           text (default), json, or sarif (SARIF 2.1.0).
  --fail-on <level>      Exit 1 when a finding reaches this severity: error, warning
                         (default), info, or none.
  -h, --help             Show this help.
  -v, --version          Show the version.

Exit codes: 0 no finding reaches --fail-on; 1 some finding does; 2 usage or read error.`;

const FORMATS: readonly Format[] = ['text', 'json', 'sarif'];
const LEVELS: readonly (Severity | 'none')[] = ['error', 'warning', 'info', 'none'];

export function parseArgs(argv: readonly string[]): ParsedArgs {
  if (argv.length === 0) return { command: 'help' };
  const [command, ...rest] = argv;
  if (command === '-h' || command === '--help' || command === 'help') return { command: 'help' };
  if (command === '-v' || command === '--version') return { command: 'version' };
  if (command !== 'scan') return { command: 'error', message: `Unknown command '${command}'.` };
  const out: ScanArgs = { command: 'scan', paths: [], format: 'text', failOn: 'warning' };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? rest[++i];
    switch (flag) {
      case '-h':
      case '--help':
        return { command: 'help' };
      case '--format': {
        const v = value();
        if (!v || !FORMATS.includes(v as Format)) return { command: 'error', message: `--format takes one of ${FORMATS.join(', ')}.` };
        out.format = v as Format;
        break;
      }
      case '--fail-on': {
        const v = value();
        if (!v || !LEVELS.includes(v as Severity)) return { command: 'error', message: `--fail-on takes one of ${LEVELS.join(', ')}.` };
        out.failOn = v as Severity | 'none';
        break;
      }
      default:
        if (a.startsWith('-') && a !== '-') return { command: 'error', message: `Unknown option '${a}'.` };
        out.paths.push(a);
    }
  }
  if (out.paths.length === 0) out.paths.push('.');
  return out;
}
