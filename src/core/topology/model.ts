/**
 * The topology view model: what the preview, the CLI's `topology` command and the exports draw.
 * Plain JSON data computed from the network graph (see build.ts): nodes, edges, subnet groups and
 * the marks of hairpin-prone rules with their packet paths. No positions (see layout.ts).
 */
import type { Range } from '../source';

export const TOPOLOGY_SCHEMA = 1;

export type TopologyNodeKind = 'loadBalancer' | 'frontend' | 'rule' | 'natRule' | 'probe' | 'pool' | 'member';

/** What a member is: a VM (by its NIC or its NIC configuration), a NIC no VM attaches, a scale set, an IP entry of an IP-based pool, or a module whose template is not read. */
export type MemberType = 'vm' | 'nic' | 'scale-set' | 'ip-address' | 'module';

export type TopologyEdgeKind = 'frontend-rule' | 'frontend-nat' | 'rule-pool' | 'rule-probe' | 'pool-member';

/** Where a node is written: a file (absolute in the editor, relative to the working folder in the CLI) and a 0-based range. */
export interface TopologyLocation {
  file: string;
  range: Range;
}

export interface TopologyNode {
  /** Stable across edits and analyses: built from the declaring file and the resource ID (or the name). */
  id: string;
  kind: TopologyNodeKind;
  /** The kind in words, shown as the node's tag: `LOAD BALANCER`, `RULE`, `VM`, `SCALE SET`... */
  tag: string;
  /** The name a user knows it by (evaluated; the expression text when it cannot be evaluated). */
  label: string;
  /** Further lines: addresses, ports, protocol, floating IP, capacity; unknowns say why. */
  details: string[];
  /** The container: the load balancer's node id for its parts, the subnet group's id for a member. */
  parent?: string;
  location?: TopologyLocation;
  /** Some value of this node could not be evaluated (its details say which and why). */
  unknown?: boolean;
  /** On a rule: it is hairpin-prone. On a frontend, pool or member: it is on a hairpin loop. */
  hairpin?: boolean;
  /** Load balancers: internal (private frontend) or not; undefined when no frontend tells. */
  internal?: boolean;
  memberType?: MemberType;
  /** Members: how many backend instances it stands for; null when unknown. */
  instances?: number | null;
  /** Private IP of a member or frontend when the template fixes it. */
  ip?: string;
  /** In a merged (whole-workspace) view: the environments it belongs to, when not all of them. */
  environments?: string[];
}

export interface TopologyGroup {
  id: string;
  kind: 'subnet';
  label: string;
  details: string[];
}

export interface TopologyEdge {
  id: string;
  kind: TopologyEdgeKind;
  source: string;
  target: string;
  /** The edge is part of a hairpin loop (frontend -> rule -> pool -> member). */
  hairpin?: boolean;
}

export type PathKind = 'failing' | 'floating-ip' | 'secondary-nic' | 'nginx-nva' | 'app-gateway';

/** One party in a packet walk: a node of the graph, or something a fix adds (a second NIC, an NVA). */
export interface PathParticipant {
  id: string;
  label: string;
  detail?: string;
  /** The graph node it is. */
  node?: string;
  /** For a party the templates do not have yet: the graph node it is drawn beside. */
  anchor?: string;
  /** Added by the fix (not in the templates). */
  proposed?: boolean;
}

export interface PathStep {
  from: string;
  to: string;
  /** What happens, in words. */
  label: string;
  /** The packet on the wire, when the step sends one: source and destination as the seed writes them. */
  packet?: { src: string; dst: string; what: string };
  /** `fail` marks the step where the flow breaks. */
  outcome?: 'ok' | 'fail';
}

export interface PacketPath {
  kind: PathKind;
  title: string;
  /** One sentence: why it fails, or why it works after the fix. */
  summary: string;
  outcome: 'fails' | 'works';
  participants: PathParticipant[];
  steps: PathStep[];
  /** Caveats (from the seed: health probes, served locally only, cost of an NVA...). */
  notes: string[];
  /** Why the quick fix for this path cannot be applied here, when it cannot. */
  unavailable?: string;
}

/** A hairpin-prone rule with the loop it closes and the packet walks before and after each fix. */
export interface HairpinMark {
  /** The rule's node id. */
  rule: string;
  loadBalancer: string;
  frontend: string | undefined;
  pools: string[];
  /** The member the walk follows (the loop closes on it), when the rule has one in view. */
  member: string | undefined;
  /** The finding's message, as the Problems panel shows it. */
  message: string;
  /** Backend instances behind the rule; null when some count is unknown. */
  members: number | null;
  /** Chance that one call from a member to the frontend fails; null when the count is unknown. */
  failureChance: number | null;
  /** Where the findings are (file, offset), to find the mark of a finding. */
  findings: { file: string; start: number }[];
  /** Node ids of the loop: member -> frontend -> rule -> pool -> member. */
  loop: string[];
  paths: PacketPath[];
}

export interface TopologyModel {
  schema: number;
  /** The current file's deployment, or the whole workspace. */
  scope: 'file' | 'workspace';
  /** The file the view was built for (scope `file`). */
  file?: string;
  /** The environment shown (a parameter file's, or `default`); `all` when environments are merged. */
  environment: string;
  /** The environments one can switch between for this scope. */
  environments: string[];
  title: string;
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  groups: TopologyGroup[];
  marks: HairpinMark[];
  /** Things a user should know about the picture (nothing in this file's deployment, ...). */
  notes: string[];
}

/**
 * A model whose nodes and edges are made as they are read, each time they are read: what the CLI
 * writes as JSON. A 40,000-member pool's picture then never holds its member nodes and edges at
 * once (see buildTopologyStream). The same nodes and edges, in the same order, as buildTopology's.
 */
export interface TopologyStream extends Omit<TopologyModel, 'nodes' | 'edges'> {
  nodes: Iterable<TopologyNode>;
  edges: Iterable<TopologyEdge>;
}

export function countBy<T, K extends string>(items: readonly T[], key: (t: T) => K): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const i of items) out[key(i)] = (out[key(i)] ?? 0) + 1;
  return out;
}
