/**
 * Mermaid and Graphviz DOT writers for the topology view model: flowcharts with the load balancers
 * and subnets as clusters, the hairpin-prone rules styled and each hairpin loop closed by a dashed
 * edge from the member back to the frontend it calls. Pure; labels escaped for each language.
 */
import type { TopologyModel, TopologyNode } from './model';

/** Short, safe ids (n0, n1, ...; g0 for groups and containers) for languages that need them. */
function shortIds(model: TopologyModel): { node: (id: string) => string; group: (id: string) => string } {
  const nodes = new Map(model.nodes.map((x, i) => [x.id, `n${i}`]));
  const groups = new Map(model.groups.map((g, i) => [g.id, `g${i}`]));
  return { node: (id) => nodes.get(id) ?? 'missing', group: (id) => groups.get(id) ?? nodes.get(id) ?? 'missing' };
}

/** Children by container (a load balancer's node id or a subnet group's id); '' for the top level. */
function tree(model: TopologyModel): Map<string, TopologyNode[]> {
  const ids = new Set([...model.nodes.map((x) => x.id), ...model.groups.map((g) => g.id)]);
  const out = new Map<string, TopologyNode[]>();
  for (const node of model.nodes) {
    const parent = node.parent !== undefined && ids.has(node.parent) ? node.parent : '';
    const list = out.get(parent) ?? [];
    list.push(node);
    out.set(parent, list);
  }
  return out;
}

function lines(node: TopologyNode): string[] {
  return [node.tag, node.label, ...node.details];
}

// ------------------------------------------------------------------ Mermaid

/** Text in a Mermaid label: quotes, entity starts, angle brackets, backticks and ampersands as entity codes. */
export function escapeMermaid(s: string): string {
  return s.replace(/[#"<>&`]/g, (c) => `#${c.charCodeAt(0)};`).replace(/[\r\n]+/g, ' ');
}

export function toMermaid(model: TopologyModel): string {
  const ids = shortIds(model);
  const children = tree(model);
  const out: string[] = [`%% ilb-hairpin topology: ${model.title.replace(/[\r\n]+/g, ' ')}`, 'flowchart LR'];
  const label = (parts: string[]): string => `"${parts.map((p, i) => (i === 1 ? `<b>${escapeMermaid(p)}</b>` : escapeMermaid(p))).join('<br/>')}"`;
  const emitNode = (node: TopologyNode, indent: string): void => {
    const inner = children.get(node.id);
    if (inner?.length) {
      out.push(`${indent}subgraph ${ids.node(node.id)}[${label(lines(node))}]`);
      for (const c of inner) emitNode(c, `${indent}  `);
      out.push(`${indent}end`);
      return;
    }
    out.push(`${indent}${ids.node(node.id)}[${label(lines(node))}]`);
  };
  for (const node of children.get('') ?? []) emitNode(node, '  ');
  for (const g of model.groups) {
    const inner = children.get(g.id) ?? [];
    if (!inner.length) continue;
    out.push(`  subgraph ${ids.group(g.id)}[${label(['SUBNET', g.label.replace(/^subnet /, ''), ...g.details])}]`);
    for (const c of inner) emitNode(c, '    ');
    out.push('  end');
  }
  const hairpinLinks: number[] = [];
  let link = 0;
  for (const e of model.edges) {
    out.push(e.kind === 'rule-probe' ? `  ${ids.node(e.source)} -.->|probe| ${ids.node(e.target)}` : `  ${ids.node(e.source)} --> ${ids.node(e.target)}`);
    if (e.hairpin) hairpinLinks.push(link);
    link++;
  }
  for (const m of model.marks) {
    if (!m.member || !m.frontend) continue;
    out.push(`  ${ids.node(m.member)} -. "${escapeMermaid('hairpin: the member calls the VIP')}" .-> ${ids.node(m.frontend)}`);
    hairpinLinks.push(link++);
  }
  out.push('  classDef hairpin stroke:#d01c00,stroke-width:3px,stroke-dasharray:6 3');
  out.push('  classDef loop stroke:#b07800,stroke-width:2px,stroke-dasharray:4 3');
  const rules = new Set(model.marks.map((m) => m.rule));
  const hairpin = model.nodes.filter((x) => rules.has(x.id) && !children.get(x.id)?.length).map((x) => ids.node(x.id));
  const loop = model.nodes.filter((x) => x.hairpin && !rules.has(x.id) && !children.get(x.id)?.length).map((x) => ids.node(x.id));
  if (hairpin.length) out.push(`  class ${hairpin.join(',')} hairpin`);
  if (loop.length) out.push(`  class ${loop.join(',')} loop`);
  if (hairpinLinks.length) out.push(`  linkStyle ${hairpinLinks.join(',')} stroke:#b07800,stroke-width:2px`);
  return out.join('\n') + '\n';
}

// ------------------------------------------------------------------ DOT

/** Text in a DOT double-quoted string: backslashes and quotes escaped, line breaks as \n. */
export function escapeDot(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, '\\n');
}

export function toDot(model: TopologyModel): string {
  const ids = shortIds(model);
  const children = tree(model);
  const rules = new Set(model.marks.map((m) => m.rule));
  const q = (s: string): string => `"${escapeDot(s)}"`;
  const out: string[] = [
    `digraph ${q(`ilb-hairpin topology: ${model.title}`)} {`,
    `  graph [rankdir=LR, compound=true, fontname="Helvetica", fontsize=11, labelloc=t, label=${q(`ilb-hairpin topology: ${model.title}`)}];`,
    '  node [shape=box, style="rounded,filled", fillcolor="#f3f3f3", color="#8a8a8a", fontname="Helvetica", fontsize=10];',
    '  edge [color="#6e7681", arrowsize=0.7];',
  ];
  const nodeAttrs = (node: TopologyNode): string => {
    const attrs = [`label=${q(lines(node).join('\n'))}`];
    if (rules.has(node.id)) attrs.push('color="#d01c00"', 'penwidth=3', 'style="rounded,filled,dashed"');
    else if (node.hairpin) attrs.push('color="#b07800"', 'penwidth=2', 'style="rounded,filled,dashed"');
    return attrs.join(', ');
  };
  let cluster = 0;
  const emit = (node: TopologyNode, indent: string): void => {
    const inner = children.get(node.id);
    if (inner?.length) {
      out.push(`${indent}subgraph cluster_${cluster++} {`);
      out.push(`${indent}  label=${q(lines(node).join('\n'))}; style="rounded"; color="#8a8a8a";`);
      for (const c of inner) emit(c, `${indent}  `);
      out.push(`${indent}}`);
      return;
    }
    out.push(`${indent}${ids.node(node.id)} [${nodeAttrs(node)}];`);
  };
  for (const node of children.get('') ?? []) emit(node, '  ');
  for (const g of model.groups) {
    const inner = children.get(g.id) ?? [];
    if (!inner.length) continue;
    out.push(`  subgraph cluster_${cluster++} {`);
    out.push(`    label=${q([g.label, ...g.details].join('\n'))}; style="dashed,rounded"; color="#8a8a8a";`);
    for (const c of inner) emit(c, '    ');
    out.push('  }');
  }
  for (const e of model.edges) {
    const attrs: string[] = [];
    if (e.kind === 'rule-probe') attrs.push('style=dotted', 'label="probe"');
    if (e.hairpin) attrs.push('color="#b07800"', 'penwidth=2');
    out.push(`  ${ids.node(e.source)} -> ${ids.node(e.target)}${attrs.length ? ` [${attrs.join(', ')}]` : ''};`);
  }
  for (const m of model.marks) {
    if (!m.member || !m.frontend) continue;
    out.push(`  ${ids.node(m.member)} -> ${ids.node(m.frontend)} [style=dashed, color="#d01c00", penwidth=2, constraint=false, label=${q('hairpin: the member calls the VIP')}];`);
  }
  out.push('}');
  return out.join('\n') + '\n';
}
