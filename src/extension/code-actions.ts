import * as vscode from 'vscode';
import { computeFix, fixesFor, preferredFix } from '../core/fixes';
import { minimalEdit } from '../core/fix-run';
import type { FixStrategy } from '../core/fixes/types';
import type { TextEdit } from '../core/edit';
import { ruleById } from '../core/rules';
import type { Finding } from '../core/rules/types';
import { suppressionEdits } from '../core/suppress';
import { TEMPLATE_SELECTOR } from './bicep';
import { documentPath, uriOf, type DiagnosticsController } from './diagnostics';
import { showTopologyAction } from './topology-panel';

const SELECTOR = TEMPLATE_SELECTOR;
const FIX_ALL = vscode.CodeActionKind.SourceFixAll.append('ilbHairpin');

/**
 * Quick fixes on hairpin findings: the workarounds (the safest preferred), fix all in the file, suppress with
 * a reason, learn more. The edits come from the core as plain data, like the CLI's.
 */
export class HairpinCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix, FIX_ALL];

  constructor(private readonly diagnostics: DiagnosticsController) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    if (context.only && (context.only.contains(FIX_ALL) || FIX_ALL.contains(context.only))) return this.fixAll(doc, this.findingsIn(doc));
    // VS Code asks at the cursor after every edit and move: only where one of our diagnostics is
    // is the analysis with its graph (the host's mirror, analyzed on this thread) asked for.
    if (!context.diagnostics.some((d) => d.source === 'ilb-hairpin') && !this.diagnostics.hasDiagnosticIn(doc.uri, range)) return [];
    const findings = this.findingsIn(doc);
    const actions: vscode.CodeAction[] = [];
    for (const diagnostic of context.diagnostics) {
      if (diagnostic.source !== 'ilb-hairpin') continue;
      const finding = findings.find((f) => doc.positionAt(f.span.start).isEqual(diagnostic.range.start) && f.message === diagnostic.message);
      if (!finding) continue;
      actions.push(...this.actionsFor(doc, finding, diagnostic));
    }
    if (actions.length === 0 && findings.some((f) => range.intersection(this.range(doc, f)))) {
      for (const f of findings.filter((x) => range.intersection(this.range(doc, x)))) actions.push(...this.actionsFor(doc, f, undefined));
    }
    return actions;
  }

  private findingsIn(doc: vscode.TextDocument): Finding[] {
    const path = documentPath(doc.uri, doc.languageId);
    // Only a file with diagnostics asks for the analysis with its graph (the host's mirror, see diagnostics.ts).
    if (!this.diagnostics.hasDiagnostics(path)) return [];
    return (this.diagnostics.analysis?.findings ?? []).filter((f) => f.span.file === path);
  }

  private range(doc: vscode.TextDocument, f: Finding): vscode.Range {
    return new vscode.Range(doc.positionAt(f.span.start), doc.positionAt(f.span.end));
  }

  private actionsFor(doc: vscode.TextDocument, finding: Finding, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const strategies = fixesFor(finding.ruleId);
    const fixes = strategies.map((strategy) => this.strategyAction(doc, finding, diagnostic, strategy));
    // The safest fix that applies as it stands is the preferred one (Ctrl+. Enter, auto-fix);
    // floating IP alone never is: on its own it stops the rule from serving.
    const preferred = preferredFix(strategies.filter((_, i) => fixes[i]?.edit !== undefined));
    if (preferred) (fixes[strategies.indexOf(preferred)] as vscode.CodeAction).isPreferred = true;
    actions.push(...fixes);
    actions.push(this.suppression(doc, finding, diagnostic));
    actions.push(showTopologyAction(finding, diagnostic));
    const rule = ruleById(finding.ruleId);
    if (rule) {
      const learn = new vscode.CodeAction(`Learn more about ${rule.id}`, vscode.CodeActionKind.QuickFix);
      learn.command = { command: 'ilbHairpin.openRuleDocs', title: 'Learn more', arguments: [rule.id] };
      if (diagnostic) learn.diagnostics = [diagnostic];
      actions.push(learn);
    }
    return actions;
  }

  private textOf(doc: vscode.TextDocument): (file: string) => string | undefined {
    return (file) => (file === documentPath(doc.uri, doc.languageId) ? doc.getText() : this.diagnostics.textOf(file));
  }

  /**
   * One workaround as an action: its edit when the core can make it; a command that asks for the
   * OS when only that is missing; otherwise shown disabled with the reason.
   */
  private strategyAction(doc: vscode.TextDocument, finding: Finding, diagnostic: vscode.Diagnostic | undefined, strategy: FixStrategy): vscode.CodeAction {
    const result = computeFix(strategy, finding, this.textOf(doc));
    const action = new vscode.CodeAction(actionTitle(strategy, finding), vscode.CodeActionKind.QuickFix);
    if (diagnostic) action.diagnostics = [diagnostic];
    const taken = result.ok ? result.fix.edits.find((e) => e.create && this.diagnostics.textOf(e.file) !== undefined) : undefined;
    // A file made beside the template needs the template's folder: an untitled one has none.
    const unsaved = result.ok && doc.uri.scheme === 'untitled' && result.fix.edits.some((e) => e.create);
    if (unsaved) {
      action.disabled = { reason: 'save the template first: the fix adds a module file beside it' };
    } else if (taken) {
      action.disabled = { reason: `${taken.file} already exists: the fix would create it` };
    } else if (result.ok) {
      action.edit = this.workspaceEdit(doc, result.fix.edits);
    } else if (/OS .* cannot be told/.test(result.reason)) {
      action.command = { command: 'ilbHairpin.applyFixWithOs', title: action.title, arguments: [doc.uri, finding, strategy] };
    } else {
      action.disabled = { reason: result.reason };
    }
    return action;
  }

  /** Asks for the members' OS, then applies the strategy's fix with it. */
  async applyFixWithOs(uri: vscode.Uri, finding: Finding, strategy: FixStrategy = 'floating-ip-loopback'): Promise<void> {
    const pick = await vscode.window.showQuickPick(
      strategy === 'secondary-nic'
        ? [
            { label: 'Linux', description: 'policy routing for the VIP through the second NIC', os: 'linux' as const },
            { label: 'Windows', description: 'route -p add of the VIP through the second NIC (found at every boot)', os: 'windows' as const },
          ]
        : [
            { label: 'Linux', description: 'a systemd unit puts the VIP/32 on lo at every boot', os: 'linux' as const },
            { label: 'Windows', description: 'netsh: the VIP on the loopback adapter, weak host send/receive, a firewall rule', os: 'windows' as const },
          ],
      { title: "The backend VMs' operating system", placeHolder: 'The template does not say which OS the VMs run' },
    );
    if (!pick) return;
    const doc = await vscode.workspace.openTextDocument(uri);
    const result = computeFix(strategy, finding, this.textOf(doc), { os: pick.os });
    if (!result.ok) {
      void vscode.window.showWarningMessage(`ILB Hairpin: ${result.reason}`);
      return;
    }
    await vscode.workspace.applyEdit(this.workspaceEdit(doc, result.fix.edits));
  }

  /**
   * Suppression with a reason to edit: a `// ilb-hairpin-disable-next-line` line in Bicep and JSON
   * with comments, the load balancer's `comments` property in strict JSON (the core decides).
   */
  private suppression(doc: vscode.TextDocument, finding: Finding, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction {
    const action = new vscode.CodeAction(`Suppress ${finding.ruleId} for rule ${finding.facts.lbRule} (with a reason)`, vscode.CodeActionKind.QuickFix);
    const edits = suppressionEdits(finding, doc.getText(), 'reason: members never call this frontend');
    if (edits) action.edit = this.workspaceEdit(doc, edits);
    else action.disabled = { reason: "the load balancer's comments are computed: add the directive by hand" };
    if (diagnostic) action.diagnostics = [diagnostic];
    return action;
  }

  /**
   * Fix-all (also run by `editor.codeActionsOnSave`): the core's fix-all, which applies only what
   * keeps every client served (floating IP with the VIP on each member's loopback), or nothing,
   * and then the action says why.
   */
  private fixAll(doc: vscode.TextDocument, findings: Finding[]): vscode.CodeAction[] {
    if (findings.length === 0) return [];
    const path = documentPath(doc.uri, doc.languageId);
    const run = this.diagnostics.fixAllInFile(path);
    const action = new vscode.CodeAction("Enable floating IP with the VIP on the backend VMs' loopback, on every hairpin-prone rule in this file", FIX_ALL);
    const change = run.changes.find((c) => c.file === path);
    if (!change) {
      const reasons = run.outcomes.flatMap((o) => (o.ok ? [] : [`rule ${o.finding.facts.lbRule}: ${o.reason}`]));
      action.disabled = { reason: `Nothing here can be fixed safely (floating IP alone would stop the rule from serving). ${reasons.join('; ')}` };
      return [action];
    }
    const edit = minimalEdit(change.before, change.after);
    action.edit = new vscode.WorkspaceEdit();
    action.edit.replace(doc.uri, new vscode.Range(doc.positionAt(edit.offset), doc.positionAt(edit.offset + edit.length)), edit.newText);
    return [action];
  }

  /** The core's edits as a workspace edit: the open document, other files (as the index reads them) and new files. */
  private workspaceEdit(doc: vscode.TextDocument, edits: TextEdit[]): vscode.WorkspaceEdit {
    const edit = new vscode.WorkspaceEdit();
    const path = documentPath(doc.uri, doc.languageId);
    const open = new Map(vscode.workspace.textDocuments.map((d) => [documentPath(d.uri, d.languageId), d]));
    for (const e of edits) {
      if (e.create) {
        const uri = uriOf(e.file);
        edit.createFile(uri, { overwrite: false }); // fails the whole edit if the file appeared meanwhile
        edit.insert(uri, new vscode.Position(0, 0), e.newText);
        continue;
      }
      const target = e.file === path ? doc : open.get(e.file);
      if (target) {
        edit.replace(target.uri, new vscode.Range(target.positionAt(e.offset), target.positionAt(e.offset + e.length)), e.newText);
        continue;
      }
      const text = this.diagnostics.textOf(e.file);
      if (text === undefined) continue;
      edit.replace(uriOf(e.file), new vscode.Range(positionIn(text, e.offset), positionIn(text, e.offset + e.length)), e.newText);
    }
    return edit;
  }
}

/** The line and character of an offset in a text that is not open in an editor. */
function positionIn(text: string, offset: number): vscode.Position {
  const before = text.slice(0, offset);
  const line = before.split('\n').length - 1;
  return new vscode.Position(line, offset - (before.lastIndexOf('\n') + 1));
}

/** The action's name: what it does, with what the person must know before choosing it. */
function actionTitle(strategy: FixStrategy, f: Finding): string {
  switch (strategy) {
    case 'floating-ip':
      return `Enable floating IP only on rule ${f.facts.lbRule} (incomplete: the rule serves nothing until each member holds the VIP on its loopback)`;
    case 'floating-ip-loopback':
      return `Enable floating IP on rule ${f.facts.lbRule} and configure the VIP on the backend VMs' loopback (health probes still use the NIC IP: listen on both)`;
    case 'secondary-nic':
      return `Add a secondary NIC to each backend VM of rule ${f.facts.lbRule}, with the route of the VIP through it (the VM size must allow two NICs)`;
    case 'nginx-nva':
      return `Scaffold an NGINX NVA tier in front of the backends of rule ${f.facts.lbRule} (clients then call the NVA's VIP)`;
    case 'app-gateway':
      return `Put an Application Gateway in front (HTTP/S) of rule ${f.facts.lbRule} (clients then call the gateway's private IP)`;
  }
}

export function registerCodeActions(context: vscode.ExtensionContext, diagnostics: DiagnosticsController): void {
  const provider = new HairpinCodeActions(diagnostics);
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(SELECTOR, provider, { providedCodeActionKinds: HairpinCodeActions.kinds }),
    vscode.commands.registerCommand('ilbHairpin.applyFixWithOs', (uri: vscode.Uri, finding: Finding, strategy?: FixStrategy) => provider.applyFixWithOs(uri, finding, strategy)),
  );
}
