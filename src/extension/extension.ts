import * as vscode from 'vscode';
import { registerDeployedTree, type DeployedTree } from './azure-tree';
import { registerBicepRecommendation } from './bicep';
import { registerCodeActions } from './code-actions';
import { DiagnosticsController } from './diagnostics';
import { registerRuleDocs } from './docs';
import { registerRuleHover } from './hover';
import { registerStatusBar } from './status';
import { registerTasks } from './tasks';
import { registerTopology } from './topology-panel';
import { registerWalkthrough } from './walkthrough';
import { registerContextKeys } from './when';

/** Wires the features; each lives in its own module. */
export function activate(context: vscode.ExtensionContext): { diagnostics: DiagnosticsController; deployed: DeployedTree } {
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
    // One command re-reads and re-analyzes everything (it was two: Scan Workspace and Re-analyze).
    vscode.commands.registerCommand('ilbHairpin.scanWorkspace', scanWithProgress),
    vscode.commands.registerCommand('ilbHairpin.showOutput', () => log.show(true)),
  );
  registerRuleDocs(context);
  registerCodeActions(context, diagnostics);
  registerRuleHover(context, diagnostics);
  registerStatusBar(context, diagnostics);
  registerContextKeys(context, diagnostics);
  registerTasks(context);
  registerWalkthrough(context);
  registerTopology(context, diagnostics);
  const deployed = registerDeployedTree(context, diagnostics, log);
  registerBicepRecommendation(context, () =>
    vscode.workspace.findFiles('**/*.{bicep,bicepparam}', '{**/node_modules/**,**/.git/**}', 1).then((found) => found.length > 0),
  );
  void diagnostics.scan().then(() => log.info('ILB Hairpin is active.'));
  return { diagnostics, deployed };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
