/**
 * Builds the network graph from evaluated resources. Membership is declared on the member side
 * (NIC ipConfigurations, VM-managed NIC configurations, scale set profiles) and matched to pools
 * by resource ID, case-insensitively; IP-based pools list addresses on the pool itself.
 */
import type { FrontendIPConfiguration, LoadBalancer, LoadBalancingRule, NetworkInterfaceIPConfiguration } from '@azure/arm-network';
import type { EvaluatedResource } from '../evaluate/resources';
import { idKey, joinParts } from '../evaluate/resources';
import { decodeBase64Text } from '../base64';
import { Unknown, branchesOf, display, getPath, getProp, isObject, type Branch, type Value, type ValueObject } from '../evaluate/value';
import { DeploymentIndex } from './model';
import { readBool, readInt } from './query';
import type {
  FrontendNode,
  GuestConfiguration,
  MemberNetwork,
  LoadBalancerNode,
  MemberKind,
  MemberNode,
  NatRuleNode,
  NetworkGraph,
  PoolNode,
  ProbeNode,
  RuleNode,
} from './model';

/**
 * Property names as Azure's network model spells them (the SDK flattens `properties`), so that a
 * misspelt key is a compile error rather than a silently missed member.
 */
const lbKey = (k: keyof LoadBalancer & string): string => k;
const ruleKey = (k: keyof LoadBalancingRule & string): string => k;
const ipConfigKey = (k: keyof NetworkInterfaceIPConfiguration & string): string => k;
const frontendKey = (k: keyof FrontendIPConfiguration & string): string => k;

/** The resource types the graph reads (lower case), by their role; links.ts reads the same ones. */
export const T_LB = 'microsoft.network/loadbalancers';
export const T_POOL = 'microsoft.network/loadbalancers/backendaddresspools';
export const T_NAT_RULE = 'microsoft.network/loadbalancers/inboundnatrules';
export const T_NIC = 'microsoft.network/networkinterfaces';
export const T_VM = 'microsoft.compute/virtualmachines';
export const T_VMSS = 'microsoft.compute/virtualmachinescalesets';
export const T_VNET = 'microsoft.network/virtualnetworks';
export const T_SUBNET = 'microsoft.network/virtualnetworks/subnets';
export const T_VM_EXT = 'microsoft.compute/virtualmachines/extensions';
export const T_VMSS_EXT = 'microsoft.compute/virtualmachinescalesets/extensions';
export const T_DNS_A = 'microsoft.network/privatednszones/a';

/** The types buildGraph reads (the rest it never looks at); links.ts finds the same ones by their ID. */
export const GRAPH_TYPES = new Set([T_LB, T_POOL, T_NAT_RULE, T_NIC, T_VM, T_VMSS, T_VNET, T_SUBNET, T_VM_EXT, T_VMSS_EXT, T_DNS_A]);

/** readByGraph's answers by type as written. */
const TYPE_READ = new Map<string, boolean>();

/**
 * Does buildGraph read this resource? The graph of a list of resources is the graph of those it
 * reads, in their order: a deployment whose edit changed only other resources has the same graph.
 */
export function readByGraph(r: Pick<EvaluatedResource, 'type' | 'existing' | 'opaque'>): boolean {
  if (r.opaque !== undefined) return true;
  if (r.existing) return false;
  // (By the type as written: a template names a few types, each many times.)
  let read = TYPE_READ.get(r.type);
  if (read === undefined) {
    if (TYPE_READ.size >= 1024) TYPE_READ.clear();
    TYPE_READ.set(r.type, (read = GRAPH_TYPES.has(r.type.toLowerCase())));
  }
  return read;
}

function arrayOf(v: Value | undefined): Value[] {
  return Array.isArray(v) ? v : [];
}

function objectsOf(v: Value | undefined): ValueObject[] {
  return arrayOf(v).filter(isObject);
}

/**
 * The objects of a list, also when the list is the choice of an undecided condition
 * (`if(cond, json('null'), [...])`): those of each branch, marked possible with the condition.
 */
function possibleObjectsOf(v: Value | undefined): { value: ValueObject; possible?: Branch }[] {
  return branchesOf(v).flatMap(({ value, branch }) => objectsOf(value).map((o) => (branch ? { value: o, possible: branch } : { value: o })));
}

function props(v: Value | undefined): ValueObject | undefined {
  const p = getProp(v, 'properties');
  return isObject(p) ? p : undefined;
}

/** A sub-resource's ID: the parent's ID plus `/<collection>/<name>`. */
function childKey(parentId: Value, collection: string, name: Value | undefined): string | undefined {
  if (name === undefined) return undefined;
  return idKey(joinParts([parentId, `/${collection}/`, name]));
}

/** The `id` of a `{ "id": ... }` reference, or a bare string. */
function refId(v: Value | undefined): Value | undefined {
  if (typeof v === 'string' || v instanceof Unknown) return v;
  return getProp(v, 'id');
}

/**
 * How many backend instances one resource declaration stands for: `per` for each deployed copy
 * (1 for a NIC or VM, the capacity of a scale set). Unknown when the copy count, or whether the
 * resource is deployed at all, cannot be evaluated.
 */
function instancesOf(r: EvaluatedResource, per: number | Unknown): number | Unknown {
  const what = `${r.type.split('/').pop() ?? 'resource'} ${display(leafName(r.name))}`;
  if (r.copy && !r.copy.countKnown) return new Unknown(`the number of copies of ${what} is not known`);
  if (r.condition instanceof Unknown) return new Unknown(`whether ${what} is deployed depends on ${r.condition.text ?? 'its condition'}`);
  return per;
}

function lowerString(v: Value | undefined): string | undefined {
  return typeof v === 'string' ? v.toLowerCase() : undefined;
}

function displayName(v: Value): string {
  return display(v);
}

/** The last segment of a name (`lb/pool` -> `pool`). */
function leafName(v: Value): Value {
  return typeof v === 'string' ? (v.split('/').pop() as string) : v;
}

export function buildGraph(resources: readonly EvaluatedResource[]): NetworkGraph {
  const graph: NetworkGraph = { loadBalancers: [], pools: new DeploymentIndex(), unresolved: [] };
  const lbs = new DeploymentIndex<LoadBalancerNode & { deployment: string }>();
  const vmOfNic = new DeploymentIndex<{ deployment: string; vm: EvaluatedResource }>();
  const byType = new Map<string, EvaluatedResource[]>();
  for (const r of resources) {
    if (r.existing) continue;
    const t = r.type.toLowerCase();
    let list = byType.get(t);
    if (!list) byType.set(t, (list = []));
    list.push(r);
  }

  for (const r of byType.get(T_LB) ?? []) {
    const lb = loadBalancerNode(r, graph);
    graph.loadBalancers.push(lb);
    if (lb.key) lbs.add(lb.key, Object.assign(lb, { deployment: r.deployment }));
  }

  // Pools declared as child resources: merged into the LB's own entry of the same name, if any.
  for (const r of byType.get(T_POOL) ?? []) {
    const key = idKey(r.id);
    const body = r.body();
    const declared = key ? graph.pools.find(key, r.deployment).find((p) => p.deployment === r.deployment) : undefined;
    if (declared) {
      declared.alsoDeclared.push(body);
      continue;
    }
    const lbKey = key?.replace(/\/backendaddresspools\/[^/]+$/, '');
    const lb = lbs.find(lbKey, r.deployment)[0];
    const pool: PoolNode = { lb, deployment: r.deployment, key, name: leafName(r.name), value: body, alsoDeclared: [], members: [] };
    if (lb) lb.pools.push(pool);
    if (key) graph.pools.add(key, pool);
  }
  // Rules can only be linked to child-resource pools once those exist.
  for (const lb of graph.loadBalancers) for (const rule of lb.rules) linkRulePools(rule, graph);

  // Inbound NAT rules declared as child resources, and every NAT rule and pool by ID, for the
  // ipConfigurations that name them.
  for (const r of byType.get(T_NAT_RULE) ?? []) {
    const key = idKey(r.id);
    const lb = lbs.find(key?.replace(/\/inboundnatrules\/[^/]+$/, ''), r.deployment)[0];
    if (!lb || lb.natRules.some((n) => n.key === key)) continue;
    lb.natRules.push(natNode(lb, r.body(), 'rule', key, leafName(r.name)));
  }
  const nats = new DeploymentIndex<{ deployment: string; nat: NatRuleNode }>();
  for (const lb of graph.loadBalancers) {
    for (const nat of [...lb.natRules, ...lb.natPools]) {
      if (nat.key) nats.add(nat.key, { deployment: lb.resource.deployment, nat });
      const poolRef = nat.kind === 'rule' ? refId(getProp(props(nat.value), 'backendAddressPool')) : undefined;
      if (poolRef !== undefined && poolRef !== null) nat.pool = graph.pools.find(idKey(poolRef), lb.resource.deployment)[0];
    }
  }

  for (const vm of byType.get(T_VM) ?? []) {
    for (const nicRef of objectsOf(getPath(vm.body(), 'properties', 'networkProfile', 'networkInterfaces'))) {
      const key = idKey(refId(nicRef));
      if (key) vmOfNic.add(key, { deployment: vm.deployment, vm });
    }
  }
  const vmFor = (nic: EvaluatedResource): EvaluatedResource | undefined => vmOfNic.find(idKey(nic.id), nic.deployment)[0]?.vm;

  const addMember = (owner: EvaluatedResource, poolRef: ValueObject, member: Omit<MemberNode, 'reference'>): void => {
    // An ID chosen by an undecided condition: a possible member of each pool it may name.
    for (const { value: id, branch } of branchesOf(refId(poolRef))) {
      if (id === null && branch) continue;
      const possible = member.possible ?? branch;
      // (Object.assign, not a spread: a spread's copy had a hidden class of its own in V8.)
      const m: MemberNode = Object.assign({}, member, possible ? { possible } : {}, { reference: poolRef }, SURROUNDINGS);
      const pools = graph.pools.find(idKey(id), owner.deployment);
      for (const pool of pools) pool.members.push(m);
      if (!pools.length) graph.unresolved.push({ member: m, poolRef: id ?? null });
    }
  };

  const ipConfigMembers = (
    kind: MemberKind,
    resource: EvaluatedResource,
    ipConfigs: ValueObject[],
    instances: number | Unknown,
    vm: EvaluatedResource | undefined,
    nameOf: string,
  ): void => {
    // An ipConfiguration is primary when it says so, or, when none says so, if it is the first.
    const declared = ipConfigs.map((ipc) => readBool(getProp(props(ipc), 'primary'), false));
    const anyDeclared = declared.some((d) => d === true);
    ipConfigs.forEach((ipc, index) => {
      const p = props(ipc);
      const primary = anyDeclared ? declared[index] === true : index === 0;
      const member = (): Omit<MemberNode, 'reference'> => ({
        kind,
        resource,
        vm,
        displayName: nameOf,
        ipConfigName: getProp(ipc, 'name'),
        ipConfigPrimary: primary,
        privateIp: getProp(p, ipConfigKey('privateIPAddress')),
        subnetId: refId(getProp(p, ipConfigKey('subnet'))),
        instances,
        ipConfig: ipc,
      });
      for (const { value: poolRef, possible } of possibleObjectsOf(getProp(p, ipConfigKey('loadBalancerBackendAddressPools')))) {
        addMember(resource, poolRef, { ...member(), ...(possible ? { possible } : {}) });
      }
      // Inbound NAT rules (NICs, VMs) and NAT pools (scale sets) this ipConfiguration is the target of.
      const natRefs = [...possibleObjectsOf(getProp(p, ipConfigKey('loadBalancerInboundNatRules'))), ...possibleObjectsOf(getProp(p, 'loadBalancerInboundNatPools'))];
      for (const { value: natRef, possible } of natRefs) {
        for (const { value: id, branch } of branchesOf(refId(natRef))) {
          const when = possible ?? branch;
          for (const { nat } of nats.find(idKey(id), resource.deployment)) nat.targets.push({ ...member(), ...(when ? { possible: when } : {}), reference: natRef });
        }
      }
    });
  };

  for (const nic of byType.get(T_NIC) ?? []) {
    const ipConfigs = objectsOf(getPath(nic.body(), 'properties', 'ipConfigurations'));
    ipConfigMembers('nic', nic, ipConfigs, instancesOf(nic, 1), vmFor(nic), displayName(leafName(nic.name)));
  }
  for (const vm of byType.get(T_VM) ?? []) {
    for (const cfg of objectsOf(getPath(vm.body(), 'properties', 'networkProfile', 'networkInterfaceConfigurations'))) {
      const ipConfigs = objectsOf(getPath(cfg, 'properties', 'ipConfigurations'));
      ipConfigMembers('vm-nic-config', vm, ipConfigs, instancesOf(vm, 1), vm, displayName(leafName(vm.name)));
    }
  }
  for (const ss of byType.get(T_VMSS) ?? []) {
    const capacity = readInt(getPath(ss.body(), 'sku', 'capacity'));
    const instances = instancesOf(ss, capacity === undefined ? new Unknown(`scale set ${displayName(leafName(ss.name))} has no sku.capacity`) : capacity);
    const cfgs = objectsOf(getPath(ss.body(), 'properties', 'virtualMachineProfile', 'networkProfile', 'networkInterfaceConfigurations'));
    for (const cfg of cfgs) {
      const ipConfigs = objectsOf(getPath(cfg, 'properties', 'ipConfigurations'));
      ipConfigMembers('scale-set', ss, ipConfigs, instances, undefined, displayName(leafName(ss.name)));
    }
  }

  // Modules that are not read: any pool reference in the parameters they are given.
  for (const r of resources) {
    if (!r.opaque) continue;
    const reason = r.opaque.reason;
    for (const { poolRef, ipConfig } of poolReferencesIn(r.body(), 0)) {
      addMember(r, poolRef, {
        kind: 'module',
        resource: r,
        vm: undefined,
        displayName: `${r.symbolicName ?? displayName(r.name)} (${r.opaque.path})`,
        ipConfigName: getProp(ipConfig, 'name'),
        ipConfigPrimary: undefined,
        privateIp: undefined,
        subnetId: undefined,
        instances: new Unknown(reason),
        ipConfig,
      });
    }
  }

  // IP-based pools: addresses listed on the pool itself, matched to NICs by private IP.
  const nicByIp = new DeploymentIndex<{ deployment: string; nic: EvaluatedResource; ipConfig: ValueObject }>();
  for (const nic of byType.get(T_NIC) ?? []) {
    for (const ipc of objectsOf(getPath(nic.body(), 'properties', 'ipConfigurations'))) {
      const ip = getPath(ipc, 'properties', 'privateIPAddress');
      if (typeof ip === 'string') nicByIp.add(ip, { deployment: nic.deployment, nic, ipConfig: ipc });
    }
  }
  for (const pool of graph.pools.values()) {
    for (const decl of [pool.value, ...pool.alsoDeclared]) {
      for (const entry of objectsOf(getPath(decl, 'properties', 'loadBalancerBackendAddresses'))) {
        const ip = getPath(entry, 'properties', 'ipAddress');
        if (ip === undefined || ip === null) continue;
        const owner = typeof ip === 'string' ? sameNetwork(nicByIp.find(ip, pool.deployment), entry) : undefined;
        const vm = owner ? vmFor(owner.nic) : undefined;
        pool.members.push({
          kind: 'ip-address',
          resource: owner?.nic,
          vm,
          displayName: vm ? displayName(leafName(vm.name)) : owner ? displayName(leafName(owner.nic.name)) : displayName(ip),
          ipConfigName: owner ? getProp(owner.ipConfig, 'name') : undefined,
          ipConfigPrimary: undefined,
          privateIp: ip,
          subnetId: refId(getPath(entry, 'properties', 'subnet')),
          instances: 1,
          reference: entry,
          ipConfig: owner?.ipConfig,
          ...SURROUNDINGS,
        });
      }
    }
  }
  for (const lb of graph.loadBalancers) for (const nat of lb.natRules) if (nat.pool) nat.targets.push(...nat.pool.members);
  describeSurroundings(graph, byType);
  graph.dnsNames = lazyDnsNames(byType.get(T_DNS_A) ?? []);
  return graph;
}

/**
 * What describeSurroundings sets on a member later, present from the start: a property added
 * afterwards with a function value gives each member a hidden class of its own in V8 (a tenant's
 * 40,000 members held about 15 MB of them).
 */
const SURROUNDINGS: Pick<MemberNode, 'subnetPrefix' | 'network' | 'otherNics' | 'guest'> = { subnetPrefix: undefined, network: undefined, otherNics: undefined, guest: undefined };

/**
 * Of the NICs with an IP-based pool entry's address, the one in the entry's virtual network: the
 * same private address is used again in other networks (every subscription's 10.0.0.4). Where
 * the entry's network or a NIC's is not known, the address alone decides (the first NIC).
 */
function sameNetwork<T extends { ipConfig: ValueObject }>(candidates: T[], entry: ValueObject): T | undefined {
  const props = getProp(entry, 'properties');
  const wanted = networkKey(refId(getProp(props, 'virtualNetwork'))) ?? networkKey(refId(getProp(props, 'subnet')));
  if (wanted === undefined || candidates.length < 2) return candidates[0];
  const networkOf = (c: T): string | undefined => networkKey(refId(getPath(c.ipConfig, 'properties', 'subnet')));
  return candidates.find((c) => networkOf(c) === wanted) ?? candidates.find((c) => networkOf(c) === undefined) ?? candidates[0];
}

/** The virtual network's key of a network's or a subnet's resource ID (a string ID only). */
function networkKey(id: Value | undefined): string | undefined {
  if (typeof id !== 'string') return undefined;
  return idKey(id)?.replace(/\/subnets\/[^/]+$/, '');
}

/**
 * The DNS names, read when first asked. (A function of its own: a closure made in buildGraph would
 * keep buildGraph's indexes of every resource alive as long as the graph.)
 */
function lazyDnsNames(records: EvaluatedResource[]): () => Map<string, string[]> {
  let dns: Map<string, string[]> | undefined;
  return () => (dns ??= privateDnsNames(records));
}

/**
 * One graph of the graphs of groups of deployments that share nothing the graph links by (see
 * links.ts): the same graph as buildGraph of all their resources, in the groups' order. The pools
 * and the DNS names are joined when first asked for.
 */
export function mergeGraphs(parts: readonly NetworkGraph[]): NetworkGraph {
  if (parts.length === 1) return parts[0] as NetworkGraph;
  let pools: DeploymentIndex<PoolNode> | undefined;
  let unresolved: NetworkGraph['unresolved'] | undefined;
  let dns: Map<string, string[]> | undefined;
  return {
    loadBalancers: parts.flatMap((g) => g.loadBalancers),
    get pools(): DeploymentIndex<PoolNode> {
      if (!pools) {
        pools = new DeploymentIndex<PoolNode>();
        for (const g of parts) pools.addAll(g.pools);
      }
      return pools;
    },
    get unresolved(): NetworkGraph['unresolved'] {
      return (unresolved ??= parts.flatMap((g) => g.unresolved));
    },
    dnsNames: () => {
      if (dns) return dns;
      dns = new Map();
      for (const g of parts) for (const [ip, names] of g.dnsNames?.() ?? []) dns.set(ip, [...(dns.get(ip) ?? []), ...names]);
      return dns;
    },
  };
}


/**
 * What the fixes and the mitigation checks need around each member: its subnet's prefix, the
 * VM's (or scale set's) other NICs and the pools they are in, and the guest configuration text
 * the templates give the machine.
 */
function describeSurroundings(
  graph: NetworkGraph,
  byType: Map<string, EvaluatedResource[]>,
): void {
  // (The closures left on the members keep this function's variables alive: only these lists.)
  const vnets = byType.get(T_VNET) ?? [];
  const subnets = byType.get(T_SUBNET) ?? [];
  // Subnet prefixes are read only when a fix asks for one (not on every keystroke's analysis).
  let prefixes: DeploymentIndex<{ deployment: string; prefix: Value }> | undefined;
  const prefixIndex = (): DeploymentIndex<{ deployment: string; prefix: Value }> => {
    if (prefixes) return prefixes;
    const index = new DeploymentIndex<{ deployment: string; prefix: Value }>();
    const prefixOf = (subnet: Value | undefined): Value | undefined => getProp(props(subnet), 'addressPrefix') ?? arrayOf(getProp(props(subnet), 'addressPrefixes'))[0];
    for (const vnet of vnets) {
      for (const subnet of objectsOf(getPath(vnet.body(), 'properties', 'subnets'))) {
        const key = childKey(vnet.id, 'subnets', getProp(subnet, 'name'));
        const prefix = prefixOf(subnet);
        if (key && prefix !== undefined) index.add(key, { deployment: vnet.deployment, prefix });
      }
    }
    for (const subnet of subnets) {
      const key = idKey(subnet.id);
      const prefix = prefixOf(subnet.body());
      if (key && prefix !== undefined) index.add(key, { deployment: subnet.deployment, prefix });
    }
    return (prefixes = index);
  };
  // The virtual network of a subnet: its address space and every subnet's prefix (inline and child subnets).
  const networkOf = (vnetKey: string, deployment: string): MemberNetwork | undefined => {
    const vnet = (vnets).filter((v) => idKey(v.id) === vnetKey).sort((a, b) => Number(b.deployment === deployment) - Number(a.deployment === deployment))[0];
    if (!vnet) return undefined;
    const prefixOf = (subnet: Value | undefined): Value[] => {
      const one = getProp(props(subnet), 'addressPrefix');
      return one !== undefined ? [one] : arrayOf(getProp(props(subnet), 'addressPrefixes'));
    };
    const subnetPrefixes = objectsOf(getPath(vnet.body(), 'properties', 'subnets')).flatMap(prefixOf);
    for (const subnet of subnets) if (idKey(subnet.id)?.startsWith(`${vnetKey}/subnets/`)) subnetPrefixes.push(...prefixOf(subnet.body()));
    return { vnet, addressSpace: arrayOf(getPath(vnet.body(), 'properties', 'addressSpace', 'addressPrefixes')), subnetPrefixes };
  };
  const nicsById = new DeploymentIndex<{ deployment: string; nic: EvaluatedResource }>();
  for (const nic of byType.get(T_NIC) ?? []) {
    const key = idKey(nic.id);
    if (key) nicsById.add(key, { deployment: nic.deployment, nic });
  }
  const extensionsOf = new DeploymentIndex<{ deployment: string; ext: EvaluatedResource }>();
  for (const ext of [...(byType.get(T_VM_EXT) ?? []), ...(byType.get(T_VMSS_EXT) ?? [])]) {
    const key = idKey(ext.id)?.replace(/\/extensions\/[^/]+$/, '');
    if (key) extensionsOf.add(key, { deployment: ext.deployment, ext });
  }
  const guests = new Map<EvaluatedResource, GuestConfiguration>();
  const guestOf = (machine: EvaluatedResource): GuestConfiguration => {
    const known = guests.get(machine);
    if (known) return known;
    const g: GuestConfiguration = { texts: [], customScripts: [], ours: [] };
    const body = machine.body();
    const profile = getPath(body, 'properties', 'virtualMachineProfile') ?? getProp(body, 'properties');
    g.texts.push(...decodedGuestText(getPath(profile, 'osProfile', 'customData'), 'base64'));
    g.texts.push(...decodedGuestText(getProp(profile, 'userData'), 'base64'));
    const extension = (name: Value | undefined, p: ValueObject | undefined): void => {
      for (const which of ['settings', 'protectedSettings']) {
        const s = getProp(p, which);
        g.texts.push(...decodedGuestText(getProp(s, 'commandToExecute'), 'command'), ...decodedGuestText(getProp(s, 'script'), 'base64'));
        g.texts.push(...arrayOf(getProp(s, 'fileUris')).filter((u): u is string => typeof u === 'string'));
      }
      const type = getProp(p, 'type');
      // The product's own extensions, by the last segment of their name (also when the VM's part
      // of the name is only partly known: `vm-{uniqueString(...)}/ilb-hairpin-loopback`).
      const leaf = /(?:^|\/)(ilb-hairpin-[a-z0-9-]+)$/i.exec(displayName(name ?? null))?.[1] ?? displayName(leafName(name ?? null));
      if (/^ilb-hairpin-/i.test(leaf)) g.ours.push(leaf);
      else if (typeof type === 'string' && /^customscript(extension|forlinux)?$/i.test(type)) g.customScripts.push(leaf);
    };
    for (const ext of objectsOf(getPath(profile, 'extensionProfile', 'extensions'))) extension(getProp(ext, 'name'), props(ext));
    for (const { ext } of extensionsOf.find(idKey(machine.id), machine.deployment)) extension(ext.name, props(ext.body()));
    guests.set(machine, g);
    return g;
  };

  const seen = new Set<MemberNode>();
  const members = [
    ...graph.pools.values().flatMap((p) => p.members),
    ...graph.unresolved.map((u) => u.member),
    ...graph.loadBalancers.flatMap((lb) => [...lb.natRules, ...lb.natPools].flatMap((n) => n.targets)),
  ];
  // Members of one subnet and deployment share its two functions (a pool can have 40,000 members
  // in one subnet): by deployment, then by the subnet's ID as written, then by its key.
  const surroundings = new Map<string, Map<unknown, Pick<MemberNode, 'subnetPrefix' | 'network'> | undefined>>();
  const keys = new Map<string, Map<string, Pick<MemberNode, 'subnetPrefix' | 'network'> | undefined>>();
  const surroundingsOf = (subnetId: Value | undefined, deployment: string): Pick<MemberNode, 'subnetPrefix' | 'network'> | undefined => {
    let written = surroundings.get(deployment);
    if (!written) surroundings.set(deployment, (written = new Map()));
    const id = typeof subnetId === 'string' ? subnetId : (subnetId ?? null);
    if (written.has(id)) return written.get(id);
    const subnetKey = idKey(subnetId);
    let byKey = keys.get(deployment);
    if (!byKey) keys.set(deployment, (byKey = new Map()));
    const made = subnetKey === undefined || subnetKey === ''
      ? undefined
      : byKey.has(subnetKey)
        ? byKey.get(subnetKey)
        : {
            subnetPrefix: () => prefixIndex().find(subnetKey, deployment)[0]?.prefix,
            network: () => networkOf(subnetKey.replace(/\/subnets\/[^/]+$/, ''), deployment),
          };
    if (subnetKey) byKey.set(subnetKey, made);
    written.set(id, made);
    return made;
  };
  for (const m of members) {
    if (seen.has(m)) continue;
    seen.add(m);
    const around = surroundingsOf(m.subnetId, m.resource?.deployment ?? '');
    if (around) {
      m.subnetPrefix = around.subnetPrefix;
      m.network = around.network;
    }
    const machine = m.kind === 'scale-set' ? m.resource : m.vm;
    if (!machine) continue;
    m.guest = () => guestOf(machine);
    const others = otherNicsOf(m, machine, nicsById);
    if (others) m.otherNics = others;
  }
  // (The members' functions keep this function's variables alive: not these maps' entries.)
  surroundings.clear();
  keys.clear();
}

/** The VM's (or scale set's) other network interfaces than the member's, and the pools they are in. */
function otherNicsOf(m: MemberNode, machine: EvaluatedResource, nicsById: DeploymentIndex<{ deployment: string; nic: EvaluatedResource }>): MemberNode['otherNics'] {
  if (m.kind === 'nic' || m.kind === 'ip-address') {
    const own = idKey(m.resource?.id);
    return objectsOf(getPath(machine.body(), 'properties', 'networkProfile', 'networkInterfaces'))
      .map((ref) => idKey(refId(ref)))
      .filter((key): key is string => !!key && key !== own)
      .map((key) => {
        const nic = nicsById.find(key, machine.deployment)[0]?.nic;
        return { inPools: nic ? poolsOfConfigs(objectsOf(getPath(nic.body(), 'properties', 'ipConfigurations'))) : [null] };
      });
  }
  if (m.kind === 'vm-nic-config' || m.kind === 'scale-set') {
    const profile = m.kind === 'scale-set' ? getPath(machine.body(), 'properties', 'virtualMachineProfile') : getProp(machine.body(), 'properties');
    return objectsOf(getPath(profile, 'networkProfile', 'networkInterfaceConfigurations'))
      .map((cfg) => objectsOf(getPath(cfg, 'properties', 'ipConfigurations')))
      .filter((ipConfigs) => !m.ipConfig || !ipConfigs.includes(m.ipConfig))
      .map((ipConfigs) => ({ inPools: poolsOfConfigs(ipConfigs) }));
  }
  return undefined;
}

function poolsOfConfigs(ipConfigs: ValueObject[]): Value[] {
  return ipConfigs.flatMap((ipc) => objectsOf(getProp(props(ipc), ipConfigKey('loadBalancerBackendAddressPools'))).map((ref) => refId(ref) ?? null));
}

/** The A records of the private DNS zones declared: IP address -> the names that resolve to it. */
function privateDnsNames(records: EvaluatedResource[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    if (typeof r.name !== 'string') continue;
    const [zone, record] = r.name.split('/');
    if (!zone || !record) continue;
    const fqdn = record === '@' ? zone : `${record}.${zone}`;
    for (const a of objectsOf(getPath(r.body(), 'properties', 'aRecords'))) {
      const ip = getProp(a, 'ipv4Address');
      if (typeof ip === 'string') out.set(ip, [...(out.get(ip) ?? []), fqdn.toLowerCase()]);
    }
  }
  return out;
}

/** Guest configuration as text: base64 decoded, a PowerShell `-EncodedCommand` decoded too. */
function decodedGuestText(v: Value | undefined, how: 'base64' | 'command'): string[] {
  if (typeof v !== 'string' || v === '') return [];
  if (how === 'command') {
    // PowerShell takes any prefix of -EncodedCommand (-e, -en, -enc, ...) and -ec.
    let encoded: string | undefined;
    for (const m of v.matchAll(/(?:^|\s)-(ec|e[a-z]*)\s+([A-Za-z0-9+/=]+)/gi)) {
      const flag = (m[1] ?? '').toLowerCase();
      if (flag === 'ec' || 'encodedcommand'.startsWith(flag)) {
        encoded = m[2];
        break;
      }
    }
    const decoded = encoded ? decodeBase64Text(encoded, 'utf-16le') : undefined;
    return decoded ? [v, decoded] : [v];
  }
  const decoded = /^[A-Za-z0-9+/=\s]+$/.test(v) ? decodeBase64Text(v, 'utf-8') : undefined;
  return [decoded ?? v];
}


/** `loadBalancerBackendAddressPools` entries anywhere in a value (the parameters of a module). */
function poolReferencesIn(v: Value, depth: number): { poolRef: ValueObject; ipConfig: ValueObject }[] {
  if (depth > 40) return [];
  if (Array.isArray(v)) return v.flatMap((x) => poolReferencesIn(x, depth + 1));
  if (!isObject(v)) return [];
  const out: { poolRef: ValueObject; ipConfig: ValueObject }[] = [];
  for (const [k, x] of Object.entries(v)) {
    if (k.toLowerCase() === 'loadbalancerbackendaddresspools') {
      for (const ref of objectsOf(x)) out.push({ poolRef: ref, ipConfig: v });
    } else {
      out.push(...poolReferencesIn(x, depth + 1));
    }
  }
  return out;
}

function loadBalancerNode(r: EvaluatedResource, graph: NetworkGraph): LoadBalancerNode {
  const body = r.body();
  const p = props(body);
  const lb: LoadBalancerNode = {
    resource: r,
    key: idKey(r.id),
    name: r.name,
    sku: lowerString(getPath(body, 'sku', 'name')),
    frontends: [],
    pools: [],
    rules: [],
    natRules: [],
    natPools: [],
    probes: [],
  };
  for (const fe of objectsOf(getProp(p, lbKey('frontendIPConfigurations')))) lb.frontends.push(frontendNode(lb, fe));
  for (const pv of objectsOf(getProp(p, lbKey('backendAddressPools')))) {
    const key = childKey(r.id, 'backendAddressPools', getProp(pv, 'name'));
    const pool: PoolNode = { lb, deployment: r.deployment, key, name: getProp(pv, 'name') ?? null, value: pv, alsoDeclared: [], members: [] };
    lb.pools.push(pool);
    if (key) graph.pools.add(key, pool);
  }
  for (const pv of objectsOf(getProp(p, lbKey('probes')))) {
    const pp = props(pv);
    lb.probes.push({
      lb,
      key: childKey(r.id, 'probes', getProp(pv, 'name')),
      name: getProp(pv, 'name') ?? null,
      value: pv,
      protocol: getProp(pp, 'protocol'),
      port: getProp(pp, 'port'),
    });
  }
  const frontendFor = (ref: Value | undefined): FrontendNode | undefined => {
    const key = idKey(refId(ref));
    if (key) return lb.frontends.find((f) => f.key === key);
    // A rule on a load balancer with a single frontend whose ID cannot be computed still uses it
    // only if the reference is missing entirely (ARM requires it, so that is a broken template).
    return undefined;
  };
  for (const rv of objectsOf(getProp(p, lbKey('loadBalancingRules')))) {
    const rp = props(rv);
    const frontendRef = getProp(rp, ruleKey('frontendIPConfiguration'));
    const probeKey = idKey(refId(getProp(rp, ruleKey('probe'))));
    lb.rules.push({
      lb,
      name: getProp(rv, 'name') ?? null,
      value: rv,
      properties: rp,
      frontend: frontendFor(frontendRef),
      frontendRef: refId(frontendRef),
      pools: [],
      protocol: getProp(rp, ruleKey('protocol')),
      frontendPort: getProp(rp, ruleKey('frontendPort')),
      backendPort: getProp(rp, ruleKey('backendPort')),
      floatingIp: readBool(getProp(rp, ruleKey('enableFloatingIP')), false),
      probe: probeKey ? lb.probes.find((x: ProbeNode) => x.key === probeKey) : undefined,
    });
  }
  for (const nv of objectsOf(getProp(p, lbKey('inboundNatRules')))) lb.natRules.push(natNode(lb, nv, 'rule', childKey(r.id, 'inboundNatRules', getProp(nv, 'name'))));
  for (const nv of objectsOf(getProp(p, lbKey('inboundNatPools')))) lb.natPools.push(natNode(lb, nv, 'pool', childKey(r.id, 'inboundNatPools', getProp(nv, 'name'))));
  return lb;
}

/** An inbound NAT rule or pool (`{ name, properties }`); its targets are added by the members. */
function natNode(lb: LoadBalancerNode, nv: ValueObject, kind: 'rule' | 'pool', key: string | undefined, name?: Value): NatRuleNode {
  const np = props(nv);
  const feKey = idKey(refId(getProp(np, 'frontendIPConfiguration')));
  const ranged = kind === 'pool' || getProp(np, 'frontendPortRangeStart') !== undefined;
  return {
    kind,
    lb,
    key,
    name: name ?? getProp(nv, 'name') ?? null,
    value: nv,
    frontend: feKey ? lb.frontends.find((f) => f.key === feKey) : undefined,
    frontendPort: ranged ? getProp(np, 'frontendPortRangeStart') : getProp(np, 'frontendPort'),
    frontendPortEnd: ranged ? getProp(np, 'frontendPortRangeEnd') : undefined,
    backendPort: getProp(np, 'backendPort'),
    protocol: getProp(np, 'protocol'),
    floatingIp: readBool(getProp(np, 'enableFloatingIP'), false),
    targets: [],
    pool: undefined,
  };
}

function frontendNode(lb: LoadBalancerNode, fe: ValueObject): FrontendNode {
  const p = getProp(fe, 'properties');
  const name = getProp(fe, 'name') ?? null;
  const node: FrontendNode = {
    lb,
    key: childKey(lb.resource.id, 'frontendIPConfigurations', name),
    name,
    value: fe,
    internal: new Unknown('the frontend has no properties'),
    privateIp: undefined,
    allocation: undefined,
    subnetId: undefined,
    ipVersion: undefined,
  };
  if (p instanceof Unknown) {
    node.internal = p;
    return node;
  }
  if (!isObject(p)) return node;
  const present = (k: string): boolean => {
    const v = getProp(p, k);
    return v !== undefined && v !== null;
  };
  node.privateIp = getProp(p, frontendKey('privateIPAddress'));
  node.allocation = lowerString(getProp(p, frontendKey('privateIPAllocationMethod')));
  node.subnetId = refId(getProp(p, frontendKey('subnet')));
  node.ipVersion = lowerString(getProp(p, frontendKey('privateIPAddressVersion')));
  if (present(frontendKey('publicIPAddress')) || present(frontendKey('publicIPPrefix'))) node.internal = false;
  else if (present(frontendKey('subnet')) || present(frontendKey('privateIPAddress'))) node.internal = true;
  else if (present(frontendKey('gatewayLoadBalancer'))) node.internal = false;
  else node.internal = new Unknown('the frontend names neither a subnet nor a public IP');
  return node;
}

function linkRulePools(rule: RuleNode, graph: NetworkGraph): void {
  const refs: Value[] = [];
  const single = getProp(rule.properties, ruleKey('backendAddressPool'));
  if (single !== undefined && single !== null) refs.push(refId(single) ?? null);
  for (const r of arrayOf(getProp(rule.properties, ruleKey('backendAddressPools')))) refs.push(refId(r) ?? null);
  const seen = new Set<PoolNode>();
  for (const ref of refs) {
    for (const pool of graph.pools.find(idKey(ref), rule.lb.resource.deployment)) {
      if (seen.has(pool)) continue;
      seen.add(pool);
      rule.pools.push(pool);
    }
  }
}
