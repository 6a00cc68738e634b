import * as vscode from 'vscode';
import { registerBicepRecommendation } from './bicep';
import { registerCodeActions } from './code-actions';
import { DiagnosticsController } from './diagnostics';
import { registerRuleDocs } from './docs';
import { registerStatusBar } from './status';
import { registerTopology } from './topology-panel';

/** Wires the features; each lives in its own module. */
export function activate(context: vscode.ExtensionContext): { diagnostics: DiagnosticsController } {
  const log = vscode.window.createOutputChannel('ILB Hairpin', { log: true });
  const diagnostics = new DiagnosticsController(log);
  const scanWithProgress = (): Thenable<void> =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'ILB Hairpin: scanning the workspace', cancellable: true },
      (progress, token) => diagnostics.scan(token, progress),
    );
  context.subscriptions.push(
    log,
    diagnostics,
    vscode.commands.registerCommand('ilbHairpin.scanWorkspace', scanWithProgress),
    vscode.commands.registerCommand('ilbHairpin.reanalyze', () => diagnostics.scan()),
  );
  registerRuleDocs(context);
  registerCodeActions(context, diagnostics);
  registerStatusBar(context, diagnostics);
  registerTopology(context, diagnostics);
  registerBicepRecommendation(context, () =>
    vscode.workspace.findFiles('**/*.{bicep,bicepparam}', '{**/node_modules/**,**/.git/**}', 1).then((found) => found.length > 0),
  );
  void diagnostics.scan().then(() => log.info('ILB Hairpin is active.'));
  return { diagnostics };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
