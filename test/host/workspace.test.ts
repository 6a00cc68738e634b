import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as vscode from 'vscode';
import { fixture, ours, waitFor } from './helpers';

const MEMBER = (pool: string): string => `{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "resources": [
    { "type": "Microsoft.Network/networkInterfaces", "apiVersion": "2023-09-01", "name": "nic-added", "location": "westeurope",
      "properties": { "ipConfigurations": [ { "name": "ipconfig1", "properties": {
        "subnet": { "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-shared', 'snet-app')]" },
        "loadBalancerBackendAddressPools": [ { "id": "[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-shared', '${pool}')]" } ] } } ] } }
  ]
}
`;

describe('one graph for the whole workspace, in the real host', () => {
  const ilb = fixture('cross', 'ilb.json');
  const added = fixture('cross', 'members-added.json');

  after(async () => {
    await vscode.workspace.fs.delete(added).then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('flags a template that is not open when a member is added in another file, and clears it when that file is deleted', async () => {
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === ilb.toString()), 'ilb.json is not open');
    assert.equal(ours(ilb).length, 0, 'no finding while the pool is empty');
    await vscode.workspace.fs.writeFile(added, new TextEncoder().encode(MEMBER('be-app')));
    const d = await waitFor('a finding in ilb.json', () => ours(ilb)[0]);
    assert.match(d.message, /ilb-shared.*rule-https.*10\.9\.0\.100:443.*1 member\b.*nic-added/s);
    assert.ok((d.relatedInformation ?? []).some((r) => r.location.uri.toString() === added.toString()), 'a related location is in the members file');
    await vscode.workspace.fs.delete(added);
    await waitFor('the finding to go away', () => (ours(ilb).length === 0 ? true : undefined));
  });

  it('counts unsaved edits of an open file', async () => {
    const draft = fixture('cross', 'members-draft.json');
    const doc = await vscode.workspace.openTextDocument(draft);
    await vscode.window.showTextDocument(doc);
    const at = doc.getText().indexOf('"loadBalancerBackendAddressPools": []');
    assert.ok(at >= 0);
    const start = doc.positionAt(at + '"loadBalancerBackendAddressPools": '.length);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(draft, new vscode.Range(start, start.translate(0, 2)), `[ { "id": "[resourceId('Microsoft.Network/loadBalancers/backendAddressPools', 'ilb-shared', 'be-app')]" } ]`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(doc.isDirty, 'the edit is not saved');
    const d = await waitFor('a finding from the unsaved edit', () => ours(ilb)[0]);
    assert.match(d.message, /nic-draft/);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await waitFor('the finding to go away after revert', () => (ours(ilb).length === 0 ? true : undefined));
  });

  it('reads the workspace in the analysis worker: a member saved as UTF-16 joins the pool, a FIFO named like a template is passed over', async () => {
    const pipe = fixture('cross', 'pipe.json');
    execFileSync('mkfifo', [pipe.fsPath]);
    try {
      // UTF-16LE with a byte order mark, as some Windows editors save.
      const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(MEMBER('be-app'), 'utf16le')]);
      await vscode.workspace.fs.writeFile(added, utf16);
      // The scan ends (a FIFO opened for reading would wait for a writer forever) and finds the member.
      await vscode.commands.executeCommand('ilbHairpin.scanWorkspace');
      const d = await waitFor('a finding in ilb.json from the UTF-16 member', () => ours(ilb)[0]);
      assert.match(d.message, /nic-added/);
    } finally {
      rmSync(pipe.fsPath, { force: true });
      await vscode.workspace.fs.delete(added).then(undefined, () => undefined);
    }
    // The member lived a few hundred milliseconds: VS Code's file watcher folds its creation and
    // deletion into no event at all, so only a scan (which drops what is gone) sees it go.
    await vscode.commands.executeCommand('ilbHairpin.scanWorkspace');
    await waitFor('the finding to go away', () => (ours(ilb).length === 0 ? true : undefined));
  });

  it("leaves out what ilbHairpin.exclude and files.exclude leave out: in the worker's walk and when a watched file changes", async () => {
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 1500));
    const cases: { file: vscode.Uri; section: string; key: string; value: unknown }[] = [
      { file: fixture('cross', 'left-out', 'member.json'), section: 'ilbHairpin', key: 'exclude', value: ['cross/left-out'] },
      { file: fixture('cross', 'member.hidden.json'), section: 'files', key: 'exclude', value: { '**/*.hidden.json': true } },
    ];
    for (const c of cases) {
      const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration(c.section);
      await config().update(c.key, c.value, vscode.ConfigurationTarget.Global);
      try {
        await vscode.workspace.fs.writeFile(c.file, new TextEncoder().encode(MEMBER('be-app')));
        await vscode.commands.executeCommand('ilbHairpin.scanWorkspace');
        await settle();
        assert.equal(ours(ilb).length, 0, `${c.section}.${c.key}: the member is not read by the scan or the watcher`);
        // Changed on disk: the watcher's event for it is passed over too.
        await vscode.workspace.fs.writeFile(c.file, new TextEncoder().encode(MEMBER('be-app') + '\n'));
        await settle();
        assert.equal(ours(ilb).length, 0, `${c.section}.${c.key}: a change to the member is not read`);
      } finally {
        await config().update(c.key, undefined, vscode.ConfigurationTarget.Global);
      }
      // Without the setting the same file is found (the setting was what left it out).
      const d = await waitFor(`the member once ${c.section}.${c.key} is unset`, () => ours(ilb)[0]);
      assert.match(d.message, /nic-added/);
      await vscode.workspace.fs.delete(c.file);
      await waitFor('the finding to go away', () => (ours(ilb).length === 0 ? true : undefined));
    }
    await vscode.workspace.fs.delete(fixture('cross', 'left-out'), { recursive: true });
  });

  it('starts the analysis worker again when it stops, with the workspace it had', async () => {
    const ext = vscode.extensions.getExtension('ilb-hairpin.ilb-hairpin');
    const controller = (ext?.exports as { diagnostics: { worker: { terminate(): Promise<number> }; workerAnalyses: unknown[] } }).diagnostics;
    const old = controller.worker;
    await old.terminate();
    await waitFor('a new worker', () => (controller.worker !== old ? true : undefined));
    // The new worker has every template: a member added now finds the pool declared in another file.
    await vscode.workspace.fs.writeFile(added, new TextEncoder().encode(MEMBER('be-app')));
    const d = await waitFor('a finding from the new worker', () => ours(ilb)[0]);
    assert.match(d.message, /nic-added/);
    await vscode.workspace.fs.delete(added);
    await waitFor('the finding to go away', () => (ours(ilb).length === 0 ? true : undefined));
  });

  it('has a Scan Workspace command and a status bar count', async () => {
    await vscode.commands.executeCommand('ilbHairpin.scanWorkspace');
    const ext = vscode.extensions.getExtension('ilb-hairpin.ilb-hairpin');
    const api = ext?.exports as { diagnostics: { analysis?: { findings: unknown[] } } } | undefined;
    assert.ok(api?.diagnostics.analysis, 'the scan produced an analysis');
    assert.ok(api.diagnostics.analysis.findings.length >= 2, 'the seed labs are found');
  });
});
