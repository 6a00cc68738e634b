import * as vscode from 'vscode';
import { RULES } from '../core/rules';
import PAGES from 'ilb-hairpin:rule-docs';

/** Rule pages are bundled (every page of docs/rules/, and docs/template-evaluation.md), so they open offline: `ilb-hairpin-docs:/<rule-id>.md`. */
export const DOCS_SCHEME = 'ilb-hairpin-docs';

/**
 * The link of a diagnostic's code: the bundled page, opened by the command (the Problems panel
 * and the hover open `command:` targets), never a web page that may not exist.
 */
export function docsTarget(id: string): vscode.Uri {
  return vscode.Uri.parse(`command:ilbHairpin.openRuleDocs?${encodeURIComponent(JSON.stringify([id]))}`);
}

function pageOf(uri: vscode.Uri): Uint8Array {
  const page = PAGES[uri.path.replace(/^\//, '').replace(/\.md$/, '')];
  if (page === undefined) throw vscode.FileSystemError.FileNotFound(uri);
  return new TextEncoder().encode(page);
}

/**
 * The pages as a read-only file system (not a text content provider): the Markdown preview
 * watches the file it shows, and a scheme without a file system makes the workbench log a
 * "no file system provider" error.
 */
class DocsFileSystem implements vscode.FileSystemProvider {
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly loaded = Date.now();

  watch(): vscode.Disposable {
    return new vscode.Disposable(() => undefined); // the pages never change while running
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    if (uri.path === '/' || uri.path === '') return { type: vscode.FileType.Directory, ctime: this.loaded, mtime: this.loaded, size: 0 };
    return { type: vscode.FileType.File, ctime: this.loaded, mtime: this.loaded, size: pageOf(uri).byteLength, permissions: vscode.FilePermission.Readonly };
  }

  readDirectory(): [string, vscode.FileType][] {
    return Object.keys(PAGES).map((id) => [`${id}.md`, vscode.FileType.File]);
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return pageOf(uri);
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  writeFile(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

export function registerRuleDocs(context: vscode.ExtensionContext): void {
  const fileSystem = new DocsFileSystem();
  context.subscriptions.push(
    fileSystem,
    vscode.workspace.registerFileSystemProvider(DOCS_SCHEME, fileSystem, { isReadonly: true, isCaseSensitive: true }),
    vscode.commands.registerCommand('ilbHairpin.openRuleDocs', async (ruleId?: string) => {
      const id = typeof ruleId === 'string' && PAGES[ruleId] ? ruleId : (RULES[0]?.id ?? 'hairpin-prone-rule');
      const uri = vscode.Uri.from({ scheme: DOCS_SCHEME, path: `/${id}.md` });
      await vscode.commands.executeCommand('markdown.showPreview', uri);
    }),
  );
}
