/**
 * Builds the topology view model from the workspace analysis: the graph of one file's deployment
 * (in one environment) or of the whole workspace (environments merged), with the hairpin-prone
 * rules marked and their packet walks. Pure; the editor and the CLI share it.
 */
import { spanOf, propertySpan } from '../evaluate/origin';
import { idKey, type EvaluatedResource } from '../evaluate/resources';
import { Unknown, display, getPath, getProp, isObject, type Value, type ValueObject } from '../evaluate/value';
import type { FrontendNode, LoadBalancerNode, MemberNode, NatRuleNode, NetworkGraph, PoolNode, ProbeNode, RuleNode } from '../graph/model';
import { readInt, ruleMembers } from '../graph/query';
import { floatingIpTarget } from '../fixes/targets';
import { RULES } from '../rules';
import { ruleSite, type Finding } from '../rules/types';
import type { SourceSpan } from '../source';
import { chanceText, packetPaths, type LoopFacts } from './paths';
import {
  TOPOLOGY_SCHEMA,
  type HairpinMark,
  type MemberType,
  type TopologyEdge,
  type TopologyEdgeKind,
  type TopologyGroup,
  type TopologyLocation,
  type TopologyModel,
  type TopologyNode,
  type TopologyStream,
} from './model';

export interface TopologyOptions {
  scope: 'file' | 'workspace';
  /** The file whose deployment is shown (scope `file`): a template, a module or a parameter file. */
  file?: string;
  /** The environment to show; by default the file's first (scope `file`) or all merged (scope `workspace`). */
  environment?: string;
  /** Turns a span into a location; without it nodes have none. */
  locate?: (span: SourceSpan) => TopologyLocation | undefined;
  /** How a file is named in ids, labels and locations (the CLI's relative paths); the path itself by default. */
  fileName?: (path: string) => string;
}

/** What the builder reads of an analysis (see WorkspaceAnalysis). */
export interface TopologyInput {
  /** Each environment's graph, and every rule's findings on it when the analysis kept them (else they are checked again). */
  graphs: { environment: string; graph: NetworkGraph; findings?: readonly Finding[] }[];
  findings: Finding[];
}

export const ALL_ENVIRONMENTS = 'all';

export function buildTopology(input: TopologyInput, options: TopologyOptions): TopologyModel {
  const model = build(input, options, false);
  return { ...model, nodes: [...model.nodes], edges: [...model.edges] };
}

/**
 * The same picture as buildTopology, whose member nodes and pool-to-member edges are made when the
 * nodes and edges are read (a few hundred bytes are kept per member instead of about a kilobyte):
 * for writing a large picture out. Of one environment; several environments merged are kept whole.
 * The graph must not change while the stream is read.
 */
export function buildTopologyStream(input: TopologyInput, options: TopologyOptions): TopologyStream {
  return build(input, options, true);
}

function build(input: TopologyInput, options: TopologyOptions, stream: boolean): TopologyStream {
  const fileName = options.fileName ?? ((p: string) => p);
  const file = options.scope === 'file' ? options.file : undefined;
  const touches = file === undefined ? () => true : touchesFile(file);

  // The environments this scope has: every graph for the workspace, the graphs the file is in otherwise.
  const candidates = input.graphs.filter(({ graph }) => file === undefined || graphTouches(graph, touches));
  const environments = candidates.map((g) => g.environment);
  let selected = candidates;
  let environment: string;
  if (options.environment !== undefined && environments.includes(options.environment)) {
    selected = candidates.filter((g) => g.environment === options.environment);
    environment = options.environment;
  } else if (file !== undefined || candidates.length <= 1) {
    selected = candidates.slice(0, 1);
    environment = selected[0]?.environment ?? input.graphs[0]?.environment ?? 'default';
  } else {
    environment = ALL_ENVIRONMENTS;
  }

  // Members are made when read only in one environment's picture: merging environments compares the nodes each made.
  const collector = new Collector(fileName, options.locate, input.findings, stream && selected.length <= 1);
  for (const { environment: env, graph, findings } of selected) collector.addGraph(env, graph, touches, findings);
  const model = collector.finish(selected.map((g) => g.environment));

  const notes: string[] = [];
  if (collector.nodeCount === 0) {
    notes.push(
      file !== undefined
        ? `No load balancer or backend pool member is declared in ${shortName(fileName(file))}'s deployment. Switch to the whole workspace to see every load balancer.`
        : 'No load balancer or backend pool member is declared in the workspace.',
    );
  }
  notes.push(...collector.notes);
  return {
    schema: TOPOLOGY_SCHEMA,
    scope: options.scope,
    ...(file !== undefined ? { file: fileName(file) } : {}),
    environment,
    environments: environments.length > 1 && file === undefined ? [ALL_ENVIRONMENTS, ...environments] : environments,
    title: file !== undefined ? `${shortName(fileName(file))}${environments.length > 1 ? ` (${environment})` : ''}` : `Whole workspace${environment !== ALL_ENVIRONMENTS && environments.length > 1 ? ` (${environment})` : ''}`,
    ...model,
    notes,
  };
}

function shortName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Does a resource belong to the file's deployment: declared in it, deployed through a module
 * declared in it, or evaluated with it as the parameter file.
 */
function touchesFile(file: string): Touches {
  const base = shortName(file);
  return (r) => !!r && (r.file === file || !!r.via?.some((c) => c.file === file) || r.parameterSource === base);
}

/** Does a resource (or a pool declaration, by its file) belong to the scope? */
type Touches = (r: Pick<EvaluatedResource, 'file'> & Partial<Pick<EvaluatedResource, 'via' | 'parameterSource'>> | undefined) => boolean;

function graphTouches(graph: NetworkGraph, touches: Touches): boolean {
  if (graph.loadBalancers.some((lb) => touches(lb.resource))) return true;
  if (graph.pools.values().some((p) => p.members.some((m) => touches(m.resource) || touches(m.vm)))) return true;
  return graph.unresolved.some(({ member }) => touches(member.resource) || touches(member.vm));
}

function leaf(v: Value): string {
  const s = display(v);
  return typeof v === 'string' ? (s.split('/').pop() as string) : s;
}

/** The last segment of a resource ID (`.../publicIPAddresses/pip-web` -> `pip-web`), also of a symbolic one. */
function idLeaf(v: Value): string {
  const s = display(v);
  return /\/providers\/[^/]+\/[^/]+\/[^/]+/i.test(s) ? (s.replace(/\/+$/, '').split('/').pop() as string) : s;
}

function lower(v: Value | undefined): string {
  return display(v ?? null).toLowerCase();
}

function unknownWords(u: Unknown): string {
  return `unknown (${u.reason})`;
}

/** `snet-web` and its virtual network from a subnet ID, when it names them. */
function subnetNames(id: Value | undefined): { subnet: string; vnet: string } | undefined {
  if (id === undefined) return undefined;
  const s = typeof id === 'string' ? id : id instanceof Unknown ? (id.text ?? id.symbol ?? '') : '';
  const m = /virtualNetworks\/([^/]+)\/subnets\/([^/]+?)\/?$/i.exec(s);
  return m ? { vnet: m[1] as string, subnet: m[2] as string } : undefined;
}

function ipWords(ip: Value | undefined, dynamic = 'IP: dynamic (assigned at deployment)'): { text: string; ip?: string; unknown?: boolean } {
  if (typeof ip === 'string' && ip !== '') return { text: ip, ip };
  if (ip instanceof Unknown) return { text: `IP: ${unknownWords(ip)}`, unknown: true };
  return { text: dynamic };
}

function portWords(protocol: Value | undefined, frontendPort: Value | undefined, backendPort: Value | undefined): { text: string; unknown: boolean } {
  const proto = protocol === undefined ? 'protocol unknown' : protocol instanceof Unknown ? `protocol ${unknownWords(protocol)}` : display(protocol).toUpperCase();
  const fe = readInt(frontendPort);
  const be = readInt(backendPort);
  if (typeof protocol === 'string' && protocol.toLowerCase() === 'all' && fe === 0) return { text: 'HA ports: all protocols, all ports', unknown: false };
  const port = (p: number | Unknown | undefined): string => (p === undefined ? '?' : p instanceof Unknown ? unknownWords(p) : String(p));
  return { text: `${proto} ${port(fe)} → ${port(be)}`, unknown: protocol instanceof Unknown || fe instanceof Unknown || be instanceof Unknown };
}

function floatingWords(f: boolean | Unknown): { text: string; unknown: boolean } {
  if (f instanceof Unknown) return { text: `floating IP: ${unknownWords(f)}`, unknown: true };
  return { text: `floating IP ${f ? 'on' : 'off'}`, unknown: false };
}

/** How the topology draws each rule's findings, by rule id. */
const RULE_TOPOLOGY = new Map(RULES.map((r) => [r.id, r.topology]));

const SEVERITY_WORDS: Record<Finding['severity'], string> = { error: 'error', warning: 'warning', info: 'information', hint: 'hint' };

/** Is span `inner` inside span `outer` (same file)? */
function inside(inner: SourceSpan, outer: SourceSpan | undefined): boolean {
  return !!outer && inner.file === outer.file && inner.start >= outer.start && inner.end <= outer.end;
}

/**
 * A member node not made yet (a stream's member): made again from its graph member when read.
 * The first member with its id makes the node; later ones (the same member reached through
 * another pool) add only their Unknowns, as `add` merges them.
 */
class LazyMember {
  unknown = false;
  hairpin = false;
  /** The pools whose edges to it are hairpin-prone (often the mark's own list, shared). */
  hairpinPools: readonly string[] | undefined;
  /** The pools with an edge to it: the first, and any more. */
  morePools: string[] | undefined;
  constructor(
    readonly member: MemberNode,
    readonly id: string,
    readonly firstPool: string,
  ) {}

  hasPool(pool: string): boolean {
    return this.firstPool === pool || !!this.morePools?.includes(pool);
  }
}

/** A pool-to-member edge not made yet. */
interface LazyEdge {
  pool: string;
  member: LazyMember;
}

interface NodeEntry {
  node: TopologyNode;
  /**
   * The environments the node is in, and its details as each of them saw them (parallel lists:
   * nearly always one environment, and a whole-workspace picture can have 40,000 nodes).
   */
  envs: string[];
  details: string[][];
}

/** Gathers nodes, edges, groups and marks over one or more environment graphs, merged by id. */
class Collector {
  private readonly nodes = new Map<string, NodeEntry | LazyMember>();
  private readonly edges = new Map<string, TopologyEdge>();
  /** Every edge in the order made, with the lazy ones (when members are lazy; `edges` has the others). */
  private readonly edgeOrder: (TopologyEdge | LazyEdge | LazyMember)[] | undefined;
  private readonly groups = new Map<string, TopologyGroup>();
  private readonly marks = new Map<string, HairpinMark>();
  readonly notes: string[] = [];
  private env = '';
  /** Node ids of this environment's objects (the graph builds new objects per environment). */
  private lbIds = new Map<LoadBalancerNode, string>();
  private poolIds = new Map<PoolNode, string>();
  /** The node id of each member drawn (the marks name them again). */
  private memberIds = new Map<MemberNode, string>();
  private readonly shownFindings: Set<string>;
  /** The severity of each finding the user sees, of the rules the topology does not draw as a loop (shown as lines of their rule's node). */
  private readonly listedSeverity = new Map<string, Finding['severity']>();
  /** Those findings as this environment's graph makes them. */
  private listed: Finding[] = [];
  private readonly messages = new Map<string, string>();
  /** The chance of failure of each marked rule, by environment. */
  private readonly chances = new Map<string, Map<string, string>>();

  constructor(
    private readonly fileName: (p: string) => string,
    private readonly locate: ((span: SourceSpan) => TopologyLocation | undefined) | undefined,
    findings: Finding[],
    /** Make member nodes and their pools' edges when read (see LazyMember). */
    private readonly lazyMembers = false,
  ) {
    if (lazyMembers) this.edgeOrder = [];
    // The findings the user sees (suppressed ones are not there): a rule is marked only if its finding is one of them.
    this.shownFindings = new Set(findings.map((f) => `${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}`));
    for (const f of findings) this.listedSeverity.set(`${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}`, f.severity);
    for (const f of findings) {
      const site = ruleSite(f);
      this.messages.set(`${site.file}\u0000${site.start}\u0000${f.facts.loadBalancer}\u0000${f.facts.lbRule}`, f.message);
    }
  }

  addGraph(env: string, graph: NetworkGraph, touches: Touches, findings: readonly Finding[] = RULES.flatMap((r) => r.check(graph, {}))): void {
    this.env = env;
    // Each environment's own findings (a rule may be fine in one and not in another), with the severity the user sees.
    this.listed = findings
      .filter((f) => RULE_TOPOLOGY.get(f.ruleId) !== 'hairpin-loop')
      .flatMap((f) => {
        const severity = this.listedSeverity.get(`${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}`);
        return severity ? [{ ...f, severity }] : [];
      });
    this.lbIds = new Map();
    this.poolIds = new Map();
    this.memberIds = new Map();
    const lbs = new Set<LoadBalancerNode>();
    const pools = new Set<PoolNode>();
    for (const lb of graph.loadBalancers) if (touches(lb.resource)) lbs.add(lb);
    // Pools that the scope's members join, and the load balancers that declare them.
    const memberPools: PoolNode[] = [];
    for (const pool of graph.pools.values()) {
      const declaredIn = spanOf(pool.value)?.file;
      const declaredHere = !pool.lb && declaredIn !== undefined && touches({ file: declaredIn });
      if (declaredHere || pool.members.some((m) => touches(m.resource) || touches(m.vm))) memberPools.push(pool);
    }
    for (const pool of memberPools) {
      if (pool.lb) lbs.add(pool.lb);
      else pools.add(pool);
    }
    const ordered = graph.loadBalancers.filter((lb) => lbs.has(lb));
    ordered.forEach((lb) => this.loadBalancer(lb));
    for (const pool of pools) this.pool(pool);
    for (const { member, poolRef } of graph.unresolved) {
      if (!touches(member.resource) && !touches(member.vm)) continue;
      this.poolMember(this.missingPool(poolRef), member);
    }
    this.markHairpins(findings, ordered);
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  private add(node: TopologyNode): string {
    const entry = this.nodes.get(node.id);
    if (entry instanceof LazyMember) throw new Error(`a member's id made for another node: ${node.id}`);
    if (!entry) {
      this.nodes.set(node.id, { node, envs: [this.env], details: [node.details] });
      return node.id;
    }
    if (!entry.envs.includes(this.env)) {
      entry.envs.push(this.env);
      entry.details.push(node.details);
    }
    if (node.unknown) entry.node.unknown = true;
    return node.id;
  }

  private edge(kind: TopologyEdgeKind, source: string, target: string): string {
    const id = `${kind}:${source}->${target}`;
    if (!this.edges.has(id)) {
      const edge: TopologyEdge = { id, kind, source, target };
      this.edges.set(id, edge);
      this.edgeOrder?.push(edge);
    }
    return id;
  }

  /** The edge from a pool to a member, and the member's node (made, or lazy). */
  private poolMember(pool: string, m: MemberNode): void {
    if (!this.lazyMembers) {
      this.edge('pool-member', pool, this.member(m));
      return;
    }
    const id = this.memberIdentity(m);
    this.subnetGroup(m);
    const entry = this.nodes.get(id);
    if (entry === undefined) {
      const lazy = new LazyMember(m, id, pool);
      this.nodes.set(id, lazy);
      // (The member stands for its first pool's edge.)
      this.edgeOrder?.push(lazy);
      return;
    }
    if (!(entry instanceof LazyMember)) throw new Error(`a member's id made for another node: ${id}`);
    // The same member again (another pool, another reference): its Unknowns count, as `add` merges them.
    if (this.describeMember(m).unknown) entry.unknown = true;
    if (entry.hasPool(pool)) return;
    (entry.morePools ??= []).push(pool);
    this.edgeOrder?.push({ pool, member: entry });
  }

  private loc(span: SourceSpan | undefined): { location?: TopologyLocation } {
    const location = span && this.locate?.(span);
    return location ? { location } : {};
  }

  private resourceKey(r: EvaluatedResource): string {
    return `${this.fileName(r.file)}#${idKey(r.id) ?? `name:${lower(r.name)}`}`;
  }

  private loadBalancer(lb: LoadBalancerNode): string {
    const known = this.lbIds.get(lb);
    if (known) return known;
    const id = `lb:${this.resourceKey(lb.resource)}`;
    this.lbIds.set(lb, id);
    const internal = lb.frontends.some((f) => f.internal === true);
    const isPublic = lb.frontends.some((f) => f.internal === false);
    const kind = internal && isPublic ? 'internal and public' : internal ? 'internal' : isPublic ? 'public' : 'frontend kind unknown';
    const details = [`${kind}${lb.sku ? ` · ${lb.sku[0]?.toUpperCase()}${lb.sku.slice(1)} SKU` : ''}`, `in ${shortName(this.fileName(lb.resource.file))}`];
    const node: TopologyNode = { id, kind: 'loadBalancer', tag: 'LOAD BALANCER', label: display(lb.name), details, ...this.loc(lb.resource.span) };
    if (internal || isPublic) node.internal = internal;
    if (lb.name instanceof Unknown) node.unknown = true;
    this.add(node);

    const feIds = new Map<FrontendNode, string>();
    for (const fe of lb.frontends) feIds.set(fe, this.frontend(fe, id));
    for (const rule of lb.rules) {
      const ruleId = this.rule(rule, id);
      const fe = rule.frontend && feIds.get(rule.frontend);
      if (fe) this.edge('frontend-rule', fe, ruleId);
      for (const pool of rule.pools) this.edge('rule-pool', ruleId, this.pool(pool));
      if (rule.probe) this.edge('rule-probe', ruleId, this.probe(rule.probe, id));
    }
    for (const nat of lb.natRules) {
      const natId = this.natRule(nat, id);
      const fe = nat.frontend && feIds.get(nat.frontend);
      if (fe) this.edge('frontend-nat', fe, natId);
    }
    for (const probe of lb.probes) this.probe(probe, id);
    for (const pool of lb.pools) this.pool(pool);
    return id;
  }

  private childId(prefix: string, lbId: string, collection: string, name: Value): string {
    return `${prefix}:${lbId.slice(3)}/${collection}/${lower(name)}`;
  }

  private frontend(fe: FrontendNode, lbId: string): string {
    const id = this.childId('fe', lbId, 'frontendipconfigurations', fe.name);
    const details: string[] = [];
    let unknown = fe.name instanceof Unknown;
    let ip: string | undefined;
    if (fe.internal === true) {
      const w = ipWords(fe.privateIp, 'IP: dynamic (assigned at deployment)');
      ip = w.ip;
      unknown ||= !!w.unknown;
      details.push(`${w.text} · internal`);
    } else if (fe.internal === false) {
      const pip = getPath(fe.value, 'properties', 'publicIPAddress', 'id');
      const prefix = getPath(fe.value, 'properties', 'publicIPPrefix', 'id');
      const gw = getPath(fe.value, 'properties', 'gatewayLoadBalancer', 'id');
      const what = pip !== undefined ? `public IP ${idLeaf(pip)}` : prefix !== undefined ? `public IP prefix ${idLeaf(prefix)}` : gw !== undefined ? 'chained to a gateway load balancer' : 'public';
      details.push(`${what} · public`);
    } else {
      unknown = true;
      details.push(`internal or public: ${unknownWords(fe.internal)}`);
    }
    const ports = new Set<string>();
    for (const r of fe.lb.rules.filter((r) => r.frontend === fe)) ports.add(shortPorts(r.protocol, r.frontendPort));
    for (const r of fe.lb.natRules.filter((r) => r.frontend === fe)) ports.add(`NAT ${shortPorts(r.protocol, r.frontendPort)}`);
    if (ports.size) details.push(`ports: ${[...ports].join(', ')}`);
    const sn = subnetNames(fe.subnetId);
    if (sn) details.push(`subnet ${sn.subnet}`);
    if (fe.ipVersion === 'ipv6') details.push('IPv6');
    const node: TopologyNode = { id, kind: 'frontend', tag: 'FRONTEND', label: display(fe.name), details, parent: lbId, ...this.loc(spanOf(fe.value)) };
    if (fe.internal !== true && fe.internal !== false) node.unknown = true;
    else node.internal = fe.internal;
    if (unknown) node.unknown = true;
    if (ip) node.ip = ip;
    return this.add(node);
  }

  private rule(rule: RuleNode, lbId: string): string {
    const id = this.childId('rule', lbId, 'loadbalancingrules', rule.name);
    const ports = portWords(rule.protocol, rule.frontendPort, rule.backendPort);
    const floating = floatingWords(rule.floatingIp);
    const details = [ports.text, floating.text];
    if (!rule.frontend) details.push(`frontend: not found (${display(rule.frontendRef ?? null)})`);
    if (rule.pools.length === 0) details.push('backend pool: none in view');
    details.push(...this.findingLines(rule.value, rule.lb, rule.name));
    const node: TopologyNode = { id, kind: 'rule', tag: 'RULE', label: display(rule.name), details, parent: lbId, ...this.loc(spanOf(rule.value)) };
    if (ports.unknown || floating.unknown || rule.name instanceof Unknown) node.unknown = true;
    return this.add(node);
  }

  /** `warning: floating-ip-without-loopback`: each finding the user sees on this rule, of every rule of the registry but the loop's. */
  private findingLines(value: ValueObject, lb: LoadBalancerNode, name: Value): string[] {
    const span = spanOf(value);
    const lines = this.listed
      .filter((f) => f.facts.loadBalancer === display(lb.name) && f.facts.lbRule === display(name) && inside(ruleSite(f), span))
      .map((f) => `${SEVERITY_WORDS[f.severity]}: ${f.ruleId}`);
    return [...new Set(lines)];
  }

  private natRule(nat: NatRuleNode, lbId: string): string {
    const id = this.childId('nat', lbId, 'inboundnatrules', nat.name);
    const ports = portWords(nat.protocol, nat.frontendPort, nat.backendPort);
    const floating = floatingWords(nat.floatingIp);
    const details = [ports.text, floating.text, ...this.findingLines(nat.value, nat.lb, nat.name)];
    const node: TopologyNode = { id, kind: 'natRule', tag: 'NAT RULE', label: display(nat.name), details, parent: lbId, ...this.loc(spanOf(nat.value)) };
    if (ports.unknown || floating.unknown) node.unknown = true;
    return this.add(node);
  }

  private probe(probe: ProbeNode, lbId: string): string {
    const id = this.childId('probe', lbId, 'probes', probe.name);
    const proto = probe.protocol instanceof Unknown ? `protocol ${unknownWords(probe.protocol)}` : display(probe.protocol ?? 'TCP').toUpperCase();
    const port = readInt(probe.port);
    const path = getPath(probe.value, 'properties', 'requestPath');
    const details = [`${proto} ${port instanceof Unknown ? `port ${unknownWords(port)}` : `:${port ?? '?'}`}${typeof path === 'string' ? ` ${path}` : ''}`];
    const node: TopologyNode = { id, kind: 'probe', tag: 'PROBE', label: display(probe.name), details, parent: lbId, ...this.loc(spanOf(probe.value)) };
    if (probe.protocol instanceof Unknown || port instanceof Unknown) node.unknown = true;
    return this.add(node);
  }

  private pool(pool: PoolNode): string {
    const known = this.poolIds.get(pool);
    if (known) return known;
    const lbId = pool.lb ? this.loadBalancer(pool.lb) : undefined;
    const id = lbId
      ? this.childId('pool', lbId, 'backendaddresspools', pool.name)
      : `pool:${this.fileName(spanOf(pool.value)?.file ?? '')}#${pool.key ?? `name:${lower(pool.name)}`}`;
    this.poolIds.set(pool, id);
    const members = uniqueMembers(pool.members);
    let known2 = 0;
    let unknownCount = false;
    for (const m of members) {
      if (m.instances instanceof Unknown) unknownCount = true;
      else known2 += m.instances;
    }
    const count = unknownCount
      ? known2 > 0
        ? `at least ${known2} member${known2 === 1 ? '' : 's'} (some counts unknown)`
        : `${members.length} member${members.length === 1 ? '' : 's'} of unknown count`
      : `${known2} member${known2 === 1 ? '' : 's'}`;
    const details = [count];
    const ipBased = [pool.value, ...pool.alsoDeclared].some((d) => Array.isArray(getPath(d, 'properties', 'loadBalancerBackendAddresses')));
    if (ipBased) details.push('IP-based');
    if (!pool.lb) details.push('its load balancer is not in view');
    const node: TopologyNode = { id, kind: 'pool', tag: 'BACKEND POOL', label: display(pool.name), details, ...this.loc(spanOf(pool.value)) };
    if (lbId) node.parent = lbId;
    if (unknownCount) node.unknown = true;
    this.add(node);
    for (const m of members) this.poolMember(id, m);
    return id;
  }

  private missingPool(poolRef: Value): string {
    const key = idKey(poolRef);
    const id = `pool:?${key ?? display(poolRef)}`;
    const names = typeof poolRef === 'string' || poolRef instanceof Unknown ? /loadBalancers\/([^/]+)\/backendAddressPools\/([^/]+)/i.exec(display(poolRef)) : null;
    const node: TopologyNode = {
      id,
      kind: 'pool',
      tag: 'BACKEND POOL',
      label: names ? (names[2] as string) : display(poolRef),
      details: [names ? `of ${names[1]}, which is not declared in the workspace` : 'not declared in the workspace'],
    };
    if (!key) node.unknown = true;
    return this.add(node);
  }

  private member(m: MemberNode): string {
    const node = this.memberNode(m);
    this.memberIds.set(m, node.id);
    return this.add(node);
  }

  /** The subnet group a member is drawn in (made when first met), if its subnet ID names one. */
  private subnetGroup(m: MemberNode): TopologyGroup | undefined {
    const sn = subnetNames(m.subnetId);
    if (!sn || m.subnetId === undefined) return undefined;
    const key = `subnet:${idKey(m.subnetId) ?? display(m.subnetId)}`;
    let group = this.groups.get(key);
    if (!group) this.groups.set(key, (group = { id: key, kind: 'subnet', label: `subnet ${sn.subnet}`, details: [`virtual network ${sn.vnet}`] }));
    return group;
  }

  private memberNode(m: MemberNode): TopologyNode {
    const { id, type, tag, label, details, unknown } = this.describeMember(m);
    // The group's own id string: thousands of members of one subnet share it, not a copy each.
    const parent = this.subnetGroup(m)?.id;
    if (parent === undefined && m.subnetId instanceof Unknown) details.push(`subnet: ${unknownWords(m.subnetId)}`);
    const span = (m.ipConfig && spanOf(m.ipConfig)) ?? propertySpan(m.reference, 'id') ?? spanOf(m.reference) ?? m.resource?.span;
    const node: TopologyNode = { id, kind: 'member', tag, label, details, memberType: type, instances: m.instances instanceof Unknown ? null : m.instances, ...this.loc(span) };
    if (parent) node.parent = parent;
    if (typeof m.privateIp === 'string' && m.privateIp) node.ip = m.privateIp;
    if (unknown) node.unknown = true;
    return node;
  }

  /** A lazy member's node, as `member` and `add` would have made it. */
  private made(entry: LazyMember): TopologyNode {
    const node = this.memberNode(entry.member);
    if (entry.unknown) node.unknown = true;
    if (entry.hairpin) node.hairpin = true;
    return node;
  }

  /** The node of an id, made if it is a lazy member's. */
  private nodeOf(id: string): TopologyNode | undefined {
    const entry = this.nodes.get(id);
    return entry instanceof LazyMember ? this.made(entry) : entry?.node;
  }

  private memberId(m: MemberNode): string {
    return this.memberIds.get(m) ?? this.memberIdentity(m);
  }

  /** A member's node id (describeMember's), without the rest of its description; `cfgName`: nicConfigName's, when known. */
  private memberIdentity(m: MemberNode, cfgName?: string): string {
    if (m.kind === 'ip-address') return `member:ip:${display(m.privateIp ?? null)}`;
    const base = `member:${this.resourceKey(m.resource as EvaluatedResource)}`;
    if (m.kind === 'module') return `${base}/${lower(m.ipConfigName)}`;
    if (m.kind === 'nic') return `${base}/ipconfigurations/${lower(m.ipConfigName)}`;
    return `${base}/networkinterfaceconfigurations/${(cfgName ?? nicConfigName(m)).toLowerCase()}/${lower(m.ipConfigName)}`;
  }

  private describeMember(m: MemberNode): { id: string; type: MemberType; tag: string; label: string; details: string[]; unknown: boolean } {
    // (A VM's or a scale set's NIC configuration is found once, for the id and the details.)
    const cfgName = m.kind === 'ip-address' || m.kind === 'module' || m.kind === 'nic' ? undefined : nicConfigName(m);
    const id = this.memberIdentity(m, cfgName);
    const details: string[] = [];
    let unknown = false;
    const ip = (dynamic?: string): void => {
      const w = ipWords(m.privateIp, dynamic);
      details.push(w.ip ? `IP ${w.ip}` : w.text);
      if (w.unknown) unknown = true;
    };
    const count = (): void => {
      if (m.instances instanceof Unknown) {
        details.push(`count: ${unknownWords(m.instances)}`);
        unknown = true;
      }
    };
    const ipc = display(m.ipConfigName ?? null);
    const secondary = m.ipConfigPrimary === false ? ' (secondary)' : '';
    if (m.kind === 'ip-address') {
      details.push(typeof m.privateIp === 'string' ? `IP ${m.privateIp}` : `IP: ${m.privateIp instanceof Unknown ? unknownWords(m.privateIp) : 'not written'}`);
      if (m.privateIp instanceof Unknown) unknown = true;
      if (m.resource) details.push(`NIC ${leaf(m.resource.name)}${m.ipConfigName !== undefined ? ` · ${ipc}` : ''}`);
      else details.push('no NIC in these templates has this IP');
      return { id, type: 'ip-address', tag: 'IP ENTRY', label: m.displayName, details, unknown };
    }
    const r = m.resource as EvaluatedResource;
    if (m.kind === 'module') {
      details.push(m.instances instanceof Unknown ? `template not read: ${m.instances.reason}` : 'template not read');
      details.push('count: unknown');
      return { id, type: 'module', tag: 'MODULE', label: m.displayName, details, unknown: true };
    }
    if (m.kind === 'nic') {
      if (m.vm) details.push(`NIC ${leaf(r.name)} · ${ipc}${secondary}`);
      else details.push(`${ipc}${secondary} · no VM attaches it here`);
      ip();
      count();
      return { id, type: m.vm ? 'vm' : 'nic', tag: m.vm ? 'VM' : 'NIC', label: leaf(m.vm ? m.vm.name : r.name), details, unknown: unknown || r.name instanceof Unknown };
    }
    if (m.kind === 'scale-set') {
      details.push(m.instances instanceof Unknown ? `capacity: ${unknownWords(m.instances)}` : `capacity ${m.instances}`);
      if (m.instances instanceof Unknown) unknown = true;
      details.push(`NIC config ${cfgName} · ${ipc}${secondary}`);
      details.push('IPs: one per instance, assigned at deployment');
      return { id, type: 'scale-set', tag: 'SCALE SET', label: leaf(r.name), details, unknown };
    }
    details.push(`NIC config ${cfgName} · ${ipc}${secondary}`);
    ip();
    count();
    return { id, type: 'vm', tag: 'VM', label: leaf(r.name), details, unknown };
  }

  private markHairpins(graphFindings: readonly Finding[], lbs: LoadBalancerNode[]): void {
    const inView = new Set(lbs);
    const findings = graphFindings.filter((f) => RULE_TOPOLOGY.get(f.ruleId) === 'hairpin-loop' && this.shownFindings.has(`${f.ruleId}\u0000${f.span.file}\u0000${f.span.start}`));
    for (const lb of lbs) {
      if (!inView.has(lb)) continue;
      const lbId = this.lbIds.get(lb) as string;
      for (const rule of lb.rules) {
        const f = findings.find((x) => x.facts.lbRule === display(rule.name) && x.facts.loadBalancer === display(lb.name) && inside(ruleSite(x), spanOf(rule.value)));
        if (!f) continue;
        this.mark(rule, lbId, f);
      }
    }
  }

  private mark(rule: RuleNode, lbId: string, f: Finding): void {
    const ruleId = this.childId('rule', lbId, 'loadbalancingrules', rule.name);
    const feId = rule.frontend ? this.childId('fe', lbId, 'frontendipconfigurations', rule.frontend.name) : undefined;
    const poolIds = rule.pools.map((p) => this.poolIds.get(p)).filter((p): p is string => p !== undefined);
    const { members } = ruleMembers(rule);
    const first = members[0];
    const memberId = first ? this.memberId(first) : undefined;
    const existing = this.marks.get(ruleId);
    const where = { file: f.span.file, start: f.span.start };
    const chances = this.chances.get(ruleId) ?? new Map<string, string>();
    chances.set(this.env, chanceText(f.facts.members));
    this.chances.set(ruleId, chances);
    if (existing) {
      if (!existing.findings.some((x) => x.file === where.file && x.start === where.start)) existing.findings.push(where);
      return;
    }
    const node = this.nodeEntry(ruleId)?.node;
    if (node) node.hairpin = true;
    const firstPool = rule.pools.find((p) => p.members.includes(first as MemberNode)) ?? rule.pools[0];
    const poolId = firstPool ? this.poolIds.get(firstPool) : undefined;
    for (const id of [feId, ...poolIds]) {
      const n = id && this.nodeEntry(id)?.node;
      if (n) n.hairpin = true;
    }
    if (feId) this.flagEdge(`frontend-rule:${feId}->${ruleId}`);
    for (const p of poolIds) this.flagEdge(`rule-pool:${ruleId}->${p}`);
    for (const m of members) {
      const mid = this.memberId(m);
      const entry = this.nodes.get(mid);
      if (entry instanceof LazyMember) {
        entry.hairpin = true;
        // (An edge is drawn only where it was made: `hasPool` is asked when it is read.)
        entry.hairpinPools = entry.hairpinPools === undefined || entry.hairpinPools === poolIds ? poolIds : [...new Set([...entry.hairpinPools, ...poolIds])];
        continue;
      }
      if (entry) entry.node.hairpin = true;
      for (const p of poolIds) this.flagEdge(`pool-member:${p}->${mid}`);
    }
    const fePort = readInt(rule.frontendPort);
    const bePort = readInt(rule.backendPort);
    const memberNode = memberId ? this.nodeOf(memberId) : undefined;
    const facts: LoopFacts = {
      member: memberId,
      frontend: feId,
      rule: ruleId,
      pool: poolId,
      memberLabel: memberNode?.label ?? 'a member',
      memberIp: memberNode?.ip ?? (first?.kind === 'scale-set' ? "the instance's IP" : "the member's IP"),
      memberIsGroup: first?.kind === 'scale-set' || first?.kind === 'module',
      vip: f.facts.frontendIp ?? `the VIP of ${f.facts.frontendName}`,
      frontendPort: f.facts.haPorts ? 'any port' : typeof fePort === 'number' ? String(fePort) : '?',
      backendPort: f.facts.haPorts ? 'any port' : typeof bePort === 'number' ? String(bePort) : typeof fePort === 'number' ? String(fePort) : '?',
      protocol: f.facts.haPorts ? 'all' : (f.facts.protocol ?? '?').toUpperCase(),
      ruleName: f.facts.lbRule,
      poolName: firstPool ? display(firstPool.name) : '?',
      loadBalancer: f.facts.loadBalancer,
      members: f.facts.members,
      floatingIpRefused: floatingIpTarget(rule, members).refused,
    };
    this.marks.set(ruleId, {
      rule: ruleId,
      loadBalancer: lbId,
      frontend: feId,
      pools: poolIds,
      member: memberId,
      message: this.messages.get(`${ruleSite(f).file}\u0000${ruleSite(f).start}\u0000${f.facts.loadBalancer}\u0000${f.facts.lbRule}`) ?? f.message,
      members: f.facts.members,
      failureChance: f.facts.failureChance,
      findings: [where],
      loop: memberId && feId && poolId ? [memberId, feId, ruleId, poolId, memberId] : [feId, ruleId, poolId].filter((x): x is string => x !== undefined),
      paths: packetPaths(facts),
    });
  }

  /** The entry of a node that is not a lazy member. */
  private nodeEntry(id: string): NodeEntry | undefined {
    const entry = this.nodes.get(id);
    return entry instanceof LazyMember ? undefined : entry;
  }

  private flagEdge(id: string): void {
    const e = this.edges.get(id);
    if (e) e.hairpin = true;
  }

  /** The nodes and edges as iterables that make lazy members each time they are read. */
  finish(environments: string[]): Pick<TopologyStream, 'nodes' | 'edges' | 'groups' | 'marks'> {
    const many = environments.length > 1;
    for (const entry of this.nodes.values()) {
      if (entry instanceof LazyMember) continue;
      const { node, envs, details } = entry;
      if (many && envs.length < environments.length) node.environments = envs;
      if (envs.length > 1) node.details = mergeDetails(envs, details);
      // The hairpin mark's line: per environment when they differ (or only some have the mark).
      const chances = this.chances.get(node.id);
      if (chances) {
        const texts = new Set(chances.values());
        if (texts.size === 1 && chances.size === envs.length) node.details = [...node.details, `⚠ hairpin-prone: ${[...texts][0]}`];
        else node.details = [...node.details, ...[...chances].map(([env, text]) => `⚠ [${env}] hairpin-prone: ${text}`)];
      }
    }
    const entries = this.nodes;
    const order = this.edgeOrder;
    const made = (entry: LazyMember): TopologyNode => this.made(entry);
    const nodes = {
      *[Symbol.iterator](): Generator<TopologyNode> {
        for (const entry of entries.values()) yield entry instanceof LazyMember ? made(entry) : entry.node;
      },
    };
    const edges = order
      ? {
          *[Symbol.iterator](): Generator<TopologyEdge> {
            for (const e of order) yield e instanceof LazyMember ? lazyEdge({ pool: e.firstPool, member: e }) : 'kind' in e ? e : lazyEdge(e);
          },
        }
      : [...this.edges.values()];
    return { nodes, edges, groups: [...this.groups.values()], marks: [...this.marks.values()] };
  }
}

/** The name of the NIC configuration of a VM's or a scale set's member that holds its ipConfiguration (`?` when none does). */
function nicConfigName(m: MemberNode): string {
  const body = (m.resource as EvaluatedResource).body();
  const cfgs = m.kind === 'scale-set' ? getPath(body, 'properties', 'virtualMachineProfile', 'networkProfile', 'networkInterfaceConfigurations') : getPath(body, 'properties', 'networkProfile', 'networkInterfaceConfigurations');
  if (!Array.isArray(cfgs)) return '?';
  const cfg = cfgs.find((c) => isObject(c) && Array.isArray(getPath(c, 'properties', 'ipConfigurations')) && (getPath(c, 'properties', 'ipConfigurations') as Value[]).includes(m.ipConfig as ValueObject));
  return cfg === undefined ? '?' : display(getProp(cfg, 'name') ?? `#${cfgs.indexOf(cfg)}`);
}

/** A lazy pool-to-member edge, as `edge` and `flagEdge` would have made it. */
function lazyEdge({ pool, member }: LazyEdge): TopologyEdge {
  const edge: TopologyEdge = { id: `pool-member:${pool}->${member.id}`, kind: 'pool-member', source: pool, target: member.id };
  if (member.hairpinPools?.includes(pool)) edge.hairpin = true;
  return edge;
}

/** Details that differ between environments are labelled with them; common lines stay as they are. */
function mergeDetails(envs: string[], lists: string[][]): string[] {
  const common = (lists[0] ?? []).filter((l) => lists.every((x) => x.includes(l)));
  const out = [...common];
  envs.forEach((env, i) => {
    for (const l of lists[i] ?? []) if (!common.includes(l)) out.push(`[${env}] ${l}`);
  });
  return out;
}

function shortPorts(protocol: Value | undefined, port: Value | undefined): string {
  const p = readInt(port);
  const proto = typeof protocol === 'string' ? protocol.toUpperCase() : '?';
  if (proto === 'ALL' && p === 0) return 'all (HA)';
  return `${typeof p === 'number' ? p : '?'}/${proto}`;
}

/** One entry per member identity (a NIC in a pool through two references counts once). */
function uniqueMembers(members: MemberNode[]): MemberNode[] {
  const seen = new Set<object>();
  const out: MemberNode[] = [];
  for (const m of members) {
    const key = m.ipConfig ?? m.reference;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(m);
  }
  return out;
}
