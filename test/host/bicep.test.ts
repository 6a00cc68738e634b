import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fixture, ours, waitFor } from './helpers';

describe('Bicep diagnostics in the real host', () => {
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('gives .bicep files the bicep language and flags the seed lab rule', async () => {
    const uri = fixture('seed-lab-bicep', 'main.bicep');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'bicep');
    const d = await waitFor('the Bicep diagnostic', () => ours(uri)[0]);
    assert.equal(doc.getText(d.range), 'false');
    assert.match(doc.lineAt(d.range.start.line).text, /enableFloatingIP: false/);
    assert.equal((d.code as { value: string }).value, 'hairpin-prone-rule');
    assert.match(d.message, /ilb-we-02-web.*rule-http.*10\.2\.1\.100:80.*1 member\b.*VM-WE-02-Web01.*every connection fails/s);
    const member = (d.relatedInformation ?? []).find((r) => /member/.test(r.message));
    assert.ok(member, 'a related location points at the member');
    assert.match(doc.getText(member.location.range), /ilb\.properties\.backendAddressPools\[0\]\.id/);

    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, d.range, 'true');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('the diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
  });
});
