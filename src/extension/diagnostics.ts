import * as vscode from 'vscode';
import { MAX_FILE_BYTES } from '../core/engine';
import { decodeText } from '../core/decode';
import { ruleById } from '../core/rules';
import { applyRuleSettings, readRules, type RuleSettings } from '../core/settings';
import type { Finding, Severity } from '../core/rules/types';
import { normalizePath, type SourceSpan } from '../core/source';
import { fixAllInFile, type FixRunResult } from '../core/fix-run';
import { Workspace, type WorkspaceAnalysis } from '../core/workspace';
import { docsTarget } from './docs';

const SOURCE = 'ilb-hairpin';
const TEMPLATE_GLOB = '**/*.{json,jsonc,bicep,bicepparam}';
const TEMPLATE_FILE = /\.(jsonc?|bicep|bicepparam)$/i;
const LANGUAGES = new Set(['json', 'jsonc', 'arm-template', 'bicep', 'bicep-params']);
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote']);

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** The path the core knows a document by. */
export function documentPath(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? normalizePath(uri.fsPath) : uri.toString();
}

export function uriOf(path: string): vscode.Uri {
  return /^[a-z][a-z0-9+.-]*:/i.test(path) && !/^[a-z]:[\\/]/i.test(path) ? vscode.Uri.parse(path) : vscode.Uri.file(path);
}

export function isCandidate(doc: vscode.TextDocument): boolean {
  return SCHEMES.has(doc.uri.scheme) && (LANGUAGES.has(doc.languageId) || TEMPLATE_FILE.test(doc.uri.path));
}

/**
 * One workspace graph, kept current: every template in the workspace folders (respecting
 * `files.exclude` and `ilbHairpin.exclude`) read from disk, the text of open editors over it,
 * file watchers for the rest. After a change, the workspace re-evaluates only what depends on
 * the changed file, and diagnostics are published for every file with findings — open or not —
 * and cleared where findings went away or files were deleted.
 */
export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(SOURCE);
  private readonly workspace = new Workspace();
  private readonly disposables: vscode.Disposable[] = [this.collection];
  private readonly published = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  private timer: NodeJS.Timeout | undefined;
  private lastAnalysis: WorkspaceAnalysis | undefined;
  /** Bumped by every change; an analysis publishes only if none came in while it ran. */
  private generation = 0;
  readonly onDidAnalyze = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    const watcher = vscode.workspace.createFileSystemWatcher(TEMPLATE_GLOB);
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => void this.readFromDisk(uri)),
      watcher.onDidChange((uri) => void this.readFromDisk(uri)),
      watcher.onDidDelete((uri) => this.removed(uri)),
      vscode.workspace.onDidOpenTextDocument((d) => this.fromEditor(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.fromEditor(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => void this.closed(d)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ilbHairpin') || e.affectsConfiguration('files.exclude')) void this.scan();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => void this.scan()),
    );
  }

  get analysis(): WorkspaceAnalysis | undefined {
    return this.lastAnalysis;
  }

  /** The template files the workspace knows (ARM and Bicep templates and their parameter files). */
  templateFiles(): string[] {
    return this.workspace.paths().filter((p) => {
      const role = this.workspace.role(p);
      return role !== undefined && role !== 'other';
    });
  }

  /** The text the analysis read for a file (the editor's, or the disk's). */
  textOf(path: string): string | undefined {
    return this.workspace.source(path)?.text;
  }

  /** Fix-all of one file against the live workspace, whose texts are put back afterwards. */
  fixAllInFile(path: string): FixRunResult {
    return fixAllInFile(this.workspace, path, { restore: true, display: (file) => vscode.workspace.asRelativePath(file) });
  }

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('ilbHairpin');
  }

  /** A glob of everything excluded in a folder: its `files.exclude`, `ilbHairpin.exclude` and node_modules. */
  private excludeGlob(folder: vscode.WorkspaceFolder): string {
    const patterns = new Set<string>(['**/node_modules/**', '**/.git/**']);
    const filesExclude = vscode.workspace.getConfiguration('files', folder).get<Record<string, boolean>>('exclude') ?? {};
    for (const [p, on] of Object.entries(filesExclude)) if (on === true) patterns.add(p);
    for (const p of vscode.workspace.getConfiguration('ilbHairpin', folder).get<string[]>('exclude') ?? []) patterns.add(p);
    return `{${[...patterns].join(',')}}`;
  }

  /** Indexes the workspace folders from scratch (the `Scan Workspace` command). */
  async scan(token?: vscode.CancellationToken, progress?: vscode.Progress<{ message?: string; increment?: number }>): Promise<void> {
    if (!this.config().get<boolean>('enable', true)) {
      this.clearAll();
      return;
    }
    // Each folder of a multi-root workspace with its own exclusions (`ilbHairpin.exclude` is resource-scoped).
    const perFolder = await Promise.all(
      (vscode.workspace.workspaceFolders ?? []).map((folder) =>
        vscode.workspace.findFiles(new vscode.RelativePattern(folder, TEMPLATE_GLOB), this.excludeGlob(folder), undefined, token),
      ),
    );
    const uris = perFolder.flat();
    const keep = new Set(uris.map((u) => documentPath(u)));
    for (const doc of vscode.workspace.textDocuments) if (isCandidate(doc)) keep.add(documentPath(doc.uri));
    for (const p of this.workspace.paths()) if (!keep.has(p)) this.workspace.removeFile(p);
    let done = 0;
    for (const uri of uris) {
      if (token?.isCancellationRequested) return;
      await this.readFromDisk(uri, false);
      if (++done % 50 === 0) progress?.report({ message: `${done} of ${uris.length} files`, increment: (50 / uris.length) * 100 });
    }
    for (const doc of vscode.workspace.textDocuments) if (isCandidate(doc)) this.workspace.setFile(documentPath(doc.uri), doc.getText());
    this.log.info(`Indexed ${uris.length} template candidates.`);
    this.analyzeNow();
  }

  private isOpen(uri: vscode.Uri): vscode.TextDocument | undefined {
    const key = uri.toString();
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key && !d.isClosed);
  }

  private async readFromDisk(uri: vscode.Uri, schedule = true): Promise<void> {
    if (this.isOpen(uri)) return; // the editor's text wins over the file on disk
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.size > MAX_FILE_BYTES) return;
      // Only regular files: a FIFO or device named like a template would block or never end.
      if (!(stat.type & vscode.FileType.File)) {
        this.log.warn(`Not read: ${uri.toString()} is not a regular file.`);
        return;
      }
      const bytes = await vscode.workspace.fs.readFile(uri);
      const decoded = decodeText(bytes);
      if (!decoded.ok) {
        this.log.warn(`Could not read ${uri.toString()}: ${decoded.reason}`);
        this.workspace.removeFile(documentPath(uri));
      } else {
        this.workspace.setFile(documentPath(uri), decoded.text);
      }
    } catch (e) {
      this.log.warn(`Could not read ${uri.toString()}: ${(e as Error).message}`);
      this.workspace.removeFile(documentPath(uri));
    }
    if (schedule) this.schedule();
  }

  private removed(uri: vscode.Uri): void {
    if (this.isOpen(uri)) return;
    this.workspace.removeFile(documentPath(uri));
    this.schedule();
  }

  private fromEditor(doc: vscode.TextDocument): void {
    if (!isCandidate(doc)) return;
    this.workspace.setFile(documentPath(doc.uri), doc.getText());
    this.schedule();
  }

  private async closed(doc: vscode.TextDocument): Promise<void> {
    if (!isCandidate(doc)) return;
    // Back to the text on disk (unsaved edits are gone), or out of the workspace.
    if (doc.uri.scheme === 'untitled') {
      this.workspace.removeFile(documentPath(doc.uri));
      this.schedule();
    } else {
      await this.readFromDisk(doc.uri);
    }
  }

  private schedule(): void {
    this.generation++;
    clearTimeout(this.timer);
    const delay = this.config().get<number>('debounceMs', 300);
    this.timer = setTimeout(() => this.analyzeNow(), delay);
  }

  analyzeNow(): void {
    clearTimeout(this.timer);
    if (!this.config().get<boolean>('enable', true)) {
      this.clearAll();
      return;
    }
    const generation = this.generation;
    let analysis: WorkspaceAnalysis;
    try {
      analysis = this.workspace.analyze();
    } catch (e) {
      // The engine does not throw on templates; if it ever does, say so and keep the editor usable.
      this.log.error(`Analysis failed: ${(e as Error).stack ?? String(e)}`);
      return;
    }
    if (generation !== this.generation) return; // a newer change is on its way
    this.lastAnalysis = analysis;
    this.publish(analysis);
    this.changed.fire();
  }

  /** The findings as the Problems panel shows them: ilbHairpin.rules applied (a severity per rule, or off). */
  shown(analysis: WorkspaceAnalysis): Finding[] {
    // Entries that are wrong are left out; the schema flags them.
    const settings: RuleSettings = { rules: {}, exclude: [] };
    readRules(this.config().get<unknown>('rules'), settings);
    return applyRuleSettings(analysis.findings, settings);
  }

  private publish(analysis: WorkspaceAnalysis): void {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    const add = (file: string, d: vscode.Diagnostic): void => {
      const list = byFile.get(file) ?? [];
      list.push(d);
      byFile.set(file, list);
    };
    for (const f of this.shown(analysis)) {
      const d = new vscode.Diagnostic(this.range(f.span), f.message, SEVERITY[f.severity]);
      d.source = SOURCE;
      const rule = ruleById(f.ruleId);
      d.code = rule ? { value: f.ruleId, target: docsTarget(f.ruleId) } : f.ruleId;
      d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(this.location(r.span), r.message));
      add(f.span.file, d);
    }
    for (const p of analysis.problems) {
      const d = new vscode.Diagnostic(this.range(p.span), p.message, SEVERITY[p.severity]);
      d.source = SOURCE;
      d.code = { value: 'template-evaluation', target: docsTarget('template-evaluation') };
      add(p.span.file, d);
    }
    for (const file of this.published) if (!byFile.has(file)) this.collection.delete(uriOf(file));
    this.published.clear();
    for (const [file, diags] of byFile) {
      this.collection.set(uriOf(file), diags);
      this.published.add(file);
    }
  }

  private range(span: SourceSpan): vscode.Range {
    const file = this.workspace.source(span.file);
    if (!file) return new vscode.Range(0, 0, 0, 0);
    const r = file.rangeOf(span);
    return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
  }

  private location(span: SourceSpan): vscode.Location {
    return new vscode.Location(uriOf(span.file), this.range(span));
  }

  private clearAll(): void {
    this.collection.clear();
    this.published.clear();
    this.lastAnalysis = undefined;
    this.changed.fire();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
