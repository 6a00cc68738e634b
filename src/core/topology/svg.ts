/**
 * SVG of a laid-out topology: pure functions from data to a string, shared by the webview (which
 * adds pan, zoom and focus on top) and the CLI / exports (standalone files with the CSS embedded).
 * Everything is styled through classes (style.ts), never inline styles.
 */
import type { LaidOutBox, LaidOutNode, LaidOutTopology, Point, TextLine } from './layout';
import { chipText, FONT, SIDE } from './layout';
import type { HairpinMark, PacketPath, PathKind, PathParticipant, TopologyNode } from './model';
import { TOPOLOGY_CSS } from './style';
import { textWidth, wrapLines, wrapText } from './text';

export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const n = (v: number): string => String(Math.round(v * 10) / 10);

export interface SvgOptions {
  /** A file that stands on its own: the CSS embedded and an opaque background. */
  standalone?: boolean;
  /** The selected hairpin-prone rule (its node id). */
  selectedRule?: string;
  /** Which of the selected rule's paths is drawn over the graph (default: the failing one). */
  path?: PathKind;
  /** Append a legend (standalone pictures). */
  legend?: boolean;
  /** Append the selected path's packet walk below the graph (standalone pictures). */
  walk?: boolean;
  /**
   * Draw the nodes that are not containers without their text lines (their tooltip and accessible
   * name keep the text): a large picture seen from far, where the lines are too small to read. The
   * webview adds a node's lines (nodeTextMarkup) when it comes into view near enough to read them.
   * The edges are drawn without their ids (`data-edge`, for those who read an exported file; the
   * webview does not): about a quarter of a large picture's markup.
   */
  deferText?: boolean;
  /**
   * Draw the edges as one path per kind of edge, and their arrowheads as one filled path of
   * triangles, instead of a path with an arrow marker per edge, which a large picture's first
   * drawing spends much of its painting on. The lines and arrowheads are the ones the markers draw
   * (at a marker's size for the edge's stroke width). No edge is an element of its own, so none has
   * an id.
   */
  mergeEdges?: boolean;
  /**
   * Draw the plain leaves (nothing on them but their box and stripe: no badge, icon, selection or
   * path) as silhouettes: one path of boxes and one of stripes per set of classes, in a
   * `g.silhouettes` layer drawn where the leaves would be, which the pointer passes through. The
   * webview draws a very large picture this way first, then puts the leaves in (silhouetteRuns):
   * a few dozen elements instead of four per leaf. The picture looks the same.
   */
  silhouettes?: boolean;
}

/** A node's text lines, as renderTopologySvg draws them inside its group, after its stripe. */
export function nodeTextMarkup(laid: LaidOutNode): string {
  return textLines(laid.lines, 12);
}

interface Fragment {
  body: string;
  width: number;
  height: number;
  /** Leftmost and topmost coordinates drawn (an overlay may reach beyond the layout). */
  minX?: number;
  minY?: number;
}

function markers(prefix: string): string {
  const m = (id: string, cls: string): string =>
    `<marker id="${prefix}${id}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="${cls}" d="M0,0 L10,5 L0,10 z"/></marker>`;
  return `<defs>${m('arrow', 'arrow')}${m('arrow-hairpin', 'arrow-hairpin')}${m('arrow-path', 'arrow-path')}${m('arrow-fail', 'arrow-fail')}${m('arrow-ok', 'arrow-ok')}</defs>`;
}

function svgRoot(f: Fragment, title: string, o: { standalone?: boolean; extraClass?: string; prefix: string }): string {
  const minX = Math.min(0, f.minX ?? 0);
  const minY = Math.min(0, f.minY ?? 0);
  const w = Math.max(1, Math.ceil(f.width - minX));
  const h = Math.max(1, Math.ceil(f.height - minY));
  const cls = `ilbh${o.extraClass ? ` ${o.extraClass}` : ''}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="${cls}" width="${w}" height="${h}" viewBox="${n(minX)} ${n(minY)} ${w} ${h}" role="img" aria-label="${escapeXml(title)}">` +
    `<title>${escapeXml(title)}</title>` +
    (o.standalone ? `<style>${TOPOLOGY_CSS}</style><rect class="canvas" x="${n(minX)}" y="${n(minY)}" width="${w}" height="${h}"/>` : '') +
    markers(o.prefix) +
    f.body +
    `</svg>`
  );
}

/** The topology as an SVG document. */
export function renderTopologySvg(t: LaidOutTopology, o: SvgOptions = {}): string {
  const graph = graphFragment(t, o, 'ilbh-g-');
  if (!o.standalone || (!o.legend && !o.walk)) {
    return svgRoot(graph, `Topology: ${t.model.title}`, { standalone: !!o.standalone, prefix: 'ilbh-g-', ...(graph.dim ? { extraClass: 'dim' } : {}) });
  }
  // A standalone picture: the graph, then the legend and the selected walk below it.
  const parts: string[] = [];
  const minX = Math.min(0, graph.minX ?? 0);
  let y = graph.height;
  let width = graph.width;
  parts.push(`<g class="${graph.dim ? 'dim' : ''}">${graph.body}</g>`);
  const mark = o.selectedRule ? t.model.marks.find((m) => m.rule === o.selectedRule) : undefined;
  const path = mark?.paths.find((p) => p.kind === (o.path ?? 'failing'));
  if (o.walk && path) {
    const walk = walkFragment(path, 'ilbh-g-');
    parts.push(`<g transform="translate(${n(minX + 16)},${n(y + 16)})">${walk.body}</g>`);
    y += walk.height + 32;
    width = Math.max(width, walk.width + 32);
  }
  if (o.legend) {
    const legend = legendFragment('ilbh-g-');
    parts.push(`<g transform="translate(${n(minX + 16)},${n(y + 8)})">${legend.body}</g>`);
    y += legend.height + 24;
    width = Math.max(width, legend.width + 32);
  }
  return svgRoot({ body: parts.join(''), width, height: y, minX, minY: graph.minY ?? 0 }, `Topology: ${t.model.title}`, { standalone: true, prefix: 'ilbh-g-' });
}

/** The packet walk of one path (a sequence diagram) as an SVG document, at most `maxWidth` wide when it can be. */
export function renderWalkSvg(path: PacketPath, o: { standalone?: boolean; maxWidth?: number } = {}): string {
  return svgRoot(walkFragment(path, 'ilbh-w-', o.maxWidth), path.title, { standalone: !!o.standalone, prefix: 'ilbh-w-' });
}

// ------------------------------------------------------------------ the graph

function nodeAccessibleName(node: TopologyNode, mark: HairpinMark | undefined): string {
  const parts = [`${node.tag.toLowerCase()} ${node.label}`, ...node.details.map((d) => d.replace(/^⚠\s*/, ''))];
  if (mark) parts.push('press Enter to show the failing path');
  return parts.join('; ');
}

function textLines(lines: TextLine[], x0: number, y0 = 0): string {
  return lines
    .map((l) => {
      if (l.role === 'hairpin') {
        const text = l.text.replace(/^⚠\s*/, '');
        return `${warnIcon(x0, y0 + l.y - 10)}<text class="hairpin-text" x="${n(x0 + 17)}" y="${n(y0 + l.y)}">${escapeXml(text)}</text>`;
      }
      return `<text class="${l.role}" x="${n(x0)}" y="${n(y0 + l.y)}">${escapeXml(l.text)}</text>`;
    })
    .join('');
}

function warnIcon(x: number, y: number): string {
  return `<path class="warn-icon" d="M${n(x + 6.5)},${n(y)} L${n(x + 13)},${n(y + 12)} L${n(x)},${n(y + 12)} z"/><text class="warn-icon-mark" x="${n(x + 4.7)}" y="${n(y + 11)}">!</text>`;
}

interface Overlay {
  body: string;
  onPath: Set<string>;
  bounds: LaidOutBox[];
}

/** What graphFragment draws a node with: its markup, and whether it is a leaf a silhouette stands for (SvgOptions.silhouettes). */
interface NodePainter {
  markup(laid: LaidOutNode): string;
  /** A leaf with nothing but its box and stripe: no badge, icon, selection or path on it. */
  plain(laid: LaidOutNode): boolean;
  /** Its classes, which its silhouette shares. */
  classes(laid: LaidOutNode): string[];
  overlay: Overlay | undefined;
}

function nodePainter(t: LaidOutTopology, o: SvgOptions, prefix: string): NodePainter {
  const byId = new Map(t.model.nodes.map((x) => [x.id, x]));
  const marks = new Map(t.model.marks.map((m) => [m.rule, m]));
  const mark = o.selectedRule ? marks.get(o.selectedRule) : undefined;
  const path = mark?.paths.find((p) => p.kind === (o.path ?? 'failing'));
  const overlay = path ? overlayFragment(t, path, prefix) : undefined;
  const onPath = overlay?.onPath ?? new Set<string>();
  if (mark) {
    onPath.add(mark.rule);
    onPath.add(mark.loadBalancer);
  }
  const classes = (laid: LaidOutNode): string[] => {
    const node = byId.get(laid.id) as TopologyNode;
    const out = ['node', `k-${node.kind}`];
    if (laid.container) out.push('container');
    if (node.kind === 'rule' && marks.has(node.id)) out.push('hairpin');
    else if (node.hairpin) out.push('loop');
    if (node.unknown) out.push('unknown');
    if (o.selectedRule === node.id) out.push('selected');
    if (onPath.has(node.id)) out.push('on-path');
    return out;
  };
  const plain = (laid: LaidOutNode): boolean => {
    const node = byId.get(laid.id) as TopologyNode;
    return !laid.container && !node.unknown && !(node.kind === 'rule' && marks.has(node.id)) && o.selectedRule !== node.id && !onPath.has(node.id);
  };
  const markup = (laid: LaidOutNode): string => {
    const node = byId.get(laid.id) as TopologyNode;
    const full = [`${node.tag}: ${node.label}`, ...node.details].join('\n');
    const stripe = laid.container ? `<rect class="stripe" x="0" y="0" width="${n(laid.width)}" height="4" rx="2"/>` : `<rect class="stripe" x="0" y="0" width="5" height="${n(laid.height)}" rx="2"/>`;
    const unknownBadge = node.unknown
      ? `<circle class="unknown-badge" cx="${n(laid.width - 11)}" cy="11" r="7"/><text class="unknown-mark" x="${n(laid.width - 13.8)}" y="14.5">?</text>`
      : '';
    const hairpinIcon = node.kind === 'rule' && marks.has(node.id) ? warnIcon(laid.width - (node.unknown ? 38 : 22), 4) : '';
    return (
      `<g class="${classes(laid).join(' ')}" data-id="${escapeXml(node.id)}" transform="translate(${n(laid.x)},${n(laid.y)})" tabindex="0" role="button" aria-label="${escapeXml(nodeAccessibleName(node, marks.get(node.id)))}">` +
      `<title>${escapeXml(full)}</title>` +
      `<rect class="box" x="0" y="0" width="${n(laid.width)}" height="${n(laid.height)}" rx="${laid.container ? 8 : 5}"/>` +
      stripe +
      (o.deferText && !laid.container ? '' : nodeTextMarkup(laid)) +
      hairpinIcon +
      unknownBadge +
      `</g>`
    );
  };
  return { markup, plain, classes, overlay };
}

/**
 * The outline of `<rect x y width height rx>` as path data: the same shape, started where the rect's
 * outline starts (so dashes fall alike). All but its start is relative, so leaves of one size share
 * that part (`sized`, a cache), and a large picture's thousands of leaves cost a move each.
 */
function roundedRect(x: number, y: number, w: number, h: number, radius: number, sized: Map<string, string>): string {
  const r = Math.max(0, Math.min(radius, w / 2, h / 2));
  const key = `${w} ${h} ${r}`;
  let rest = sized.get(key);
  if (rest === undefined) {
    const a = (dx: number, dy: number): string => `a${r},${r} 0 0 1 ${n(dx)},${n(dy)}`;
    rest = `h${n(w - 2 * r)}${a(r, r)}v${n(h - 2 * r)}${a(-r, r)}h${n(2 * r - w)}${a(-r, -r)}v${n(2 * r - h)}${a(r, -r)}z`;
    sized.set(key, rest);
  }
  return `M${n(x + r)},${n(y)}${rest}`;
}

/** The plain leaves as silhouettes (SvgOptions.silhouettes): a box path and a stripe path per set of classes, drawn as the leaves' rects would be. */
function silhouetteLayer(t: LaidOutTopology, painter: NodePainter): string {
  const byClass = new Map<string, { boxes: string[]; stripes: string[] }>();
  const sized = new Map<string, string>();
  for (const laid of t.nodes) {
    if (!painter.plain(laid)) continue;
    // A leaf's rects are drawn at its translate, rounded as the markup rounds it.
    const [x, y, w, h] = [Number(n(laid.x)), Number(n(laid.y)), Number(n(laid.width)), Number(n(laid.height))];
    const cls = painter.classes(laid).slice(1).join(' ');
    let entry = byClass.get(cls);
    if (!entry) byClass.set(cls, (entry = { boxes: [], stripes: [] }));
    entry.boxes.push(roundedRect(x, y, w, h, 5, sized));
    entry.stripes.push(roundedRect(x, y, 5, h, 2, sized));
  }
  let out = '<g class="silhouettes">';
  for (const [cls, e] of byClass) out += `<g class="silhouette ${cls}"><path class="box" d="${e.boxes.join('')}"/><path class="stripe" d="${e.stripes.join('')}"/></g>`;
  return `${out}</g>`;
}

/** Leaves a silhouette stands for, in drawing order, each run with the drawn node it comes before (none: the silhouettes' layer). */
export interface SilhouetteRun {
  before: string | undefined;
  leaves: LaidOutNode[];
}

/**
 * The leaves that renderTopologySvg with `silhouettes` draws as silhouettes, and their markup: each
 * run of them put before the node `before` (or before the `g.silhouettes` layer), and the layer then
 * removed, makes the picture renderTopologySvg draws without `silhouettes`.
 */
export function silhouetteRuns(t: LaidOutTopology, o: SvgOptions): { runs: SilhouetteRun[]; markup: (laid: LaidOutNode) => string } {
  const painter = nodePainter(t, o, 'ilbh-g-');
  const runs: SilhouetteRun[] = [];
  let current: LaidOutNode[] = [];
  for (const laid of t.nodes) {
    if (laid.container) continue;
    if (painter.plain(laid)) current.push(laid);
    else if (current.length) {
      runs.push({ before: laid.id, leaves: current });
      current = [];
    }
  }
  if (current.length) runs.push({ before: undefined, leaves: current });
  return { runs, markup: painter.markup };
}

function graphFragment(t: LaidOutTopology, o: SvgOptions, prefix: string): Fragment & { dim: boolean } {
  const painter = nodePainter(t, o, prefix);
  const { overlay } = painter;
  const nodeMarkup = painter.markup;
  const out: string[] = [];
  // Subnets and load balancers first (backgrounds), then edges, then the nodes on top.
  for (const g of t.groups) {
    out.push(
      `<g class="group" data-group="${escapeXml(g.id)}"><rect class="box" x="${n(g.x)}" y="${n(g.y)}" width="${n(g.width)}" height="${n(g.height)}" rx="10"/>` +
        textLines(g.lines, g.x + 10, g.y) +
        `</g>`,
    );
  }
  for (const laid of t.nodes) if (laid.container) out.push(nodeMarkup(laid));
  if (o.mergeEdges) out.push(mergedEdges(t.edges));
  else {
    for (const e of t.edges) {
      const cls = `edge e-${e.kind}${e.hairpin ? ' hairpin' : ''}`;
      const marker = `url(#${prefix}${e.hairpin ? 'arrow-hairpin' : 'arrow'})`;
      for (const s of e.sections) {
        if (s.length < 2) continue;
        out.push(`<path class="${cls}"${o.deferText ? '' : ` data-edge="${escapeXml(e.id)}"`} d="${polyline(s)}" marker-end="${marker}"/>`);
      }
    }
  }
  for (const laid of t.nodes) if (!laid.container && !(o.silhouettes && painter.plain(laid))) out.push(nodeMarkup(laid));
  if (o.silhouettes) out.push(silhouetteLayer(t, painter));
  if (overlay) out.push(overlay.body);

  let minX = 0;
  let minY = 0;
  let width = t.width;
  let height = t.height;
  for (const b of overlay?.bounds ?? []) {
    minX = Math.min(minX, b.x - 8);
    minY = Math.min(minY, b.y - 8);
    width = Math.max(width, b.x + b.width + 8);
    height = Math.max(height, b.y + b.height + 8);
  }
  return { body: out.join(''), width, height, minX, minY, dim: !!overlay };
}

/** `M x,y L x,y ...` (a loop: a large picture makes tens of thousands, often before its code is compiled). */
function polyline(s: readonly Point[]): string {
  let d = '';
  for (let i = 0; i < s.length; i++) d += `${i ? ' L' : 'M'}${n((s[i] as Point).x)},${n((s[i] as Point).y)}`;
  return d;
}

/** An edge's stroke width (style.ts), which sizes its arrow marker (markerUnits="strokeWidth"). */
const EDGE_STROKE = { plain: 1.3, hairpin: 2.2 };

/**
 * The arrowhead a marker of markers() draws at the end of a polyline: the triangle (0,0) (10,5)
 * (0,10) of a 10 x 10 view box shown 7 stroke widths wide, its point (9,5) on the line's last point
 * and turned along its last segment of non-zero length. Empty when the line has none.
 */
export function arrowHead(s: readonly Point[], strokeWidth: number): string {
  const q = s[s.length - 1] as Point;
  let i = s.length - 2;
  while (i >= 0 && (s[i] as Point).x === q.x && (s[i] as Point).y === q.y) i--;
  if (i < 0) return '';
  const p = s[i] as Point;
  const len = Math.hypot(q.x - p.x, q.y - p.y);
  const k = (7 * strokeWidth) / 10;
  // Along the line (u) and across it (v), one view-box unit each.
  const [ux, uy] = [((q.x - p.x) / len) * k, ((q.y - p.y) / len) * k];
  const [vx, vy] = [-uy, ux];
  const at = (a: number, b: number): string => `${n(q.x + ux * (a - 9) + vx * (b - 5))},${n(q.y + uy * (a - 9) + vy * (b - 5))}`;
  return `M${at(0, 0)} L${at(10, 5)} L${at(0, 10)} z`;
}

/** The edges as one path per class and their arrowheads as one path per colour (SvgOptions.mergeEdges). */
function mergedEdges(edges: LaidOutTopology['edges']): string {
  const lines = new Map<string, string[]>();
  const heads = { arrow: [] as string[], 'arrow-hairpin': [] as string[] };
  for (const e of edges) {
    const cls = `edge e-${e.kind}${e.hairpin ? ' hairpin' : ''}`;
    let d = lines.get(cls);
    if (!d) lines.set(cls, (d = []));
    for (const s of e.sections) {
      if (s.length < 2) continue;
      d.push(polyline(s));
      const head = arrowHead(s, e.hairpin ? EDGE_STROKE.hairpin : EDGE_STROKE.plain);
      if (head) (e.hairpin ? heads['arrow-hairpin'] : heads.arrow).push(head);
    }
  }
  let out = '';
  for (const [cls, d] of lines) if (d.length) out += `<path class="${cls}" d="${d.join(' ')}"/>`;
  for (const [cls, d] of Object.entries(heads)) if (d.length) out += `<path class="${cls} heads" d="${d.join(' ')}"/>`;
  return out;
}

/** A rectangle the overlay's lines must not cross: a node's box, a chip, or the title lines of a container. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The title lines at the top of a load balancer's or a subnet's box, `x0` in from its left. */
export function titleRect(box: LaidOutBox, lines: TextLine[], x0: number): Rect {
  let width = 0;
  let bottom = 0;
  for (const l of lines) {
    const size = l.role === 'tag' ? FONT.tag : l.role === 'label' ? FONT.label : FONT.detail;
    width = Math.max(width, textWidth(l.text, size, l.role === 'label' || l.role === 'hairpin') + (l.role === 'hairpin' ? 17 : 0));
    bottom = Math.max(bottom, l.y + 4);
  }
  return { x: box.x + x0 - 4, y: box.y, width: width + 8, height: bottom };
}

const inside = (r: Rect, c: Rect): boolean => r.x >= c.x && r.y >= c.y && r.x + r.width <= c.x + c.width && r.y + r.height <= c.y + c.height;

/** The selected path drawn over the graph: numbered arrows between the boxes it goes through. */
function overlayFragment(t: LaidOutTopology, path: PacketPath, prefix: string): Overlay {
  const boxes = new Map(t.nodes.map((b) => [b.id, b as LaidOutBox]));
  const kinds = new Map(t.model.nodes.map((x) => [x.id, x.kind]));
  const out: string[] = [];
  const bounds: LaidOutBox[] = [];
  const onPath = new Set<string>();
  // What the lines go around: boxes with text, and the titles of load balancers and subnets.
  const containers: Rect[] = [...t.nodes.filter((b) => b.container), ...t.groups];
  const obstacles: Rect[] = [
    ...t.nodes.filter((b) => !b.container),
    ...t.nodes.filter((b) => b.container).map((b) => titleRect(b, b.lines, 12)),
    ...t.groups.map((g) => titleRect(g, g.lines, 10)),
  ];
  // Parties the fix adds: a chip beside the node they belong to, in the room the layout kept there
  // (right of a member, inside its subnet's box; left of anything else).
  const chipBox = new Map<string, LaidOutBox>();
  const perAnchor = new Map<string, number>();
  for (const p of path.participants) {
    if (p.node) onPath.add(p.node);
    if (p.node || !p.anchor) continue;
    const a = boxes.get(p.anchor);
    if (!a) continue;
    const k = perAnchor.get(p.anchor) ?? 0;
    perAnchor.set(p.anchor, k + 1);
    const chip = chipText(p.label);
    const h = SIDE.chipHeight;
    const right = kinds.get(p.anchor) === 'member';
    const x = right ? a.x + a.width + SIDE.gap : a.x - chip.width - SIDE.gap;
    const y = a.y + k * SIDE.chipStep;
    const box = { id: p.id, x, y, width: chip.width, height: h };
    chipBox.set(p.id, box);
    obstacles.push(box);
    bounds.push(box);
    out.push(
      `<g class="chip" data-participant="${escapeXml(p.id)}"><title>${escapeXml(`${p.label}${p.detail ? ` — ${p.detail}` : ''}`)}</title><rect class="box" x="${n(x)}" y="${n(y)}" width="${chip.width}" height="${h}" rx="${h / 2}"/>` +
        `<text class="detail" x="${n(x + 10)}" y="${n(y + h / 2 + 4)}" font-weight="700">${escapeXml(chip.text)}</text></g>`,
    );
  }
  const boxOf = (p: PathParticipant | undefined): LaidOutBox | undefined => (p ? (p.node ? boxes.get(p.node) : chipBox.get(p.id)) : undefined);
  const parts = new Map(path.participants.map((p) => [p.id, p]));
  // Steps along the graph's own edges (frontend -> rule -> pool -> member) are drawn over those edges.
  const edgesFrom = new Map<string, LaidOutTopology['edges']>();
  for (const e of t.edges) edgesFrom.set(e.source, [...(edgesFrom.get(e.source) ?? []), e]);
  const route = (from: string, to: string): LaidOutTopology['edges'] | undefined => {
    const queue: { at: string; via: LaidOutTopology['edges'] }[] = [{ at: from, via: [] }];
    while (queue.length) {
      const { at, via } = queue.shift() as { at: string; via: LaidOutTopology['edges'] };
      if (at === to && via.length) return via;
      if (via.length >= 3) continue;
      for (const e of edgesFrom.get(at) ?? []) if (e.sections.length && !via.includes(e)) queue.push({ at: e.target, via: [...via, e] });
    }
    return undefined;
  };

  const hits = (r: Rect, x0: number, y0: number, x1: number, y1: number): boolean => x1 > r.x - 3 && x0 < r.x + r.width + 3 && y1 > r.y - 3 && y0 < r.y + r.height + 3;
  /** How many obstacles a straight segment crosses (the boxes at its ends excepted). */
  const crossing = (x0: number, y0: number, x1: number, y1: number, skip: Rect[]): number =>
    obstacles.filter((o) => !skip.includes(o) && hits(o, Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1))).length;
  /** The step badges drawn so far: arcs keep clear of them too (a side-by-side arrow may pass one). */
  const badges: Rect[] = [];
  /** Vertical lines already drawn, so that two arcs do not run on one line. */
  const columns: { x: number; y0: number; y1: number }[] = [];
  const taken = (x: number, y0: number, y1: number): boolean => columns.some((c) => Math.abs(c.x - x) < 10 && y1 > c.y0 && y0 < c.y1);
  const innermost = (r: Rect): Rect | undefined =>
    containers.filter((c) => c !== r && inside(r, c)).sort((p, q) => p.width * p.height - q.width * q.height)[0];
  /** Beyond the outermost box around `r`, above it (`dir` -1) or below it (+1): arcs pass there. */
  const beyond = (r: Rect, dir: -1 | 1): number => {
    const around = [r, ...containers.filter((c) => c !== r && inside(r, c))];
    return dir < 0 ? Math.min(...around.map((c) => c.y)) - 26 : Math.max(...around.map((c) => c.y + c.height)) + 26;
  };

  /**
   * Where an arc leaves or enters a box, going up (`dir` -1) or down (+1) to `level`: a point on its
   * top (bottom) edge from which a vertical line crosses no title and no other box, nearest the
   * middle; else out of the side of its container (toward the other end first) and along outside
   * it; else the middle of the edge.
   */
  const port = (r: Rect, toward: number, level: number, dir: -1 | 1): { edge: Point; column: Point } => {
    const mid = r.x + r.width / 2;
    const edgeY = dir < 0 ? r.y : r.y + r.height;
    for (let d = 0; d <= r.width / 2 - 12; d += 8) {
      for (const x of d ? [mid - d, mid + d] : [mid]) {
        if (!crossing(x, level, x, edgeY - dir, [r]) && !taken(x, Math.min(level, edgeY), Math.max(level, edgeY))) return { edge: { x, y: edgeY }, column: { x, y: edgeY } };
      }
    }
    const c = innermost(r);
    const y = edgeY - dir * Math.min(14, r.height / 2);
    const sides = toward < mid ? [-1, 1] : [1, -1];
    for (const side of sides) {
      for (let k = 0; k < 4; k++) {
        const x = side < 0 ? (c ?? r).x - 12 - 10 * k : (c ?? r).x + (c ?? r).width + 12 + 10 * k;
        const from = side < 0 ? r.x : r.x + r.width;
        if (!crossing(from, y, x, y, [r]) && !crossing(x, level, x, y, [r]) && !taken(x, Math.min(level, y), Math.max(level, y))) return { edge: { x: from, y }, column: { x, y } };
      }
    }
    return { edge: { x: mid, y: edgeY }, column: { x: mid, y: edgeY } };
  };
  /** The heights of the arcs drawn so far, so that two do not run on one line. */
  const rows: { y: number; x0: number; x1: number }[] = [];

  /** Steps between one pair of boxes, for spreading side-by-side arrows. */
  const boxKey = (id: string): string => parts.get(id)?.node ?? id;
  const pairKey = (a: string, b: string): string => [boxKey(a), boxKey(b)].sort().join('\u0000');
  const pairTotal = new Map<string, number>();
  for (const s of path.steps) pairTotal.set(pairKey(s.from, s.to), (pairTotal.get(pairKey(s.from, s.to)) ?? 0) + 1);
  const pairSeen = new Map<string, number>();

  let arcs = 0;
  path.steps.forEach((step, i) => {
    const pa = parts.get(step.from);
    const pb = parts.get(step.to);
    const a = boxOf(pa);
    const b = boxOf(pb);
    if (!a || !b) return;
    const cls = step.outcome === 'fail' ? 'fail' : step.outcome === 'ok' ? 'ok' : '';
    const marker = `url(#${prefix}${step.outcome === 'fail' ? 'arrow-fail' : step.outcome === 'ok' ? 'arrow-ok' : 'arrow-path'})`;
    const lines: string[] = [];
    let badge: Point | undefined;
    /** How the step is drawn: along the graph's edges, a loop, straight across to a box beside it, or an arc. */
    let shape: 'along' | 'loop' | 'beside' | 'arc' = 'arc';
    const along = pa?.node && pb?.node && a !== b ? route(pa.node, pb.node) : undefined;
    const key = pairKey(step.from, step.to);
    const k = pairSeen.get(key) ?? 0;
    pairSeen.set(key, k + 1);
    const m = pairTotal.get(key) ?? 1;
    // Side by side (a member and its chip): a straight arrow across the gap between them.
    const gapX = b.x >= a.x + a.width ? b.x - (a.x + a.width) : a.x >= b.x + b.width ? a.x - (b.x + b.width) : -1;
    const overlapY = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
    const gapY = b.y >= a.y + a.height ? b.y - (a.y + a.height) : a.y >= b.y + b.height ? a.y - (b.y + b.height) : -1;
    const overlapX = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
    if (along) {
      shape = 'along';
      along.forEach((e, j) => {
        for (const sec of e.sections) {
          const last = j === along.length - 1 && sec === e.sections[e.sections.length - 1];
          lines.push(`<path class="overlay-line ${cls}" d="M${sec.map((p) => `${n(p.x)},${n(p.y)}`).join(' L')}"${last ? ` marker-end="${marker}"` : ''}/>`);
        }
      });
      // The badge on the longest free stretch of the last edge: on the line, clear of any text.
      const sec = along[along.length - 1]?.sections.at(-1) ?? [];
      const segments = sec.slice(1).map((p, j) => [sec[j] as Point, p] as const).sort(([p0, p1], [q0, q1]) => Math.hypot(q1.x - q0.x, q1.y - q0.y) - Math.hypot(p1.x - p0.x, p1.y - p0.y));
      for (const [p0, p1] of segments) {
        if (Math.hypot(p1.x - p0.x, p1.y - p0.y) < 24) break;
        const c = { x: (p0.x + p1.x) / 2, y: (p0.y + p1.y) / 2 };
        if (!crossing(c.x - 10, c.y - 10, c.x + 10, c.y + 10, [])) {
          badge = c;
          break;
        }
      }
      if (!badge) {
        const p0 = sec[0] as Point;
        const p1 = sec[sec.length - 1] as Point;
        badge = { x: (p0.x + p1.x) / 2, y: (p0.y + p1.y) / 2 - 12 };
      }
    } else if (a === b) {
      shape = 'loop';
      // Back to the same box: a loop on its right side, in the room the layout kept there.
      const x = a.x + a.width;
      // Below the chips' arrows, which cross the room at the chips' height.
      const y0 = a.y + Math.max(a.height * 0.3, SIDE.chipHeight + 12);
      const y1 = Math.max(a.y + a.height * 0.75, y0 + 22);
      lines.push(`<path class="overlay-line ${cls}" d="M${n(x)},${n(y0)} C${n(x + 46)},${n(y0 - 14)} ${n(x + 46)},${n(y1 + 14)} ${n(x + 2)},${n(y1)}" marker-end="${marker}"/>`);
      badge = { x: x + 35, y: (y0 + y1) / 2 };
      bounds.push({ id: '', x, y: y0 - 20, width: 60, height: y1 - y0 + 40 });
    } else if (gapX >= 20 && overlapY >= 16 && !crossing(Math.min(a.x, b.x) + 1, Math.max(a.y, b.y), Math.max(a.x + a.width, b.x + b.width) - 1, Math.max(a.y, b.y) + overlapY, [a, b, ...badges])) {
      shape = 'beside';
      const y = Math.max(a.y, b.y) + (overlapY * (k + 1)) / (m + 1);
      const dir = b.x > a.x ? 1 : -1;
      const x0 = dir > 0 ? a.x + a.width : a.x;
      const x1 = dir > 0 ? b.x : b.x + b.width;
      lines.push(`<path class="overlay-line ${cls}" d="M${n(x0)},${n(y)} L${n(x1 - dir * 2)},${n(y)}" marker-end="${marker}"/>`);
      badge = { x: Math.min(x0, x1) + (gapX * (k + 1)) / (m + 1), y };
    } else if (gapY >= 20 && overlapX >= 16 && !crossing(Math.max(a.x, b.x), Math.min(a.y, b.y) + 1, Math.max(a.x, b.x) + overlapX, Math.max(a.y + a.height, b.y + b.height) - 1, [a, b, ...badges])) {
      shape = 'beside';
      const x = Math.max(a.x, b.x) + (overlapX * (k + 1)) / (m + 1);
      const dir = b.y > a.y ? 1 : -1;
      const y0 = dir > 0 ? a.y + a.height : a.y;
      const y1 = dir > 0 ? b.y : b.y + b.height;
      lines.push(`<path class="overlay-line ${cls}" d="M${n(x)},${n(y0)} L${n(x)},${n(y1 - dir * 2)}" marker-end="${marker}"/>`);
      badge = { x, y: (y0 + y1) / 2 };
    } else {
      // Any other call: up from each box, across above both and their containers, and down; or
      // below them, when that way crosses fewer boxes (a part of the picture above them).
      const way = (dir: -1 | 1): { level: number; s: ReturnType<typeof port>; e: ReturnType<typeof port>; crossed: number } => {
        let level = dir < 0 ? Math.min(beyond(a, -1), beyond(b, -1)) - 22 * arcs : Math.max(beyond(a, 1), beyond(b, 1)) + 22 * arcs;
        let s = port(a, b.x + b.width / 2, level, dir);
        let e = port(b, a.x + a.width / 2, level, dir);
        // Further out, until the way across crosses nothing and runs on no other arc's line.
        for (let tries = 0; tries < 8; tries++) {
          const x0 = Math.min(s.column.x, e.column.x);
          const x1 = Math.max(s.column.x, e.column.x);
          const blocking = obstacles.filter((o) => o !== a && o !== b && hits(o, x0, level - 12, x1, level + 12));
          const row = rows.find((w) => Math.abs(w.y - level) < 20 && x1 > w.x0 && x0 < w.x1);
          if (!blocking.length && !row) break;
          level =
            dir < 0
              ? Math.min(...blocking.map((o) => o.y - 26), row ? row.y - 22 : Infinity)
              : Math.max(...blocking.map((o) => o.y + o.height + 26), row ? row.y + 22 : -Infinity);
          s = port(a, b.x + b.width / 2, level, dir);
          e = port(b, a.x + a.width / 2, level, dir);
        }
        const crossed =
          crossing(s.edge.x, s.edge.y, s.column.x, s.column.y, [a]) +
          crossing(s.column.x, s.column.y, s.column.x, level, [a, b]) +
          crossing(s.column.x, level, e.column.x, level, [a, b]) +
          crossing(e.column.x, level, e.column.x, e.column.y, [a, b]) +
          crossing(e.column.x, e.column.y, e.edge.x, e.edge.y, [b]);
        return { level, s, e, crossed };
      };
      let route = way(-1);
      let dir: -1 | 1 = -1;
      if (route.crossed) {
        const below = way(1);
        if (below.crossed < route.crossed) {
          route = below;
          dir = 1;
        }
      }
      arcs++;
      const { level, s, e } = route;
      columns.push({ x: s.column.x, y0: Math.min(level, s.column.y), y1: Math.max(level, s.column.y) }, { x: e.column.x, y0: Math.min(level, e.column.y), y1: Math.max(level, e.column.y) });
      rows.push({ y: level, x0: Math.min(s.column.x, e.column.x), x1: Math.max(s.column.x, e.column.x) });
      const r = Math.min(12, Math.abs(e.column.x - s.column.x) / 2);
      const across = e.column.x >= s.column.x ? 1 : -1;
      const d = [
        `M${n(s.edge.x)},${n(s.edge.y)}`,
        s.edge.x !== s.column.x ? `L${n(s.column.x)},${n(s.column.y)}` : '',
        `L${n(s.column.x)},${n(level - dir * r)}`,
        `Q${n(s.column.x)},${n(level)} ${n(s.column.x + across * r)},${n(level)}`,
        `L${n(e.column.x - across * r)},${n(level)}`,
        `Q${n(e.column.x)},${n(level)} ${n(e.column.x)},${n(level - dir * r)}`,
        e.edge.x !== e.column.x ? `L${n(e.column.x)},${n(e.column.y)} L${n(e.edge.x + (e.edge.x < e.column.x ? 2 : -2))},${n(e.edge.y)}` : `L${n(e.edge.x)},${n(e.edge.y + dir * 2)}`,
      ].filter(Boolean);
      lines.push(`<path class="overlay-line ${cls}" d="${d.join(' ')}" marker-end="${marker}"/>`);
      badge = { x: (s.column.x + e.column.x) / 2, y: level };
      bounds.push({ id: '', x: Math.min(s.column.x, e.column.x), y: level - 12, width: Math.abs(e.column.x - s.column.x), height: 24 });
    }
    bounds.push({ id: '', x: badge.x - 10, y: badge.y - 10, width: 20, height: 20 });
    const drawn = { x: badge.x - 9, y: badge.y - 9, width: 18, height: 18 };
    obstacles.push(drawn);
    badges.push(drawn);
    out.push(
      `<g class="overlay-step" data-step="${i + 1}" data-shape="${shape}"><title>${escapeXml(`${i + 1}. ${step.label}${step.packet ? ` (${step.packet.what} ${step.packet.src} → ${step.packet.dst})` : ''}`)}</title>` +
        lines.join('') +
        `<circle class="step-badge ${cls}" cx="${n(badge.x)}" cy="${n(badge.y)}" r="9"/>` +
        `<text class="step-number" x="${n(badge.x - (i + 1 >= 10 ? 6.5 : 3.3))}" y="${n(badge.y + 4)}">${i + 1}</text></g>`,
    );
  });
  return { body: `<g class="overlay" data-path="${path.kind}">${out.join('')}</g>`, onPath, bounds };
}

// ------------------------------------------------------------------ the packet walk

const WALK_TEXT = 11.5;

function walkFragment(path: PacketPath, prefix: string, maxWidth = 920): Fragment {
  const lanes = path.participants.length;
  // Lanes share the width there is, within what keeps a participant's name readable.
  const LANE = Math.max(128, Math.min(230, Math.floor(maxWidth / Math.max(1, lanes))));
  const width = Math.max(lanes * LANE, Math.min(560, maxWidth));
  const x0 = (width - lanes * LANE) / 2;
  const laneX = new Map(path.participants.map((p, i) => [p.id, x0 + i * LANE + LANE / 2]));
  const out: string[] = [];
  let y = 18;
  out.push(`<text class="walk-title" x="0" y="${y}">${escapeXml(path.title)}</text>`);
  for (const line of wrapText(path.summary, 12, width)) {
    y += 17;
    out.push(`<text class="walk-summary" x="0" y="${y}">${escapeXml(line)}</text>`);
  }
  if (path.unavailable) {
    for (const line of wrapText(`Not available as a quick fix here: ${path.unavailable}`, 12, width, true)) {
      y += 17;
      out.push(`<text class="walk-unavailable" x="0" y="${y}">${escapeXml(line)}</text>`);
    }
  }
  y += 16;
  const headTop = y;
  // Lane headers wrap (a name is broken after a hyphen or a dot, never cut): as tall as the tallest.
  const w = LANE - 18;
  const heads = path.participants.map((p) => ({ label: wrapLines(p.label, FONT.label, w - 16, 3, true), detail: p.detail ? wrapLines(p.detail, FONT.detail, w - 16, 4) : [] }));
  const headH = Math.max(42, ...heads.map((x) => 10 + 16 * x.label.length + 14 * x.detail.length + 6));
  path.participants.forEach((p, i) => {
    const cx = laneX.get(p.id) as number;
    const head = heads[i] as (typeof heads)[number];
    const tx = n(cx - w / 2 + 8);
    out.push(
      `<g class="lane${p.proposed ? ' proposed' : ''}"${p.node ? ` data-id="${escapeXml(p.node)}"` : ''}><title>${escapeXml(`${p.label}${p.detail ? ` — ${p.detail}` : ''}`)}</title>` +
        `<rect class="box" x="${n(cx - w / 2)}" y="${n(headTop)}" width="${n(w)}" height="${headH}" rx="6"/>` +
        head.label.map((l, k) => `<text class="label" x="${tx}" y="${n(headTop + 17 + 16 * k)}">${escapeXml(l)}</text>`).join('') +
        head.detail.map((l, k) => `<text class="detail" x="${tx}" y="${n(headTop + 17 + 16 * head.label.length + 14 * k)}">${escapeXml(l)}</text>`).join('') +
        `</g>`,
    );
  });
  y = headTop + headH + 14;
  const lifelineTop = y - 14;
  path.steps.forEach((step, i) => {
    const xa = laneX.get(step.from) ?? 0;
    const xb = laneX.get(step.to) ?? 0;
    const span = Math.abs(xb - xa);
    const budget = Math.max(span - 28, LANE - 28);
    const mid = (xa + xb) / 2;
    const labelLines = wrapText(`${i + 1}. ${step.label}`, WALK_TEXT, budget);
    for (const line of labelLines) {
      y += 14;
      out.push(`<text class="msg-label" x="${n(mid)}" y="${n(y)}" text-anchor="middle">${escapeXml(line)}</text>`);
    }
    if (step.packet) {
      // One line when it fits, else broken at the arrow: an address is never cut.
      const packet = `${step.packet.what}  ${step.packet.src} → ${step.packet.dst}`;
      const room = Math.min(span + LANE - 8, 2 * mid, 2 * (width - mid));
      const lines = wrapMono(packet, 11, room);
      for (const line of lines) {
        y += 14;
        out.push(`<text class="packet" x="${n(mid)}" y="${n(y)}" text-anchor="middle">${escapeXml(line)}</text>`);
      }
    }
    y += 10;
    const cls = step.outcome === 'fail' ? ' fail' : step.outcome === 'ok' ? ' ok' : '';
    const marker = `url(#${prefix}${step.outcome === 'fail' ? 'arrow-fail' : step.outcome === 'ok' ? 'arrow-ok' : 'arrow-path'})`;
    const dir = xb >= xa ? 1 : -1;
    out.push(`<path class="msg${cls}" d="M${n(xa + dir * 4)},${n(y)} L${n(xb - dir * 6)},${n(y)}" marker-end="${marker}"/>`);
    if (step.outcome === 'fail') {
      const x = xb - dir * 18;
      out.push(`<path class="msg fail" d="M${n(x - 6)},${n(y - 6)} L${n(x + 6)},${n(y + 6)} M${n(x + 6)},${n(y - 6)} L${n(x - 6)},${n(y + 6)}"/>`);
    }
    y += 12;
  });
  const lifelineBottom = y;
  const lifelines = path.participants.map((p) => {
    const x = laneX.get(p.id) as number;
    return `<path class="lifeline" d="M${n(x)},${n(lifelineTop)} L${n(x)},${n(lifelineBottom)}"/>`;
  });
  y += 18;
  const verdict = path.outcome === 'fails' ? 'FAILS: the call times out (no SYN-ACK).' : 'WORKS: the handshake completes.';
  out.push(`<text class="verdict ${path.outcome === 'fails' ? 'fail' : 'ok'}" x="0" y="${n(y)}">${escapeXml(verdict)}</text>`);
  for (const note of path.notes) {
    const lines = wrapText(note, 12, width - 14);
    lines.forEach((line, k) => {
      y += 16;
      out.push(`<text class="walk-note" x="${k === 0 ? 0 : 12}" y="${n(y)}">${escapeXml(k === 0 ? `• ${line}` : line)}</text>`);
    });
  }
  y += 10;
  // Lifelines go under the arrows.
  return { body: `<g class="walk" data-path="${path.kind}">${lifelines.join('')}${out.join('')}</g>`, width, height: y };
}

/** Lines of monospaced text (packets) of at most `max` pixels, broken at spaces. */
function wrapMono(text: string, size: number, max: number): string[] {
  const width = (t: string): number => [...t].length * 0.62 * size;
  const lines: string[] = [];
  let line: string | undefined;
  for (const word of text.split(' ')) {
    const next = line === undefined ? word : `${line} ${word}`;
    if (line === undefined || width(next) <= max || !line.trim()) line = next;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== undefined) lines.push(line);
  return lines;
}

// ------------------------------------------------------------------ the legend

export interface LegendEntry {
  /** An SVG fragment drawn in a 40 x 18 box (markers named with the given prefix). */
  swatch: string;
  text: string;
}

export const LEGEND_SWATCH = { width: 40, height: 18 } as const;

/** What the shapes, strokes and marks mean: the legend's rows (the webview lays them out in HTML). */
export function legendEntries(prefix: string): LegendEntry[] {
  const box = (kind: string, extra = '', inner = ''): string =>
    `<g class="node k-${kind}${extra}" transform="translate(1,1)"><rect class="box" x="0" y="0" width="34" height="16" rx="3"/><rect class="stripe" x="0" y="0" width="5" height="16" rx="2"/>${inner}</g>`;
  return [
    { swatch: box('loadBalancer', ' container'), text: 'Load balancer: the box around its parts' },
    { swatch: box('frontend'), text: 'Frontend (IP, internal or public, ports)' },
    { swatch: box('rule'), text: 'Load-balancing rule (protocol, ports, floating IP)' },
    { swatch: box('natRule'), text: 'Inbound NAT rule' },
    { swatch: box('probe'), text: 'Health probe' },
    { swatch: box('pool'), text: 'Backend pool' },
    { swatch: box('member'), text: 'Member: VM, NIC, scale set, IP entry, module' },
    { swatch: `<g class="group" transform="translate(1,1)"><rect class="box" x="0" y="0" width="34" height="16" rx="4"/></g>`, text: 'Subnet: the dashed box around its members' },
    { swatch: box('rule', ' hairpin', warnIcon(12, 2)), text: 'Hairpin-prone rule: thick dashed border, warning sign and text' },
    { swatch: box('member', ' loop'), text: 'On a hairpin loop (frontend, pool, members)' },
    {
      swatch: `<g class="node unknown" transform="translate(1,1)"><rect class="box" x="0" y="0" width="34" height="16" rx="3"/><circle class="unknown-badge" cx="25" cy="8" r="6"/><text class="unknown-mark" x="22.4" y="11.5">?</text></g>`,
      text: "Some value is unknown: the node's lines say which and why",
    },
    { swatch: `<path class="edge" d="M1,9 L36,9" marker-end="url(#${prefix}arrow)"/>`, text: 'Frontend → rule → pool → member' },
    { swatch: `<path class="edge e-rule-probe" d="M1,9 L36,9" marker-end="url(#${prefix}arrow)"/>`, text: 'Rule ··· its health probe' },
    { swatch: `<path class="edge hairpin" d="M1,9 L36,9" marker-end="url(#${prefix}arrow-hairpin)"/>`, text: 'Edge of a hairpin loop' },
    {
      swatch: `<path class="overlay-line" d="M1,9 L36,9" marker-end="url(#${prefix}arrow-path)"/><circle class="step-badge" cx="18" cy="9" r="7"/><text class="step-number" x="15" y="13">1</text>`,
      text: 'Selected packet path, numbered steps',
    },
    { swatch: `<path class="overlay-line fail" d="M1,9 L36,9" marker-end="url(#${prefix}arrow-fail)"/>`, text: 'Where the path fails (red, dashed)' },
  ];
}

/** The marker definitions a legend's swatches refer to. */
export function legendMarkers(prefix: string): string {
  return markers(prefix);
}

function legendFragment(prefix: string): Fragment {
  const out: string[] = [];
  const row = 22;
  let y = 6;
  out.push(`<text class="label" x="0" y="${y + 8}">Legend</text>`);
  y += 18;
  for (const e of legendEntries(prefix)) {
    out.push(`<g transform="translate(0,${y - 1})">${e.swatch}</g><text class="legend-text" x="46" y="${y + 12}">${escapeXml(e.text)}</text>`);
    y += row;
  }
  return { body: `<g class="legend">${out.join('')}</g>`, width: 400, height: y };
}
