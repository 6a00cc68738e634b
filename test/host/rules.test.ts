import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { SOURCE, fixture, ofRule, ours, ruleOf, waitFor } from './helpers';

/** The text of a hover, its Markdown escapes removed. */
async function hoverText(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const hovers = (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position)) ?? [];
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n')
    .replace(/\\(.)/g, '$1');
}

/** The position just inside a quoted name (`"rule-prone"` or `'rule-http'`). */
function at(doc: vscode.TextDocument, quoted: string): vscode.Position {
  const i = doc.getText().indexOf(quoted);
  assert.ok(i >= 0, `${quoted} is in ${doc.uri.path}`);
  return doc.positionAt(i + 2);
}

describe('every rule in the Problems panel, and the hover card of a rule', () => {
  let uri: vscode.Uri;
  let doc: vscode.TextDocument;

  before(async () => {
    uri = fixture('rules', 'azuredeploy.json');
    doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await waitFor('the findings of every rule', () => (vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE).length >= 5 ? true : undefined));
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('the Problems panel shows each rule\'s findings with its severity (the NAT rule\'s too)', () => {
    const shown = vscode.languages
      .getDiagnostics(uri)
      .filter((d) => d.source === SOURCE)
      .map((d) => [ruleOf(d), vscode.DiagnosticSeverity[d.severity], doc.lineAt(d.range.start.line).text.trim()])
      .sort((a, b) => String(a).localeCompare(String(b)));
    assert.deepEqual(shown, [
      ['floating-ip-unsupported', 'Error', '"enableFloatingIP": true'],
      ['floating-ip-without-loopback', 'Warning', '"enableFloatingIP": true'],
      ['hairpin-prone-nat-rule', 'Information', '"name": "nat-spare",'],
      ['hairpin-prone-nat-rule', 'Warning', '"name": "nat-admin",'],
      ['hairpin-prone-rule', 'Error', '"enableFloatingIP": false'],
    ]);
    const nat = ofRule(uri, 'hairpin-prone-nat-rule').find((d) => d.severity === vscode.DiagnosticSeverity.Warning) as vscode.Diagnostic;
    assert.match(nat.message, /frontend 10\.50\.0\.10:50022 \(TCP\) forwards to VM vm-app port 22/);
    assert.equal((nat.code as { value: string }).value, 'hairpin-prone-nat-rule');
  });

  it('hovering a load-balancing rule: frontend, pool, members, floating IP and its finding in one card', async () => {
    const text = await hoverText(uri, at(doc, '"rule-prone"'));
    assert.match(text, /ILB Hairpin: load-balancing rule rule-prone\*\* of load balancer ilb-rules/);
    assert.match(text, /Frontend: fe \(10\.50\.0\.10\), internal/);
    assert.match(text, /Ports: TCP 80 -> 80/);
    assert.match(text, /Pool: be/);
    assert.match(text, /Members \(1\): VM vm-app/);
    assert.match(text, /Floating IP: off/);
    assert.match(text, /\*\*Error\*\* \[hairpin-prone-rule\]\(command:ilbHairpin\.openRuleDocs.*\): Hairpin-prone: internal load balancer ilb-rules, rule rule-prone/);
    assert.ok(!/floating-ip-without-loopback|hairpin-prone-nat-rule/.test(text), 'only the findings on this rule');
  });

  it('the card of a rule with floating IP on, and of a NAT rule', async () => {
    const dsr = await hoverText(uri, at(doc, '"rule-dsr"'));
    assert.match(dsr, /Floating IP: on/);
    assert.match(dsr, /\*\*Warning\*\* \[floating-ip-without-loopback\]/);
    const nat = await hoverText(uri, at(doc, '"nat-admin"'));
    assert.match(nat, /inbound NAT rule nat-admin\*\* of load balancer ilb-rules/);
    assert.match(nat, /Ports: TCP 50022 -> 22/);
    assert.match(nat, /Members \(1\): VM vm-app/);
    assert.match(nat, /\*\*Warning\*\* \[hairpin-prone-nat-rule\]/);
  });

  it('the Show topology CodeLens counts the hairpin-prone rules only (the other rules\' findings are lines in the picture)', async () => {
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
    const titles = lenses.map((l) => l.command?.title ?? '').filter((t) => t.includes('Show topology'));
    assert.deepEqual(titles, ['$(type-hierarchy) Show topology · 3 rules, 1 hairpin-prone']);
  });

  it('no card outside a rule', async () => {
    const text = await hoverText(uri, at(doc, '"nic-spare"'));
    assert.ok(!text.includes('ILB Hairpin'), text);
  });

  it('hovering a rule in Bicep: the same card', async () => {
    const bicepUri = fixture('seed-lab-bicep', 'main.bicep');
    const bicep = await vscode.workspace.openTextDocument(bicepUri);
    await vscode.window.showTextDocument(bicep);
    await waitFor('the Bicep diagnostic', () => ours(bicepUri)[0]);
    const text = await hoverText(bicepUri, at(bicep, "'rule-http'"));
    assert.match(text, /load-balancing rule rule-http\*\* of load balancer ilb-we-02-web/);
    assert.match(text, /Frontend: fe-web \(10\.2\.1\.100\), internal/);
    assert.match(text, /Pool: be-web/);
    assert.match(text, /Floating IP: off/);
    assert.match(text, /\*\*Warning\*\* \[hairpin-prone-rule\]/);
  });
});
