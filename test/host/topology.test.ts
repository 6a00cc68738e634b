import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RenderedReport } from '../../src/core/topology/protocol';
import { fixture, ours, waitFor } from './helpers';

const SHOW = 'ilbHairpin.showTopology';

function topologyTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.endsWith('ilbHairpin.topology'));
}

async function openSeedLab(): Promise<vscode.Uri> {
  const uri = fixture('seed-lab', 'azuredeploy.json');
  await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
  await waitFor('the analysis of the seed lab', () => ours(uri)[0]);
  return uri;
}

describe('topology panel in the real host', () => {
  afterEach(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('ILB Hairpin: Show Topology opens the panel beside the editor; its webview reports the seed lab drawn', async () => {
    await openSeedLab();
    const report = await vscode.commands.executeCommand<RenderedReport | undefined>(SHOW);
    assert.ok(report, 'the webview answered');
    // The load balancer, its frontend, rule, probe and pool, and the web server; one subnet; one marked rule.
    assert.equal(report.nodes, 6);
    assert.equal(report.edges, 4);
    assert.equal(report.groups, 1);
    assert.equal(report.marks, 1);
    assert.ok(report.layoutMs >= 0 && report.renderMs >= 0);
    const tabs = topologyTabs();
    assert.equal(tabs.length, 1);
    assert.equal(tabs[0]?.label, 'Topology: azuredeploy.json');
    assert.notEqual(tabs[0]?.group.viewColumn, vscode.ViewColumn.One, 'beside the editor');
  });

  it('a second run reuses the panel; an argument switches it to the whole workspace', async () => {
    await openSeedLab();
    await vscode.commands.executeCommand(SHOW);
    const report = await vscode.commands.executeCommand<RenderedReport | undefined>(SHOW, { scope: 'workspace' });
    assert.equal(topologyTabs().length, 1, 'one panel');
    assert.equal(topologyTabs()[0]?.label, 'Topology: workspace');
    // The ARM and Bicep seed labs and the cross-file pair: more than one load balancer's worth.
    assert.ok(report && report.nodes > 6 && report.marks >= 2, JSON.stringify(report));
  });

  it("the finding's Show topology action opens the panel for its rule", async () => {
    const uri = await openSeedLab();
    const d = ours(uri)[0] as vscode.Diagnostic;
    const actions = (await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, d.range)) ?? [];
    const show = actions.find((a) => a.title.startsWith('Show topology of rule rule-http'));
    assert.ok(show?.command, `offered: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(show.command.command, SHOW);
    const report = await vscode.commands.executeCommand<RenderedReport | undefined>(show.command.command, ...(show.command.arguments ?? []));
    assert.equal(report?.marks, 1);
    assert.equal(topologyTabs().length, 1);
  });

  it('a CodeLens above each load balancer, ARM and Bicep', async () => {
    for (const [file, line] of [
      [['seed-lab', 'azuredeploy.json'], /"type": "Microsoft\.Network\/loadBalancers"/],
      [['seed-lab-bicep', 'main.bicep'], /^resource ilb /],
    ] as const) {
      const uri = fixture(...file);
      const doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
      await waitFor('the analysis', () => ours(uri)[0]);
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
      const ours2 = lenses.filter((l) => l.command?.command === SHOW);
      assert.equal(ours2.length, 1, file.join('/'));
      assert.equal(ours2[0]?.command?.title, '$(type-hierarchy) Show topology · 1 rule, 1 hairpin-prone');
      const lensLine = ours2[0]?.range.start.line ?? -1;
      // On the declaration: the ARM resource object starts a line above its "type".
      const text = doc.getText().split('\n');
      assert.ok(line.test(text[lensLine] ?? '') || line.test(text[lensLine + 1] ?? ''), `${file.join('/')}: line ${lensLine}: ${text[lensLine]}`);
    }
  });

  it('the CodeLens follows edits (the worker sends what changed of it): moved, gone, back', async () => {
    // A copy of the seed lab outside the repository: nothing of the edits can reach a fixture (a
    // failed run that closes the editor may be asked to save them). Run alone, this test starts
    // the extension itself.
    await vscode.extensions.getExtension('ilb-hairpin.ilb-hairpin')?.activate();
    const lab = await vscode.workspace.fs.readFile(fixture('seed-lab', 'azuredeploy.json'));
    const uri = vscode.Uri.file(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ilb-hairpin-lens-')), 'azuredeploy.json'));
    await vscode.workspace.fs.writeFile(uri, lab);
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    await waitFor('the analysis', () => ours(uri)[0]);
    const lensLine = async (): Promise<number | undefined> => {
      const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)) ?? [];
      return lenses.find((l) => l.command?.command === SHOW)?.range.start.line;
    };
    const probe = async (what: string, wanted: (line: number | undefined) => boolean): Promise<number | undefined> => {
      for (const until = Date.now() + 20000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
        const line = await lensLine();
        if (wanted(line)) return line;
      }
      assert.fail(`the lens ${what}: still at ${await lensLine()}`);
    };
    const before = await probe('at first', (l) => l !== undefined);
    try {
      // Two lines above everything: the lens moves down with the load balancer.
      await editor.edit((e) => e.insert(new vscode.Position(1, 0), '\n\n'));
      await probe('two lines lower', (l) => l === (before as number) + 2);
      // The whole text replaced by an empty object: no load balancer, no lens.
      const all = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
      const text = doc.getText();
      await editor.edit((e) => e.replace(all, '{}'));
      await probe('gone', (l) => l === undefined);
      await editor.edit((e) => e.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), text));
      await probe('back', (l) => l === (before as number) + 2);
    } finally {
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      fs.rmSync(path.dirname(uri.fsPath), { recursive: true, force: true });
    }
  });
});
