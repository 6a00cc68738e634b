#!/usr/bin/env node
import * as fs from 'node:fs';
import * as path from 'node:path';
import { MAX_FILE_BYTES } from '../core/engine';
import { buildReport, reaches, type ScanReport } from '../core/report';
import { Workspace } from '../core/workspace';
import { normalizePath } from '../core/source';
import { TOOL_VERSION } from '../core/version';
import { parseArgs, USAGE, type ScanArgs } from './args';
import { collectFiles } from './files';
import { formatJson } from './format/json';
import { formatSarif } from './format/sarif';
import { formatText } from './format/text';

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
  }
}

export function scanPaths(paths: readonly string[], cwd: string): ScanReport {
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
  return buildReport(workspace, workspace.analyze(), { relative, filesScanned, readErrors });
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
  process.exitCode = runCli(process.argv.slice(2), {
    cwd: process.cwd(),
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
  });
}
