/**
 * The network graph: load balancers with their frontends, rules, probes and pools, and the
 * members that put themselves into pools. Built from evaluated resources of any number of files.
 */
import type { EvaluatedResource } from '../evaluate/resources';
import type { Branch, Unknown, Value, ValueObject } from '../evaluate/value';

export interface LoadBalancerNode {
  resource: EvaluatedResource;
  key: string | undefined;
  name: Value;
  /** Lower-case SKU name (basic, standard, gateway) when known. */
  sku: string | undefined;
  frontends: FrontendNode[];
  pools: PoolNode[];
  rules: RuleNode[];
  natRules: NatRuleNode[];
  /** Inbound NAT pools (`inboundNatPools`, scale sets): one frontend port per instance. */
  natPools: NatRuleNode[];
  probes: ProbeNode[];
}

export interface FrontendNode {
  lb: LoadBalancerNode;
  key: string | undefined;
  name: Value;
  /** The frontend's object as written (`{ name, properties }`). */
  value: ValueObject;
  /** true for a private (subnet) frontend, false for a public one, Unknown when it cannot be told. */
  internal: boolean | Unknown;
  privateIp: Value | undefined;
  allocation: string | undefined;
  subnetId: Value | undefined;
  ipVersion: string | undefined;
}

export interface PoolNode {
  lb: LoadBalancerNode | undefined;
  /** The deployment that declares it (see EvaluatedResource.deployment). */
  deployment: string;
  key: string | undefined;
  name: Value;
  /** The pool's object as written: in the LB's `backendAddressPools`, or a child resource's body. */
  value: ValueObject;
  /** Other declarations of the same pool (a child resource besides the LB's array entry). */
  alsoDeclared: ValueObject[];
  members: MemberNode[];
}

export interface RuleNode {
  lb: LoadBalancerNode;
  name: Value;
  value: ValueObject;
  properties: ValueObject | undefined;
  frontend: FrontendNode | undefined;
  frontendRef: Value | undefined;
  pools: PoolNode[];
  protocol: Value | undefined;
  frontendPort: Value | undefined;
  backendPort: Value | undefined;
  /** false when off (also when absent), true when on, Unknown when it cannot be told. */
  floatingIp: boolean | Unknown;
  probe: ProbeNode | undefined;
}

/** An inbound NAT rule, or an inbound NAT pool (`kind: 'pool'`). */
export interface NatRuleNode {
  kind: 'rule' | 'pool';
  lb: LoadBalancerNode;
  /** The rule's resource-ID key (`.../inboundnatrules/<name>` or `.../inboundnatpools/<name>`). */
  key: string | undefined;
  name: Value;
  value: ValueObject;
  frontend: FrontendNode | undefined;
  /** The frontend port; for a pool, or a rule on a backend pool, the first port of the range. */
  frontendPort: Value | undefined;
  /** The last frontend port of the range (a NAT pool, or a NAT rule on a backend pool). */
  frontendPortEnd: Value | undefined;
  backendPort: Value | undefined;
  protocol: Value | undefined;
  floatingIp: boolean | Unknown;
  /**
   * The machines it forwards to: NIC, VM or scale-set ipConfigurations that name it in
   * `loadBalancerInboundNatRules` / `loadBalancerInboundNatPools`, or the members of the backend
   * pool a NAT rule names (`backendAddressPool`, one frontend port per member).
   */
  targets: MemberNode[];
  /** The backend pool a NAT rule names (the newer form), when it does. */
  pool: PoolNode | undefined;
}

export interface ProbeNode {
  lb: LoadBalancerNode;
  key: string | undefined;
  name: Value;
  value: ValueObject;
  protocol: Value | undefined;
  port: Value | undefined;
}

/**
 * `module`: a module (nested deployment) whose template is not read, but whose parameters put
 * something into the pool; how many instances it stands for is unknown.
 */
export type MemberKind = 'nic' | 'vm-nic-config' | 'scale-set' | 'ip-address' | 'module';

export interface MemberNode {
  kind: MemberKind;
  /** The NIC, VM or scale set resource (absent for an IP-based pool entry). */
  resource: EvaluatedResource | undefined;
  /** The VM a NIC is attached to, when the templates attach it. */
  vm: EvaluatedResource | undefined;
  /** The name a user knows it by: VM, scale set, NIC or IP address. */
  displayName: string;
  ipConfigName: Value | undefined;
  /** The ipConfiguration's `primary` flag when written. */
  ipConfigPrimary: boolean | undefined;
  privateIp: Value | undefined;
  subnetId: Value | undefined;
  /** How many backend instances this member stands for (1, or a scale set's capacity). */
  instances: number | Unknown;
  /**
   * Set when the member joins only on a condition not known here: its pool reference is the
   * choice of an undecided `if()` or `?:` (`if(empty(...), json('null'), <pools>)`).
   */
  possible?: Branch;
  /** The object that puts the member in the pool (`{ "id": ... }`), for locations. */
  reference: ValueObject;
  /** The member's ipConfiguration object, when there is one. */
  ipConfig: ValueObject | undefined;
  /** The address prefix of the member's subnet, when its virtual network is declared (read when first asked). */
  subnetPrefix?: () => Value | undefined;
  /** The member's virtual network, when it is declared (read when first asked). */
  network?: () => MemberNetwork | undefined;
  /** The VM's or scale set's other network interfaces (not this member's), for the secondary-NIC check. */
  otherNics?: { inPools: Value[] }[];
  /** The guest configuration the templates give the VM or scale set (read when first asked). */
  guest?: () => GuestConfiguration;
}

export interface GuestConfiguration {
  /** CustomScript commands, scripts and fileUris, customData and userData, decoded. */
  texts: string[];
  /** Names of CustomScript extensions the machine already has (Azure allows one per machine). */
  customScripts: string[];
  /** Names of the extensions the product's fixes added (`ilb-hairpin-...`). */
  ours: string[];
}

/** A member's virtual network: its declaration, address space and the prefixes of its subnets. */
export interface MemberNetwork {
  vnet: EvaluatedResource;
  addressSpace: Value[];
  subnetPrefixes: Value[];
}

export interface NetworkGraph {
  loadBalancers: LoadBalancerNode[];
  /** Pools by key, including pools declared as child resources of load balancers not in view. */
  pools: DeploymentIndex<PoolNode>;
  /** Pool references from members that match no known pool (kept for cross-file resolution). */
  unresolved: { member: MemberNode; poolRef: Value }[];
  /** The private DNS zones' A records: IP address -> the names that resolve to it (read when first asked). */
  dnsNames?: () => Map<string, string[]>;
}

/**
 * A multi-map by resource-ID key. Two templates may declare the same ID (two quickstarts that
 * each create `myLoadBalancer`); a reference finds the declaration of its own deployment when
 * there is one, and otherwise every declaration (each is a deployment it may meet).
 */
export class DeploymentIndex<T extends { deployment: string }> {
  private readonly map = new Map<string, T[]>();

  add(key: string, item: T): void {
    const list = this.map.get(key);
    if (list) list.push(item);
    else this.map.set(key, [item]);
  }

  find(key: string | undefined, deployment: string): T[] {
    const list = key === undefined ? undefined : this.map.get(key);
    if (!list) return [];
    const own = list.filter((x) => x.deployment === deployment);
    return own.length ? own : list;
  }

  values(): T[] {
    return [...this.map.values()].flat();
  }

  /** Every item of another index, added to this one. */
  addAll(other: DeploymentIndex<T>): void {
    for (const [key, list] of other.map) for (const item of list) this.add(key, item);
  }
}
