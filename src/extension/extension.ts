import * as vscode from 'vscode';
import { hairpinProneRule } from '../core/rules/hairpin-prone-rule';
import { docsUrl } from '../core/rules/types';
import { DiagnosticsController } from './diagnostics';

/** Wires the features; each lives in its own module. */
export function activate(context: vscode.ExtensionContext): { diagnostics: DiagnosticsController } {
  const log = vscode.window.createOutputChannel('ILB Hairpin', { log: true });
  const diagnostics = new DiagnosticsController(log);
  context.subscriptions.push(
    log,
    diagnostics,
    vscode.commands.registerCommand('ilbHairpin.reanalyze', () => diagnostics.reanalyzeAll()),
    vscode.commands.registerCommand('ilbHairpin.openRuleDocs', () => vscode.env.openExternal(vscode.Uri.parse(docsUrl(hairpinProneRule)))),
  );
  diagnostics.reanalyzeAll();
  log.info('ILB Hairpin is active.');
  return { diagnostics };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
