/**
 * Layout of the view model by elkjs: each connected part of the picture is laid out by ELK's
 * layered algorithm (left to right: frontends, rules, pools), with load balancers as compound
 * nodes; a subnet's members stand in a column in a box to the right, entered at one port per pool;
 * the parts are then packed by ELK's rectpacking. Node sizes come from
 * their text (text.ts). Parts are laid out one by one and remembered, so that a live update re-lays
 * only the parts an edit changed. A subnet's members stand in one column, which needs no layout
 * engine: its box is placed beside what ELK laid out (see placeSubnets), so that ELK's work and the
 * parts' shapes do not grow with the members. The result is plain data the SVG renderer draws.
 */
import type { ElkNode } from 'elkjs/lib/elk-api';
import { elkLayout } from './elk';
import type { TopologyEdgeKind, TopologyModel, TopologyNode, TopologyNodeKind } from './model';
import { fitText, textWidth } from './text';

export interface Point {
  x: number;
  y: number;
}

export interface TextLine {
  text: string;
  /** tag, label, detail, or hairpin (the mark's line). */
  role: 'tag' | 'label' | 'detail' | 'hairpin';
  /** Baseline, relative to the box's top. */
  y: number;
}

export interface LaidOutBox {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidOutNode extends LaidOutBox {
  kind: TopologyNodeKind;
  /** A load balancer with parts: drawn as a box around them. */
  container: boolean;
  lines: TextLine[];
}

export interface LaidOutGroup extends LaidOutBox {
  lines: TextLine[];
}

export interface LaidOutEdge {
  id: string;
  kind: TopologyEdgeKind;
  source: string;
  target: string;
  hairpin: boolean;
  /** One polyline per ELK edge section. */
  sections: Point[][];
}

export interface LaidOutTopology {
  model: TopologyModel;
  width: number;
  height: number;
  nodes: LaidOutNode[];
  groups: LaidOutGroup[];
  edges: LaidOutEdge[];
}

export const FONT = { tag: 10, label: 13, detail: 11 } as const;
const PAD = 10;
const LINE = 15;
const MIN_WIDTH = 150;
const MAX_WIDTH = 290;

/** The lines of a node's box and its size. */
export function nodeText(node: Pick<TopologyNode, 'tag' | 'label' | 'details'>, maxWidth = MAX_WIDTH): { lines: TextLine[]; width: number; height: number } {
  const inner = maxWidth - 2 * PAD;
  const tag = fitText(node.tag, FONT.tag, inner);
  const label = fitText(node.label, FONT.label, inner, true);
  const details = node.details.map((d) => (d.startsWith('⚠') ? fitText(d, FONT.detail, inner - 8, true) : fitText(d, FONT.detail, inner)));
  let width = Math.max(textWidth(tag, FONT.tag) + 20, textWidth(label, FONT.label, true), ...details.map((d) => (d.startsWith('⚠') ? textWidth(d, FONT.detail, true) + 8 : textWidth(d, FONT.detail))));
  width = Math.min(maxWidth, Math.max(MIN_WIDTH, Math.ceil(width + 2 * PAD)));
  const lines: TextLine[] = [
    { text: tag, role: 'tag', y: PAD + 10 },
    { text: label, role: 'label', y: PAD + 10 + 18 },
  ];
  details.forEach((d, i) => lines.push({ text: d, role: d.startsWith('⚠') ? 'hairpin' : 'detail', y: PAD + 28 + LINE * (i + 1) }));
  return { lines, width, height: PAD + 28 + LINE * details.length + PAD + 2 };
}

/**
 * What a packet walk draws beside a box (svg.ts): the loop of a call back to the same member, and
 * the chips of the parties a fix adds, `gap` away from the box. A subnet's box keeps that room
 * beside the member the walks go through, so that they stay inside it.
 */
export const SIDE = { gap: 64, chipHeight: 28, chipStep: 58 } as const;

/** A chip's text and width. */
export function chipText(label: string): { text: string; width: number } {
  const text = fitText(`+ ${label}`, FONT.detail, 220, true);
  return { text, width: Math.ceil(textWidth(text, FONT.detail, true) + 20) };
}

/**
 * Room the packet walks need beside a box: right of each member they go through (the loop, and
 * its chips), left of any other box that chips stand beside (the NGINX tier before the frontend).
 */
function walkRoom(model: TopologyModel, kinds: Map<string, TopologyNodeKind>): { right: Map<string, number>; left: Map<string, number> } {
  const right = new Map<string, number>();
  const left = new Map<string, number>();
  for (const mark of model.marks) {
    for (const path of mark.paths) {
      for (const p of path.participants) {
        const id = p.node ?? p.anchor;
        if (id === undefined) continue;
        const side = kinds.get(id) === 'member' ? right : p.node ? undefined : left;
        if (!side) continue;
        const need = SIDE.gap + (p.node ? 0 : chipText(p.label).width);
        side.set(id, Math.max(side.get(id) ?? 0, need));
      }
    }
  }
  return { right, left };
}

function withPadding(options: Record<string, string>, side: 'left' | 'right', at: number): void {
  const padding = options['elk.padding'] ?? '[top=4,left=4,bottom=4,right=4]';
  const now = Number(new RegExp(`${side}=(\\d+)`).exec(padding)?.[1] ?? 0);
  options['elk.padding'] = padding.replace(new RegExp(`${side}=\\d+`), `${side}=${Math.max(now, at)}`);
}

function groupText(label: string, details: string[]): { lines: TextLine[]; width: number; top: number } {
  const lines: TextLine[] = [{ text: fitText(label, 12, 400, true), role: 'label', y: 18 }];
  details.forEach((d, i) => lines.push({ text: fitText(d, FONT.detail, 400), role: 'detail', y: 18 + LINE * (i + 1) }));
  const width = Math.max(textWidth(lines[0]?.text ?? '', 12, true), ...lines.slice(1).map((l) => textWidth(l.text, FONT.detail))) + 2 * PAD;
  return { lines, width: Math.ceil(width), top: 18 + LINE * details.length + 12 };
}

/** Layered left to right; stable for edits (model order kept), thorough for small pictures, quicker for large ones. */
function layeredOptions(nodes: number): Record<string, string> {
  return {
    'elk.algorithm': 'layered',
    'elk.direction': 'RIGHT',
    'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
    'elk.edgeRouting': 'ORTHOGONAL',
    // A node's edges to several others (a frontend's to its rules) leave from one port and split:
    // fewer ports and dummy nodes for ELK to place. (The pools' edges to their members, for which
    // this was chosen, are drawn by placeSubnets now.)
    'elk.layered.mergeEdges': 'true',
    'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    'elk.layered.thoroughness': nodes > 150 ? '2' : '7',
    'elk.layered.spacing.nodeNodeBetweenLayers': '56',
    'elk.layered.spacing.edgeNodeBetweenLayers': '20',
    'elk.spacing.nodeNode': '18',
    'elk.spacing.edgeNode': '14',
    'elk.spacing.edgeEdge': '8',
    'elk.padding': '[top=4,left=4,bottom=4,right=4]',
  };
}

/** Lays out the model with elkjs. Synchronous; throws only if elkjs itself fails. */
export function layoutTopology(model: TopologyModel): LaidOutTopology {
  const byId = new Map(model.nodes.map((n) => [n.id, n]));
  const groupById = new Map(model.groups.map((g) => [g.id, g]));
  const parentOf = (id: string): string | undefined => {
    const p = byId.get(id)?.parent;
    return p !== undefined && (byId.has(p) || groupById.has(p)) ? p : undefined;
  };
  const edges = model.edges.filter((e) => byId.has(e.source) && byId.has(e.target));

  // Connected parts: nodes joined by edges, and a load balancer's parts with it. A subnet does not
  // join parts (many load balancers have members in one subnet): each part draws its own box for
  // the subnet, so that parts stay small for the layered algorithm.
  const up = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (up.has(r) && up.get(r) !== r) r = up.get(r) as string;
    let c = x;
    while (c !== r) {
      const next = up.get(c) as string;
      up.set(c, r);
      c = next;
    }
    return r;
  };
  const union = (a: string, b: string): void => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) up.set(rb, ra);
  };
  for (const n of model.nodes) {
    const p = parentOf(n.id);
    if (p !== undefined && byId.has(p)) union(p, n.id);
  }
  for (const e of edges) union(e.source, e.target);

  const texts = new Map<string, ReturnType<typeof nodeText>>();
  const headers = new Map<string, { lines: TextLine[]; top: number }>();
  const components = new Map<string, ElkNode>();
  const componentOf = (id: string): ElkNode => {
    const root = find(id);
    let comp = components.get(root);
    if (!comp) {
      comp = { id: PART, children: [], edges: [] };
      components.set(root, comp);
    }
    return comp;
  };
  /** Containers by id within each part: the load balancers (a subnet's box is a SubnetBox, placed beside ELK's layout). */
  const containers = new Map<ElkNode, Map<string, ElkNode>>();
  const container = (id: string, comp: ElkNode): ElkNode => {
    const inPart = containers.get(comp) ?? containers.set(comp, new Map()).get(comp) as Map<string, ElkNode>;
    let c = inPart.get(id);
    if (c) return c;
    const t = nodeText(byId.get(id) as TopologyNode, 420);
    const top = t.height + 4;
    c = {
      id,
      children: [],
      layoutOptions: {
        'elk.padding': `[top=${top},left=14,bottom=14,right=14]`,
        'elk.nodeSize.constraints': 'MINIMUM_SIZE',
        'elk.nodeSize.minimum': `(${t.width + 8}, ${top + 20})`,
      },
    };
    headers.set(id, { lines: t.lines, top });
    inPart.set(id, c);
    comp.children?.push(c);
    return c;
  };
  /** Each part's boxes for subnets, in the order met (members and their pools' ports in the model's order). */
  const subnets = new Map<ElkNode, Map<string, SubnetBox>>();
  const subnetBox = (id: string, comp: ElkNode): SubnetBox => {
    const inPart = subnets.get(comp) ?? subnets.set(comp, new Map()).get(comp) as Map<string, SubnetBox>;
    let box = inPart.get(id);
    if (!box) {
      const group = groupById.get(id) as { label: string; details: string[] };
      const t = groupText(group.label, group.details);
      box = { id: `${GROUP_BOX}${id}`, top: t.top, minWidth: t.width + 8, right: 14, members: [], ports: [], buses: [] };
      headers.set(box.id, { lines: t.lines, top: t.top });
      inPart.set(id, box);
    }
    return box;
  };
  const hasChildren = new Set(model.nodes.map((n) => parentOf(n.id)).filter((p): p is string => p !== undefined));

  for (const node of model.nodes) {
    const comp = componentOf(node.id);
    if (hasChildren.has(node.id) && byId.has(node.id)) {
      container(node.id, comp);
      continue;
    }
    const parent = parentOf(node.id);
    const t = nodeText(node);
    texts.set(node.id, t);
    const n = { id: node.id, width: t.width, height: t.height };
    if (parent !== undefined && groupById.has(parent)) subnetBox(parent, comp).members.push(n);
    else (parent === undefined ? comp : container(parent, comp)).children?.push(n);
  }
  // A subnet's box holds members only, and only pools' edges reach them: each pool's edges enter the
  // box at one port, and a bus down the box's left margin branches to the pool's members. ELK lays
  // out the rest; the boxes are placed beside it (placeSubnets).
  for (const e of edges) {
    const comp = componentOf(e.source);
    const inside = parentOf(e.target);
    const box = inside !== undefined && groupById.has(inside) && parentOf(e.source) !== inside ? subnets.get(comp)?.get(inside) : undefined;
    if (!box) {
      comp.edges?.push({ id: e.id, sources: [e.source], targets: [e.target] });
      continue;
    }
    let port = box.ports.indexOf(e.source);
    if (port < 0) port = box.ports.push(e.source) - 1;
    box.buses.push({ edge: e.id, port, member: e.target });
  }

  // Room for the packet walks: in a subnet's box beside its member; else at the edge of the part
  // (members stand in its last layer, frontends in its first), so that no other part is in the way.
  const options = layeredOptions(model.nodes.length);
  const partOptions = new Map<ElkNode, Record<string, string>>();
  const ofPart = (id: string): Record<string, string> => {
    const comp = componentOf(id);
    return partOptions.get(comp) ?? partOptions.set(comp, { ...options }).get(comp) as Record<string, string>;
  };
  const room = walkRoom(model, new Map(model.nodes.map((x) => [x.id, x.kind])));
  for (const [id, need] of room.right) {
    const parent = parentOf(id);
    const box = parent !== undefined && groupById.has(parent) ? subnets.get(componentOf(id))?.get(parent) : undefined;
    if (box) box.right = Math.max(box.right, 14 + need);
    else withPadding(ofPart(id), 'right', need);
  }
  for (const [id, need] of room.left) withPadding(ofPart(id), 'left', need);

  // Each part on its own (an edit re-lays only the parts it changed), then the parts packed.
  const parts = [...components.values()].map((c) => placeSubnets(layoutPart({ ...c, layoutOptions: partOptions.get(c) ?? options }), [...(subnets.get(c)?.values() ?? [])]));
  const packed = parts.length
    ? elkLayout({
        id: 'root',
        layoutOptions: { 'elk.algorithm': 'rectpacking', 'elk.aspectRatio': '1.6', 'elk.spacing.nodeNode': '36', 'elk.padding': '[top=16,left=16,bottom=16,right=16]' },
        children: parts.map((p, i) => ({ id: `part:${i}`, width: p.width, height: p.height })),
      })
    : { id: 'root', width: 0, height: 0 };

  const nodes: LaidOutNode[] = [];
  const groups: LaidOutGroup[] = [];
  const laidEdges = new Map<string, Point[][]>();
  parts.forEach((part, i) => {
    const at = packed.children?.[i];
    const dx = at?.x ?? 0;
    const dy = at?.y ?? 0;
    for (const b of part.boxes) {
      const moved = { id: b.id, x: b.x + dx, y: b.y + dy, width: b.width, height: b.height };
      const header = headers.get(b.id);
      if (b.id.startsWith(GROUP_BOX)) {
        groups.push({ ...moved, id: b.id.slice(GROUP_BOX.length), lines: header?.lines ?? [] });
        continue;
      }
      const node = byId.get(b.id);
      if (node) nodes.push({ ...moved, kind: node.kind, container: !!header, lines: header?.lines ?? texts.get(b.id)?.lines ?? [] });
    }
    for (const [id, sections] of part.edges) laidEdges.set(id, sections.map((s) => s.map((p) => ({ x: p.x + dx, y: p.y + dy }))));
  });
  const order = new Map(model.nodes.map((n, i) => [n.id, i]));
  nodes.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  const outEdges: LaidOutEdge[] = edges.map((e) => ({ id: e.id, kind: e.kind, source: e.source, target: e.target, hairpin: !!e.hairpin, sections: laidEdges.get(e.id) ?? [] }));

  return { model, width: Math.ceil(packed.width ?? 0), height: Math.ceil(packed.height ?? 0), nodes, groups, edges: outEdges };
}

/** The id of a part's root, and the prefix of the ids of subnet boxes in ELK graphs. */
const PART = 'part';
const GROUP_BOX = 'subnet-box:';
/** The buses in a subnet box's left margin: the first one's offset, the step between them, and the branch to a member. */
const BUS_LEFT = 8;
const BUS_STEP = 7;
const BUS_TICK = 16;
/** Between what ELK laid out and the subnets' boxes: room for the edges' turns to the boxes' ports. */
const SUBNET_GAP = 56;
/** Between two members in a box, and between two boxes. */
const MEMBER_GAP = 18;

/** A part's box for a subnet: its members in one column in the model's order, entered at one port per pool. */
interface SubnetBox {
  /** `subnet-box:` and the group's id. */
  id: string;
  /** The header's height (the members start below it) and the width it needs. */
  top: number;
  minWidth: number;
  /** Room right of the members (the packet walks' loops and chips). */
  right: number;
  members: { id: string; width: number; height: number }[];
  /** The pools whose edges enter the box, one port and one bus each, in the order met. */
  ports: string[];
  buses: { edge: string; port: number; member: string }[];
}

interface LaidOutPart {
  width: number;
  height: number;
  /** Nodes, containers and subnet boxes by ELK id, relative to the part. */
  boxes: LaidOutBox[];
  edges: Map<string, Point[][]>;
}

/** A polyline without repeated or collinear middle points. */
function withoutRepeats(points: Point[]): Point[] {
  const out: Point[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && Math.abs(last.x - p.x) < 0.01 && Math.abs(last.y - p.y) < 0.01) continue;
    const before = out[out.length - 2];
    if (before && last && ((before.x === last.x && last.x === p.x) || (before.y === last.y && last.y === p.y))) out.pop();
    out.push(p);
  }
  return out;
}

/**
 * Parts laid out recently, by their shape: the ELK input with every id replaced by its place in
 * the part (see Shape). Live updates re-lay only the parts an edit changed, and parts of one shape
 * (the same load balancer stamped out for many apps, with labels that fit the same boxes) are laid
 * out once. Kept in the short ids; each use names them back.
 */
const partCache = new Map<string, LaidOutPart>();
const PART_CACHE_SIZE = 500;

/**
 * A part's ELK input with short ids (`#0`, `#1`, ... in the order met): ELK's work and the cache's
 * key no longer carry resource IDs of a hundred characters, and two parts that differ only in
 * their ids have one key. The layout depends on the ids only through this order, which is the
 * model's.
 */
class Shape {
  private readonly real: string[] = [];
  private readonly short = new Map<string, string>();

  id(real: string): string {
    let s = this.short.get(real);
    if (s === undefined) {
      s = `#${this.real.length}`;
      this.real.push(real);
      this.short.set(real, s);
    }
    return s;
  }

  node(n: ElkNode): ElkNode {
    const out: ElkNode = { id: n.id === PART ? PART : this.id(n.id) };
    if (n.width !== undefined) out.width = n.width;
    if (n.height !== undefined) out.height = n.height;
    if (n.layoutOptions) out.layoutOptions = n.layoutOptions;
    // Children before edges: an edge's ends are named when it is met.
    if (n.children) out.children = n.children.map((c) => this.node(c));
    if (n.edges) out.edges = n.edges.map((e) => ({ id: this.id(e.id), sources: (e.sources ?? []).map((x) => this.id(x)), targets: (e.targets ?? []).map((x) => this.id(x)) }));
    return out;
  }

  /** A laid-out part in short ids, in this part's own ids. */
  named(part: LaidOutPart): LaidOutPart {
    const back = (s: string): string => this.real[Number(s.slice(1))] ?? s;
    return {
      width: part.width,
      height: part.height,
      boxes: part.boxes.map((b) => ({ ...b, id: back(b.id) })),
      edges: new Map([...part.edges].map(([id, sections]) => [back(id), sections])),
    };
  }
}

function layoutPart(part: ElkNode): LaidOutPart {
  if (!part.children?.length) return { width: 0, height: 0, boxes: [], edges: new Map() };
  const shape = new Shape();
  const input = shape.node(part);
  const key = JSON.stringify(input);
  const cached = partCache.get(key);
  if (cached) {
    // Most recently used last.
    partCache.delete(key);
    partCache.set(key, cached);
    return shape.named(cached);
  }
  const result = layoutShape(input);
  partCache.set(key, result);
  if (partCache.size > PART_CACHE_SIZE) partCache.delete(partCache.keys().next().value as string);
  return shape.named(result);
}

/** ELK's layout of a part (in its short ids). */
function layoutShape(part: ElkNode): LaidOutPart {
  const laid = elkLayout({ ...part, layoutOptions: { ...part.layoutOptions, 'elk.json.shapeCoords': 'ROOT', 'elk.json.edgeCoords': 'ROOT' } });
  const boxes: LaidOutBox[] = [];
  const edges = new Map<string, Point[][]>();
  const visit = (n: ElkNode): void => {
    for (const c of n.children ?? []) {
      boxes.push({ id: c.id, x: c.x ?? 0, y: c.y ?? 0, width: c.width ?? 0, height: c.height ?? 0 });
      visit(c);
    }
    for (const e of n.edges ?? []) {
      edges.set(
        e.id,
        (e.sections ?? []).map((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => ({ x: p.x, y: p.y }))),
      );
    }
  };
  visit(laid);
  return { width: laid.width ?? 0, height: laid.height ?? 0, boxes, edges };
}

/**
 * A part with its subnets' boxes placed to the right of what ELK laid out, one under the other:
 * in each, the members in one column in the model's order, and each pool's edges from the pool's
 * right side to the box's port for it, then down the pool's bus and across to each member.
 */
function placeSubnets(part: LaidOutPart, subnets: SubnetBox[]): LaidOutPart {
  if (subnets.length === 0) return part;
  const boxes = [...part.boxes];
  const edges = new Map(part.edges);
  const at = new Map(part.boxes.map((b) => [b.id, b]));
  const x = part.width > 0 ? part.width + SUBNET_GAP : 4;
  const middle = (b: LaidOutBox): number => b.y + b.height / 2;
  let y = 4;
  let width = part.width;
  for (const s of subnets) {
    const left = BUS_LEFT + BUS_STEP * Math.max(0, s.ports.length - 1) + BUS_TICK;
    // The box as high as its first pool, when there is room: the way from the pool to the first
    // member is then straight.
    const firstPool = at.get(s.ports[0] ?? '');
    const first = s.members[0];
    if (firstPool && first) y = Math.max(y, middle(firstPool) - s.top - first.height / 2);
    let inner = 0;
    let widest = 0;
    const placed = new Map<string, LaidOutBox>();
    for (const m of s.members) {
      const b = { id: m.id, x: x + left, y: y + s.top + inner, width: m.width, height: m.height };
      placed.set(m.id, b);
      boxes.push(b);
      inner += m.height + MEMBER_GAP;
      widest = Math.max(widest, m.width);
    }
    const box = { id: s.id, x, y, width: Math.max(s.minWidth, left + widest + s.right), height: Math.max(s.top + 20, s.top + Math.max(0, inner - MEMBER_GAP) + 14) };
    boxes.push(box);
    // Each pool's port at the pool's height when that is beside the members (a straight way in),
    // else at the nearest end of them; each edge turns towards its port in the gap, a later port's
    // turn farther from the box, so that the ways of pools standing one under the other do not
    // cross before the box.
    for (const b of s.buses) {
      const pool = at.get(s.ports[b.port] as string);
      const member = placed.get(b.member);
      if (!pool || !member) continue;
      const from = { x: pool.x + pool.width, y: middle(pool) };
      const portY = Math.min(Math.max(from.y, box.y + s.top + BUS_STEP * b.port), box.y + box.height - 14);
      const turn = Math.max(x - 8 - BUS_STEP * b.port, x - SUBNET_GAP + 8);
      const bus = x + BUS_LEFT + BUS_STEP * b.port;
      const to = member.y + member.height / 2;
      // (The branch from the bus is kept even when straight: the bus is where a pool's edges part.)
      const way = withoutRepeats([from, { x: turn, y: from.y }, { x: turn, y: portY }, { x: bus, y: portY }, { x: bus, y: to }]);
      way.push({ x: member.x, y: to });
      edges.set(b.edge, [way]);
    }
    y += box.height + MEMBER_GAP;
    width = Math.max(width, box.x + box.width + 4);
  }
  return { width, height: Math.max(part.height, y - MEMBER_GAP + 4), boxes, edges };
}
