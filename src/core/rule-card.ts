/**
 * What a hover on a load-balancing rule (or an inbound NAT rule) shows, as plain data: its
 * frontend, pools, members, floating IP, and every finding about it, for each deployment that
 * makes the rule (a rule in a module called twice is two load balancers). The editor renders it.
 */
import { spanOf } from './evaluate/origin';
import { display, Unknown } from './evaluate/value';
import type { NatRuleNode, NetworkGraph, RuleNode } from './graph/model';
import { natMembers, portOf, ruleMembers } from './graph/query';
import { describeMember } from './rules/facts';
import { ruleSite, type Finding, type Severity } from './rules/types';
import type { SourceSpan } from './source';

export interface RuleCard {
  kind: 'load-balancing rule' | 'inbound NAT rule' | 'inbound NAT pool';
  loadBalancer: string;
  rule: string;
  /** The environment (parameter file) the graph was made with, when there are several. */
  environment?: string;
  /** `fe (10.0.0.10), internal`, or why it is not known. */
  frontend: string;
  /** `TCP 80 -> 80`, `all ports (HA ports)`, `TCP 50000-50099 -> 22`. */
  ports: string;
  pools: string[];
  /** Each member as the messages name it. */
  members: string[];
  /** `2`, `at least 1 (...)`. */
  memberCount: string;
  /** `on`, `off`, or `not known: <reason>`. */
  floatingIp: string;
  /** Every finding about this rule, with the severity the settings give it. */
  findings: { ruleId: string; severity: Severity; message: string }[];
  /** Where the rule is written. */
  span: SourceSpan;
}

/** Cards of the rules whose declaration holds `offset` in `file`, one per deployment. */
export function ruleCardsAt(graphs: readonly { environment: string; graph: NetworkGraph }[], findings: readonly Finding[], file: string, offset: number): RuleCard[] {
  const cards: RuleCard[] = [];
  const seen = new Set<string>();
  const inside = (s: SourceSpan | undefined): s is SourceSpan => !!s && s.file === file && s.start <= offset && offset <= s.end;
  for (const { environment, graph } of graphs) {
    for (const lb of graph.loadBalancers) {
      const nodes: (RuleNode | NatRuleNode)[] = [...lb.rules, ...lb.natRules, ...lb.natPools];
      // The innermost declaration that holds the offset (a rule, not the whole load balancer).
      for (const node of nodes) {
        const span = spanOf(node.value);
        if (!inside(span)) continue;
        const card = 'pools' in node ? lbRuleCard(node, span, findings) : natCard(node, span, findings);
        if (graphs.length > 1) card.environment = environment;
        const key = JSON.stringify([card.loadBalancer, card.rule, card.frontend, card.members, card.findings.map((f) => f.message)]);
        if (seen.has(key)) continue;
        seen.add(key);
        cards.push(card);
      }
    }
  }
  return cards;
}

function findingsOn(findings: readonly Finding[], span: SourceSpan, loadBalancer: string, rule: string): RuleCard['findings'] {
  return findings
    .filter((f) => {
      const site = ruleSite(f);
      return site.file === span.file && site.start >= span.start && site.end <= span.end && f.facts.loadBalancer === loadBalancer && f.facts.lbRule === rule;
    })
    .map((f) => ({ ruleId: f.ruleId, severity: f.severity, message: f.message }));
}

function frontendWords(node: RuleNode | NatRuleNode): string {
  const fe = node.frontend;
  if (!fe) return 'not known (the reference names no frontend of this load balancer that is evaluated)';
  const where = fe.internal === true ? 'internal' : fe.internal === false ? 'public' : `internal or public not known (${fe.internal.reason})`;
  const ip = typeof fe.privateIp === 'string' && fe.privateIp ? fe.privateIp : fe.internal === true ? (fe.allocation === 'static' ? 'private IP not evaluated' : 'dynamic private IP') : undefined;
  return `${display(fe.name)}${ip ? ` (${ip})` : ''}, ${where}${fe.ipVersion === 'ipv6' ? ', IPv6' : ''}`;
}

function floatingWords(v: boolean | Unknown): string {
  return v instanceof Unknown ? `not known: ${v.reason}` : v ? 'on' : 'off';
}

function countWords(m: { total: number | null; known: number; unknownCount: Unknown | undefined }): string {
  if (m.total !== null) return String(m.total);
  return `at least ${m.known} (${m.unknownCount?.reason ?? 'a count is not known'})`;
}

function portWords(protocol: unknown, from: string, to: number | null): string {
  const proto = typeof protocol === 'string' ? protocol.toUpperCase() : 'protocol not known';
  return `${proto} ${from} -> ${to ?? '?'}`;
}

function lbRuleCard(rule: RuleNode, span: SourceSpan, findings: readonly Finding[]): RuleCard {
  const m = ruleMembers(rule);
  const loadBalancer = display(rule.lb.name);
  const name = display(rule.name);
  const fePort = portOf(rule.frontendPort);
  const protocol = typeof rule.protocol === 'string' ? rule.protocol : undefined;
  const ha = protocol?.toLowerCase() === 'all' && fePort === 0;
  return {
    kind: 'load-balancing rule',
    loadBalancer,
    rule: name,
    frontend: frontendWords(rule),
    ports: ha ? 'all ports (HA ports)' : portWords(rule.protocol, fePort === null ? '?' : String(fePort), portOf(rule.backendPort)),
    pools: rule.pools.map((p) => display(p.name)),
    members: m.members.map(describeMember),
    memberCount: countWords(m),
    floatingIp: floatingWords(rule.floatingIp),
    findings: findingsOn(findings, span, loadBalancer, name),
    span,
  };
}

function natCard(nat: NatRuleNode, span: SourceSpan, findings: readonly Finding[]): RuleCard {
  const m = natMembers(nat);
  const loadBalancer = display(nat.lb.name);
  const name = display(nat.name);
  const start = portOf(nat.frontendPort);
  const from = nat.frontendPortEnd !== undefined ? `${start ?? '?'}-${portOf(nat.frontendPortEnd) ?? '?'}` : String(start ?? '?');
  return {
    kind: nat.kind === 'pool' ? 'inbound NAT pool' : 'inbound NAT rule',
    loadBalancer,
    rule: name,
    frontend: frontendWords(nat),
    ports: portWords(nat.protocol, from, portOf(nat.backendPort)),
    pools: nat.pool ? [display(nat.pool.name)] : [],
    members: m.members.map(describeMember),
    memberCount: countWords(m),
    floatingIp: floatingWords(nat.floatingIp),
    findings: findingsOn(findings, span, loadBalancer, name),
    span,
  };
}
