import * as vscode from 'vscode';
import { analyzeArmText, type TemplateAnalysis } from '../core/engine';
import { ruleById } from '../core/rules';
import { docsUrl, type Severity } from '../core/rules/types';
import { normalizePath, type SourceSpan } from '../core/source';

const SOURCE = 'ilb-hairpin';
const LANGUAGES = new Set(['json', 'jsonc', 'arm-template']);
const SCHEMES = new Set(['file', 'untitled', 'vscode-remote']);

const SEVERITY: Record<Severity, vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** The path the core knows a document by. */
export function documentPath(doc: vscode.TextDocument): string {
  return doc.uri.scheme === 'file' ? normalizePath(doc.uri.fsPath) : doc.uri.toString();
}

export function isCandidate(doc: vscode.TextDocument): boolean {
  return LANGUAGES.has(doc.languageId) && SCHEMES.has(doc.uri.scheme);
}

/**
 * Keeps diagnostics of open ARM documents current: analysis on open, debounced on change,
 * cleared on close. A result is published only if the document has not changed since the text
 * it was computed from was read, so a stale result never overwrites a newer one.
 */
export class DiagnosticsController implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(SOURCE);
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: vscode.Disposable[] = [this.collection];

  constructor(private readonly log: vscode.LogOutputChannel) {
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument((d) => this.analyzeNow(d)),
      vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)),
      vscode.workspace.onDidCloseTextDocument((d) => this.forget(d)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('ilbHairpin')) this.reanalyzeAll();
      }),
    );
  }

  reanalyzeAll(): void {
    for (const doc of vscode.workspace.textDocuments) this.analyzeNow(doc);
  }

  private enabled(doc: vscode.TextDocument): boolean {
    return vscode.workspace.getConfiguration('ilbHairpin', doc.uri).get<boolean>('enable', true);
  }

  private schedule(doc: vscode.TextDocument): void {
    if (!isCandidate(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    const delay = vscode.workspace.getConfiguration('ilbHairpin', doc.uri).get<number>('debounceMs', 300);
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        this.analyzeNow(doc);
      }, delay),
    );
  }

  private forget(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.collection.delete(doc.uri);
  }

  analyzeNow(doc: vscode.TextDocument): void {
    if (!isCandidate(doc) || doc.isClosed) return;
    if (!this.enabled(doc)) {
      this.collection.delete(doc.uri);
      return;
    }
    const version = doc.version;
    let analysis: TemplateAnalysis;
    try {
      analysis = analyzeArmText(documentPath(doc), doc.getText());
    } catch (e) {
      // The engine does not throw on templates; if it ever does, say so and keep the editor usable.
      this.log.error(`Analysis of ${doc.uri.toString()} failed: ${(e as Error).stack ?? String(e)}`);
      return;
    }
    if (doc.isClosed || doc.version !== version) return;
    this.collection.set(doc.uri, this.toDiagnostics(doc, analysis));
  }

  private toDiagnostics(doc: vscode.TextDocument, analysis: TemplateAnalysis): vscode.Diagnostic[] {
    const path = documentPath(doc);
    const location = (span: SourceSpan): vscode.Location => {
      const uri = span.file === path ? doc.uri : vscode.Uri.file(span.file);
      const range = span.file === path ? toRange(doc, span) : new vscode.Range(0, 0, 0, 0);
      return new vscode.Location(uri, range);
    };
    const out: vscode.Diagnostic[] = [];
    for (const f of analysis.findings) {
      const d = new vscode.Diagnostic(toRange(doc, f.span), f.message, SEVERITY[f.severity]);
      d.source = SOURCE;
      const rule = ruleById(f.ruleId);
      d.code = rule ? { value: f.ruleId, target: vscode.Uri.parse(docsUrl(rule)) } : f.ruleId;
      d.relatedInformation = f.related.map((r) => new vscode.DiagnosticRelatedInformation(location(r.span), r.message));
      out.push(d);
    }
    for (const p of analysis.problems) {
      const d = new vscode.Diagnostic(toRange(doc, p.span), p.message, SEVERITY[p.severity]);
      d.source = SOURCE;
      d.code = 'template-evaluation';
      out.push(d);
    }
    return out;
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables) d.dispose();
  }
}

function toRange(doc: vscode.TextDocument, span: SourceSpan): vscode.Range {
  return new vscode.Range(doc.positionAt(span.start), doc.positionAt(span.end));
}
