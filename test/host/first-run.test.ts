import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fixture, ours, waitFor } from './helpers';

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

  // The walkthrough opens its bundled example as an untitled document when the workspace has no
  // copy (a new user's case): the core knows templates by extension, an untitled one has none.
  it('a template in an untitled editor is analyzed, fixed, and forgotten when it stops being JSON', async () => {
    const seed = new TextDecoder().decode(await vscode.workspace.fs.readFile(fixture('seed-lab', 'azuredeploy.json')));
    // Names of its own: the workspace's seed lab declares the same ones.
    const content = seed.replace(/VM-WE-02-Web01/g, 'VM-UNTITLED-01').replace(/ilb-we-02-web/g, 'ilb-untitled').replace(/vnet-we-02-spoke/g, 'vnet-untitled');
    assert.notEqual(content, seed);
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content });
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.uri.scheme, 'untitled');
    const d = await waitFor('the finding in the untitled template', () => ours(doc.uri)[0]);
    assert.equal(doc.getText(d.range), 'false');
    assert.match(d.message, /ilb-untitled/);
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, d.range)) ?? [];
    const loopback = actions.find((a) => a.title.startsWith('Enable floating IP on rule rule-http and configure the VIP'));
    assert.ok(loopback?.edit, `offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.deepEqual([...new Set(loopback.edit.entries().map(([u]) => u.toString()))], [doc.uri.toString()], 'the fix edits the untitled document');
    assert.ok(await vscode.workspace.applyEdit(loopback.edit));
    assert.match(doc.getText(), /enableFloatingIP"?: true/);
    await waitFor('the finding to go away', () => (ours(doc.uri).length === 0 ? true : undefined));
    await vscode.commands.executeCommand('undo');
    await waitFor('the finding back after undo', () => ours(doc.uri)[0]);
    // Its topology: the load balancer's parts and the web server, under the editor's name.
    const report = await vscode.commands.executeCommand<{ nodes: number; marks: number } | undefined>('ilbHairpin.showTopology');
    assert.deepEqual([report?.nodes, report?.marks], [6, 1]);
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview);
    assert.equal(tab?.label, `Topology: ${doc.uri.path}`);
    await vscode.window.showTextDocument(doc);
    // Plain text is no template: its diagnostics go.
    const plain = await vscode.languages.setTextDocumentLanguage(doc, 'plaintext');
    await waitFor('no diagnostics on plain text', () => (ours(plain.uri).length === 0 ? true : undefined));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
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
