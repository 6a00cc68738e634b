import * as vscode from 'vscode';
import { floatingIpFix, type TextEdit } from '../core/fixes/floating-ip';
import { floatingIpLoopbackFix } from '../core/fixes/loopback';
import { ruleById } from '../core/rules';
import type { Finding } from '../core/rules/types';
import { DIRECTIVE } from '../core/suppress';
import { documentPath, type DiagnosticsController } from './diagnostics';
import { showTopologyAction } from './topology-panel';

const SELECTOR: vscode.DocumentSelector = [
  { language: 'json' },
  { language: 'jsonc' },
  { language: 'arm-template' },
  { language: 'bicep' },
];
const FIX_ALL = vscode.CodeActionKind.SourceFixAll.append('ilbHairpin');

/**
 * Quick fixes on hairpin findings: enable floating IP (DSR), fix all in the file, suppress with
 * a reason, learn more. The edits come from the core as plain data, like the CLI's.
 */
export class HairpinCodeActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix, FIX_ALL];

  constructor(private readonly diagnostics: DiagnosticsController) {}

  provideCodeActions(doc: vscode.TextDocument, range: vscode.Range, context: vscode.CodeActionContext): vscode.CodeAction[] {
    const findings = this.findingsIn(doc);
    if (context.only && (context.only.contains(FIX_ALL) || FIX_ALL.contains(context.only))) return this.fixAll(doc, findings);
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
    const path = documentPath(doc.uri);
    return (this.diagnostics.analysis?.findings ?? []).filter((f) => f.span.file === path);
  }

  private range(doc: vscode.TextDocument, f: Finding): vscode.Range {
    return new vscode.Range(doc.positionAt(f.span.start), doc.positionAt(f.span.end));
  }

  private actionsFor(doc: vscode.TextDocument, finding: Finding, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    const result = floatingIpFix(finding, (file) => (file === documentPath(doc.uri) ? doc.getText() : this.diagnostics.textOf(file)));
    if (result.ok) {
      const action = new vscode.CodeAction(`${result.fix.title} — the VIP must also be on each member's loopback`, vscode.CodeActionKind.QuickFix);
      action.edit = this.workspaceEdit(doc, result.fix.edits);
      action.isPreferred = false;
      if (diagnostic) action.diagnostics = [diagnostic];
      actions.push(action);
    } else {
      const disabled = new vscode.CodeAction(`Enable floating IP (DSR) on rule ${finding.facts.lbRule}`, vscode.CodeActionKind.QuickFix);
      disabled.disabled = { reason: result.reason };
      actions.push(disabled);
    }
    actions.push(...this.loopbackActions(doc, finding, diagnostic));
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

  /** Floating IP plus the VIP on the VMs' loopback; when the OS cannot be told, the user picks it. */
  private loopbackActions(doc: vscode.TextDocument, finding: Finding, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction[] {
    const textOf = (file: string): string | undefined => (file === documentPath(doc.uri) ? doc.getText() : this.diagnostics.textOf(file));
    const result = floatingIpLoopbackFix(finding, textOf);
    const title = `Enable floating IP on rule ${finding.facts.lbRule} and configure the VIP on the backend VMs' loopback (health probes still use the NIC IP: listen on both)`;
    const action = new vscode.CodeAction(title, vscode.CodeActionKind.QuickFix);
    if (diagnostic) action.diagnostics = [diagnostic];
    if (result.ok) {
      action.edit = this.workspaceEdit(doc, result.fix.edits);
    } else if (/OS .* cannot be told/.test(result.reason)) {
      action.command = { command: 'ilbHairpin.applyLoopbackFix', title, arguments: [doc.uri, finding] };
    } else {
      action.disabled = { reason: result.reason };
    }
    return [action];
  }

  /** Asks for the members' OS, then applies the loopback fix with it. */
  async applyLoopbackFix(uri: vscode.Uri, finding: Finding): Promise<void> {
    const pick = await vscode.window.showQuickPick(
      [
        { label: 'Linux', description: 'a systemd unit puts the VIP/32 on lo at every boot', os: 'linux' as const },
        { label: 'Windows', description: 'netsh: the VIP on the loopback adapter, weak host send/receive, a firewall rule', os: 'windows' as const },
      ],
      { title: "The backend VMs' operating system", placeHolder: 'The template does not say which OS the VMs run' },
    );
    if (!pick) return;
    const doc = await vscode.workspace.openTextDocument(uri);
    const result = floatingIpLoopbackFix(finding, (file) => (file === documentPath(doc.uri) ? doc.getText() : this.diagnostics.textOf(file)), pick.os);
    if (!result.ok) {
      void vscode.window.showWarningMessage(`ILB Hairpin: ${result.reason}`);
      return;
    }
    await vscode.workspace.applyEdit(this.workspaceEdit(doc, result.fix.edits));
  }

  /** `// ilb-hairpin-disable-next-line <rule> <reason>` above the finding's line, indented like it. */
  private suppression(doc: vscode.TextDocument, finding: Finding, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction {
    const action = new vscode.CodeAction(`Suppress ${finding.ruleId} for rule ${finding.facts.lbRule} (with a reason)`, vscode.CodeActionKind.QuickFix);
    const line = doc.lineAt(doc.positionAt(finding.span.start).line);
    const indent = line.text.slice(0, line.firstNonWhitespaceCharacterIndex);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(doc.uri, line.range.start, `${indent}// ${DIRECTIVE} ${finding.ruleId} reason: members never call this frontend\n`);
    action.edit = edit;
    if (diagnostic) action.diagnostics = [diagnostic];
    return action;
  }

  private fixAll(doc: vscode.TextDocument, findings: Finding[]): vscode.CodeAction[] {
    const edits: TextEdit[] = [];
    for (const f of findings) {
      const r = floatingIpFix(f, (file) => (file === documentPath(doc.uri) ? doc.getText() : undefined));
      if (r.ok && r.fix.edits.every((e) => e.file === documentPath(doc.uri))) {
        for (const e of r.fix.edits) if (!edits.some((x) => x.offset === e.offset)) edits.push(e);
      }
    }
    if (edits.length === 0) return [];
    const action = new vscode.CodeAction('Enable floating IP on every hairpin-prone rule in this file', FIX_ALL);
    action.edit = this.workspaceEdit(doc, edits);
    return [action];
  }

  private workspaceEdit(doc: vscode.TextDocument, edits: TextEdit[]): vscode.WorkspaceEdit {
    const edit = new vscode.WorkspaceEdit();
    const path = documentPath(doc.uri);
    for (const e of edits) {
      const uri = e.file === path ? doc.uri : vscode.Uri.file(e.file);
      const start = e.file === path ? doc.positionAt(e.offset) : undefined;
      if (!start) continue; // edits in other files are applied by the CLI; the editor keeps to the open one
      edit.replace(uri, new vscode.Range(start, doc.positionAt(e.offset + e.length)), e.newText);
    }
    return edit;
  }
}

export function registerCodeActions(context: vscode.ExtensionContext, diagnostics: DiagnosticsController): void {
  const provider = new HairpinCodeActions(diagnostics);
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider(SELECTOR, provider, { providedCodeActionKinds: HairpinCodeActions.kinds }),
    vscode.commands.registerCommand('ilbHairpin.applyLoopbackFix', (uri: vscode.Uri, finding: Finding) => provider.applyLoopbackFix(uri, finding)),
  );
}
