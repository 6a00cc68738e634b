import * as vscode from 'vscode';

export const SOURCE = 'ilb-hairpin';

/** Polls until `probe` returns a value, or fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => T | undefined, ms = 20000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The rule id of one of the extension's diagnostics (a plain string, or `{ value, target }` with a rule page). */
export function ruleOf(d: vscode.Diagnostic): string | undefined {
  const c = d.code;
  if (c === undefined) return undefined;
  return typeof c === 'object' ? String(c.value) : String(c);
}

/** The extension's hairpin-prone-rule diagnostics on a file (the rule most host tests are about). */
export function ours(uri: vscode.Uri): vscode.Diagnostic[] {
  return ofRule(uri, 'hairpin-prone-rule');
}

/** The extension's diagnostics of one rule on a file. */
export function ofRule(uri: vscode.Uri, rule: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === SOURCE && ruleOf(d) === rule);
}

/** A diagnostic's code, whether it is a plain value or `{ value, target }`. */
export function codeOf(d: vscode.Diagnostic): string | number | undefined {
  return typeof d.code === 'object' ? d.code.value : d.code;
}

export function fixture(...segments: string[]): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the test workspace is not open');
  return vscode.Uri.joinPath(folder.uri, ...segments);
}
