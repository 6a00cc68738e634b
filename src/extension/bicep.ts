import * as vscode from 'vscode';

/** The official Bicep extension: the Bicep language, its grammar, completion and linter. */
export const BICEP_EXTENSION_ID = 'ms-azuretools.vscode-bicep';
const RECOMMENDED_KEY = 'ilbHairpin.bicepExtensionRecommended';

/**
 * The documents the editor features (code actions, CodeLens) apply to. Bicep files are picked by
 * their name, so they work whether or not the official Bicep extension gives them its language
 * ids (`bicep`, `bicep-params`): this extension contributes no language of its own, so it never
 * shadows the official one.
 */
export const TEMPLATE_SELECTOR: vscode.DocumentSelector = [
  { language: 'json' },
  { language: 'jsonc' },
  { language: 'arm-template' },
  { language: 'bicep' },
  { language: 'bicep-params' },
  { pattern: '**/*.bicep' },
  { pattern: '**/*.bicepparam' },
];

const BICEP_FILE = /\.(bicep|bicepparam)$/i;

/**
 * Recommends the official Bicep extension once (a notification with Install), when a Bicep file
 * is in the workspace or opened and the extension is not installed. The answer, whatever it is,
 * is remembered in globalState; `extensions.ignoreRecommendations` is honoured.
 */
export function registerBicepRecommendation(context: vscode.ExtensionContext, hasBicepFiles: () => Thenable<boolean>): void {
  let asked = false;
  const maybeRecommend = async (): Promise<void> => {
    if (asked || context.globalState.get<boolean>(RECOMMENDED_KEY)) return;
    if (vscode.extensions.getExtension(BICEP_EXTENSION_ID)) return;
    if (vscode.workspace.getConfiguration('extensions').get('ignoreRecommendations') === true) return;
    asked = true;
    await context.globalState.update(RECOMMENDED_KEY, true);
    const install = 'Install';
    const answer = await vscode.window.showInformationMessage(
      'Bicep files get highlighting, completion and their own checks from the Bicep extension (ms-azuretools.vscode-bicep). ILB Hairpin works with or without it.',
      install,
      'Not now',
    );
    if (answer === install) await vscode.commands.executeCommand('workbench.extensions.installExtension', BICEP_EXTENSION_ID);
  };
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((doc) => {
      if (BICEP_FILE.test(doc.uri.path)) void maybeRecommend();
    }),
  );
  void hasBicepFiles().then((yes) => (yes ? maybeRecommend() : undefined));
}
