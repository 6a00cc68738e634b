import * as vscode from 'vscode';
import type { DiagnosticsController } from './diagnostics';

/** A status bar item with the number of hairpin-prone rules; a click opens the Problems view. */
export function registerStatusBar(context: vscode.ExtensionContext, diagnostics: DiagnosticsController): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('ilbHairpin.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'ILB Hairpin';
  item.command = 'workbench.actions.view.problems';
  const update = (): void => {
    // The worker's summary: the status bar never waits for an analysis in the host.
    const analysis = diagnostics.summary;
    // No template at all (most repositories): nothing to say.
    if (!analysis || analysis.templates === 0) {
      item.hide();
      return;
    }
    const n = analysis.hairpinProne;
    item.text = n ? `$(warning) ${n} hairpin-prone` : '$(check) no hairpin';
    item.tooltip = n
      ? `${n} internal load balancer rule${n === 1 ? '' : 's'} where a backend member calling the frontend can fail. Click to open Problems.`
      : `No hairpin-prone rules in ${analysis.templates} template${analysis.templates === 1 ? '' : 's'}.`;
    item.show();
  };
  context.subscriptions.push(item, diagnostics.onDidAnalyze(update));
  update();
  return item;
}
