import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

describe('rule documentation', () => {
  it('opens the bundled rule page offline', async () => {
    await vscode.commands.executeCommand('ilbHairpin.openRuleDocs', 'hairpin-prone-rule');
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse('ilb-hairpin-docs:/hairpin-prone-rule.md'));
    assert.match(doc.getText(), /^# hairpin-prone-rule$/m);
    assert.match(doc.getText(), /## How to fix it/);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});
