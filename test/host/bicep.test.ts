import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fixture, ours, waitFor } from './helpers';

/** Run by scripts/host-test.mjs beside this extension: the official Bicep ids, no file associations. */
const STAND_IN = 'ilb-hairpin-test.fake-bicep-language';

/** What a person gets on the seed lab's Bicep file: the finding, its quick fixes and the CodeLens. */
async function featuresOn(doc: vscode.TextDocument): Promise<{ diagnostic: vscode.Diagnostic; actions: string[]; lenses: string[] }> {
  const diagnostic = await waitFor('the Bicep diagnostic', () => ours(doc.uri)[0]);
  const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', doc.uri, diagnostic.range)) ?? [];
  const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10)) ?? [];
  return { diagnostic, actions: actions.map((a) => a.title), lenses: lenses.map((l) => l.command?.title ?? '') };
}

describe('Bicep diagnostics in the real host', () => {
  after(async () => {
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('contributes no language of its own: the bicep ids are the Bicep extension\'s (here its stand-in\'s)', async () => {
    const ours = vscode.extensions.getExtension('ilb-hairpin.ilb-hairpin');
    assert.ok(ours);
    assert.equal(ours.packageJSON.contributes.languages, undefined);
    const standIn = vscode.extensions.getExtension(STAND_IN);
    assert.ok(standIn, `${STAND_IN} is loaded by the host harness`);
    const ids = ((standIn.packageJSON.contributes.languages ?? []) as { id: string }[]).map((l) => l.id);
    assert.deepEqual(ids, ['bicep', 'bicep-params']);
    const languages = await vscode.languages.getLanguages();
    assert.ok(languages.includes('bicep'));
  });

  it('without the Bicep extension a .bicep file is plain text, and still gets the finding, the quick fixes and the CodeLens', async () => {
    const uri = fixture('seed-lab-bicep', 'main.bicep');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'plaintext', 'no extension associates .bicep here');
    const { diagnostic, actions, lenses } = await featuresOn(doc);
    assert.equal(doc.getText(diagnostic.range), 'false');
    assert.ok(actions.some((t) => /Enable floating IP .*on rule rule-http/.test(t)), actions.join('\n'));
    assert.ok(lenses.some((t) => /topology/i.test(t)), lenses.join('\n'));
  });

  it('with the Bicep extension\'s language id the same file gets the same, and the finding follows an edit', async () => {
    const uri = fixture('seed-lab-bicep', 'main.bicep');
    const doc = await vscode.languages.setTextDocumentLanguage(await vscode.workspace.openTextDocument(uri), 'bicep');
    await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'bicep');
    const { diagnostic: d, actions, lenses } = await featuresOn(doc);
    assert.ok(actions.some((t) => /Enable floating IP .*on rule rule-http/.test(t)), actions.join('\n'));
    assert.ok(lenses.some((t) => /topology/i.test(t)), lenses.join('\n'));
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

  it('an edit of a resource the graph does not read: the finding and the CodeLens move with the text', async () => {
    const uri = fixture('seed-lab-bicep', 'main.bicep');
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await vscode.commands.executeCommand('workbench.action.files.revert');
    const before = await waitFor('the Bicep diagnostic', () => ours(uri)[0]);
    try {
      const lbLine = doc.getText().split('\n').findIndex((l) => l.startsWith('resource ilb '));
      assert.ok(lbLine > 0);
      // A storage account above the load balancer (9 lines), then an edit of its body only (one line more).
      const account = "resource logs 'Microsoft.Storage/storageAccounts@2023-01-01' = {\n  name: 'logs'\n  location: 'westeurope'\n  sku: {\n    name: 'Standard_LRS'\n  }\n  kind: 'StorageV2'\n}\n\n";
      const steps: [string, (e: vscode.WorkspaceEdit) => void, number][] = [
        ['a storage account added', (e) => e.insert(uri, new vscode.Position(lbLine, 0), account), 9],
        ["the account's SKU changed and a line added to it", (e) => e.replace(uri, new vscode.Range(lbLine + 4, 0, lbLine + 5, 0), "    name: 'Standard_GRS'\n    tier: 'Standard'\n"), 10],
      ];
      for (const [what, make, moved] of steps) {
        const edit = new vscode.WorkspaceEdit();
        make(edit);
        assert.ok(await vscode.workspace.applyEdit(edit), what);
        const d = await waitFor(`the diagnostic ${moved} lines lower after: ${what}`, () => ours(uri).find((x) => x.range.start.line === before.range.start.line + moved));
        assert.equal(doc.getText(d.range), 'false', what);
        const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 10)) ?? [];
        const lens = lenses.find((l) => /topology/i.test(l.command?.title ?? ''));
        assert.equal(lens?.range.start.line, lbLine + moved, `the CodeLens on the load balancer after: ${what}`);
      }
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
      // (Back where it was before the next test reads it.)
      await waitFor('the diagnostic back at its line after the revert', () => ours(uri).find((x) => x.range.start.line === before.range.start.line));
    }
  });

  it("Bicep's own #disable-next-line hairpin-prone-rule suppresses the finding", async () => {
    const uri = fixture('seed-lab-bicep', 'main.bicep');
    await vscode.commands.executeCommand('workbench.action.files.revert');
    const doc = await vscode.workspace.openTextDocument(uri);
    const d = await waitFor('the Bicep diagnostic back after the revert', () => ours(uri)[0]);
    const line = doc.lineAt(d.range.start.line);
    const edit = new vscode.WorkspaceEdit();
    edit.insert(uri, line.range.start, `${line.text.slice(0, line.firstNonWhitespaceCharacterIndex)}#disable-next-line hairpin-prone-rule\n`);
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('the suppressed diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
  });
});
