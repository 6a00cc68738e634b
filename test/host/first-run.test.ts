import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ours, waitFor } from './helpers';

describe('first run: walkthrough commands, task, output', () => {
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('Open the Hairpin Example opens the seed lab with the cursor on its finding', async () => {
    await vscode.commands.executeCommand('ilbHairpin.openExample');
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'an editor is open');
    assert.match(editor.document.uri.path, /seed-lab\/azuredeploy\.json$/, 'the workspace has the example: its copy opens');
    assert.equal(editor.document.getText(editor.selection), 'false');
    assert.match(editor.document.lineAt(editor.selection.start.line).text, /"enableFloatingIP": false/);
    const d = await waitFor('the finding', () => ours(editor.document.uri)[0]);
    assert.ok(d.range.contains(editor.selection), 'the selection is the finding');
  });

  it('provides the ilb-hairpin scan task with the $ilb-hairpin problem matcher', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'ilb-hairpin' });
    assert.equal(tasks.length, vscode.workspace.workspaceFolders?.length, 'one task per workspace folder');
    const task = tasks[0] as vscode.Task;
    assert.equal(task.source, 'ilb-hairpin');
    assert.ok(task.execution instanceof vscode.ShellExecution);
    assert.equal(task.execution.command, 'npx');
    assert.deepEqual(
      (task.execution.args ?? []).map((a) => (typeof a === 'string' ? a : a.value)),
      ['--no', 'ilb-hairpin', 'scan', '.'],
    );
    assert.deepEqual(task.problemMatchers, ['$ilb-hairpin']);
  });

  it('Show Output runs', async () => {
    await vscode.commands.executeCommand('ilbHairpin.showOutput');
  });
});
