import * as vscode from 'vscode';
import { BICEP_EXTENSION_ID } from './bicep';

const EXAMPLE = ['examples', 'seed-lab', 'azuredeploy.json'];
const FINDING = '"enableFloatingIP": false';

/**
 * The commands behind the first-run walkthrough (`contributes.walkthroughs`): open the seed lab
 * (the workspace's copy when there is one, else the copy bundled with the extension, as an
 * untitled document the analysis reads like any other) with the cursor on its finding, and show
 * its quick fixes. Also the `ilbHairpin.bicepExtensionInstalled` context key of the Bicep step.
 */
export function registerWalkthrough(context: vscode.ExtensionContext): void {
  let example: vscode.TextDocument | undefined;

  const openExample = async (): Promise<vscode.TextEditor> => {
    if (!example || example.isClosed) {
      const inWorkspace = await vscode.workspace.findFiles(`**/${EXAMPLE.slice(1).join('/')}`, '**/node_modules/**', 1);
      if (inWorkspace[0]) {
        example = await vscode.workspace.openTextDocument(inWorkspace[0]);
      } else {
        const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(context.extensionUri, ...EXAMPLE));
        example = await vscode.workspace.openTextDocument({ language: 'json', content: new TextDecoder().decode(bytes) });
      }
    }
    const editor = await vscode.window.showTextDocument(example, { preview: false, viewColumn: vscode.ViewColumn.One });
    const at = example.getText().indexOf(FINDING);
    if (at >= 0) {
      const start = example.positionAt(at + FINDING.indexOf('false'));
      editor.selection = new vscode.Selection(start, start.translate(0, 'false'.length));
      editor.revealRange(new vscode.Range(start, start), vscode.TextEditorRevealType.InCenter);
    }
    return editor;
  };

  const updateBicepKey = (): void => {
    void vscode.commands.executeCommand('setContext', 'ilbHairpin.bicepExtensionInstalled', vscode.extensions.getExtension(BICEP_EXTENSION_ID) !== undefined);
  };
  updateBicepKey();

  context.subscriptions.push(
    vscode.commands.registerCommand('ilbHairpin.openExample', async () => {
      await openExample();
    }),
    vscode.commands.registerCommand('ilbHairpin.showExampleFixes', async () => {
      await openExample();
      await vscode.commands.executeCommand('editor.action.quickFix');
    }),
    vscode.extensions.onDidChange(updateBicepKey),
  );
}
