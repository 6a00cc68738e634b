import * as vscode from 'vscode';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { MAX_FILE_BYTES } from '../core/engine';
import { decodeText } from '../core/decode';
import { certainlyInertTemplate } from '../core/parse/prefilter';
import { applyRuleSettings, readRules, type RuleSettings } from '../core/settings';
import type { Finding, Severity } from '../core/rules/types';
import { normalizePath } from '../core/source';
import { fixAllInFile, type FixRunResult } from '../core/fix-run';
import { Workspace, type WorkspaceAnalysis } from '../core/workspace';
import { globExcluder } from '../node/walk';
import { applySummary, type SummaryView } from './analysis-protocol';
import type { FromWorker, PlainDiagnostic, PlainRange, ReadOutcome, ToWorker } from './analysis-protocol';
import { docsTarget } from './docs';

const SOURCE = 'ilb-hairpin';
/** In `mirrorPending`: the file is an inert template (see setInert). */
const INERT = Symbol('inert template');

/**
 * A text the host holds for a file: a string (read from disk), or an open editor's document, whose
 * text is read only when something needs it (typing sends the worker the changes, not the text).
 */
type HeldText = string | vscode.TextDocument;

function textOfHeld(held: HeldText): string {
  return typeof held === 'string' ? held : held.getText();
}
const TEMPLATE_GLOB = '**/*.{json,jsonc,bicep,bicepparam}';
/** Files the worker reads per message: progress and cancellation come between batches. */
const READ_BATCH = 100;
/** At most this long (ms) of diagnostics set on the host's thread at a time (see publish). */
const PUBLISH_SLICE_MS = 8;
const TEMPLATE_FILE = /\.(jsonc?|bicep|bicepparam)$/i;
const LANGUAGES = new Set(['json', 'jsonc', 'arm-template', 'bicep', 'bicep-params']);
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote']);

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
  hint: vscode.DiagnosticSeverity.Hint,
};

/** What an untitled document's path ends with, by its language (the core knows templates by extension). */
const UNTITLED_EXTENSION: Record<string, string> = { json: '.json', 'arm-template': '.json', jsonc: '.jsonc', bicep: '.bicep', 'bicep-params': '.bicepparam' };
/** An untitled document's path with the extension of its language (see documentPath). */
const UNTITLED_WITH_EXTENSION = /^(untitled:[^ ]*) \.(?:jsonc?|bicep|bicepparam)$/;

/**
 * The path the core knows a document by. An untitled document (`untitled:Untitled-1`) has no file
 * name, and the core tells a template from other JSON, and Bicep from JSON, by the path's
 * extension: its path is its URI, a space and the extension of its language (`languageId`, else
 * that of the open document), so that an ARM template or a Bicep file pasted into a new editor is
 * analyzed like a saved one. (A URI's text never holds a space: uriOf reads the URI back.)
 */
export function documentPath(uri: vscode.Uri, languageId?: string): string {
  if (uri.scheme === 'file') return normalizePath(uri.fsPath);
  const key = uri.toString();
  if (uri.scheme !== 'untitled' || TEMPLATE_FILE.test(uri.path)) return key;
  const language = languageId ?? vscode.workspace.textDocuments.find((d) => d.uri.toString() === key)?.languageId;
  const extension = language === undefined ? undefined : UNTITLED_EXTENSION[language];
  return extension ? `${key} ${extension}` : key;
}

/** A document's name as VS Code shows it: the file's name, or an untitled document's (`Untitled-1`). */
export function shownName(path: string): string {
  const uri = uriOf(path);
  return uri.path.slice(uri.path.lastIndexOf('/') + 1);
}

export function uriOf(path: string): vscode.Uri {
  const untitled = UNTITLED_WITH_EXTENSION.exec(path);
  if (untitled) return vscode.Uri.parse(untitled[1] as string);
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
 *
 * The analysis runs in a worker thread (analysis-worker.ts): the host lists the files, the
 * worker reads the local ones itself, the host sends it the editors' texts (and files of other
 * file systems) and gets back diagnostics and summaries as plain data, so its event loop never
 * waits for a read, a parse or an evaluation. What needs the findings' graph nodes (quick fixes, fix-all, the topology) asks
 * `analysis`, a mirror of the workspace in the host analyzed only when asked (incrementally,
 * as the worker's).
 */
export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(SOURCE);
  private worker: Worker;
  private workerRestarts = 0;
  private disposed = false;
  /**
   * The texts the worker has (the disk's, or an editor's document), by path. A document here is in
   * step with the worker as of its last change event: its next edits are sent as changes.
   */
  private readonly texts = new Map<string, HeldText>();
  /** The length of each held document's text as the worker has it (see syncEditor). */
  private readonly sentLength = new WeakMap<vscode.TextDocument, number>();
  /** Editors' edits not yet sent, by file, in order (see syncEditor). */
  private readonly queuedEdits = new Map<string, Extract<ToWorker, { type: 'edit' }>>();
  /** `ilbHairpin.debounceMs`, read once per settings change (see schedule). */
  private debounceMs: number | undefined;
  /** Templates the worker has from their bytes only (the prefilter found nothing the graph reads in them). */
  private readonly inert = new Set<string>();
  /** The host's mirror, brought up to date from `texts` only when something asks for it. */
  private readonly mirror = new Workspace();
  private readonly mirrorPending = new Map<string, HeldText | typeof INERT | undefined>();
  private mirrorAnalysis: WorkspaceAnalysis | undefined;
  private mirrorStale = true;
  private readonly disposables: vscode.Disposable[] = [this.collection];
  /** The files with published diagnostics. */
  private published = new Set<string>();
  /**
   * The worker's diagnostics changes not published yet (those of analyses a newer change made
   * stale, applied with the next one), and whether they replace everything (see FromWorker).
   */
  private unpublished = new Map<string, PlainDiagnostic[]>();
  private unpublishedFull = false;
  /** The published diagnostics were cleared here: the worker sends every file's next time. */
  private needFull = false;
  private readonly changed = new vscode.EventEmitter<void>();
  private timer: NodeJS.Timeout | undefined;
  private lastSummary: SummaryView | undefined;
  /** Bumped by every change; an analysis publishes only if none came in while it ran. */
  private generation = 0;
  private readonly waiting = new Map<number, () => void>();
  /** Reads the worker was asked for, by path, with their batch: a change the host makes meanwhile wins over the read's outcome. */
  private readonly reading = new Map<string, number>();
  private readonly readBatches = new Map<number, () => void>();
  private nextBatch = 0;
  /** Folder listings asked of the worker; let go with undefined if it stops (the file search lists them then). */
  private readonly listings = new Map<number, (files: string[][] | undefined) => void>();
  /** Analyses the worker ran, with their time in the worker (for tests and the log). */
  readonly workerAnalyses: { generation: number; ms: number }[] = [];
  /** How editors' texts reached the worker: as changes, whole, and whole again after the worker lost step (for tests). */
  readonly editorSync = { edits: 0, wholeTexts: 0, resyncs: 0 };
  private readonly created = performance.now();
  /** Milliseconds from the controller's start (activation) to its first published diagnostics. */
  firstDiagnosticsMs: number | undefined;
  readonly onDidAnalyze = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.worker = this.startWorker();
    const watcher = vscode.workspace.createFileSystemWatcher(TEMPLATE_GLOB);
    this.disposables.push(
      watcher,
      // The watcher reports every file; an excluded one is left out as the scan leaves it out.
      watcher.onDidCreate((uri) => void (this.isExcluded(uri) || this.readFromDisk(uri))),
      watcher.onDidChange((uri) => void (this.isExcluded(uri) || this.readFromDisk(uri))),
      watcher.onDidDelete((uri) => this.removed(uri)),
      vscode.workspace.onDidOpenTextDocument((d) => this.fromEditor(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.fromEditor(e.document, e.contentChanges)),
      vscode.workspace.onDidCloseTextDocument((d) => void this.closed(d)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ilbHairpin.debounceMs')) this.debounceMs = undefined;
        if (e.affectsConfiguration('ilbHairpin') || e.affectsConfiguration('files.exclude') || e.affectsConfiguration('search.followSymlinks')) {
          this.excluders.clear();
          void this.scan();
        }
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        this.debounceMs = undefined;
        this.excluders.clear();
        void this.scan();
      }),
    );
  }

  /**
   * The last analysis with its graphs and the findings' graph nodes (for fixes and the topology):
   * the host's mirror, analyzed now if texts changed since. Undefined before the worker's first.
   */
  get analysis(): WorkspaceAnalysis | undefined {
    if (!this.lastSummary) return undefined;
    if (this.mirrorStale || this.mirrorPending.size) {
      this.syncMirror();
      try {
        this.mirrorAnalysis = this.mirror.analyze();
      } catch (e) {
        this.log.error(`Analysis failed: ${(e as Error).stack ?? String(e)}`);
      }
      this.mirrorStale = false;
    }
    return this.mirrorAnalysis;
  }

  /** What the status bar, the context keys and the CodeLens show (from the worker). */
  get summary(): SummaryView | undefined {
    return this.lastSummary;
  }

  /** The template files the workspace knows (ARM and Bicep templates and their parameter files). */
  templateFiles(): readonly string[] {
    return this.lastSummary?.templateFiles ?? [];
  }

  /** Does a file have diagnostics of the last analysis? (Asking costs nothing; `analysis` may.) */
  hasDiagnostics(path: string): boolean {
    return this.published.has(path);
  }

  /** Does one of this extension's published diagnostics of a file touch `range`? (Asking costs nothing; `analysis` may.) */
  hasDiagnosticIn(uri: vscode.Uri, range: vscode.Range): boolean {
    return this.collection.get(uri)?.some((d) => d.range.intersection(range) !== undefined) ?? false;
  }

  /** The text the analysis read for a file (the editor's, or the disk's). */
  textOf(path: string): string | undefined {
    const held = this.texts.get(path);
    return held === undefined ? undefined : textOfHeld(held);
  }

  /** Fix-all of one file against the live workspace (the host's mirror), whose texts are put back afterwards. */
  fixAllInFile(path: string): FixRunResult {
    this.syncMirror();
    this.mirrorStale = true;
    return fixAllInFile(this.mirror, path, { restore: true, display: (file) => vscode.workspace.asRelativePath(file) });
  }

  private syncMirror(): void {
    for (const [path, text] of this.mirrorPending) {
      if (text === undefined) this.mirror.removeFile(path);
      else if (text === INERT) this.mirror.setInertTemplate(path);
      else this.mirror.setFile(path, textOfHeld(text));
    }
    this.mirrorPending.clear();
  }

  private setFile(path: string, text: string): void {
    this.reading.delete(path);
    if (this.texts.get(path) === text) return;
    this.inert.delete(path);
    this.texts.set(path, text);
    this.mirrorPending.set(path, text);
    this.post({ type: 'set', path, text });
  }

  /** A held text to send whole (a document's length is then the text's). */
  private wholeText(held: HeldText): string {
    const text = textOfHeld(held);
    if (typeof held !== 'string') this.sentLength.set(held, text.length);
    return text;
  }

  /**
   * An editor's text to the worker: after a change event of a document the worker is in step with
   * (the one held for its path), only the event's changes; else the whole text, once.
   */
  private syncEditor(doc: vscode.TextDocument, changes?: readonly vscode.TextDocumentContentChangeEvent[]): void {
    const path = documentPath(doc.uri, doc.languageId);
    const held = this.texts.get(path);
    if (held === doc && changes) {
      if (!changes.length) return;
      // The length the worker's text must have after them, from the length sent (the document's
      // own, offsetAt at its end, cost milliseconds per keystroke in a 10,000-line document).
      let length = this.sentLength.get(doc) ?? 0;
      for (const c of changes) length += c.text.length - c.rangeLength;
      this.sentLength.set(doc, length);
      this.mirrorPending.set(path, doc);
      this.editorSync.edits++;
      // Queued, not posted: each message wakes the worker's thread, which on a busy machine takes
      // the host's CPU for a while. They go with the next message (the analysis the debounce asks for).
      const queued = this.queuedEdits.get(path);
      const now = changes.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text }));
      if (queued) {
        queued.changes.push(...now);
        queued.length = length;
        // (No analysis is asked for while the extension is switched off: the queue never grows past this.)
        if (queued.changes.length >= 200) this.flushEdits();
      } else this.queuedEdits.set(path, { type: 'edit', path, changes: now, length });
      return;
    }
    // (A read of the file the worker has yet to do would replace the editor's text there.)
    const readPending = this.reading.delete(path);
    if (held === doc && !readPending) return;
    const text = this.wholeText(doc);
    this.inert.delete(path);
    this.texts.set(path, doc);
    this.mirrorPending.set(path, doc);
    // (The worker has this text already when it read the file and the editor has not changed it.)
    if (held !== text || readPending) {
      this.editorSync.wholeTexts++;
      this.post({ type: 'set', path, text });
    }
  }

  /** A template the prefilter says declares nothing the graph reads: the worker and the mirror count it, no text is kept or sent. */
  private setInert(path: string): void {
    this.reading.delete(path);
    if (this.inert.has(path)) return;
    this.texts.delete(path);
    this.inert.add(path);
    this.mirrorPending.set(path, INERT);
    this.post({ type: 'setInert', path });
  }

  private removeFile(path: string): void {
    this.reading.delete(path);
    if (!this.texts.has(path) && !this.inert.has(path)) return;
    this.texts.delete(path);
    this.inert.delete(path);
    this.mirrorPending.set(path, undefined);
    this.post({ type: 'remove', path });
  }

  /**
   * Local files read by the worker (as the CLI reads them: regular files within the size limit,
   * inert templates neither decoded nor parsed), so the host's thread never reads or decodes a
   * workspace; resolves once the host has recorded what the worker found.
   */
  private readInWorker(uris: readonly vscode.Uri[]): Promise<void> {
    const files = uris.filter((u) => !this.isOpen(u)).map((u) => ({ path: documentPath(u), fsPath: u.fsPath }));
    if (!files.length || this.workerGone) return Promise.resolve();
    const batch = this.nextBatch++;
    for (const f of files) this.reading.set(f.path, batch);
    return new Promise((resolve) => {
      this.readBatches.set(batch, resolve);
      this.post({ type: 'read', batch, files });
    });
  }

  /** What the worker read (it has added the files already): the host's own record and mirror follow. */
  private readByWorker(batch: number, outcomes: readonly ReadOutcome[]): void {
    for (const o of outcomes) {
      // A change the host sent after asking (an editor opened the file, a watcher read it) is what the worker has now.
      if (this.reading.get(o.path) !== batch) continue;
      this.reading.delete(o.path);
      if ('error' in o) {
        this.log.warn(`Could not read ${o.path}: ${o.error}`);
        this.texts.delete(o.path);
        this.inert.delete(o.path);
        this.mirrorPending.set(o.path, undefined);
      } else if ('inert' in o) {
        this.texts.delete(o.path);
        this.inert.add(o.path);
        this.mirrorPending.set(o.path, INERT);
      } else {
        this.inert.delete(o.path);
        this.texts.set(o.path, o.text);
        this.mirrorPending.set(o.path, o.text);
      }
    }
    const done = this.readBatches.get(batch);
    this.readBatches.delete(batch);
    done?.();
  }

  private startWorker(): Worker {
    const worker = new Worker(join(__dirname, 'analysis-worker.js'));
    worker.on('message', (m: FromWorker) => this.fromWorker(m));
    worker.on('error', (e) => this.log.error(`The analysis worker failed: ${e.stack ?? String(e)}`));
    worker.on('exit', (code) => this.workerExited(worker, code));
    worker.unref();
    return worker;
  }

  /** The worker stopped more than three times: no analysis is asked for any more. */
  private get workerGone(): boolean {
    return this.workerRestarts > 3;
  }

  /**
   * The worker ended without being asked to (it failed, or ran out of memory): what waited on it
   * is let go, and a new worker is given the workspace again (the host has every text) and the
   * files it was reading, up to three times in a session.
   */
  private workerExited(worker: Worker, code: number): void {
    if (this.disposed || worker !== this.worker) return;
    this.log.error(`The analysis worker stopped (exit code ${code}).`);
    const unread = [...this.reading.keys()];
    for (const done of this.readBatches.values()) done();
    this.readBatches.clear();
    this.reading.clear();
    for (const done of this.listings.values()) done(undefined);
    this.listings.clear();
    for (const done of this.waiting.values()) done();
    this.waiting.clear();
    this.workerRestarts++;
    if (this.workerGone) {
      this.log.error('The analysis worker stopped more than three times: diagnostics are off until the window is reloaded.');
      return;
    }
    this.worker = this.startWorker();
    // (The whole texts sent next include the edits not sent to the worker that stopped.)
    this.queuedEdits.clear();
    for (const path of this.inert) this.post({ type: 'setInert', path });
    for (const [path, held] of this.texts) this.post({ type: 'set', path, text: this.wholeText(held) });
    // The files it was reading are read again.
    void this.readInWorker(unread.map((p) => vscode.Uri.file(p))).then(() => this.schedule());
    this.schedule();
  }

  /**
   * Sends a message, after the edits queued for other files (those of its own file are dropped
   * when it replaces or removes the file's text: its whole text includes them).
   */
  private post(m: ToWorker): void {
    if (m.type === 'set' || m.type === 'remove' || m.type === 'setInert') this.queuedEdits.delete(m.path);
    this.flushEdits();
    this.worker.postMessage(m);
  }

  private flushEdits(): void {
    for (const edit of this.queuedEdits.values()) this.worker.postMessage(edit);
    this.queuedEdits.clear();
  }

  private config(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration('ilbHairpin');
  }

  /** Everything excluded in a folder: its `files.exclude`, `ilbHairpin.exclude`, node_modules and .git. */
  private excludePatterns(folder: vscode.WorkspaceFolder): string[] {
    const patterns = new Set<string>(['**/node_modules/**', '**/.git/**']);
    const filesExclude = vscode.workspace.getConfiguration('files', folder).get<Record<string, unknown>>('exclude');
    if (filesExclude && typeof filesExclude === 'object') for (const [p, on] of Object.entries(filesExclude)) if (on === true && p) patterns.add(p);
    const ours = vscode.workspace.getConfiguration('ilbHairpin', folder).get<unknown>('exclude');
    // Settings are user input: only non-empty strings are globs (an empty one would fail the search and the matcher).
    if (Array.isArray(ours)) for (const p of ours) if (typeof p === 'string' && p) patterns.add(p);
    return [...patterns];
  }

  /** Whether a folder's walk follows symbolic links, as VS Code's file search would there. */
  private followsLinks(folder: vscode.WorkspaceFolder): boolean {
    return vscode.workspace.getConfiguration('search', folder).get<boolean>('followSymlinks', true);
  }

  /** Each folder's exclusion test, made when first asked (see isExcluded). */
  private readonly excluders = new Map<string, (relative: string) => boolean>();

  /** Whether a file lies in what its workspace folder excludes (the file or a folder above it). */
  private isExcluded(uri: vscode.Uri): boolean {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return false;
    const key = folder.uri.toString();
    let test = this.excluders.get(key);
    if (!test) this.excluders.set(key, (test = globExcluder(this.excludePatterns(folder))));
    const parts = uri.path.slice(folder.uri.path.replace(/\/$/, '').length + 1).split('/');
    for (let i = 1; i <= parts.length; i++) if (test(parts.slice(0, i).join('/'))) return true;
    return false;
  }

  /**
   * The candidate files of the workspace folders. Local folders are walked by the worker (the
   * workbench's file search runs on the extension host's thread and cost about a third of the
   * time to the first diagnostics); other file systems, and every folder if the worker is gone,
   * through the file search.
   */
  private async listFiles(token?: vscode.CancellationToken): Promise<vscode.Uri[]> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    const search = (folder: vscode.WorkspaceFolder): Thenable<vscode.Uri[]> =>
      vscode.workspace.findFiles(new vscode.RelativePattern(folder, TEMPLATE_GLOB), `{${this.excludePatterns(folder).join(',')}}`, undefined, token);
    const local = folders.filter((f) => f.uri.scheme === 'file');
    let walked: string[][] | undefined;
    if (local.length && !this.workerGone) {
      const id = this.nextBatch++;
      walked = await new Promise<string[][] | undefined>((resolve) => {
        this.listings.set(id, resolve);
        this.post({ type: 'list', id, folders: local.map((f) => ({ fsPath: f.uri.fsPath, exclude: this.excludePatterns(f), followLinks: this.followsLinks(f) })) });
      });
    }
    const perFolder = await Promise.all(
      folders.map((folder) => {
        const i = walked ? local.indexOf(folder) : -1;
        return i >= 0 ? (walked?.[i] ?? []).map((p) => vscode.Uri.file(p)) : search(folder);
      }),
    );
    return perFolder.flat();
  }

  /**
   * Indexes the workspace folders from scratch (the `Scan Workspace` command); resolves once its
   * diagnostics are published. A scan asked for while one runs (the command that activated the
   * extension meets activation's own scan) joins it: two scans reading at once would each leave
   * the other's analysis stale, and neither would wait for what is finally published.
   */
  scan(token?: vscode.CancellationToken, progress?: vscode.Progress<{ message?: string; increment?: number }>): Promise<void> {
    if (this.scanning) return this.scanning;
    const run = this.scanOnce(token, progress).finally(() => {
      if (this.scanning === run) this.scanning = undefined;
    });
    this.scanning = run;
    return run;
  }

  private scanning: Promise<void> | undefined;

  private async scanOnce(token?: vscode.CancellationToken, progress?: vscode.Progress<{ message?: string; increment?: number }>): Promise<void> {
    if (!this.config().get<boolean>('enable', true)) {
      this.clearAll();
      return;
    }
    // Each folder of a multi-root workspace with its own exclusions (`ilbHairpin.exclude` is resource-scoped).
    const uris = await this.listFiles(token);
    if (token?.isCancellationRequested) return;
    const keep = new Set(uris.map((u) => documentPath(u)));
    for (const doc of vscode.workspace.textDocuments) if (isCandidate(doc)) keep.add(documentPath(doc.uri, doc.languageId));
    for (const p of [...this.texts.keys(), ...this.inert]) if (!keep.has(p)) this.removeFile(p);
    // Local files are read by the worker, in batches (progress and cancellation between them);
    // others (a virtual file system) through the workbench's file service, a few at a time.
    const local = uris.filter((u) => u.scheme === 'file');
    const queue = uris.filter((u) => u.scheme !== 'file');
    const reader = async (): Promise<void> => {
      for (let uri = queue.shift(); uri; uri = queue.shift()) {
        if (token?.isCancellationRequested) return;
        await this.readFromDisk(uri, false);
      }
    };
    const others = Promise.all(Array.from({ length: 8 }, reader));
    // Two batches in flight: the worker reads the next while the host records the last.
    let done = 0;
    let inFlight: Promise<void> | undefined;
    for (let i = 0; i < local.length && !token?.isCancellationRequested; i += READ_BATCH) {
      const batch = local.slice(i, i + READ_BATCH);
      const read = this.readInWorker(batch).then(() => {
        done += batch.length;
        progress?.report({ message: `${done} of ${uris.length} files`, increment: (batch.length / uris.length) * 100 });
      });
      await inFlight;
      inFlight = read;
    }
    await inFlight;
    await others;
    if (token?.isCancellationRequested) return;
    for (const doc of vscode.workspace.textDocuments) if (isCandidate(doc)) this.syncEditor(doc);
    this.log.info(`Indexed ${uris.length} template candidates.`);
    await this.analyzeNow();
  }

  private isOpen(uri: vscode.Uri): vscode.TextDocument | undefined {
    const key = uri.toString();
    return vscode.workspace.textDocuments.find((d) => d.uri.toString() === key && !d.isClosed);
  }

  private async readFromDisk(uri: vscode.Uri, schedule = true): Promise<void> {
    if (this.isOpen(uri)) return; // the editor's text wins over the file on disk
    if (uri.scheme === 'file') {
      // A local file is read by the worker (the workbench's file service costs a round trip per call).
      await this.readInWorker([uri]);
      if (schedule) this.schedule();
      return;
    }
    try {
      const info = await vscode.workspace.fs.stat(uri);
      // Only regular files within the size limit: a FIFO or device named like a template would block or never end.
      const refused = !(info.type & vscode.FileType.File) ? 'it is not a regular file' : info.size > MAX_FILE_BYTES ? `it is over the ${MAX_FILE_BYTES / 1048576} MB limit` : undefined;
      const bytes = refused ? undefined : await vscode.workspace.fs.readFile(uri);
      const decoded = bytes && !(/\.jsonc?$/i.test(uri.path) && certainlyInertTemplate(bytes)) ? decodeText(bytes) : undefined;
      if (refused || (decoded && !decoded.ok)) {
        this.log.warn(`Not read: ${uri.toString()}: ${refused ?? (decoded as { reason: string }).reason}`);
        this.removeFile(documentPath(uri));
      } else if (!decoded) {
        // A template that certainly declares nothing the graph reads is neither decoded nor parsed.
        this.setInert(documentPath(uri));
      } else {
        this.setFile(documentPath(uri), decoded.text);
      }
    } catch (e) {
      this.log.warn(`Could not read ${uri.toString()}: ${(e as Error).message}`);
      this.removeFile(documentPath(uri));
    }
    if (schedule) this.schedule();
  }

  private removed(uri: vscode.Uri): void {
    if (this.isOpen(uri)) return;
    this.removeFile(documentPath(uri));
    this.schedule();
  }

  private fromEditor(doc: vscode.TextDocument, changes?: readonly vscode.TextDocumentContentChangeEvent[]): void {
    if (!isCandidate(doc)) return;
    this.syncEditor(doc, changes);
    this.schedule();
  }

  private async closed(doc: vscode.TextDocument): Promise<void> {
    if (!isCandidate(doc)) return;
    // Back to the text on disk (unsaved edits are gone), or out of the workspace.
    if (doc.uri.scheme === 'untitled') {
      // (Closed, it is no longer among the open documents: its language is the event's.)
      this.removeFile(documentPath(doc.uri, doc.languageId));
      this.schedule();
    } else {
      await this.readFromDisk(doc.uri);
    }
  }

  private schedule(): void {
    this.generation++;
    clearTimeout(this.timer);
    // Read once per settings change, not per keystroke (a configuration is made on each read).
    this.debounceMs ??= this.config().get<number>('debounceMs', 300);
    this.timer = setTimeout(() => void this.analyzeNow(), this.debounceMs);
  }

  /** The findings as the Problems panel shows them: ilbHairpin.rules applied (a severity per rule, or off). */
  shown(analysis: WorkspaceAnalysis): Finding[] {
    // Entries that are wrong are left out; the schema flags them.
    const settings: RuleSettings = { rules: {}, exclude: [] };
    readRules(this.config().get<unknown>('rules'), settings);
    return applyRuleSettings(analysis.findings, settings);
  }

  /** Asks the worker for an analysis; resolves when it is published (or a newer change made it stale). */
  analyzeNow(): Promise<void> {
    clearTimeout(this.timer);
    if (!this.config().get<boolean>('enable', true)) {
      this.clearAll();
      return Promise.resolve();
    }
    // ilbHairpin.rules: a severity per rule, or off (entries that are wrong are left out; the schema flags them).
    const rules: RuleSettings = { rules: {}, exclude: [] };
    readRules(this.config().get<unknown>('rules'), rules);
    const generation = this.generation;
    if (this.workerGone) return Promise.resolve();
    return new Promise((resolve) => {
      const before = this.waiting.get(generation);
      this.waiting.set(generation, () => {
        before?.();
        resolve();
      });
      this.post({ type: 'analyze', generation, rules, ...(this.needFull ? { full: true } : {}) });
      this.needFull = false;
    });
  }

  private fromWorker(m: FromWorker): void {
    if (m.type === 'read') return this.readByWorker(m.batch, m.files);
    if (m.type === 'resync') {
      // The worker could not apply an edit: the whole text, if an editor still has the file.
      const held = this.texts.get(m.path);
      if (held !== undefined && typeof held !== 'string') {
        this.log.warn(`The analysis worker lost step with ${m.path}: its whole text is sent again.`);
        this.editorSync.resyncs++;
        this.post({ type: 'set', path: m.path, text: this.wholeText(held) });
        this.schedule();
      }
      return;
    }
    if (m.type === 'listed') {
      for (const e of m.errors) this.log.warn(`${e.file}: ${e.message}`);
      this.listings.get(m.id)?.(m.files ?? undefined);
      this.listings.delete(m.id);
      return;
    }
    let done = this.waiting.get(m.generation);
    this.waiting.delete(m.generation);
    try {
      if (m.type === 'failed') {
        // The engine does not throw on templates; if it ever does, say so and keep the editor usable.
        this.log.error(`Analysis failed: ${m.error}`);
        return;
      }
      this.workerAnalyses.push({ generation: m.generation, ms: m.ms });
      if (this.workerAnalyses.length > 100) this.workerAnalyses.shift();
      // Every message's changes count, in order; a stale one's are published with the next.
      if (m.full) {
        this.unpublished = new Map();
        this.unpublishedFull = true;
      }
      for (const [file, list] of m.diagnostics) this.unpublished.set(file, list);
      // The summary's changes too: each message's, in order.
      this.lastSummary = applySummary(this.lastSummary, m.summary, m.full);
      if (m.generation !== this.generation) return; // a newer change is on its way
      this.mirrorStale = true;
      const published = this.publish(this.unpublished, this.unpublishedFull);
      this.unpublished = new Map();
      this.unpublishedFull = false;
      // What waits for this analysis goes on once its diagnostics are all set.
      const waiting = done;
      done = undefined;
      void published.then(() => {
        this.firstDiagnosticsMs ??= performance.now() - this.created;
        this.changed.fire();
        waiting?.();
      });
    } finally {
      done?.();
    }
  }

  /**
   * Publishes the files whose diagnostics changed (the worker sends only those: after an edit most
   * files' diagnostics have not changed, and each `set` is sent to the workbench and redrawn there);
   * `full`: the files not named have none. Resolves when they are all set: a few milliseconds of
   * them at a time (the first analysis of a large workspace has diagnostics in a thousand files),
   * with the host's other work in between.
   */
  private publish(changes: Map<string, PlainDiagnostic[]>, full: boolean): Promise<void> {
    if (full) for (const file of [...this.published, ...this.toSet.keys()]) if (!changes.has(file)) this.toSet.set(file, []);
    for (const [file, list] of changes) {
      this.toSet.delete(file);
      this.toSet.set(file, list);
    }
    if (this.setting) return this.setting;
    let settled!: () => void;
    const setting = new Promise<void>((resolve) => (settled = resolve));
    this.setting = setting;
    const step = (): void => {
      const until = performance.now() + PUBLISH_SLICE_MS;
      try {
        for (const [file, list] of this.toSet) {
          if (this.disposed) break;
          this.toSet.delete(file);
          this.setFileDiagnostics(file, list);
          if (performance.now() >= until) break;
        }
      } catch (e) {
        this.log.error(`Could not publish diagnostics: ${(e as Error).stack ?? String(e)}`);
        this.toSet.clear();
      }
      if (this.toSet.size && !this.disposed) {
        setImmediate(step);
        return;
      }
      this.setting = undefined;
      settled();
    };
    step();
    return setting;
  }

  /** Diagnostics waiting to be set, by file ([]: none any more), in order (see publish). */
  private toSet = new Map<string, PlainDiagnostic[]>();
  /** Resolves when `toSet` is empty again (undefined: it is). */
  private setting: Promise<void> | undefined;

  private setFileDiagnostics(file: string, list: PlainDiagnostic[]): void {
    if (!list.length) {
      this.collection.delete(uriOf(file));
      this.published.delete(file);
      return;
    }
    this.collection.set(
      uriOf(file),
      list.map((p) => {
        const d = new vscode.Diagnostic(range(p.range), p.message, SEVERITY[p.severity]);
        d.source = SOURCE;
        // `?id`: a rule the registry does not know (no docs page to link).
        d.code = p.code.startsWith('?') ? p.code.slice(1) : { value: p.code, target: docsTarget(p.code) };
        d.relatedInformation = p.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(uriOf(r.file), range(r.range)), r.message));
        return d;
      }),
    );
    this.published.add(file);
  }

  private clearAll(): void {
    this.collection.clear();
    this.published.clear();
    this.toSet.clear();
    this.unpublished = new Map();
    this.unpublishedFull = false;
    this.needFull = true;
    // An analysis still on its way is stale: what it changes is not published.
    this.generation++;
    this.lastSummary = undefined;
    this.mirrorAnalysis = undefined;
    this.mirrorStale = true;
    this.changed.fire();
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.changed.dispose();
    for (const d of this.disposables) d.dispose();
    this.disposed = true;
    void this.worker.terminate();
  }
}

function range(r: PlainRange): vscode.Range {
  return new vscode.Range(r[0], r[1], r[2], r[3]);
}
