#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_FILE_BYTES } from '../core/engine';
import { buildReport, reaches, type ScanReport } from '../core/report';
import { Workspace } from '../core/workspace';
import { normalizePath } from '../core/source';
import { TOOL_VERSION } from '../core/version';
import { createTwoFilesPatch } from 'diff';
import { findingKey, runFixes } from '../core/fix-run';
import { fixesFor } from '../core/fixes';
import type { Finding } from '../core/rules/types';
import { parseArgs, USAGE, type FixArgs, type ScanArgs } from './args';
import { collectFiles } from './files';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import { topology } from './topology';
import type { CliIo, LoadedWorkspace } from './io';
import { azureScan, azureTopology } from './azure';

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
      io.stderr(`ilb-hairpin: ${args.message}\n\n${USAGE}\n`);
      return 2;
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
  if (args.command === 'azure') return azureScan(args, io);
  if (args.command === 'topology' && args.azure) return azureTopology({ ...args, azure: args.azure }, io);
  return runCli(argv, io);
}

function loadWorkspace(paths: readonly string[], cwd: string): LoadedWorkspace {
  const relative = (p: string): string => {
    const r = path.relative(cwd, p);
    return normalizePath(r === '' ? '.' : r);
  };
  const walk = collectFiles(paths.map((p) => path.resolve(cwd, p)));
  const readErrors = [...walk.errors];
  const workspace = new Workspace();
  let filesScanned = 0;
  for (const file of walk.files) {
    try {
      const size = fs.statSync(file).size;
      if (size > MAX_FILE_BYTES) {
        readErrors.push({ file, message: `skipped: ${(size / 1048576).toFixed(1)} MB is over the ${MAX_FILE_BYTES / 1048576} MB limit` });
        continue;
      }
      workspace.setFile(normalizePath(file), fs.readFileSync(file, 'utf8'));
      filesScanned++;
    } catch (e) {
      readErrors.push({ file, message: (e as Error).message });
    }
  }
  return { workspace, relative, filesScanned, readErrors };
}

export function scanPaths(paths: readonly string[], cwd: string): ScanReport {
  const { workspace, relative, filesScanned, readErrors } = loadWorkspace(paths, cwd);
  return buildReport(workspace, workspace.analyze(), { relative, filesScanned, readErrors });
}

/** `ilb-hairpin fix`: the quick fixes of the editor, applied to files (or shown as a diff). */
function fix(args: FixArgs, io: CliIo): number {
  const { workspace, relative, readErrors } = loadWorkspace(args.paths, io.cwd);
  for (const e of readErrors) io.stderr(`ilb-hairpin: ${relative(e.file)}: ${e.message}\n`);
  const selected = (f: Finding): boolean =>
    fixesFor(f.ruleId).includes(args.strategy) && f.facts.viaModule === undefined && (args.rule === undefined || f.facts.lbRule === args.rule);
  // Where each finding stands in the files as read (the run edits the workspace as it goes).
  const where = new Map(
    workspace
      .analyze()
      .findings.filter(selected)
      .map((f) => [findingKey(f), `${relative(f.span.file)}:${(workspace.source(f.span.file)?.positionAt(f.span.start).line ?? 0) + 1}`]),
  );
  // Each fix is computed against the text the fixes before it left, so a second run finds nothing to do.
  const run = runFixes(workspace, args.strategy, { select: selected, exists: (file) => fs.existsSync(file), display: relative, ...(args.os ? { os: args.os } : {}) });
  for (const o of run.outcomes) {
    const at = where.get(findingKey(o.finding)) ?? relative(o.finding.span.file);
    io.stderr(o.ok ? `${at}: rule ${o.finding.facts.lbRule}: ${o.title}\n` : `${at}: rule ${o.finding.facts.lbRule}: not fixed: ${o.reason}\n`);
  }
  for (const c of run.changes) {
    if (args.dryRun) io.stdout(createTwoFilesPatch(c.created ? '/dev/null' : `a/${relative(c.file)}`, `b/${relative(c.file)}`, c.before, c.after, '', '', { context: 3 }));
    else if (c.created) fs.writeFileSync(c.file, c.after, { flag: 'wx' });
    else fs.writeFileSync(c.file, (fs.readFileSync(c.file, 'utf8').startsWith('\uFEFF') ? '\uFEFF' : '') + c.after);
  }
  // A finding another fix of the run removed (one rule seen from two templates) counts as fixed.
  const failed = run.outcomes.filter((o) => !o.ok).length;
  if (where.size === 0) io.stderr(args.rule ? `No hairpin-prone rule named ${args.rule}.\n` : 'Nothing to fix.\n');
  else if (run.changes.length && !args.dryRun) io.stderr(`Fixed ${where.size - failed} of ${where.size}.\n${run.notes.map((n) => `Note: ${n}\n`).join('')}`);
  return failed ? 1 : args.rule && where.size === 0 ? 1 : 0;
}


function scan(args: ScanArgs, io: CliIo): number {
  const report = scanPaths(args.paths, io.cwd);
  const out = args.format === 'json' ? formatJson(report) : args.format === 'sarif' ? formatSarif(report) : formatText(report);
  io.stdout(out);
  if (report.readErrors.length) {
    if (args.format !== 'text') for (const e of report.readErrors) io.stderr(`ilb-hairpin: ${e.file}: ${e.message}\n`);
    return 2;
  }
  return report.findings.some((f) => reaches(f.severity, args.failOn)) ? 1 : 0;
}

if (require.main === module) {
  void runCliAsync(process.argv.slice(2), {
    cwd: process.cwd(),
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  }).then((code) => {
    process.exitCode = code;
  });
}
