import * as vscode from 'vscode';
import { DiagnosticsController } from './diagnostics';
import { registerRuleDocs } from './docs';

/** Wires the features; each lives in its own module. */
export function activate(context: vscode.ExtensionContext): { diagnostics: DiagnosticsController } {
  const log = vscode.window.createOutputChannel('ILB Hairpin', { log: true });
  const diagnostics = new DiagnosticsController(log);
  context.subscriptions.push(
    log,
    diagnostics,
    vscode.commands.registerCommand('ilbHairpin.reanalyze', () => diagnostics.reanalyzeAll()),
  );
  registerRuleDocs(context);
  diagnostics.reanalyzeAll();
  log.info('ILB Hairpin is active.');
  return { diagnostics };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
