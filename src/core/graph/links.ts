/**
 * What a deployment's resources can meet another deployment's by, in the graph (build.ts): the
 * resource IDs they declare and name (at the level of the top resource: a pool's or a NAT rule's
 * load balancer, an extension's VM, a subnet's virtual network) and the IP addresses they write
 * (IP-based pools are matched to NICs by address, private DNS records to frontends). Two
 * deployments that share no token cannot touch each other's part of the graph, so the workspace
 * builds the graph and runs the rules for each group of deployments that do (workspace/index.ts)
 * and, after an edit, only for the group of the edited one.
 *
 * A token too many only joins two groups (more work, the same findings); a token missing would
 * split what belongs together, so the bodies the graph reads are read whole: every string that is
 * a resource ID or an IPv4 address, and every branch of an undecided condition.
 */
import { idKey, type EvaluatedResource } from '../evaluate/resources';
import { Unknown, isObject, type Value } from '../evaluate/value';
import { GRAPH_TYPES, T_DNS_A, T_LB, T_NAT_RULE, T_NIC, T_POOL, T_VM, T_VMSS } from './build';
import { ObjectSlot } from '../slot';

/** The types whose bodies the graph reads for links (the rest link by their own ID only). */
const BODY_TYPES = new Set([T_LB, T_POOL, T_NAT_RULE, T_NIC, T_VM, T_VMSS, T_DNS_A]);

/**
 * The types the graph finds by their ID (the bodies' types, and virtual networks, subnets and
 * extensions, which name their VM or network in their ID): any other resource links nothing, and
 * its ID (its name evaluated) is not even asked for.
 */
const ID_TYPES: ReadonlySet<string> = GRAPH_TYPES;

/** Past this depth a body is not read further: its deployment then joins every other such one. */
const MAX_DEPTH = 64;
const DEEP = 'deep';
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const PROVIDERS = /\/providers\//i;

/**
 * The tokens of a deployment's resources (see the module comment): `declared`, what they are (their
 * own IDs, the addresses they write, which two deployments may both write); `named`, the IDs they
 * refer to. Two references to a resource that no deployment declares link nothing: only a
 * declaration joins deployments. Each body's tokens are kept while the body lives, unless `cache`
 * is false (a body read once, as a deployed resource's).
 */
export function linkTokens(resources: readonly LinkedResource[], options: { cache?: boolean } = {}): { declared: Set<string>; named: Set<string> } {
  const tokens = { declared: new Set<string>(), named: new Set<string>() };
  for (const r of resources) {
    const type = r.type.toLowerCase();
    if (!r.existing && ID_TYPES.has(type)) addId(tokens.declared, r.id);
    if (r.opaque || (!r.existing && BODY_TYPES.has(type))) {
      const body = r.body();
      if (options.cache === false) {
        walk(body, tokens, ADDRESS_TYPES.has(type) ? tokens.declared : tokens.named, 0, false);
        continue;
      }
      let own = BODY_TOKENS.get(body);
      if (!own) {
        const found = { declared: new Set<string>(), named: new Set<string>() };
        walk(body, found, ADDRESS_TYPES.has(type) ? found.declared : found.named, 0, false);
        own = { declared: [...found.declared], named: [...found.named] };
        BODY_TOKENS.set(body, own);
      }
      for (const t of own.declared) tokens.declared.add(t);
      for (const t of own.named) tokens.named.add(t);
    }
  }
  return tokens;
}

/** What linkTokens reads of a resource. */
export type LinkedResource = Pick<EvaluatedResource, 'type' | 'existing' | 'id' | 'opaque' | 'body'>;

/**
 * The tokens of each body read, kept with the body (see ObjectSlot): a Bicep declaration an edit
 * did not reach keeps its evaluated body, which is then not read again.
 */
const BODY_TOKENS = new ObjectSlot<{ declared: string[]; named: string[] }>('bodyTokens');

/**
 * Where an address is what the graph finds others by, it is declared: a private DNS record's (a
 * frontend's address names it) and an IP-based pool's entry (a NIC's address names it, since
 * the graph matches NICs to the entry by address). Any other address only names: two NICs, or
 * two frontends, with the same private address in two networks (every subscription's 10.0.0.4)
 * link nothing, while a NIC with an entry's address joins the entry's load balancer.
 */
const ADDRESS_TYPES = new Set([T_DNS_A]);
const POOL_ADDRESSES = 'loadbalancerbackendaddresses';

function walk(v: Value | undefined, tokens: { declared: Set<string>; named: Set<string> }, addresses: Set<string>, depth: number, isId: boolean): void {
  if (depth > MAX_DEPTH) {
    tokens.declared.add(DEEP);
    return;
  }
  if (typeof v === 'string') {
    if (isId || PROVIDERS.test(v)) addId(tokens.named, v);
    else if (IPV4.test(v)) addresses.add(`ip:${v}`);
    return;
  }
  if (v instanceof Unknown) {
    if (v.symbol !== undefined && (isId || PROVIDERS.test(v.symbol))) addId(tokens.named, v);
    for (const a of v.alternatives ?? []) walk(a, tokens, addresses, depth + 1, isId);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) walk(x, tokens, addresses, depth + 1, isId);
    return;
  }
  if (!isObject(v)) return;
  // (for-in and a length test before any lower-casing: a tenant's bodies hold millions of keys.)
  for (const k in v) {
    const isIdKey = k.length === 2 && k.toLowerCase() === 'id';
    const pool = k.length === POOL_ADDRESSES.length && k.toLowerCase() === POOL_ADDRESSES;
    walk(v[k], tokens, pool ? tokens.declared : addresses, depth + 1, isIdKey);
  }
}

function addId(out: Set<string>, id: Value | undefined): void {
  const key = idKey(id);
  if (key !== undefined) out.add(`id:${topResource(key)}`);
}

/**
 * `.../providers/<namespace>/<type>/<name>` of a resource-ID key (the top resource of a child's
 * ID); the whole key when it has no provider part. A symbol's braces may hold slashes of their
 * own (`{uniqueString(/subscriptions/...)}`): only slashes outside braces separate segments.
 */
export function topResource(key: string): string {
  if (!key.includes('{')) {
    // No symbol: the top resource ends at the fourth slash after `providers/`, if there is one.
    const p = key.startsWith('providers/') ? 0 : key.indexOf('/providers/') + 1;
    if (p === 0 && !key.startsWith('providers/')) return key;
    let end = p;
    for (let n = 0; n < 4; n++) {
      end = key.indexOf('/', end + 1);
      if (end < 0) return key;
    }
    return key.slice(0, end);
  }
  const segments: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c === 123 /* { */) depth++;
    else if (c === 125 /* } */ && depth > 0) depth--;
    else if (c === 47 /* / */ && depth === 0) {
      segments.push(key.slice(start, i));
      start = i + 1;
    }
  }
  segments.push(key.slice(start));
  const p = segments.indexOf('providers');
  return p >= 0 && segments.length >= p + 4 ? segments.slice(0, p + 4).join('/') : key;
}

/**
 * The items in groups that share no link token, each group in the order of the items, the groups
 * in the order of their first items: items that declare the same token are one group, and so are
 * an item that names a token and the item that declares it (union-find). `tokensOf` is asked
 * twice for each item (cache its answer if it is dear).
 */
export function partitionByTokens<T>(items: readonly T[], tokensOf: (item: T) => { declared: Set<string>; named: Set<string> }): T[][] {
  // (Two passes, each asking for an item's tokens again: all items' tokens at once would be held
  // together, and a tenant's hundred thousand resources name several hundred thousand IDs.)
  const parent = items.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      const up = parent[parent[i] as number] as number;
      parent[i] = up;
      i = up;
    }
    return i;
  };
  const union = (i: number, j: number): void => {
    const a = find(i);
    const b = find(j);
    if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
  };
  const declarer = new Map<string, number>();
  items.forEach((item, i) => {
    for (const t of tokensOf(item).declared) {
      const j = declarer.get(t);
      if (j === undefined) declarer.set(t, i);
      else union(i, j);
    }
  });
  items.forEach((item, i) => {
    for (const t of tokensOf(item).named) {
      const j = declarer.get(t);
      if (j !== undefined) union(i, j);
    }
  });
  const byRoot = new Map<number, T[]>();
  items.forEach((item, i) => {
    const root = find(i);
    const list = byRoot.get(root);
    if (list) list.push(item);
    else byRoot.set(root, [item]);
  });
  return [...byRoot.values()];
}
