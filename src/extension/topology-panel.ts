import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { LensData } from './analysis-protocol';
import type { Finding } from '../core/rules/types';
import { SourceFile, type SourceSpan } from '../core/source';
import { buildTopology } from '../core/topology/build';
import type { TopologyLocation, TopologyModel } from '../core/topology/model';
import { isFromWebview, TOPOLOGY_VIEW_TYPE, type FromWebview, type RenderedReport, type Scope, type ToWebview, type TopologyState } from '../core/topology/protocol';
import { toMermaid } from '../core/topology/text-formats';
import { TEMPLATE_SELECTOR } from './bicep';
import { documentPath, isCandidate, shownName, uriOf, type DiagnosticsController } from './diagnostics';

export const SHOW_TOPOLOGY = 'ilbHairpin.showTopology';

/** What `ILB Hairpin: Show Topology` is asked to show (from a CodeLens, a finding, or nothing: the active editor). */
export interface TopologyTarget {
  file?: string;
  scope?: Scope;
  /** A finding's rule, to select it and draw its failing path. */
  finding?: { file: string; start: number; loadBalancer: string; lbRule: string };
  /** What is deployed (a deployed scan's graph) instead of the workspace's templates. */
  deployed?: DeployedTopology;
}

/** A deployed scan's graph, shown one load balancer at a time (scope `file`) or whole (`workspace`). */
export interface DeployedTopology {
  /** Builds the model of one load balancer's "file", or of everything read (undefined). */
  model: (file: string | undefined) => TopologyModel;
  /** The load balancer's "file" (`azure:<resource ID>`), the scope `file` shows. */
  file: string;
  /** What the panel's title names (the load balancer). */
  title: string;
}

/** Delay after an analysis before the picture is rebuilt (analyses come in bursts while typing). */
const UPDATE_DELAY_MS = 150;

/**
 * The topology panel: one at a time, beside the editor. It builds the view model of its scope
 * from the latest analysis, sends it to the webview, and rebuilds it after each analysis.
 */
export class TopologyPanel implements vscode.Disposable {
  private static current: TopologyPanel | undefined;

  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private version = 0;
  private model: TopologyModel | undefined;
  private timer: NodeJS.Timeout | undefined;
  private waiting: { version: number; resolve: (r: RenderedReport | undefined) => void }[] = [];
  private pendingSelect: TopologyTarget['finding'];
  /** Set while the panel shows a deployed scan. */
  private deployed: DeployedTopology | undefined;
  private refit = true;
  /** Where the editors are (the panel opens beside them). */
  private editorColumn: vscode.ViewColumn;

  /** Opens the panel (or reuses it) for a target; resolves when the webview has drawn it. */
  static show(context: vscode.ExtensionContext, diagnostics: DiagnosticsController, target: TopologyTarget): Promise<RenderedReport | undefined> {
    const column = vscode.window.activeTextEditor?.viewColumn ?? vscode.ViewColumn.One;
    const file = target.deployed ? target.deployed.file : (target.file ?? activeTemplate() ?? (TopologyPanel.current?.deployed ? undefined : TopologyPanel.current?.state.file));
    const state: TopologyState = { scope: target.scope ?? (file ? 'file' : 'workspace'), ...(file ? { file } : {}) };
    let panel = TopologyPanel.current;
    if (panel) {
      panel.panel.reveal(undefined, true);
      if (panel.deployed !== target.deployed) panel.refit = true;
      panel.deployed = target.deployed;
      panel.retarget(state, target.finding);
    } else {
      const webviewPanel = vscode.window.createWebviewPanel(TOPOLOGY_VIEW_TYPE, 'Topology', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, TopologyPanel.options(context));
      panel = new TopologyPanel(webviewPanel, context, diagnostics, state, column, target.deployed);
      panel.pendingSelect = target.finding;
    }
    return panel.whenRendered();
  }

  /** Brings back a panel VS Code restores after a reload (see the serializer). */
  static revive(webviewPanel: vscode.WebviewPanel, context: vscode.ExtensionContext, diagnostics: DiagnosticsController, state: TopologyState | undefined): void {
    webviewPanel.webview.options = TopologyPanel.options(context);
    TopologyPanel.current?.dispose();
    // A deployed scan is not kept across a reload: the panel comes back with the workspace.
    const usable = state?.scope && !(state.file ?? '').startsWith('azure:') ? state : { scope: 'workspace' as const };
    new TopologyPanel(webviewPanel, context, diagnostics, usable, vscode.ViewColumn.One);
  }

  private static options(context: vscode.ExtensionContext): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    // Only the built webview assets: no other file of the extension or the workspace.
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')] };
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly diagnostics: DiagnosticsController,
    private state: TopologyState,
    column: vscode.ViewColumn,
    deployed?: DeployedTopology,
  ) {
    TopologyPanel.current = this;
    this.deployed = deployed;
    this.editorColumn = column;
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    panel.webview.html = this.html();
    this.updateTitle();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.onMessage(m)),
      diagnostics.onDidAnalyze(() => this.schedule()),
    );
  }

  private html(): string {
    const webview = this.panel.webview;
    const asset = (name: string): vscode.Uri => webview.asWebviewUri(vscode.Uri.joinPath(this.context.extensionUri, 'dist', 'webview', name));
    const nonce = makeNonce();
    const csp = [
      "default-src 'none'",
      `img-src ${webview.cspSource} data:`,
      `style-src ${webview.cspSource}`,
      `font-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${asset('topology.css').toString()}">
<title>Topology</title>
</head>
<body>
<script nonce="${nonce}" src="${asset('topology.js').toString()}"></script>
</body>
</html>`;
  }

  private whenRendered(): Promise<RenderedReport | undefined> {
    const version = this.ready ? this.push() : this.version + 1;
    return new Promise((resolve) => this.waiting.push({ version, resolve }));
  }

  private retarget(state: TopologyState, finding: TopologyTarget['finding']): void {
    const changed = state.scope !== this.state.scope || state.file !== this.state.file;
    this.state = { ...this.state, ...state, ...(changed ? { environment: undefined, selectedRule: undefined } : {}) };
    this.pendingSelect = finding;
    if (changed) this.refit = true;
    this.updateTitle();
  }

  private updateTitle(): void {
    if (this.deployed) {
      this.panel.title = this.state.scope === 'file' ? `Topology: ${this.deployed.title} (deployed)` : 'Topology: deployed';
      return;
    }
    const name = this.state.scope === 'file' && this.state.file ? shownName(this.state.file) : 'workspace';
    this.panel.title = `Topology: ${name}`;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.ready) this.push();
    }, UPDATE_DELAY_MS);
  }

  /** Builds the model of the current scope and sends it; returns its version. */
  private push(): number {
    clearTimeout(this.timer);
    const version = ++this.version;
    const model = this.build();
    this.model = model;
    const select = this.pendingSelect ? this.markOf(model, this.pendingSelect) : undefined;
    this.pendingSelect = undefined;
    const message: ToWebview = { type: 'update', version, model, ...(select ? { select: { rule: select } } : {}), ...(this.refit ? { refit: true } : {}) };
    this.refit = false;
    void this.panel.webview.postMessage(message);
    return version;
  }

  private build(): TopologyModel {
    if (this.deployed) {
      const file = this.state.scope === 'file' ? this.deployed.file : undefined;
      const model = this.deployed.model(file);
      return { ...model, title: file ? `Deployed: ${this.deployed.title}` : 'Deployed: every load balancer read' };
    }
    const analysis = this.diagnostics.analysis ?? { graphs: [], findings: [] };
    const sources = new Map<string, SourceFile | undefined>();
    const locate = (span: SourceSpan): TopologyLocation | undefined => {
      if (!sources.has(span.file)) {
        const text = this.diagnostics.textOf(span.file);
        sources.set(span.file, text === undefined ? undefined : new SourceFile(span.file, text));
      }
      const source = sources.get(span.file);
      return source ? { file: span.file, range: source.rangeOf(span) } : undefined;
    };
    const options = { scope: this.state.scope, ...(this.state.file ? { file: this.state.file } : {}), ...(this.state.environment ? { environment: this.state.environment } : {}), locate };
    let model = buildTopology(analysis, options);
    // A finding from an environment other than the one shown: show that environment.
    const wanted = this.pendingSelect;
    if (wanted && !this.markOf(model, wanted)) {
      for (const environment of model.environments) {
        const other = buildTopology(analysis, { ...options, environment });
        if (this.markOf(other, wanted)) {
          model = other;
          break;
        }
      }
    }
    this.state = { ...this.state, environment: model.environment };
    // Before the first analysis there is nothing to show yet; say so rather than "nothing declared".
    if (!this.diagnostics.analysis) model = { ...model, notes: ['The templates are being analyzed; the picture follows.'] };
    return model;
  }

  private markOf(model: TopologyModel, f: NonNullable<TopologyTarget['finding']>): string | undefined {
    const byPlace = model.marks.find((m) => m.findings.some((x) => x.file === f.file && x.start === f.start));
    if (byPlace) return byPlace.rule;
    const label = (id: string): string | undefined => model.nodes.find((n) => n.id === id)?.label;
    return model.marks.find((m) => label(m.rule) === f.lbRule && label(m.loadBalancer) === f.loadBalancer)?.rule;
  }

  private async onMessage(raw: unknown): Promise<void> {
    if (!isFromWebview(raw)) return;
    const m: FromWebview = raw;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        // After a reload the webview remembers its own scope; the serializer's state is the same.
        if (m.state?.scope && !this.pendingSelect) this.state = { ...this.state, selectedRule: m.state.selectedRule, path: m.state.path };
        this.push();
        break;
      case 'rendered': {
        const done = this.waiting.filter((w) => w.version <= m.version);
        this.waiting = this.waiting.filter((w) => w.version > m.version);
        const { type: _type, ...report } = m;
        for (const w of done) w.resolve(report);
        break;
      }
      case 'reveal':
        await this.reveal(m.node);
        break;
      case 'select':
        this.state = { ...this.state, selectedRule: m.rule ?? undefined, path: m.path };
        break;
      case 'scope':
        this.state = { ...this.state, scope: m.scope, environment: m.environment };
        if (m.scope === 'file' && this.deployed) this.state.file = this.deployed.file;
        else if (m.scope === 'file' && !this.state.file) this.state.file = activeTemplate();
        this.refit = true;
        this.updateTitle();
        this.push();
        break;
      case 'export':
        await this.export(m.format, m.target, m.svg);
        break;
      case 'error':
        void vscode.window.showErrorMessage(`ILB Hairpin: the topology could not be drawn: ${m.message.split('\n')[0]}`);
        break;
    }
  }

  private async reveal(nodeId: string): Promise<void> {
    const location = this.model?.nodes.find((n) => n.id === nodeId)?.location;
    if (!location) return;
    const { start, end } = location.range;
    const range = new vscode.Range(start.line, start.character, end.line, end.character);
    const doc = await vscode.workspace.openTextDocument(uriOf(location.file));
    const editor = await vscode.window.showTextDocument(doc, { viewColumn: this.editorColumn, preserveFocus: true });
    // Selected with the cursor at its start, where the declaration begins.
    editor.selection = new vscode.Selection(range.end, range.start);
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private async export(format: 'svg' | 'mermaid', target: 'file' | 'clipboard', svg: string | undefined): Promise<void> {
    const content = format === 'svg' ? svg : this.model ? toMermaid(this.model) : undefined;
    if (content === undefined) return;
    const what = format === 'svg' ? 'SVG' : 'Mermaid';
    if (target === 'clipboard') {
      await vscode.env.clipboard.writeText(content);
      void this.panel.webview.postMessage({ type: 'exported', message: `${what} copied to the clipboard.` } satisfies ToWebview);
      return;
    }
    const base = (this.state.file ? this.state.file.slice(this.state.file.lastIndexOf('/') + 1).replace(/\.[^.]+$/, '') : 'workspace') + '-topology';
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      title: `Save the topology as ${what}`,
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${base}.${format === 'svg' ? 'svg' : 'mmd'}`) } : {}),
      filters: format === 'svg' ? { SVG: ['svg'] } : { Mermaid: ['mmd', 'md'] },
    });
    if (!uri) return;
    const text = format === 'mermaid' && /\.md$/i.test(uri.path) ? `\`\`\`mermaid\n${content}\`\`\`\n` : content;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    void this.panel.webview.postMessage({ type: 'exported', message: `Saved ${vscode.workspace.asRelativePath(uri)}.` } satisfies ToWebview);
  }

  dispose(): void {
    if (TopologyPanel.current === this) TopologyPanel.current = undefined;
    clearTimeout(this.timer);
    for (const w of this.waiting) w.resolve(undefined);
    this.waiting = [];
    this.panel.dispose();
    for (const d of this.disposables) d.dispose();
    this.disposables.length = 0;
  }
}

/** The active editor's file, when it is a template (or parameter) file. */
function activeTemplate(): string | undefined {
  const doc = vscode.window.activeTextEditor?.document;
  return doc && isCandidate(doc) ? documentPath(doc.uri, doc.languageId) : undefined;
}

function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

/** "Show topology" above each load balancer (ARM and Bicep), from the graph's resource spans. */
class TopologyCodeLens implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  /** The version of the lenses last shown: they are asked for again only when it changes. */
  private said = 0;

  constructor(private readonly diagnostics: DiagnosticsController) {}

  /** After an analysis: a refresh re-renders the lines under each lens, so only when a lens changed. */
  refresh(): void {
    const now = this.diagnostics.summary?.lensesVersion ?? 0;
    if (now === this.said) return;
    this.said = now;
    this.changed.fire();
  }

  /** The lenses of every file: one per load balancer declaration, with its rules and hairpin-prone rules (the worker's summary). */
  private lenses(): ReadonlyMap<string, LensData[]> {
    return this.diagnostics.summary?.lenses ?? new Map<string, LensData[]>();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const path = documentPath(doc.uri, doc.languageId);
    return (this.lenses().get(path) ?? []).map(({ start, title, name }) => {
      const line = doc.positionAt(start).line;
      const command = { title, tooltip: `Show load balancer ${name} and its members as a graph`, command: SHOW_TOPOLOGY, arguments: [{ file: path, scope: 'file' } satisfies TopologyTarget] };
      return new vscode.CodeLens(new vscode.Range(line, 0, line, 0), command);
    });
  }
}

/** The "Show topology" action of a finding (in the code action provider's list). */
export function showTopologyAction(finding: Finding, diagnostic: vscode.Diagnostic | undefined): vscode.CodeAction {
  const action = new vscode.CodeAction(`Show topology of rule ${finding.facts.lbRule} (the failing path and each fix)`, vscode.CodeActionKind.QuickFix);
  const target: TopologyTarget = {
    file: finding.span.file,
    scope: 'file',
    finding: { file: finding.span.file, start: finding.span.start, loadBalancer: finding.facts.loadBalancer, lbRule: finding.facts.lbRule },
  };
  action.command = { command: SHOW_TOPOLOGY, title: 'Show topology', arguments: [target] };
  if (diagnostic) action.diagnostics = [diagnostic];
  return action;
}

/** The command, the panel's serializer and the CodeLens. */
export function registerTopology(context: vscode.ExtensionContext, diagnostics: DiagnosticsController): void {
  const lens = new TopologyCodeLens(diagnostics);
  context.subscriptions.push(
    vscode.commands.registerCommand(SHOW_TOPOLOGY, (arg?: vscode.Uri | TopologyTarget) => {
      const target: TopologyTarget = arg instanceof vscode.Uri ? { file: documentPath(arg), scope: 'file' } : (arg ?? {});
      return TopologyPanel.show(context, diagnostics, target);
    }),
    vscode.window.registerWebviewPanelSerializer(TOPOLOGY_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: unknown) => {
        TopologyPanel.revive(panel, context, diagnostics, isState(state) ? state : undefined);
      },
    }),
    vscode.languages.registerCodeLensProvider(TEMPLATE_SELECTOR, lens),
    diagnostics.onDidAnalyze(() => lens.refresh()),
  );
}

function isState(v: unknown): v is TopologyState {
  return typeof v === 'object' && v !== null && ((v as TopologyState).scope === 'file' || (v as TopologyState).scope === 'workspace');
}
