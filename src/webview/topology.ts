/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * The topology webview: lays out the view model the panel sends (elkjs), draws it with the shared
 * SVG renderer, and adds what a person needs on top: pan and zoom (pointer, wheel, keyboard),
 * keyboard-reachable nodes, selection of a hairpin-prone rule with its packet walks (in a split
 * below the graph that the person can resize, and that never leaves the graph less than readable),
 * a legend (closed until asked for), export, and the scope and environment switches. Talks to the
 * panel only through protocol.ts.
 */
import { startElk } from '../core/topology/elk';
import { FONT, layoutTopology, type LaidOutTopology } from '../core/topology/layout';
import type { PathKind, TopologyModel } from '../core/topology/model';
import type { FromWebview, RenderedReport, ToWebview, TopologyState } from '../core/topology/protocol';
import { TOPOLOGY_CSS } from '../core/topology/style';
import { escapeXml, LEGEND_SWATCH, legendEntries, legendMarkers, nodeTextMarkup, renderTopologySvg, renderWalkSvg, silhouetteRuns, type SvgOptions } from '../core/topology/svg';

interface VsCodeApi {
  postMessage(message: FromWebview): void;
  getState(): TopologyState | undefined;
  setState(state: TopologyState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: FromWebview): void => vscode.postMessage(m);

// The graph's CSS is shared with the standalone SVG (style.ts); a constructed stylesheet needs no inline <style>.
const sheet = new CSSStyleSheet();
sheet.replaceSync(TOPOLOGY_CSS);
document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

// ------------------------------------------------------------------ the page

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, children: (Node | string)[] = []): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) el.append(c);
  return el;
}

const button = (id: string, text: string, title: string): HTMLButtonElement => h('button', { id, type: 'button', title }, [text]);

const scopeFile = button('scope-file', 'This file', "Show the graph of the current file's deployment");
const scopeWorkspace = button('scope-workspace', 'Whole workspace', 'Show every load balancer in the workspace');
const envSelect = h('select', { id: 'environment', 'aria-label': 'Environment' });
const envLabel = h('label', { id: 'environment-label', class: 'env' }, ['Environment ', envSelect]);
const legendToggle = h('button', { id: 'legend-toggle', type: 'button', title: 'Show or hide the legend', 'aria-controls': 'legend' }, ['Legend']);
const exportSelect = h('select', { id: 'export', 'aria-label': 'Export', title: 'Save or copy the picture as SVG, or the graph as a Mermaid flowchart' }, [
  h('option', { value: '', selected: '' }, ['Export…']),
  h('option', { value: 'svg:file' }, ['Save as SVG…']),
  h('option', { value: 'mermaid:file' }, ['Save as Mermaid…']),
  h('option', { value: 'svg:clipboard' }, ['Copy SVG']),
  h('option', { value: 'mermaid:clipboard' }, ['Copy Mermaid']),
]);
const toolbar = h('header', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Topology' }, [
  h('div', { class: 'segmented', role: 'group', 'aria-label': 'Scope' }, [scopeFile, scopeWorkspace]),
  envLabel,
  h('span', { class: 'spacer' }),
  button('zoom-out', '−', 'Zoom out (-)'),
  button('zoom-in', '+', 'Zoom in (+)'),
  button('fit', 'Fit', 'Fit the picture to the view (0)'),
  exportSelect,
  legendToggle,
]);
const canvas = h('div', {
  id: 'canvas',
  tabindex: '0',
  role: 'application',
  'aria-roledescription': 'topology graph',
  'aria-label': 'Topology graph. Drag or arrow keys to pan, wheel or plus and minus to zoom, 0 to fit; Tab to the nodes, arrow keys between them, Enter to open a node in the editor and to show the packet path of a hairpin-prone rule, Escape to clear it.',
});
const notes = h('div', { id: 'notes', role: 'note' });
const legend = h('aside', { id: 'legend', 'aria-label': 'Legend' });
const pathTitle = h('h2', { id: 'path-title' });
const pathTabs = h('div', { id: 'path-tabs', role: 'tablist', 'aria-label': 'Packet paths' });
const pathClose = button('path-close', 'Close', 'Clear the selection (Escape)');
const walk = h('div', { id: 'walk', role: 'tabpanel', tabindex: '0', 'aria-label': 'Packet walk' });
const pathPanel = h('section', { id: 'path-panel', 'aria-labelledby': 'path-title' }, [h('div', { class: 'path-head' }, [pathTitle, pathTabs, pathClose]), walk]);
/** Between the graph and the walk: drag it, or focus it and use the arrow keys, Home and End; a double click sizes the walk to fit again. */
const splitter = h('div', {
  id: 'splitter',
  role: 'separator',
  tabindex: '0',
  'aria-orientation': 'horizontal',
  'aria-controls': 'path-panel',
  'aria-label': 'Resize the packet walk: up and down arrows, Home for the most room, End for the least; Enter sizes it to fit',
  title: 'Drag to resize the packet walk (double-click: size to fit)',
});
const status = h('footer', { id: 'status', role: 'status', 'aria-live': 'polite' });
const main = h('main', {}, [canvas]);
document.body.append(toolbar, notes, main, legend, splitter, pathPanel, status);
// The legend's rows wrap to the panel's width; the swatches are the graph's own shapes (svg.ts).
legend.innerHTML =
  `<svg class="ilbh" width="0" height="0" aria-hidden="true">${legendMarkers('ilbh-l-')}</svg><ul class="legend-list">` +
  legendEntries('ilbh-l-')
    .map(
      (e) =>
        `<li><svg class="ilbh swatch" width="${LEGEND_SWATCH.width}" height="${LEGEND_SWATCH.height}" viewBox="0 0 ${LEGEND_SWATCH.width} ${LEGEND_SWATCH.height}" aria-hidden="true">${e.swatch}</svg><span>${escapeXml(e.text)}</span></li>`,
    )
    .join('') +
  '</ul>';
pathPanel.hidden = true;
splitter.hidden = true;

// ------------------------------------------------------------------ state

let state: TopologyState = vscode.getState() ?? { scope: 'file' };
let model: TopologyModel | undefined;
let laid: LaidOutTopology | undefined;
/** The drawn picture's bounds (its viewBox as rendered), for fitting. */
let bounds = { x: 0, y: 0, w: 1, h: 1 };
let view = state.view;
/**
 * The canvas's size, kept by a ResizeObserver: pan, zoom and fitting never read the layout, so a new
 * picture is laid out by the browser once, in its next frame (a read after each change of the
 * viewBox would lay out every text of the picture again).
 */
let canvasSize = { w: Math.max(1, canvas.clientWidth), h: Math.max(1, canvas.clientHeight) };
/** The view is as Fit left it (the person has not panned or zoomed since): selections refit it. */
let fitted = false;
legend.hidden = !state.legend;

function save(): void {
  state = { ...state, ...(view ? { view } : {}) };
  vscode.setState(state);
}

// ------------------------------------------------------------------ drawing

function nextFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function svgElement(): SVGSVGElement | null {
  return canvas.querySelector('svg.ilbh');
}

/**
 * Above this many nodes a picture is drawn without the nodes' text lines, and a node's lines are
 * added when it is in view near enough to read them (SvgOptions.deferText): a large picture's first
 * drawing then has about half the elements, and most of them would be too small to read. Its edges
 * are drawn as one path per kind (SvgOptions.mergeEdges), not a path and a marker each.
 */
const DEFER_TEXT_NODES = 400;
/** The nodes drawn without their lines, by id, until their lines are added (addTextsInView). */
let deferred: Map<string, SVGGElement> | undefined;

/**
 * Above this many nodes a picture is drawn first with its plain leaves as silhouettes (a path of
 * boxes and one of stripes per kind: SvgOptions.silhouettes), which the browser draws in a fraction
 * of the time of four elements a leaf; the leaves are then made in slices between other work and put
 * in at once (putLeavesIn), after which the picture is the one drawn without silhouettes. Until then
 * a leaf has no tooltip and cannot be clicked or focused; its load balancer and rules can.
 */
const SILHOUETTE_NODES = 1500;
/** Leaves made per task while the silhouettes are shown: each slice keeps the page free for input (about 20 ms at 2 CPUs). */
const LEAVES_PER_SLICE = 250;
/** The number of the latest draw: a draw still putting its leaves in stops when a newer one began. */
let drawing = 0;
/** Lets the page take input and paint between slices of work (a message, which hidden frames do not throttle as they do timers). */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

/**
 * Draws the current layout with the current selection; keeps focus and the view. A picture with
 * silhouettes returns what settles when its leaves are all nodes (true), or when a newer draw
 * replaced it (false).
 */
function draw(): Promise<boolean> | undefined {
  if (!laid) return undefined;
  const current = ++drawing;
  const focused = (document.activeElement as Element | null)?.getAttribute?.('data-id');
  const mark = state.selectedRule ? laid.model.marks.find((m) => m.rule === state.selectedRule) : undefined;
  const defer = laid.nodes.length > DEFER_TEXT_NODES;
  const options: SvgOptions = { ...(mark ? { selectedRule: mark.rule, path: state.path ?? 'failing' } : {}), deferText: defer, mergeEdges: defer };
  const silhouettes = laid.nodes.length > SILHOUETTE_NODES;
  canvas.innerHTML = renderTopologySvg(laid, { ...options, silhouettes });
  const svg = svgElement();
  deferred = undefined;
  // What the tests and the bench wait for: 'nodes' once every node is an element of its own.
  status.dataset.leaves = silhouettes ? 'silhouettes' : 'nodes';
  if (!svg) return undefined;
  if (defer) {
    deferred = new Map();
    for (const g of svg.querySelectorAll<SVGGElement>('g.node:not(.container)')) deferred.set(g.getAttribute('data-id') ?? '', g);
  }
  const [x, y, w, hh] = (svg.getAttribute('viewBox') ?? '0 0 1 1').split(' ').map(Number) as [number, number, number, number];
  bounds = { x, y, w, h: hh };
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('preserveAspectRatio', 'xMinYMin meet');
  applyView();
  const refocus = (): void => {
    if (focused) (svg.querySelector(`[data-id="${CSS.escape(focused)}"]`) as SVGGElement | null)?.focus({ preventScroll: true });
  };
  refocus();
  drawPathPanel();
  if (!silhouettes) return undefined;
  return putLeavesIn(svg, laid, options, current, focused && !document.activeElement?.closest('[data-id]') ? refocus : undefined).catch((e: unknown) => {
    // The silhouettes stay (the picture is whole; its leaves cannot be clicked): said, not thrown.
    post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    status.textContent = `Could not put the nodes in: ${e instanceof Error ? e.message : String(e)}`;
    return false;
  });
}

/**
 * The leaves that silhouettes stand for, made in slices (each parsed apart from the page, which
 * neither styles nor draws it) and then put in at once where renderTopologySvg draws them, the
 * silhouettes removed: one change of the page, drawn in one frame.
 */
async function putLeavesIn(svg: SVGSVGElement, t: LaidOutTopology, o: SvgOptions, current: number, refocus: (() => void) | undefined): Promise<boolean> {
  const { runs, markup } = silhouetteRuns(t, o);
  const parse = document.createElement('template');
  const made: DocumentFragment[] = [];
  for (const run of runs) {
    const fragment = document.createDocumentFragment();
    for (let i = 0; i < run.leaves.length; i += LEAVES_PER_SLICE) {
      await yieldToPage();
      if (current !== drawing) return false;
      parse.innerHTML = `<svg xmlns="http://www.w3.org/2000/svg">${run.leaves.slice(i, i + LEAVES_PER_SLICE).map(markup).join('')}</svg>`;
      const holder = parse.content.firstElementChild;
      while (holder?.firstChild) fragment.appendChild(holder.firstChild);
    }
    made.push(fragment);
  }
  await yieldToPage();
  if (current !== drawing || !svg.isConnected) return false;
  const layer = svg.querySelector('g.silhouettes');
  runs.forEach((run, i) => {
    const fragment = made[i] as DocumentFragment;
    if (deferred) for (const g of fragment.children) deferred.set(g.getAttribute('data-id') ?? '', g as SVGGElement);
    const anchor = run.before === undefined ? layer : svg.querySelector(`g.node[data-id="${CSS.escape(run.before)}"]`);
    anchor?.parentNode?.insertBefore(fragment, anchor);
  });
  layer?.remove();
  status.dataset.leaves = 'nodes';
  if (!svg.classList.contains('lod-farther')) addTextsInView();
  // Focus that was on a leaf before this draw, and has not gone elsewhere since.
  if (refocus && (document.activeElement === null || document.activeElement === document.body)) refocus();
  return true;
}

function drawPathPanel(): void {
  const mark = state.selectedRule && model ? model.marks.find((m) => m.rule === state.selectedRule) : undefined;
  if (!mark) {
    pathPanel.hidden = true;
    splitter.hidden = true;
    return;
  }
  const opening = pathPanel.hidden;
  pathPanel.hidden = false;
  splitter.hidden = false;
  const rule = model?.nodes.find((n) => n.id === mark.rule);
  pathTitle.textContent = `Rule ${rule?.label ?? ''}: ${mark.members === null ? '1 in N' : mark.members <= 1 ? 'every' : `1 in ${mark.members}`} call${mark.members === 1 ? '' : 's'} from a member to its frontend ${mark.members === 1 ? 'fails' : 'fail'}`;
  const current = state.path ?? 'failing';
  pathTabs.replaceChildren(
    ...mark.paths.map((p) => {
      const tab = h('button', { type: 'button', role: 'tab', 'aria-selected': String(p.kind === current), 'data-path': p.kind, tabindex: p.kind === current ? '0' : '-1' }, [p.kind === 'failing' ? 'Failing path' : p.title.replace(/^Fix: /, 'Fix: ')]);
      tab.addEventListener('click', () => selectPath(p.kind));
      return tab;
    }),
  );
  const path = mark.paths.find((p) => p.kind === current) ?? mark.paths[0];
  // The walk spans the panel as the canvas does; its size is not read here, which would lay out the new picture at once.
  walk.innerHTML = path ? renderWalkSvg(path, { maxWidth: Math.max(280, canvasSize.w - 24) }) : '';
  if (opening) sizeWalk();
}

// ------------------------------------------------------------------ the split between the graph and the walk

/** The graph never gets less than this (CSS: main's min-height); the walk not less than its head and a few lines. */
const MIN_GRAPH = 180;
const MIN_WALK = 110;

/** Height that the graph and the walk share: the page less the toolbar, notes, legend and status. */
function sharedHeight(): number {
  const page = document.documentElement.clientHeight;
  const others = [toolbar, notes, splitter, status].reduce((sum, el) => sum + (el.hidden ? 0 : el.offsetHeight), 0);
  return page - others - legendHeight(page);
}

/**
 * The legend's own height: its content, at most 30 % of the page (CSS: its max-height), not the
 * height it has now. When the walk is taller than the room, the flex layout shrinks the legend and
 * the walk together; a room measured from that shrunk legend would size the walk from a layout that
 * the new size changes again (the walk came back from a reload 171 px high where 200 px were free).
 */
function legendHeight(page: number): number {
  if (legend.hidden) return 0;
  const borders = legend.offsetHeight - legend.clientHeight;
  return Math.min(legend.scrollHeight + borders, Math.floor(page * 0.3));
}

/**
 * The walk's height: as the person dragged it, else what the fitted picture leaves (the picture
 * fitted to the width, at least MIN_GRAPH, at most 60 % of the room), but no more than the walk needs.
 */
function sizeWalk(): void {
  if (pathPanel.hidden) return;
  const room = sharedHeight();
  let height: number;
  if (state.walkHeight !== undefined) height = state.walkHeight;
  else {
    const k = Math.min(1.25, (canvasSize.w - 24) / bounds.w);
    const graph = Math.min(Math.max(MIN_GRAPH, bounds.h * k + 24), room * 0.6);
    const head = pathPanel.querySelector<HTMLElement>('.path-head')?.offsetHeight ?? 0;
    const content = head + (walk.querySelector('svg')?.height.baseVal.value ?? 0) + 24;
    height = Math.min(room - graph, content);
  }
  setWalkHeight(height, room);
}

function setWalkHeight(height: number, room = sharedHeight()): number {
  const h = Math.round(Math.max(MIN_WALK, Math.min(height, room - MIN_GRAPH)));
  pathPanel.style.height = `${h}px`;
  splitter.setAttribute('aria-valuemin', String(MIN_WALK));
  splitter.setAttribute('aria-valuemax', String(Math.max(MIN_WALK, Math.round(room - MIN_GRAPH))));
  splitter.setAttribute('aria-valuenow', String(h));
  splitter.setAttribute('aria-valuetext', `packet walk ${h} pixels high`);
  return h;
}

function resizeWalkBy(delta: number): void {
  const h = setWalkHeight(pathPanel.offsetHeight + delta);
  state = { ...state, walkHeight: h };
  save();
}

let split: { y: number; height: number; id: number } | undefined;
splitter.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  split = { y: e.clientY, height: pathPanel.offsetHeight, id: e.pointerId };
  splitter.setPointerCapture(e.pointerId);
  splitter.classList.add('dragging');
  e.preventDefault();
});
splitter.addEventListener('pointermove', (e) => {
  if (!split || split.id !== e.pointerId) return;
  setWalkHeight(split.height - (e.clientY - split.y));
});
const endSplit = (e: PointerEvent): void => {
  if (!split || split.id !== e.pointerId) return;
  split = undefined;
  splitter.releasePointerCapture(e.pointerId);
  splitter.classList.remove('dragging');
  state = { ...state, walkHeight: pathPanel.offsetHeight };
  save();
};
splitter.addEventListener('pointerup', endSplit);
splitter.addEventListener('pointercancel', endSplit);
splitter.addEventListener('dblclick', () => {
  state = { ...state, walkHeight: undefined };
  sizeWalk();
  save();
});
splitter.addEventListener('keydown', (e) => {
  const step = e.shiftKey ? 96 : 24;
  if (e.key === 'ArrowUp') resizeWalkBy(step);
  else if (e.key === 'ArrowDown') resizeWalkBy(-step);
  else if (e.key === 'PageUp') resizeWalkBy(sharedHeight() / 4);
  else if (e.key === 'PageDown') resizeWalkBy(-sharedHeight() / 4);
  else if (e.key === 'Home') resizeWalkBy(Infinity);
  else if (e.key === 'End') resizeWalkBy(-Infinity);
  else if (e.key === 'Enter') {
    state = { ...state, walkHeight: undefined };
    sizeWalk();
    save();
  } else return;
  e.preventDefault();
});

/** After a selection: the whole picture again if it was fitted, else as little panning (or zooming out) as brings the drawn path into view. */
function showOverlay(): void {
  if (fitted) {
    fit();
    return;
  }
  const overlay = svgElement()?.querySelector<SVGGElement>('g.overlay');
  if (!overlay || !view) return;
  const b = overlay.getBBox();
  const margin = 24;
  const { w, h: hh } = canvasSize;
  let k = view.k;
  if ((b.width + 2 * margin) * k > w || (b.height + 2 * margin) * k > hh) k = Math.min(w / (b.width + 2 * margin), hh / (b.height + 2 * margin));
  const vw = w / k;
  const vh = hh / k;
  // As little movement as brings the path in: centred only when the zoom had to change.
  const into = (start: number, size: number, from: number, length: number): number =>
    k !== view?.k ? from + length / 2 - size / 2 : from - margin < start ? from - margin : from + length + margin > start + size ? from + length + margin - size : start;
  const x = into(view.x, vw, b.x, b.width);
  const y = into(view.y, vh, b.y, b.height);
  view = { k, x, y };
  applyView();
  save();
}

/** Lays out and draws a new model; reports what it drew and how long it took. */
async function show(m: TopologyModel, v: number, refit: boolean): Promise<void> {
  model = m;
  if (state.selectedRule && !m.marks.some((x) => x.rule === state.selectedRule)) state = { ...state, selectedRule: undefined, path: undefined };
  state = { ...state, scope: m.scope, ...(m.file !== undefined ? { file: m.file } : {}), environment: m.environment };
  updateToolbar(m);
  const t0 = performance.now();
  let report: RenderedReport;
  let t1 = t0;
  // (Set again below if this picture has silhouettes: never a figure of an earlier picture.)
  delete status.dataset.nodesMs;
  let pending: Promise<boolean> | undefined;
  try {
    laid = layoutTopology(m);
    t1 = performance.now();
    pending = draw();
    if (refit || !view || fitted) fit();
    // Until the browser has drawn it: style, layout and paint of the new SVG count as rendering.
    await nextFrame();
    const t2 = performance.now();
    report = { version: v, nodes: m.nodes.length, edges: m.edges.length, groups: m.groups.length, marks: m.marks.length, layoutMs: Math.round(t1 - t0), renderMs: Math.round(t2 - t1) };
  } catch (e) {
    post({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    status.textContent = `Could not draw the topology: ${e instanceof Error ? e.message : String(e)}`;
    return;
  }
  status.textContent = `${report.nodes} nodes · ${report.edges} edges · ${report.marks} hairpin-prone rule${report.marks === 1 ? '' : 's'} · layout ${report.layoutMs} ms · drawing ${report.renderMs} ms`;
  status.dataset.nodes = String(report.nodes);
  status.dataset.layoutMs = String(report.layoutMs);
  status.dataset.renderMs = String(report.renderMs);
  status.dataset.version = String(v);
  save();
  post({ type: 'rendered', ...report });
  // A picture drawn with silhouettes first: how long until its leaves were nodes (tooltips, clicks,
  // focus) and the browser had drawn them.
  if (pending && (await pending)) {
    await nextFrame();
    status.dataset.nodesMs = String(Math.round(performance.now() - t1));
    status.textContent += ` · every node ${status.dataset.nodesMs} ms`;
  }
}

function updateToolbar(m: TopologyModel): void {
  scopeFile.setAttribute('aria-pressed', String(m.scope === 'file'));
  scopeWorkspace.setAttribute('aria-pressed', String(m.scope === 'workspace'));
  envSelect.replaceChildren(...m.environments.map((e) => h('option', { value: e, ...(e === m.environment ? { selected: '' } : {}) }, [e === 'all' ? 'all (merged)' : e])));
  envLabel.hidden = m.environments.length < 2;
  notes.replaceChildren(...m.notes.map((t) => h('p', {}, [t])));
  notes.hidden = m.notes.length === 0;
  document.title = `Topology: ${m.title}`;
}

// ------------------------------------------------------------------ pan and zoom

/**
 * The view the SVG's viewBox was last set to. During a pan or zoom (wheel, drag, keys) the drawn
 * picture is only moved and scaled by a CSS transform, which the browser composites without laying
 * out or painting the SVG again (that costs about 70 ms a step at 5,000 nodes); the viewBox follows
 * once the gesture rests (SETTLE_MS), drawn sharp and with what came into view.
 */
let drawnView: typeof view;
let settling: ReturnType<typeof setTimeout> | undefined;
const SETTLE_MS = 150;

function applyView(): void {
  if (settling !== undefined) clearTimeout(settling);
  settling = undefined;
  const svg = svgElement();
  if (!svg || !view) return;
  const { w, h: hh } = canvasSize;
  svg.setAttribute('viewBox', `${view.x} ${view.y} ${w / view.k} ${hh / view.k}`);
  svg.style.removeProperty('transform');
  drawnView = view;
  // Far out, text smaller than about 4.5 pixels is not drawn (topology.css); zooming in or a
  // node's tooltip shows it. Fewer texts for the browser to lay out: a large picture draws, pans
  // and zooms about twice as fast.
  svg.classList.toggle('lod-far', view.k * FONT.detail < 4.5);
  const farther = view.k * FONT.label < 4;
  svg.classList.toggle('lod-farther', farther);
  // So far out that a dash period of 10 is under 2.5 pixels (its gap under a pixel), dashes would
  // blur into a lighter line anyway: they are drawn solid, which is cheaper to paint. Their colour
  // and width still tell a hairpin edge or member from the others.
  svg.classList.toggle('lod-solid', view.k * 10 < 2.5);
  if (!farther) addTextsInView();
}

/** The text lines of the deferred nodes in view (and half a view around it, for a short pan), once each. */
function addTextsInView(): void {
  if (!deferred?.size || !view || !laid) return;
  const w = canvasSize.w / view.k;
  const hh = canvasSize.h / view.k;
  const [x0, x1, y0, y1] = [view.x - w / 2, view.x + w * 1.5, view.y - hh / 2, view.y + hh * 1.5];
  for (const n of laid.nodes) {
    if (n.container || n.x > x1 || n.x + n.width < x0 || n.y > y1 || n.y + n.height < y0) continue;
    const g = deferred.get(n.id);
    if (!g) continue;
    deferred.delete(n.id);
    // Where renderTopologySvg draws them: after the stripe, under the badges.
    (g.querySelector('.stripe') ?? g.lastElementChild)?.insertAdjacentHTML('afterend', nodeTextMarkup(n));
  }
}

/** A step of a pan or zoom: the drawn picture moved and scaled to the view; the viewBox when the gesture rests. */
function previewView(): void {
  const svg = svgElement();
  const from = drawnView;
  if (!svg || !view || !from) return applyView();
  // A point p of the picture is drawn at (p - from) * from.k and belongs at (p - view) * view.k.
  const s = view.k / from.k;
  const dx = (from.x - view.x) * view.k;
  const dy = (from.y - view.y) * view.k;
  // Only what was drawn moves: past a quarter of the canvas, or zoomed out by a fifth (blank edges)
  // or in by half (blurred), a long drag or zoom is drawn again without waiting for its rest.
  if (Math.abs(dx) > canvasSize.w / 4 || Math.abs(dy) > canvasSize.h / 4 || s < 0.8 || s > 1.5) return applyView();
  svg.style.transform = `translate(${dx}px, ${dy}px) scale(${s})`;
  if (settling !== undefined) clearTimeout(settling);
  settling = setTimeout(applyView, SETTLE_MS);
}

function fit(): void {
  const { w, h: hh } = canvasSize;
  const k = Math.min(1.25, (w - 24) / bounds.w, (hh - 24) / bounds.h);
  // Centred across, at the top: the picture starts where the eye does.
  view = { k, x: bounds.x - (w / k - bounds.w) / 2, y: bounds.y - 12 / k };
  fitted = true;
  applyView();
  save();
}

function zoomAt(factor: number, cx = canvasSize.w / 2, cy = canvasSize.h / 2): void {
  if (!view) return;
  const k = Math.min(4, Math.max(0.05, view.k * factor));
  fitted = false;
  // Keep the point under the cursor where it is.
  view = { k, x: view.x + cx / view.k - cx / k, y: view.y + cy / view.k - cy / k };
  previewView();
  save();
}

function panBy(dx: number, dy: number): void {
  if (!view) return;
  fitted = false;
  view = { ...view, x: view.x - dx / view.k, y: view.y - dy / view.k };
  previewView();
  save();
}

/** Pans so that a node is in view (for keyboard focus). */
function ensureVisible(el: SVGGraphicsElement): void {
  if (!view) return;
  const box = el.getBBox();
  const m = el.transform.baseVal.consolidate()?.matrix;
  const x = box.x + (m?.e ?? 0);
  const y = box.y + (m?.f ?? 0);
  const w = canvasSize.w / view.k;
  const hh = canvasSize.h / view.k;
  let nx = view.x;
  let ny = view.y;
  if (x < view.x) nx = x - 20;
  else if (x + box.width > view.x + w) nx = x + box.width - w + 20;
  if (y < view.y) ny = y - 20;
  else if (y + box.height > view.y + hh) ny = y + box.height - hh + 20;
  if (nx !== view.x || ny !== view.y) {
    view = { ...view, x: nx, y: ny };
    applyView();
    save();
  }
}

let drag: { x: number; y: number; moved: boolean; id: number } | undefined;
canvas.addEventListener('pointerdown', (e) => {
  if (e.button !== 0) return;
  drag = { x: e.clientX, y: e.clientY, moved: false, id: e.pointerId };
});
canvas.addEventListener('pointermove', (e) => {
  if (!drag || drag.id !== e.pointerId) return;
  const dx = e.clientX - drag.x;
  const dy = e.clientY - drag.y;
  if (!drag.moved && Math.hypot(dx, dy) < 4) return;
  if (!drag.moved) canvas.setPointerCapture(e.pointerId);
  drag.moved = true;
  drag.x = e.clientX;
  drag.y = e.clientY;
  canvas.classList.add('panning');
  panBy(dx, dy);
});
const endDrag = (e: PointerEvent): void => {
  if (!drag || drag.id !== e.pointerId) return;
  if (drag.moved) canvas.releasePointerCapture(e.pointerId);
  canvas.classList.remove('panning');
  setTimeout(() => (drag = undefined), 0);
};
canvas.addEventListener('pointerup', endDrag);
canvas.addEventListener('pointercancel', endDrag);
canvas.addEventListener(
  'wheel',
  (e) => {
    e.preventDefault();
    const r = canvas.getBoundingClientRect();
    if (e.ctrlKey || Math.abs(e.deltaY) >= Math.abs(e.deltaX)) zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    else panBy(-e.deltaX, 0);
  },
  { passive: false },
);
new ResizeObserver((entries) => {
  const r = entries[entries.length - 1]?.contentRect;
  if (!r || (Math.max(1, r.width) === canvasSize.w && Math.max(1, r.height) === canvasSize.h)) return;
  const before = canvasSize;
  canvasSize = { w: Math.max(1, r.width), h: Math.max(1, r.height) };
  // The room the graph and the walk share changed (the legend or the notes grew, the panel was
  // resized): the walk is sized again, so that the split says what is shown.
  if (!split) sizeWalk();
  // Space freed or taken (the panel resized, the legend or the walk opened, the split dragged): a
  // fitted picture is fitted again; a panned or zoomed one keeps its scale and its centre.
  if (fitted) fit();
  else {
    if (view) view = { ...view, x: view.x + (before.w - canvasSize.w) / 2 / view.k, y: view.y + (before.h - canvasSize.h) / 2 / view.k };
    applyView();
  }
}).observe(canvas);
// The window itself, and what shares the page with the graph and the walk (the status line wraps
// when its figures arrive, the toolbar wraps, notes come and go): the walk is sized again, as the
// person set it, within what leaves the graph its minimum. With the graph at its minimum such a
// change does not resize the canvas (the flex layout shrinks the walk), so the canvas's observer
// alone would leave the walk shorter than the split says.
const roomObserver = new ResizeObserver(() => {
  if (!split) sizeWalk();
});
for (const el of [document.documentElement, toolbar, notes, legend, status]) roomObserver.observe(el);
let walkWidth = 0;
new ResizeObserver(() => {
  // The walk's lanes follow the panel's width.
  if (!pathPanel.hidden && Math.abs(walk.clientWidth - walkWidth) > 40) {
    walkWidth = walk.clientWidth;
    drawPathPanel();
  }
}).observe(walk);

// ------------------------------------------------------------------ nodes: click, keyboard, selection

function nodeOf(target: EventTarget | null): SVGGElement | null {
  return target instanceof Element ? (target.closest('[data-id]') as SVGGElement | null) : null;
}

function activate(id: string): void {
  const isMark = model?.marks.some((m) => m.rule === id);
  if (isMark) selectRule(state.selectedRule === id ? undefined : id, state.selectedRule === id ? undefined : 'failing');
  post({ type: 'reveal', node: id });
}

function selectRule(rule: string | undefined, path: PathKind | undefined): void {
  state = { ...state, selectedRule: rule, path };
  draw();
  showOverlay();
  save();
  post({ type: 'select', rule: rule ?? null, ...(path ? { path } : {}) });
}

function selectPath(path: PathKind): void {
  state = { ...state, path };
  draw();
  showOverlay();
  save();
  (pathTabs.querySelector(`[data-path="${path}"]`) as HTMLElement | null)?.focus();
  post({ type: 'select', rule: state.selectedRule ?? null, path });
}

canvas.addEventListener('click', (e) => {
  if (drag?.moved) return;
  const node = nodeOf(e.target);
  if (node?.dataset.id && svgElement()?.contains(node)) activate(node.dataset.id);
});

/** The nearest node in a direction from `from`, for arrow-key navigation between nodes. */
function neighbour(from: SVGGElement, dx: number, dy: number): SVGGElement | undefined {
  const c = (el: SVGGElement): { x: number; y: number } => {
    const b = el.getBBox();
    const m = el.transform.baseVal.consolidate()?.matrix;
    return { x: b.x + (m?.e ?? 0) + b.width / 2, y: b.y + (m?.f ?? 0) + b.height / 2 };
  };
  const here = c(from);
  let best: SVGGElement | undefined;
  let bestScore = Infinity;
  for (const el of svgElement()?.querySelectorAll<SVGGElement>('g.node:not(.container)') ?? []) {
    if (el === from) continue;
    const p = c(el);
    const along = (p.x - here.x) * dx + (p.y - here.y) * dy;
    if (along <= 1) continue;
    const across = Math.abs((p.x - here.x) * dy) + Math.abs((p.y - here.y) * dx);
    const score = along + 2 * across;
    if (score < bestScore) {
      bestScore = score;
      best = el;
    }
  }
  return best;
}

const ARROWS: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };

canvas.addEventListener('keydown', (e) => {
  const node = nodeOf(e.target);
  const arrow = ARROWS[e.key];
  if (arrow) {
    e.preventDefault();
    if (node && !node.classList.contains('container')) {
      const next = neighbour(node, arrow[0], arrow[1]);
      if (next) next.focus();
    } else {
      panBy(-arrow[0] * 60, -arrow[1] * 60);
    }
    return;
  }
  if ((e.key === 'Enter' || e.key === ' ') && node?.dataset.id) {
    e.preventDefault();
    activate(node.dataset.id);
  } else if (e.key === '+' || e.key === '=') zoomAt(1.2);
  else if (e.key === '-' || e.key === '_') zoomAt(1 / 1.2);
  else if (e.key === '0') fit();
  else if (e.key === 'Escape' && state.selectedRule) selectRule(undefined, undefined);
});
canvas.addEventListener('focusin', (e) => {
  const node = nodeOf(e.target);
  if (node) ensureVisible(node);
});

pathTabs.addEventListener('keydown', (e) => {
  const tabs = [...pathTabs.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
  const i = tabs.findIndex((t) => t === document.activeElement);
  if (i < 0 || (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft')) return;
  e.preventDefault();
  const next = tabs[(i + (e.key === 'ArrowRight' ? 1 : tabs.length - 1)) % tabs.length];
  if (next?.dataset.path) selectPath(next.dataset.path as PathKind);
});
pathClose.addEventListener('click', () => selectRule(undefined, undefined));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && state.selectedRule && !canvas.contains(e.target as Node)) selectRule(undefined, undefined);
});

// ------------------------------------------------------------------ toolbar

document.getElementById('zoom-in')?.addEventListener('click', () => zoomAt(1.2));
document.getElementById('zoom-out')?.addEventListener('click', () => zoomAt(1 / 1.2));
document.getElementById('fit')?.addEventListener('click', () => fit());
scopeFile.addEventListener('click', () => post({ type: 'scope', scope: 'file' }));
scopeWorkspace.addEventListener('click', () => post({ type: 'scope', scope: 'workspace' }));
envSelect.addEventListener('change', () => post({ type: 'scope', scope: state.scope, environment: envSelect.value }));
legendToggle.setAttribute('aria-expanded', String(!legend.hidden));
legendToggle.addEventListener('click', () => {
  legend.hidden = !legend.hidden;
  legendToggle.setAttribute('aria-expanded', String(!legend.hidden));
  state = { ...state, legend: !legend.hidden };
  save();
  // The room it takes or frees: the canvas's ResizeObserver refits the picture; the walk keeps its share.
  sizeWalk();
});

/** The picture as a file: the graph with the legend, and the selected packet walk. */
function standaloneSvg(): string | undefined {
  if (!laid) return undefined;
  const mark = state.selectedRule ? laid.model.marks.find((m) => m.rule === state.selectedRule) : undefined;
  return renderTopologySvg(laid, { standalone: true, legend: true, walk: !!mark, ...(mark ? { selectedRule: mark.rule, path: state.path ?? 'failing' } : {}) });
}
exportSelect.addEventListener('change', () => {
  const [format, target] = exportSelect.value.split(':') as ['svg' | 'mermaid', 'file' | 'clipboard'];
  exportSelect.value = '';
  if (!format || !target) return;
  const svg = format === 'svg' ? standaloneSvg() : undefined;
  post({ type: 'export', format, target, ...(svg !== undefined ? { svg } : {}) });
});

// ------------------------------------------------------------------ messages from the panel

window.addEventListener('message', (event: MessageEvent<ToWebview>) => {
  const m = event.data;
  switch (m.type) {
    case 'update':
      if (m.select) state = { ...state, selectedRule: m.select.rule, path: m.select.path ?? 'failing' };
      void show(m.model, m.version, !!m.refit).then(() => {
        if (m.select) focusRule(m.select.rule);
      });
      break;
    case 'exported':
      status.textContent = m.message;
      break;
  }
});

function focusRule(rule: string): void {
  const el = svgElement()?.querySelector<SVGGElement>(`[data-id="${CSS.escape(rule)}"]`);
  if (el) {
    el.focus();
    ensureVisible(el);
  }
}

post({ type: 'ready', state });
// The layout engine starts while the panel builds the first model, not after it arrives.
setTimeout(startElk, 0);
