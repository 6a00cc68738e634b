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

  it('serves the pages as a read-only file system (the preview can watch them), with a page for evaluation notes', async () => {
    const uri = vscode.Uri.parse('ilb-hairpin-docs:/template-evaluation.md');
    const stat = await vscode.workspace.fs.stat(uri);
    assert.equal(stat.type, vscode.FileType.File);
    assert.equal(stat.permissions, vscode.FilePermission.Readonly);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    assert.match(text, /^# template-evaluation$/m);
    await assert.rejects(Promise.resolve(vscode.workspace.fs.writeFile(uri, new Uint8Array())));
    await assert.rejects(Promise.resolve(vscode.workspace.fs.stat(vscode.Uri.parse('ilb-hairpin-docs:/no-such-rule.md'))));
  });
});
