/**
 * "Deployed Load Balancers" (a view in the Explorer): the last deployed scan by subscription, load
 * balancer and finding, with Open in Portal, Show Topology and Copy Resource ID, and the drift
 * from the workspace template that deploys a load balancer. The scan itself (and with it the
 * Azure SDK) is imported when the command first runs.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { driftOf, loadBalancerShape, matchTemplates, type DriftItem, type LoadBalancerShape, type TemplateMatch } from '../core/azure/drift';
import type { DeployedFindingView, DeployedLoadBalancerView, DeployedSubscriptionView } from '../core/azure/view';
import { isDeployedFile } from '../core/azure/resources';
import type { Severity } from '../core/rules/types';
import { SourceFile, type SourceSpan } from '../core/source';
import type { TopologyModel } from '../core/topology/model';
import { azureSettings } from './azure-settings';
import type { ScanRequest, ScanResult, runScan } from './azure-scan';
import { uriOf, type DiagnosticsController } from './diagnostics';
import { SHOW_TOPOLOGY, type TopologyTarget } from './topology-panel';

export const SCAN_AZURE = 'ilbHairpin.scanAzure';
export const DEPLOYED_VIEW = 'ilbHairpin.deployed';
const OPEN_IN_PORTAL = 'ilbHairpin.azure.openInPortal';
const SHOW_DEPLOYED_TOPOLOGY = 'ilbHairpin.azure.showTopology';
const COPY_RESOURCE_ID = 'ilbHairpin.azure.copyResourceId';
const OPEN_TEMPLATE = 'ilbHairpin.azure.openTemplate';

/** One row of the tree (plain data; the test reads these through getChildren/getTreeItem). */
export type DeployedNode =
  | { kind: 'note'; message: string }
  | { kind: 'failure'; message: string }
  | { kind: 'subscription'; sub: DeployedSubscriptionView }
  | { kind: 'message'; message: string; severity: 'error' | 'warning' }
  | { kind: 'loadBalancer'; lb: DeployedLoadBalancerView }
  | { kind: 'finding'; lb: DeployedLoadBalancerView; finding: DeployedFindingView }
  | { kind: 'template'; lb: DeployedLoadBalancerView; match: TemplateMatch; drift: number }
  | { kind: 'drift'; lb: DeployedLoadBalancerView; item: DriftItem; file: string; several: boolean };

const SEVERITY_ORDER: Severity[] = ['error', 'warning', 'info', 'hint'];

function severityIcon(s: Severity): vscode.ThemeIcon {
  return s === 'error' ? new vscode.ThemeIcon('error', new vscode.ThemeColor('problemsErrorIcon.foreground')) : s === 'warning' ? new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground')) : new vscode.ThemeIcon('info', new vscode.ThemeColor('problemsInfoIcon.foreground'));
}

export class DeployedTree implements vscode.TreeDataProvider<DeployedNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<DeployedNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private result: ScanResult | undefined;
  private templates: LoadBalancerShape[] | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly diagnostics: DiagnosticsController) {
    this.disposables.push(
      this.changed,
      // A template edited or added: the drift is compared again when next shown.
      diagnostics.onDidAnalyze(() => {
        if (!this.result) return;
        this.templates = undefined;
        this.changed.fire(undefined);
      }),
    );
  }

  /** The last scan (undefined before the first). */
  get last(): ScanResult | undefined {
    return this.result;
  }

  set(result: ScanResult): void {
    if (this.result !== result) this.result?.dispose();
    this.result = result;
    this.templates = undefined;
    this.changed.fire(undefined);
  }

  /** The workspace's load balancers (their shapes), from the host's analysis, when first asked. */
  private templateShapes(): LoadBalancerShape[] {
    if (this.templates) return this.templates;
    const analysis = this.diagnostics.analysis;
    const seen = new Set<string>();
    const out: LoadBalancerShape[] = [];
    for (const { graph } of analysis?.graphs ?? []) {
      for (const lb of graph.loadBalancers) {
        const where = `${lb.resource.file}#${lb.resource.span.start}`;
        if (isDeployedFile(lb.resource.file) || seen.has(where)) continue;
        seen.add(where);
        out.push(loadBalancerShape(lb));
      }
    }
    // Before the workspace's first analysis there is nothing to compare with yet: ask again later.
    if (analysis) this.templates = out;
    return out;
  }

  private matches(lb: DeployedLoadBalancerView): { match: TemplateMatch; drift: DriftItem[] }[] {
    return matchTemplates(lb.id, this.templateShapes()).map((match) => ({ match, drift: driftOf(match.template, lb.shape) }));
  }

  getChildren(node?: DeployedNode): DeployedNode[] {
    const r = this.result;
    if (!r) return [];
    if (!node) {
      const top: DeployedNode[] = [];
      if (r.failure !== undefined) top.push({ kind: 'failure', message: `Nothing could be read: ${r.failure}` });
      for (const n of r.view.notes) top.push({ kind: 'note', message: n });
      for (const sub of r.view.subscriptions) top.push({ kind: 'subscription', sub });
      if (r.failure === undefined && r.view.subscriptions.length === 0) top.push({ kind: 'note', message: `No subscription with a load balancer in ${r.view.scope}.` });
      return top;
    }
    switch (node.kind) {
      case 'subscription': {
        const out: DeployedNode[] = [];
        if (node.sub.message) out.push({ kind: 'message', message: node.sub.message, severity: node.sub.status === 'failed' ? 'error' : 'warning' });
        for (const lb of node.sub.loadBalancerViews) out.push({ kind: 'loadBalancer', lb });
        return out;
      }
      case 'loadBalancer': {
        const lb = node.lb;
        const out: DeployedNode[] = [...lb.findings].sort((a, b) => SEVERITY_ORDER.indexOf(a.severity) - SEVERITY_ORDER.indexOf(b.severity)).map((finding) => ({ kind: 'finding' as const, lb, finding }));
        const matches = this.matches(lb);
        for (const m of matches) out.push({ kind: 'template', lb, match: m.match, drift: m.drift.length });
        for (const m of matches) for (const item of m.drift) out.push({ kind: 'drift', lb, item, file: m.match.template.span.file, several: matches.length > 1 });
        return out;
      }
      default:
        return [];
    }
  }

  getTreeItem(node: DeployedNode): vscode.TreeItem {
    const none = vscode.TreeItemCollapsibleState.None;
    switch (node.kind) {
      case 'failure': {
        const item = new vscode.TreeItem(node.message, none);
        item.iconPath = severityIcon('error');
        item.tooltip = node.message;
        return item;
      }
      case 'note': {
        const item = new vscode.TreeItem(node.message, none);
        item.iconPath = new vscode.ThemeIcon('info');
        item.tooltip = node.message;
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.message, none);
        item.iconPath = severityIcon(node.severity);
        item.tooltip = node.message;
        return item;
      }
      case 'subscription': {
        const s = node.sub;
        const n = s.loadBalancerViews.length;
        const item = new vscode.TreeItem(s.name ?? s.id, n || s.message ? vscode.TreeItemCollapsibleState.Expanded : none);
        item.id = `sub:${s.id}`;
        item.description = s.status === 'failed' ? 'could not be read' : `${n} load balancer${n === 1 ? '' : 's'}${s.status === 'partial' ? ', partly read' : ''}`;
        item.tooltip = [s.name ? `${s.name} (${s.id})` : s.id, s.message].filter(Boolean).join('\n');
        item.iconPath = s.status === 'failed' ? severityIcon('error') : s.status === 'partial' ? severityIcon('warning') : new vscode.ThemeIcon('azure');
        item.contextValue = 'ilbHairpin.deployedSubscription';
        return item;
      }
      case 'loadBalancer': {
        const lb = node.lb;
        const item = new vscode.TreeItem(lb.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `lb:${lb.id}`;
        const f = lb.findings.length;
        item.description = `${lb.resourceGroup} · ${f ? `${f} finding${f === 1 ? '' : 's'}` : 'no findings'}`;
        item.tooltip = lb.id;
        const worst = SEVERITY_ORDER.find((s) => lb.findings.some((x) => x.severity === s));
        item.iconPath = worst ? severityIcon(worst) : new vscode.ThemeIcon('pass', new vscode.ThemeColor('testing.iconPassed'));
        item.contextValue = `ilbHairpin.deployedLoadBalancer${lb.portal ? '.portal' : ''}`;
        return item;
      }
      case 'finding': {
        const f = node.finding;
        const item = new vscode.TreeItem(`${f.lbRule}: ${f.headline}`, none);
        item.id = `finding:${f.resourceId}:${f.ruleId}`;
        item.description = f.ruleId;
        item.tooltip = `${f.message}\n\n${f.resourceId}`;
        item.iconPath = severityIcon(f.severity);
        item.contextValue = `ilbHairpin.deployedFinding${f.portal ? '.portal' : ''}`;
        item.command = { command: SHOW_DEPLOYED_TOPOLOGY, title: 'Show Topology', arguments: [node] };
        return item;
      }
      case 'template': {
        const t = node.match.template;
        const item = new vscode.TreeItem(`Template: ${vscode.workspace.asRelativePath(uriOf(t.span.file))}`, none);
        item.description = `same ${node.match.by}${node.drift ? `; ${node.drift} difference${node.drift === 1 ? '' : 's'}` : '; no drift'}`;
        item.tooltip = `The workspace template that deploys ${node.lb.name} (matched by ${node.match.by}).`;
        item.iconPath = new vscode.ThemeIcon('file-code');
        item.contextValue = 'ilbHairpin.deployedTemplate';
        item.command = { command: OPEN_TEMPLATE, title: 'Open the template', arguments: [t.span] };
        return item;
      }
      case 'drift': {
        const where = node.several ? ` (${vscode.workspace.asRelativePath(uriOf(node.file))})` : '';
        const item = new vscode.TreeItem(`Drift: ${node.item.message}${where}`, none);
        item.tooltip = `Deployed ${node.lb.name} differs from the template ${vscode.workspace.asRelativePath(uriOf(node.file))}: ${node.item.message}. Click to open the template there.`;
        item.iconPath = new vscode.ThemeIcon('diff', new vscode.ThemeColor('problemsWarningIcon.foreground'));
        item.contextValue = 'ilbHairpin.deployedDrift';
        if (node.item.template) item.command = { command: OPEN_TEMPLATE, title: 'Open the template', arguments: [node.item.template] };
        return item;
      }
    }
  }

  dispose(): void {
    this.result?.dispose();
    for (const d of this.disposables) d.dispose();
  }
}

/** Load balancers up to which "the whole deployed estate" is drawn too (the panel's other scope). */
const WHOLE_TOPOLOGY_LIMIT = 200;

/** The node a context command was run on (a tree item, or the selection when run otherwise). */
function resourceOf(node: DeployedNode | undefined): { id: string; portal: string | undefined } | undefined {
  if (!node) return undefined;
  if (node.kind === 'loadBalancer') return { id: node.lb.id, portal: node.lb.portal };
  if (node.kind === 'finding') return { id: node.finding.resourceId, portal: node.finding.portal };
  if (node.kind === 'subscription') return { id: `/subscriptions/${node.sub.id}`, portal: undefined };
  return undefined;
}

async function openTemplate(diagnostics: DiagnosticsController, span: SourceSpan): Promise<void> {
  const uri = uriOf(span.file);
  const doc = await vscode.workspace.openTextDocument(uri);
  const text = diagnostics.textOf(span.file) ?? doc.getText();
  const r = new SourceFile(span.file, text).rangeOf(span);
  const range = new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
  const editor = await vscode.window.showTextDocument(doc, { preview: true });
  editor.selection = new vscode.Selection(range.start, range.start);
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/**
 * The scan module: dist/azure-scan.js beside the extension's bundle (scripts/build.mjs), or the
 * compiled module beside this one when run from out/ (the tests). A runtime require of a path
 * esbuild leaves alone, so the SDK stays out of dist/extension.js.
 */
function loadScan(): { runScan: typeof runScan } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(join(__dirname, 'azure-scan.js')) as { runScan: typeof runScan };
}

/** The view, the scan command and the items' commands. */
export function registerDeployedTree(context: vscode.ExtensionContext, diagnostics: DiagnosticsController, log: vscode.LogOutputChannel): DeployedTree {
  const tree = new DeployedTree(diagnostics);
  const view = vscode.window.createTreeView(DEPLOYED_VIEW, { treeDataProvider: tree, showCollapseAll: true });
  const scan = async (request?: ScanRequest): Promise<ScanResult | undefined> => {
    const settings = azureSettings();
    if ('problem' in settings) {
      void vscode.window.showErrorMessage(`ILB Hairpin: ${settings.problem}`);
      return undefined;
    }
    try {
      // The Azure SDK is loaded here, the first time a scan runs (a bundle of its own).
      const { runScan } = loadScan();
      const result = await runScan(settings, request ?? {}, log);
      if (!result) return undefined;
      tree.set(result);
      const failed = result.view.subscriptions.filter((s) => s.status === 'failed').length;
      const total = result.view.subscriptions.length;
      view.message = `Read as ${result.account}${failed ? `; ${failed} of ${total} subscriptions could not be read` : ''}.`;
      if (result.failure === 'cancelled') void vscode.window.showInformationMessage('ILB Hairpin: the Azure scan was cancelled.');
      else if (result.failure !== undefined) void vscode.window.showErrorMessage(`ILB Hairpin: nothing could be read from Azure: ${result.failure}`);
      void vscode.commands.executeCommand(`${DEPLOYED_VIEW}.focus`);
      return result;
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      log.error(`Azure scan failed: ${message}`);
      void vscode.window.showErrorMessage(`ILB Hairpin: ${message}`);
      return undefined;
    }
  };
  context.subscriptions.push(
    tree,
    view,
    vscode.commands.registerCommand(SCAN_AZURE, scan),
    vscode.commands.registerCommand(OPEN_IN_PORTAL, async (node?: DeployedNode) => {
      const r = resourceOf(node ?? view.selection[0]);
      if (!r) return;
      if (!r.portal) {
        void vscode.window.showInformationMessage('ILB Hairpin: no portal link for a custom Resource Manager endpoint (ilbHairpin.azure.armEndpoint); name its cloud in ilbHairpin.azure.cloud when it is a proxy in front of one.');
        return;
      }
      await vscode.env.openExternal(vscode.Uri.parse(r.portal, true));
    }),
    vscode.commands.registerCommand(COPY_RESOURCE_ID, async (node?: DeployedNode) => {
      const r = resourceOf(node ?? view.selection[0]);
      if (r) await vscode.env.clipboard.writeText(r.id);
    }),
    vscode.commands.registerCommand(SHOW_DEPLOYED_TOPOLOGY, async (node?: DeployedNode) => {
      const n = node ?? view.selection[0];
      const last = tree.last;
      if (!n || !last?.topology || (n.kind !== 'loadBalancer' && n.kind !== 'finding')) return undefined;
      // Built in the scan's worker; the whole estate only when it is small enough to draw.
      const file = `azure:${n.lb.id}`;
      const count = last.view.subscriptions.reduce((sum, s) => sum + s.loadBalancerViews.length, 0);
      const [one, whole] = await Promise.all([last.topology(file), count <= WHOLE_TOPOLOGY_LIMIT ? last.topology(undefined) : Promise.resolve(undefined)]);
      if (!one) return undefined;
      const tooMany: TopologyModel = { ...one, notes: [`${count} load balancers were read: too many to draw at once. Show Topology on one of them in the Deployed Load Balancers view.`, ...one.notes] };
      const target: TopologyTarget = {
        scope: 'file',
        deployed: { model: (f) => (f !== undefined ? one : (whole ?? tooMany)), file, title: n.lb.name },
        ...(n.kind === 'finding' ? { finding: { file: '', start: -1, loadBalancer: n.lb.name, lbRule: n.finding.lbRule } } : {}),
      };
      return vscode.commands.executeCommand(SHOW_TOPOLOGY, target);
    }),
    vscode.commands.registerCommand(OPEN_TEMPLATE, (span: SourceSpan) => openTemplate(diagnostics, span)),
  );
  return tree;
}
