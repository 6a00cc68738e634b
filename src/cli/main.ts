#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_FILE_BYTES } from '../core/engine';
import { buildReport, reaches, type ScanReport } from '../core/report';
import { Workspace } from '../core/workspace';
import { normalizePath } from '../core/source';
import { TOOL_VERSION } from '../core/version';
import { createTwoFilesPatch } from 'diff';
import { applyEdits, type TextEdit } from '../core/fixes/floating-ip';
import { computeFix } from '../core/fixes';
import { parseArgs, USAGE, type FixArgs, type ScanArgs } from './args';
import { collectFiles } from './files';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import { topology } from './topology';

export interface CliIo {
  cwd: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Colour the text output (a terminal without NO_COLOR); off when not given. */
  color?: boolean;
}

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
  const missing = args.paths.filter((p) => !fs.existsSync(path.resolve(io.cwd, p)));
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
      return topology(args, io, loadWorkspace);
  }
}

export interface LoadedWorkspace {
  workspace: Workspace;
  relative: (p: string) => string;
  filesScanned: number;
  readErrors: { file: string; message: string }[];
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

function sameEdit(a: TextEdit, b: TextEdit): boolean {
  return a.file === b.file && a.offset === b.offset && a.length === b.length && a.newText === b.newText;
}

/** `ilb-hairpin fix`: the quick fixes of the editor, applied to files (or shown as a diff). */
function fix(args: FixArgs, io: CliIo): number {
  const { workspace, relative, readErrors } = loadWorkspace(args.paths, io.cwd);
  for (const e of readErrors) io.stderr(`ilb-hairpin: ${relative(e.file)}: ${e.message}\n`);
  const selected = workspace
    .analyze()
    .findings.filter((f) => f.ruleId === 'hairpin-prone-rule' && f.facts.viaModule === undefined && (args.rule === undefined || f.facts.lbRule === args.rule));
  const textOf = (file: string): string | undefined => workspace.source(file)?.text;
  const edits = new Map<string, TextEdit[]>();
  const notes = new Set<string>();
  let failed = 0;
  for (const f of selected) {
    const result = computeFix(args.strategy, f, textOf, args.os ? { os: args.os } : {});
    const where = `${relative(f.span.file)}:${(workspace.source(f.span.file)?.positionAt(f.span.start).line ?? 0) + 1}`;
    if (!result.ok) {
      failed++;
      io.stderr(`${where}: rule ${f.facts.lbRule}: not fixed: ${result.reason}\n`);
      continue;
    }
    // A new file never replaces one that is there (a person may have written it).
    const taken = result.fix.edits.find((e) => e.create && fs.existsSync(e.file));
    if (taken) {
      failed++;
      io.stderr(`${where}: rule ${f.facts.lbRule}: not fixed: ${relative(taken.file)} already exists (the fix would create it); nothing was changed\n`);
      continue;
    }
    // Two findings can share an edit (one rule seen twice): it is applied once. A different edit
    // at the same place belongs to another fix: this one waits for a second run.
    const clash = result.fix.edits.some((e) =>
      (edits.get(e.file) ?? []).some((x) => !sameEdit(x, e) && x.offset < e.offset + Math.max(e.length, 1) && e.offset < x.offset + Math.max(x.length, 1)),
    );
    if (clash) {
      failed++;
      io.stderr(`${where}: rule ${f.facts.lbRule}: not fixed: its edits meet another fix of this run; run the command again\n`);
      continue;
    }
    for (const e of result.fix.edits) {
      const list = edits.get(e.file) ?? [];
      if (!list.some((x) => sameEdit(x, e))) list.push(e);
      edits.set(e.file, list);
    }
    io.stderr(`${where}: rule ${f.facts.lbRule}: ${result.fix.title}\n`);
    for (const n of result.fix.notes) notes.add(n);
  }
  for (const [file, list] of edits) {
    const created = list.some((e) => e.create);
    const before = created ? '' : (textOf(file) ?? '');
    const after = applyEdits(before, list);
    if (args.dryRun) io.stdout(createTwoFilesPatch(created ? '/dev/null' : `a/${relative(file)}`, `b/${relative(file)}`, before, after, '', '', { context: 3 }));
    else if (created) fs.writeFileSync(file, after, { flag: 'wx' });
    else fs.writeFileSync(file, (fs.readFileSync(file, 'utf8').startsWith('\uFEFF') ? '\uFEFF' : '') + after);
  }
  if (selected.length === 0) io.stderr(args.rule ? `No hairpin-prone rule named ${args.rule}.\n` : 'Nothing to fix.\n');
  else if (edits.size && !args.dryRun) io.stderr(`Fixed ${selected.length - failed} of ${selected.length}.\n${[...notes].map((n) => `Note: ${n}\n`).join('')}`);
  return failed ? 1 : args.rule && selected.length === 0 ? 1 : 0;
}


function scan(args: ScanArgs, io: CliIo): number {
  const report = scanPaths(args.paths, io.cwd);
  const out = args.format === 'json' ? formatJson(report) : args.format === 'sarif' ? formatSarif(report) : formatText(report, { color: io.color === true });
  io.stdout(out);
  if (report.readErrors.length) {
    if (args.format !== 'text') for (const e of report.readErrors) io.stderr(`ilb-hairpin: ${e.file}: ${e.message}\n`);
    return 2;
  }
  return report.findings.some((f) => reaches(f.severity, args.failOn)) ? 1 : 0;
}

if (require.main === module) {
  process.exitCode = runCli(process.argv.slice(2), {
    cwd: process.cwd(),
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    color: colorWanted(process.stdout, process.env),
  });
}
