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
});
