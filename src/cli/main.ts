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
import { readRegularFile } from './read';
import { encodeText, type TextEncodingName } from '../core/decode';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';
import { topology } from './topology';

export interface CliIo {
  cwd: string;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
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
      io.stderr(`ilb-hairpin: ${args.message}\n\n${USAGE}\n`);
      return 2;
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
  /** The files read (absolute paths). */
  inputs: readonly string[];
  /** The encoding each file was read in (a fix writes it back in the same). */
  encodings: ReadonlyMap<string, TextEncodingName>;
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
  const encodings = new Map<string, TextEncodingName>();
  for (const file of walk.files) {
    const read = readRegularFile(file, MAX_FILE_BYTES);
    if (!read.ok) {
      readErrors.push({ file, message: read.message });
      continue;
    }
    workspace.setFile(normalizePath(file), read.text);
    encodings.set(normalizePath(file), read.encoding);
    filesScanned++;
  }
  return { workspace, relative, filesScanned, readErrors, inputs: walk.files, encodings };
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
  const { workspace, relative, readErrors, encodings } = loadWorkspace(args.paths, io.cwd);
  for (const e of readErrors) io.stderr(`ilb-hairpin: ${relative(e.file)}: ${e.message}\n`);
  // A fix computed without every file (a module, a parameter file) could be wrong: none is made.
  if (readErrors.length) {
    io.stderr('Nothing was changed: fix only runs when every file named can be read.\n');
    return 2;
  }
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
    if (args.dryRun) {
      io.stdout(createTwoFilesPatch(created ? '/dev/null' : `a/${relative(file)}`, `b/${relative(file)}`, before, after, '', '', { context: 3 }));
      continue;
    }
    try {
      // A changed file keeps its encoding (UTF-8 with or without BOM, UTF-16 LE/BE).
      fs.writeFileSync(file, encodeText(after, created ? 'utf-8' : (encodings.get(file) ?? 'utf-8')), { flag: created ? 'wx' : 'w' });
    } catch (e) {
      io.stderr(`ilb-hairpin: cannot write ${relative(file)}: ${(e as Error).message}\n`);
      return 2;
    }
  }
  if (selected.length === 0) io.stderr(args.rule ? `No hairpin-prone rule named ${args.rule}.\n` : 'Nothing to fix.\n');
  else if (edits.size && !args.dryRun) io.stderr(`Fixed ${selected.length - failed} of ${selected.length}.\n${[...notes].map((n) => `Note: ${n}\n`).join('')}`);
  return failed ? 1 : args.rule && selected.length === 0 ? 1 : 0;
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
  process.exitCode = runCli(process.argv.slice(2), {
    cwd: process.cwd(),
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  });
}
