import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fixture, ours, waitFor } from './helpers';

describe('quick fixes in the real host', () => {
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The two seed labs declare the same VM (one resource group, one name): the next test starts
    // once the analysis has the reverted text of both again (both flagged).
    await waitFor('both seed labs flagged again', () =>
      ours(fixture('seed-lab', 'azuredeploy.json')).length && ours(fixture('seed-lab-bicep', 'main.bicep')).length ? true : undefined,
    );
  });

  for (const file of [['seed-lab', 'azuredeploy.json'], ['seed-lab-bicep', 'main.bicep']]) {
    it(`offers the fixes on the finding in ${file.join('/')}, and floating IP clears it`, async () => {
      const uri = fixture(...file);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const d = await waitFor('the diagnostic', () => ours(uri)[0]);
      const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range)) ?? [];
      const titles = actions.map((a) => a.title);
      const floating = actions.find((a) => a.title.startsWith('Enable floating IP only on rule rule-http (incomplete'));
      assert.ok(floating?.edit, `the floating IP fix is offered: ${titles.join(' | ')}`);
      // Floating IP alone stops the rule from serving: never the preferred fix. The preferred one is complete.
      assert.ok(!floating.isPreferred, 'floating IP alone is not preferred');
      const preferred = actions.filter((a) => a.isPreferred);
      assert.equal(preferred.length, 1, `one preferred fix: ${titles.join(' | ')}`);
      assert.match(preferred[0]?.title ?? '', /^(Enable floating IP on rule rule-http and configure the VIP|Add a secondary NIC)/);
      assert.ok(titles.some((t) => t.startsWith('Suppress hairpin-prone-rule for rule rule-http')), 'a suppression is offered');
      assert.ok(titles.includes('Learn more about hairpin-prone-rule'), 'learn more is offered');
      assert.ok(await vscode.workspace.applyEdit(floating.edit));
      assert.match(doc.getText(), /enableFloatingIP"?: true/);
      await waitFor('the diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
    });
  }

  it('floating IP with the loopback configuration adds the guest extension and clears the finding', async () => {
    const uri = fixture('seed-lab', 'azuredeploy.json');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor('the diagnostic', () => ours(uri)[0]);
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range)) ?? [];
    const loopback = actions.find((a) => a.title.startsWith('Enable floating IP on rule rule-http and configure the VIP'));
    assert.ok(loopback?.edit, `offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.match(loopback.title, /health probes still use the NIC IP/);
    assert.ok(await vscode.workspace.applyEdit(loopback.edit));
    assert.match(doc.getText(), /"name": "\[concat\(parameters\('vmName'\), '\/ilb-hairpin-loopback'\)\]"/);
    await waitFor('the diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
  });

  it('source.fixAll on the seed lab turns on floating IP only together with the loopback extension, and the finding goes', async () => {
    const uri = fixture('seed-lab', 'azuredeploy.json');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await waitFor('the diagnostic', () => ours(uri)[0]);
    const fixAll = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      new vscode.Range(0, 0, doc.lineCount, 0),
      vscode.CodeActionKind.SourceFixAll.value,
    );
    const action = fixAll?.find((a) => a.kind?.value === 'source.fixAll.ilbHairpin');
    assert.equal(action?.title, "Enable floating IP with the VIP on the backend VMs' loopback, on every hairpin-prone rule in this file");
    assert.ok(action?.edit, `fix-all has an edit: ${action?.disabled?.reason ?? ''}`);
    assert.ok(await vscode.workspace.applyEdit(action.edit));
    const text = doc.getText();
    assert.match(text, /"enableFloatingIP": true/);
    // What makes the result serve: the VIP on the member's loopback (the lab's scenario 2 proves this configuration).
    assert.match(text, /"name": "\[concat\(parameters\('vmName'\), '\/ilb-hairpin-loopback'\)\]"/);
    assert.match(text, /"type": "CustomScriptExtension"|"type": "CustomScript"/);
    await waitFor('the diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
    const again = await vscode.commands.executeCommand<vscode.CodeAction[]>(
      'vscode.executeCodeActionProvider',
      uri,
      new vscode.Range(0, 0, doc.lineCount, 0),
      vscode.CodeActionKind.SourceFixAll.value,
    );
    assert.ok(!again?.some((a) => a.kind?.value === 'source.fixAll.ilbHairpin' && a.edit), 'a second fix-all has nothing to do');
  });

  it('saving with "editor.codeActionsOnSave": { "source.fixAll": "explicit" } writes a template that serves', async () => {
    const uri = fixture('seed-lab', 'azuredeploy.json');
    const original = await vscode.workspace.fs.readFile(uri);
    const editor = vscode.workspace.getConfiguration('editor');
    await editor.update('codeActionsOnSave', { 'source.fixAll': 'explicit' }, vscode.ConfigurationTarget.Global);
    try {
      const doc = await vscode.workspace.openTextDocument(uri);
      const shown = await vscode.window.showTextDocument(doc);
      await waitFor('the diagnostic', () => ours(uri)[0]);
      // A real change, so that the save runs its participants.
      await shown.edit((b) => b.insert(doc.positionAt(doc.getText().length), '\n'));
      assert.ok(await doc.save());
      const saved = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      assert.match(saved, /"enableFloatingIP": true/);
      assert.match(saved, /ilb-hairpin-loopback/, 'floating IP never without the VIP on the loopback');
      await waitFor('the diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
    } finally {
      await editor.update('codeActionsOnSave', undefined, vscode.ConfigurationTarget.Global);
      await vscode.workspace.fs.writeFile(uri, original);
    }
  });

  it('suppresses with a reason', async () => {
    const uri = fixture('seed-lab', 'azuredeploy.json');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor('the diagnostic', () => ours(uri)[0]);
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range)) ?? [];
    const suppress = actions.find((a) => a.title.startsWith('Suppress hairpin-prone-rule'));
    assert.ok(suppress?.edit);
    assert.ok(await vscode.workspace.applyEdit(suppress.edit));
    // Strict JSON has no comments: the directive goes into the load balancer's `comments`.
    assert.match(doc.getText(), /"comments": "ilb-hairpin-disable hairpin-prone-rule rule-http: members never call this frontend"/);
    await waitFor('the suppressed diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
  });

  it('suppresses with a // line in Bicep', async () => {
    const uri = fixture('seed-lab-bicep', 'main.bicep');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const d = await waitFor('the diagnostic', () => ours(uri)[0]);
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range)) ?? [];
    const suppress = actions.find((a) => a.title.startsWith('Suppress hairpin-prone-rule'));
    assert.ok(suppress?.edit);
    assert.ok(await vscode.workspace.applyEdit(suppress.edit));
    assert.match(doc.getText(), /\n\s*\/\/ ilb-hairpin-disable-next-line hairpin-prone-rule reason: members never call this frontend\r?\n/);
    await waitFor('the suppressed diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
  });

  for (const file of [['seed-lab', 'azuredeploy.json'], ['seed-lab-bicep', 'main.bicep']]) {
    it(`adds a secondary NIC with its route in ${file.join('/')}, and the finding goes`, async () => {
      const uri = fixture(...file);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      const d = await waitFor('the diagnostic', () => ours(uri)[0]);
      const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range)) ?? [];
      const nic = actions.find((a) => a.title.startsWith('Add a secondary NIC to each backend VM of rule rule-http'));
      assert.ok(nic?.edit, `offered: ${actions.map((a) => a.title).join(' | ')}`);
      assert.match(nic.title, /the VM size must allow two NICs/);
      assert.ok(await vscode.workspace.applyEdit(nic.edit));
      assert.match(doc.getText(), /ilb-hairpin-secondary-nic/);
      assert.match(doc.getText(), /-ilbh-nic2/);
      await waitFor('the diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
    });
  }

  it('scaffolds an NGINX NVA module beside the Bicep template, and both squiggles go', async () => {
    const uri = fixture('seed-lab-bicep', 'main.bicep');
    const created = vscode.Uri.joinPath(uri, '..', 'main-nginx-nva.bicep');
    await vscode.workspace.fs.delete(created).then(undefined, () => undefined); // a leftover of an interrupted run
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    try {
      const d = await waitFor('the diagnostic', () => ours(uri)[0]);
      const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range)) ?? [];
      const nva = actions.find((a) => a.title.startsWith('Scaffold an NGINX NVA tier in front of the backends of rule rule-http'));
      assert.ok(nva?.edit, `offered: ${actions.map((a) => a.title).join(' | ')}`);
      assert.ok(await vscode.workspace.applyEdit(nva.edit));
      assert.match(doc.getText(), /module \w+NginxNva '\.\/main-nginx-nva\.bicep'/);
      const module = await vscode.workspace.openTextDocument(created);
      assert.match(module.getText(), /stream|http/);
      assert.match(module.getText(), /ilb-hairpin-disable-next-line hairpin-prone-rule/);
      await waitFor('the diagnostic to go away', () => (ours(uri).length === 0 && ours(created).length === 0 ? true : undefined));
    } finally {
      // Both editors back to their disk text, closed, and the new file removed from the fixture.
      for (const d of vscode.workspace.textDocuments.filter((x) => x.isDirty)) {
        await vscode.window.showTextDocument(d);
        await vscode.commands.executeCommand('workbench.action.files.revert');
      }
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      await vscode.workspace.fs.delete(created).then(undefined, () => undefined);
      const exists = await vscode.workspace.fs.stat(created).then(() => true, () => false);
      assert.equal(exists, false, 'the scaffolded module is removed from the fixture');
    }
  });
});
