import * as vscode from 'vscode';
import type { DiagnosticsController } from './diagnostics';

/** A status bar item with the number of hairpin-prone rules; a click opens the Problems view. */
export function registerStatusBar(context: vscode.ExtensionContext, diagnostics: DiagnosticsController): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('ilbHairpin.status', vscode.StatusBarAlignment.Left, 50);
  item.name = 'ILB Hairpin';
  item.command = 'workbench.actions.view.problems';
  const update = (): void => {
    const analysis = diagnostics.analysis;
    // No template at all (most repositories): nothing to say.
    if (!analysis || analysis.templates === 0) {
      item.hide();
      return;
    }
    // One finding per rule and deployment (a rule in a module is reported where the module is called).
    const n = new Set(analysis.findings.filter((f) => f.ruleId === 'hairpin-prone-rule').map((f) => `${f.span.file}#${f.span.start}#${f.facts.loadBalancer}#${f.facts.lbRule}`)).size;
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
