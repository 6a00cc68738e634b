#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildReport, reaches, type ScanReport } from '../core/report';
import { Workspace } from '../core/workspace';
import { normalizePath } from '../core/source';
import { TOOL_VERSION } from '../core/version';
import { createTwoFilesPatch } from 'diff';
import { findingKey, runFixes } from '../core/fix-run';
import { fixesFor } from '../core/fixes';
import { applyRuleSettings, CONFIG_FILE, isExcluded, NO_SETTINGS, parseSettings, type RuleSettings } from '../core/settings';
import type { Finding } from '../core/rules/types';
import { parseArgs, USAGE, type FixArgs, type ScanArgs } from './args';
import { CLI_SKIPPED, collectFiles } from '../node/walk';
import { readIntoWorkspace } from '../node/read';
import { encodeText, type TextEncodingName } from '../core/decode';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import { topology } from './topology';
import type { CliIo, LoadedWorkspace } from './io';

/** The hint after a usage error, instead of the whole usage. */
export const HELP_HINT = "run 'ilb-hairpin --help' for the commands and options";

/** Colours for stdout: only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb. */
export function colorWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env['NO_COLOR'] && env['TERM'] !== 'dumb';
}

/** Runs the CLI and returns its exit code: 0 clean, 1 findings reach --fail-on, 2 usage/read error. */
export function runCli(argv: readonly string[], io: CliIo): number {
  const args = parseArgs(argv);
  switch (args.command) {
    case 'help':
      io.stdout(USAGE + '\n');
      return 0;
    case 'version':
      io.stdout(TOOL_VERSION + '\n');
      return 0;
    case 'error':
      io.stderr(`ilb-hairpin: ${args.message}\n${HELP_HINT}.\n`);
      return 2;
  }
  // A path that is not there is a usage error: nothing is scanned, so no partial answer passes CI.
  // (A symbolic link that loops or dangles is there: reading it says what is wrong with it.)
  const missing = ('paths' in args ? args.paths : []).filter((p) => {
    try {
      fs.lstatSync(path.resolve(io.cwd, p));
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    for (const p of missing) io.stderr(`ilb-hairpin: path not found: ${p}\n`);
    return 2;
  }
  switch (args.command) {
    case 'scan':
      return scan(args, io);
    case 'fix':
      return fix(args, io);
    case 'topology':
      if (!args.azure) return topology(args, io, loadWorkspace);
      io.stderr('ilb-hairpin: reading Azure runs asynchronously: use runCliAsync.\n');
      return 2;
    case 'azure':
      io.stderr('ilb-hairpin: reading Azure runs asynchronously: use runCliAsync.\n');
      return 2;
  }
}

/** Runs any command, also those that read Azure (asynchronous); the process entry point. */
export async function runCliAsync(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(argv);
  // The Azure SDK is loaded only to read Azure (a scan of files never pays its start-up and memory).
  if (args.command === 'azure') return (await import('./azure')).azureScan(args, io);
  if (args.command === 'topology' && args.azure) return (await import('./azure')).azureTopology({ ...args, azure: args.azure }, io);
  return runCli(argv, io);
}

function loadWorkspace(paths: readonly string[], cwd: string, settings: RuleSettings = NO_SETTINGS): LoadedWorkspace {
  const relative = (p: string): string => {
    const r = path.relative(cwd, p);
    return normalizePath(r === '' ? '.' : r);
  };
  const walk = collectFiles(paths.map((p) => path.resolve(cwd, p)), { excluded: CLI_SKIPPED });
  const readErrors = [...walk.errors];
  const workspace = new Workspace({ incremental: false });
  let filesScanned = 0;
  const encodings = new Map<string, TextEncodingName>();
  for (const file of walk.files) {
    if (settings.exclude.length && isExcluded(relative(file), settings)) continue;
    const set = readIntoWorkspace(workspace, normalizePath(file), file);
    if (!set.ok) {
      readErrors.push({ file, message: set.message });
      continue;
    }
    encodings.set(normalizePath(file), set.encoding);
    filesScanned++;
  }
  return { workspace, relative, filesScanned, readErrors, inputs: walk.files, encodings };
}

export function scanPaths(paths: readonly string[], cwd: string, settings: RuleSettings = NO_SETTINGS): ScanReport {
  const { workspace, relative, filesScanned, readErrors } = loadWorkspace(paths, cwd, settings);
  const report = buildReport(workspace, workspace.analyze(), { relative, filesScanned, readErrors });
  return { ...report, findings: applyRuleSettings(report.findings, settings) };
}

/** The rule settings: `--config FILE`, else `.ilb-hairpin.json` in the working folder when there; a string says what is wrong. */
function loadSettings(config: string | undefined, cwd: string): RuleSettings | string {
  const file = path.resolve(cwd, config ?? CONFIG_FILE);
  if (config === undefined && !fs.existsSync(file)) return NO_SETTINGS;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return `${config ?? CONFIG_FILE}: ${(e as Error).message}`;
  }
  const { settings, problems } = parseSettings(text);
  return problems.length ? problems.map((p) => `${config ?? CONFIG_FILE}: ${p}`).join('\n') : settings;
}

/** `ilb-hairpin fix`: the quick fixes of the editor, applied to files (or shown as a diff). */
function fix(args: FixArgs, io: CliIo): number {
  const { workspace, relative, readErrors, encodings } = loadWorkspace(args.paths, io.cwd);
  for (const e of readErrors) io.stderr(`ilb-hairpin: ${relative(e.file)}: ${e.message}\n`);
  // A fix computed without every file (a module, a parameter file) could be wrong: none is made.
  if (readErrors.length) {
    io.stderr('Nothing was changed: fix only runs when every file named can be read.\n');
    return 2;
  }
  const selected = (f: Finding): boolean =>
    fixesFor(f.ruleId).includes(args.strategy) && (args.rule === undefined || f.facts.lbRule === args.rule);
  // Where each finding stands in the files as read (the run edits the workspace as it goes).
  const where = new Map(
    workspace
      .analyze()
      .findings.filter(selected)
      .map((f) => [findingKey(f), `${relative(f.span.file)}:${(workspace.source(f.span.file)?.positionAt(f.span.start).line ?? 0) + 1}`]),
  );
  // Each fix is computed against the text the fixes before it left, so a second run finds nothing to do.
  const run = runFixes(workspace, args.strategy, { select: selected, exists: (file) => fs.existsSync(file), display: relative, ...(args.os ? { os: args.os } : {}), ...(args.sku ? { sku: args.sku } : {}) });
  for (const o of run.outcomes) {
    const at = where.get(findingKey(o.finding)) ?? relative(o.finding.span.file);
    io.stderr(o.ok ? `${at}: rule ${o.finding.facts.lbRule}: ${o.title}\n` : `${at}: rule ${o.finding.facts.lbRule}: not fixed: ${o.reason}\n`);
  }
  for (const c of run.changes) {
    if (args.dryRun) io.stdout(createTwoFilesPatch(c.created ? '/dev/null' : `a/${relative(c.file)}`, `b/${relative(c.file)}`, c.before, c.after, '', '', { context: 3 }));
    else {
      try {
        // A changed file keeps its encoding (UTF-8 with or without BOM, UTF-16 LE/BE).
        fs.writeFileSync(c.file, encodeText(c.after, c.created ? 'utf-8' : (encodings.get(c.file) ?? 'utf-8')), { flag: c.created ? 'wx' : 'w' });
      } catch (e) {
        io.stderr(`ilb-hairpin: cannot write ${relative(c.file)}: ${(e as Error).message}\n`);
        return 2;
      }
    }
  }
  // A finding another fix of the run removed (one rule seen from two templates) counts as fixed.
  const failed = run.outcomes.filter((o) => !o.ok).length;
  if (where.size === 0) io.stderr(args.rule ? `No hairpin-prone rule named ${args.rule}.\n` : 'Nothing to fix.\n');
  // A dry run says what the real run would, notes included (the health probe, the loopback, the upgrade policy).
  else if (run.changes.length) io.stderr(`${args.dryRun ? 'Would fix' : 'Fixed'} ${where.size - failed} of ${where.size}.\n${run.notes.map((n) => `Note: ${n}\n`).join('')}`);
  return failed ? 1 : args.rule && where.size === 0 ? 1 : 0;
}


function scan(args: ScanArgs, io: CliIo): number {
  const settings = loadSettings(args.config, io.cwd);
  if (typeof settings === 'string') {
    io.stderr(settings.split('\n').map((l) => `ilb-hairpin: ${l}\n`).join(''));
    return 2;
  }
  const report = scanPaths(args.paths, io.cwd, settings);
  const out = args.format === 'json' ? formatJson(report) : args.format === 'sarif' ? formatSarif(report) : formatText(report, { color: io.color === true });
  io.stdout(out);
  if (report.readErrors.length) {
    if (args.format !== 'text') for (const e of report.readErrors) io.stderr(`ilb-hairpin: ${e.file}: ${e.message}\n`);
    return 2;
  }
  return report.findings.some((f) => reaches(f.severity, args.failOn)) ? 1 : 0;
}

/**
 * A reader that goes away (`| head -c 10`) or a closed stdout ends the process quietly, with the
 * exit code the command computed: nothing more can be said to whoever stopped listening.
 */
export function endQuietlyOnClosedOutput(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE' || e.code === 'EBADF' || e.code === 'ERR_STREAM_DESTROYED') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

if (require.main === module) {
  endQuietlyOnClosedOutput(process.stdout);
  endQuietlyOnClosedOutput(process.stderr);
  void runCliAsync(process.argv.slice(2), {
    cwd: process.cwd(),
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    color: colorWanted(process.stdout, process.env),
  }).then((code) => {
    process.exitCode = code;
  });
}
