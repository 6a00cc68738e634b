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
import { T_DNS_A, T_LB, T_NAT_RULE, T_NIC, T_POOL, T_SUBNET, T_VM, T_VM_EXT, T_VMSS, T_VMSS_EXT, T_VNET } from './build';

/** The types whose bodies the graph reads for links (the rest link by their own ID only). */
const BODY_TYPES = new Set([T_LB, T_POOL, T_NAT_RULE, T_NIC, T_VM, T_VMSS, T_DNS_A]);

/**
 * The types the graph finds by their ID (the bodies' types, and virtual networks, subnets and
 * extensions, which name their VM or network in their ID): any other resource links nothing, and
 * its ID (its name evaluated) is not even asked for.
 */
const ID_TYPES = new Set([...BODY_TYPES, T_VNET, T_SUBNET, T_VM_EXT, T_VMSS_EXT]);

/** Past this depth a body is not read further: its deployment then joins every other such one. */
const MAX_DEPTH = 64;
const DEEP = 'deep';
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const PROVIDERS = /\/providers\//i;

/**
 * The tokens of a deployment's resources (see the module comment): `declared`, what they are (their
 * own IDs, the addresses they write, which two deployments may both write); `named`, the IDs they
 * refer to. Two references to a resource that no deployment declares link nothing: only a
 * declaration joins deployments.
 */
export function linkTokens(resources: readonly EvaluatedResource[]): { declared: Set<string>; named: Set<string> } {
  const tokens = { declared: new Set<string>(), named: new Set<string>() };
  for (const r of resources) {
    const type = r.type.toLowerCase();
    if (!r.existing && ID_TYPES.has(type)) addId(tokens.declared, r.id);
    if (r.opaque || (!r.existing && BODY_TYPES.has(type))) {
      const body = r.body();
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

/**
 * The tokens of each body read: a Bicep declaration an edit did not reach keeps its evaluated
 * body, which is then not read again.
 */
const BODY_TOKENS = new WeakMap<object, { declared: string[]; named: string[] }>();

/**
 * The types whose addresses the graph finds others by: a NIC's (an IP-based pool's entry names
 * it) and a private DNS record's (a frontend's address names it). Any other body's addresses
 * (frontends, pool entries) only name: two frontends with the same private address in two
 * networks link nothing.
 */
const ADDRESS_TYPES = new Set([T_NIC, T_DNS_A]);

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
  for (const k of Object.keys(v)) walk(v[k], tokens, addresses, depth + 1, k.toLowerCase() === 'id');
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
