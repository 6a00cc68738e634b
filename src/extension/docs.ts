import * as vscode from 'vscode';
import { RULES } from '../core/rules';
import PAGES from 'ilb-hairpin:rule-docs';

/** Rule pages are bundled (every page of docs/rules/), so they open offline: `ilb-hairpin-docs:/<rule-id>.md`. */
export const DOCS_SCHEME = 'ilb-hairpin-docs';

export function registerRuleDocs(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(DOCS_SCHEME, {
      provideTextDocumentContent: (uri) => PAGES[uri.path.replace(/^\//, '').replace(/\.md$/, '')] ?? `# Not found\n\nNo page for ${uri.path}.`,
    }),
    vscode.commands.registerCommand('ilbHairpin.openRuleDocs', async (ruleId?: string) => {
      const id = typeof ruleId === 'string' && PAGES[ruleId] ? ruleId : (RULES[0]?.id ?? 'hairpin-prone-rule');
      const uri = vscode.Uri.from({ scheme: DOCS_SCHEME, path: `/${id}.md` });
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    }),
  );
}
