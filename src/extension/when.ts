import * as vscode from 'vscode';
import { uriOf, type DiagnosticsController } from './diagnostics';

/**
 * Context keys for `when` clauses in package.json: `ilbHairpin.templates` (the URIs of the
 * template files, for `resource in ilbHairpin.templates`) and `ilbHairpin.hasTemplates`.
 * Set after each analysis, only when they changed.
 */
export function registerContextKeys(context: vscode.ExtensionContext, diagnostics: DiagnosticsController): void {
  let last: string | undefined;
  let version: number | undefined;
  const update = (): void => {
    // Only after an analysis whose template files changed (the worker says when: not after a keystroke).
    const now = diagnostics.summary?.templateFilesVersion;
    if (now !== undefined && now === version) return;
    version = now;
    const uris = diagnostics
      .templateFiles()
      .map((p) => uriOf(p).toString())
      .sort();
    const key = uris.join('\n');
    if (key === last) return;
    last = key;
    void vscode.commands.executeCommand('setContext', 'ilbHairpin.templates', uris);
    void vscode.commands.executeCommand('setContext', 'ilbHairpin.hasTemplates', uris.length > 0);
  };
  context.subscriptions.push(diagnostics.onDidAnalyze(update));
}
