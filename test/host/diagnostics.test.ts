import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { fixture, ours, waitFor } from './helpers';

describe('ARM template diagnostics in the real host', () => {
  let uri: vscode.Uri;
  let doc: vscode.TextDocument;

  before(async () => {
    uri = fixture('seed-lab', 'azuredeploy.json');
    doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.files.revert');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('flags the seed lab rule on its enableFloatingIP value', async () => {
    const diags = await waitFor('the hairpin diagnostic', () => {
      const d = ours(uri);
      return d.length ? d : undefined;
    });
    assert.equal(diags.length, 1);
    const d = diags[0] as vscode.Diagnostic;
    assert.equal(doc.getText(d.range), 'false');
    assert.match(doc.lineAt(d.range.start.line).text, /"enableFloatingIP"\s*:\s*false/);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);

    const code = d.code as { value: string; target: vscode.Uri };
    assert.equal(code.value, 'hairpin-prone-rule');
    // The link opens the bundled page (the Problems panel and the hover run command: links).
    assert.equal(code.target.scheme, 'command');
    assert.equal(code.target.path, 'ilbHairpin.openRuleDocs');
    assert.deepEqual(JSON.parse(code.target.query), ['hairpin-prone-rule']);

    assert.match(d.message, /ilb-we-02-web/);
    assert.match(d.message, /rule-http/);
    assert.match(d.message, /10\.2\.1\.100:80/);
    assert.match(d.message, /1 member\b/);
    assert.match(d.message, /VM-WE-02-Web01/);
    assert.match(d.message, /every connection fails/);

    const related = d.relatedInformation ?? [];
    assert.equal(related.length, 3);
    for (const r of related) assert.equal(r.location.uri.toString(), uri.toString());
    const [frontend, pool, member] = related as [vscode.DiagnosticRelatedInformation, vscode.DiagnosticRelatedInformation, vscode.DiagnosticRelatedInformation];
    assert.match(frontend.message, /frontend fe-web/);
    assert.match(doc.getText(frontend.location.range), /"name": "fe-web"[\s\S]*"privateIPAddress"/);
    assert.match(pool.message, /backend pool be-web/);
    assert.match(doc.getText(pool.location.range), /"name": "be-web"/);
    assert.match(member.message, /VM-WE-02-Web01/);
    assert.match(doc.getText(member.location.range), /backendAddressPools', variables\('lbName'\), 'be-web'\)\]"$/);
    const memberLine = member.location.range.start.line;
    const text = doc.getText();
    const nicStart = doc.positionAt(text.indexOf('"Microsoft.Network/networkInterfaces"')).line;
    assert.ok(memberLine > nicStart, 'the member location is inside the NIC');
  });

  it('clears the diagnostic when floating IP is turned on, without saving', async () => {
    const d = (await waitFor('the diagnostic', () => ours(uri)[0])) as vscode.Diagnostic;
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, d.range, 'true');
    assert.ok(await vscode.workspace.applyEdit(edit));
    assert.ok(doc.isDirty);
    await waitFor('the diagnostic to go away', () => (ours(uri).length === 0 ? true : undefined));
  });

  it('brings it back when floating IP is turned off again', async () => {
    const edit = new vscode.WorkspaceEdit();
    const at = doc.getText().indexOf('"enableFloatingIP": true');
    assert.ok(at >= 0);
    const start = doc.positionAt(at + '"enableFloatingIP": '.length);
    edit.replace(uri, new vscode.Range(start, start.translate(0, 4)), 'false');
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('the diagnostic to return', () => (ours(uri).length === 1 ? true : undefined));
  });

  it('sends the worker only the changes of each edit: multi-range edits, undo and redo keep the diagnostic on the value', async () => {
    const api = vscode.extensions.getExtension('ilb-hairpin.ilb-hairpin')?.exports as { diagnostics: { editorSync: { edits: number; wholeTexts: number; resyncs: number } } };
    const sync = api.diagnostics.editorSync;
    const before = { ...sync };
    const editor = vscode.window.visibleTextEditors.find((e) => e.document === doc) ?? (await vscode.window.showTextDocument(doc));
    /** The diagnostic is on the `false` of `"enableFloatingIP": false` in the editor's text as it is now. */
    const onValue = (): Promise<vscode.Diagnostic> =>
      waitFor('the diagnostic on the value in the edited text', () => {
        const d = ours(uri);
        if (d.length !== 1 || !d[0]) return undefined;
        const line = doc.lineAt(d[0].range.start.line).text;
        return doc.getText(d[0].range) === 'false' && /"enableFloatingIP"\s*:\s*false/.test(line) ? d[0] : undefined;
      });
    // The fixture's text is put back whatever happens (a dirty editor left behind may be saved later).
    try {
      await onValue();
      // One event of several changes: lines added above the value and text replaced below it.
      const text = doc.getText();
      const value = text.indexOf('"enableFloatingIP": false');
      const above = [text.indexOf('{'), text.indexOf('"resources"'), text.lastIndexOf('"name"', value)];
      const below = text.indexOf('"name"', value);
      assert.ok(above.every((o) => o >= 0 && o < value) && below > value);
      assert.ok(
        await editor.edit((e) => {
          for (const o of above) e.insert(doc.positionAt(o), '\n\n');
          e.replace(new vscode.Range(doc.positionAt(below), doc.positionAt(below + 6)), '"name"  ');
        }),
      );
      await onValue();
      // A deletion that spans lines (the first blank lines added), then undo and redo.
      assert.ok(await editor.edit((e) => e.delete(new vscode.Range(doc.positionAt(0), doc.positionAt(2)))));
      await onValue();
      await vscode.commands.executeCommand('undo');
      await onValue();
      await vscode.commands.executeCommand('redo');
      const d = await onValue();
      const line = d.range.start.line;
      assert.equal(doc.getText().split('\n').findIndex((l) => /"enableFloatingIP"\s*:\s*false/.test(l)), line);
      assert.ok(sync.edits >= before.edits + 4, `the edits went as changes (${sync.edits - before.edits})`);
      assert.equal(sync.wholeTexts, before.wholeTexts, 'no whole text was sent for them');
      assert.equal(sync.resyncs, before.resyncs, 'the worker never lost step');
    } finally {
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
    assert.ok(!doc.isDirty);
    await onValue();
  });
});
