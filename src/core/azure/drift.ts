/**
 * Drift: where a deployed load balancer differs from the workspace template that deploys it, for
 * what the hairpin depends on (floating IP, the rules' pools, the pools and their members). Both
 * sides are graph nodes reduced to the same plain shape, then compared. Plain data, no editor.
 */
import { idKey } from '../evaluate/resources';
import { spanOf } from '../evaluate/origin';
import { display, Unknown, type Value } from '../evaluate/value';
import type { LoadBalancerNode, MemberNode } from '../graph/model';
import type { SourceSpan } from '../source';

export interface MemberShape {
  /** The VM, scale set, NIC or address it is known by (lower case for comparing in `key`). */
  name: string;
  /** undefined when the name cannot be told (a template value known only at deployment). */
  key: string | undefined;
  /** Instances it stands for; undefined when unknown. */
  instances: number | undefined;
  span: SourceSpan | undefined;
}

export interface PoolShape {
  name: string;
  key: string | undefined;
  members: MemberShape[];
  span: SourceSpan | undefined;
}

export interface RuleShape {
  name: string;
  key: string | undefined;
  /** undefined when it cannot be told (a template value known only at deployment). */
  floatingIp: boolean | undefined;
  /** The rule's pools by name key. */
  pools: string[];
  /** false when a pool's name is known only at deployment (the pools are then not compared). */
  poolsKnown: boolean;
  span: SourceSpan | undefined;
}

export interface LoadBalancerShape {
  name: string;
  /** The ID key: the full resource ID in lower case, or for a template a key relative to its deployment's scope. */
  idKey: string | undefined;
  span: SourceSpan;
  rules: RuleShape[];
  pools: PoolShape[];
}

const known = (v: Value | undefined): string | undefined => (typeof v === 'string' ? v.toLowerCase() : undefined);
const leaf = (v: Value | undefined): Value | undefined => (typeof v === 'string' ? v.split('/').pop() : v);

function memberShape(m: MemberNode): MemberShape {
  const named = m.kind === 'ip-address' && !m.resource ? m.privateIp : leaf((m.vm ?? m.resource)?.name);
  return {
    name: m.vm ? display(leaf(m.vm.name)) : m.displayName,
    key: m.kind === 'module' ? undefined : known(named),
    instances: typeof m.instances === 'number' ? m.instances : undefined,
    span: m.resource?.span ?? spanOf(m.reference),
  };
}

/** The shape of a load balancer node (of a template's graph or of the deployed graph). */
export function loadBalancerShape(lb: LoadBalancerNode): LoadBalancerShape {
  return {
    name: display(leaf(lb.name)),
    idKey: idKey(lb.resource.id),
    span: lb.resource.span,
    rules: lb.rules.map((r) => ({
      name: display(r.name),
      key: known(r.name),
      floatingIp: r.floatingIp instanceof Unknown ? undefined : r.floatingIp,
      pools: r.pools.flatMap((p) => (known(p.name) ? [known(leaf(p.name)) as string] : [])),
      poolsKnown: r.pools.every((p) => known(p.name) !== undefined),
      span: spanOf(r.value),
    })),
    pools: lb.pools.map((p) => ({ name: display(leaf(p.name)), key: known(leaf(p.name)), members: p.members.map(memberShape), span: spanOf(p.value) })),
  };
}

export type MatchKind = 'resource ID' | 'name and resource group' | 'name';

export interface TemplateMatch {
  template: LoadBalancerShape;
  by: MatchKind;
}

const LB_KEY = /^(?:\/subscriptions\/([^/{}]+))?(?:\/resourcegroups\/([^/{}]+))?\/providers\/microsoft\.network\/loadbalancers\/([^/{}]+)$/;

/**
 * The templates that deploy a deployed load balancer: the same resource ID when the template
 * fixes it; else the same name and resource group when the template names the group; else the
 * same name, when the template deploys into whatever group it is deployed to. Only the strongest
 * kind of match found is returned (one template may be found twice, ARM and Bicep, say).
 */
export function matchTemplates(deployedId: string, templates: readonly LoadBalancerShape[]): TemplateMatch[] {
  const d = LB_KEY.exec(deployedId.toLowerCase().replace(/\/+$/, ''));
  if (!d) return [];
  const [, sub, rg, name] = d;
  const found: TemplateMatch[] = [];
  const seen = new Set<string>();
  for (const t of templates) {
    const m = t.idKey !== undefined ? LB_KEY.exec(t.idKey) : null;
    if (!m || m[3] !== name) continue;
    const where = `${t.span.file}#${t.span.start}`;
    if (seen.has(where)) continue;
    seen.add(where);
    if (m[1] !== undefined && m[2] !== undefined) {
      if (m[1] === sub && m[2] === rg) found.push({ template: t, by: 'resource ID' });
    } else if (m[2] !== undefined) {
      if (m[2] === rg) found.push({ template: t, by: 'name and resource group' });
    } else if (m[1] === undefined) {
      found.push({ template: t, by: 'name' });
    }
  }
  const rank: MatchKind[] = ['resource ID', 'name and resource group', 'name'];
  const best = rank.find((k) => found.some((f) => f.by === k));
  return found.filter((f) => f.by === best);
}

export type DriftKind = 'floating-ip' | 'rule' | 'rule-pools' | 'pool' | 'members';

export interface DriftItem {
  kind: DriftKind;
  message: string;
  /** Where the template says it (the rule, pool or load balancer), when it has a place. */
  template: SourceSpan | undefined;
}

const onOff = (b: boolean): string => (b ? 'on' : 'off');
const names = (list: string[]): string => list.join(', ');

function byKey<T extends { key: string | undefined }>(list: T[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const x of list) if (x.key !== undefined && !m.has(x.key)) m.set(x.key, x);
  return m;
}

/** Where the deployed load balancer differs from the template, for floating IP, pools and members. */
export function driftOf(template: LoadBalancerShape, deployed: LoadBalancerShape): DriftItem[] {
  const out: DriftItem[] = [];
  const tRules = byKey(template.rules);
  const dRules = byKey(deployed.rules);
  const tPools = byKey(template.pools);
  const dPools = byKey(deployed.pools);
  const poolName = (key: string): string => dPools.get(key)?.name ?? tPools.get(key)?.name ?? key;

  for (const [key, d] of dRules) {
    const t = tRules.get(key);
    if (!t) {
      out.push({ kind: 'rule', message: `rule ${d.name} is deployed but not in the template`, template: template.span });
      continue;
    }
    if (t.floatingIp !== undefined && d.floatingIp !== undefined && t.floatingIp !== d.floatingIp) {
      out.push({ kind: 'floating-ip', message: `rule ${d.name}: floating IP is ${onOff(d.floatingIp)} in Azure, ${onOff(t.floatingIp)} in the template`, template: t.span ?? template.span });
    }
    const tp = [...new Set(t.pools)].sort();
    const dp = [...new Set(d.pools)].sort();
    if (t.poolsKnown && tp.join('|') !== dp.join('|')) {
      out.push({ kind: 'rule-pools', message: `rule ${d.name}: sends to pool ${names(dp.map(poolName)) || '(none)'} in Azure, ${names(tp.map(poolName)) || '(none)'} in the template`, template: t.span ?? template.span });
    }
  }
  for (const [key, t] of tRules) if (!dRules.has(key)) out.push({ kind: 'rule', message: `rule ${t.name} is in the template but not deployed`, template: t.span ?? template.span });

  for (const [key, d] of dPools) {
    const t = tPools.get(key);
    if (!t) {
      out.push({ kind: 'pool', message: `pool ${d.name} is deployed but not in the template (${count(d.members)})`, template: template.span });
      continue;
    }
    out.push(...memberDrift(t, d));
  }
  for (const [key, t] of tPools) if (!dPools.has(key)) out.push({ kind: 'pool', message: `pool ${t.name} is in the template but not deployed`, template: t.span ?? template.span });
  return out;
}

function count(members: MemberShape[]): string {
  const n = members.reduce((s, m) => s + (m.instances ?? 0), 0);
  const unknown = members.some((m) => m.instances === undefined);
  return `${unknown ? 'at least ' : ''}${n} member${n === 1 && !unknown ? '' : 's'}`;
}

function memberDrift(t: PoolShape, d: PoolShape): DriftItem[] {
  const at = t.span;
  const tKnown = t.members.every((m) => m.key !== undefined);
  if (tKnown) {
    const tm = byKey(t.members);
    const dm = byKey(d.members);
    const onlyAzure = [...dm].filter(([k]) => !tm.has(k)).map(([, m]) => m.name);
    const onlyTemplate = [...tm].filter(([k]) => !dm.has(k)).map(([, m]) => m.name);
    const out: DriftItem[] = [];
    if (onlyAzure.length || onlyTemplate.length) {
      const parts = [...(onlyAzure.length ? [`in Azure, not in the template: ${names(onlyAzure)}`] : []), ...(onlyTemplate.length ? [`in the template, not deployed: ${names(onlyTemplate)}`] : [])];
      out.push({ kind: 'members', message: `pool ${d.name}: members ${parts.join('; ')}`, template: at });
    }
    // The same members, but a scale set with another instance count.
    for (const [k, m] of dm) {
      const other = tm.get(k);
      if (other && other.instances !== undefined && m.instances !== undefined && other.instances !== m.instances) {
        out.push({ kind: 'members', message: `pool ${d.name}: ${m.name} has ${m.instances} instance${m.instances === 1 ? '' : 's'} in Azure, ${other.instances} in the template`, template: other.span ?? at });
      }
    }
    return out;
  }
  // Template members whose names are known only at deployment: compare how many there are.
  const tn = t.members.some((m) => m.instances === undefined) ? undefined : t.members.reduce((s, m) => s + (m.instances as number), 0);
  const dn = d.members.reduce((s, m) => s + (m.instances ?? 0), 0);
  if (tn !== undefined && tn !== dn) return [{ kind: 'members', message: `pool ${d.name}: ${dn} member${dn === 1 ? '' : 's'} in Azure, ${tn} in the template`, template: at }];
  return [];
}
