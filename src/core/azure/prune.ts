/**
 * Keeps of a Resource Manager JSON row only what the graph and the rules read (Resource Graph
 * returns whole resources: a VM's row is mostly disks, diagnostics and OS settings). A tenant
 * of 20,000 load balancers then fits in memory with room to spare.
 */
import { isObject, type Value, type ValueObject } from '../evaluate/value';

/** A tree of the keys kept (lower case); `true` keeps the value whole. */
type Keep = { [key: string]: Keep | true };

const REF: Keep = { id: true };
const TOP: Keep = { id: true, name: true, type: true, subscriptionid: true, resourcegroup: true };
const SUB = (properties: Keep): Keep => ({ id: true, name: true, properties });

const LOAD_BALANCER: Keep = {
  ...TOP,
  sku: true,
  properties: {
    frontendipconfigurations: SUB({ privateipaddress: true, privateipallocationmethod: true, privateipaddressversion: true, subnet: REF, publicipaddress: REF, publicipprefix: REF, gatewayloadbalancer: REF }),
    backendaddresspools: SUB({ loadbalancerbackendaddresses: { name: true, properties: { ipaddress: true, virtualnetwork: REF, subnet: REF } }, backendipconfigurations: REF }),
    loadbalancingrules: SUB({ frontendipconfiguration: REF, backendaddresspool: REF, backendaddresspools: REF, probe: REF, protocol: true, frontendport: true, backendport: true, enablefloatingip: true }),
    probes: SUB({ protocol: true, port: true }),
    inboundnatrules: SUB({ frontendipconfiguration: REF, protocol: true, frontendport: true, backendport: true, enablefloatingip: true }),
  },
};

const IP_CONFIG: Keep = SUB({ primary: true, privateipaddress: true, privateipaddressversion: true, subnet: REF, loadbalancerbackendaddresspools: REF, loadbalancerinboundnatrules: REF });

const NETWORK_INTERFACE: Keep = { ...TOP, properties: { virtualmachine: REF, primary: true, ipconfigurations: IP_CONFIG } };

const OS: Keep = { osprofile: { linuxconfiguration: {}, windowsconfiguration: {} }, storageprofile: { osdisk: { ostype: true }, imagereference: true } };

const VIRTUAL_MACHINE: Keep = { ...TOP, properties: { ...OS, networkprofile: { networkinterfaces: { id: true, properties: { primary: true } } }, virtualmachinescaleset: REF } };

const SCALE_SET: Keep = {
  ...TOP,
  sku: true,
  properties: {
    orchestrationmode: true,
    virtualmachineprofile: { ...OS, networkprofile: { networkinterfaceconfigurations: { name: true, properties: { primary: true, ipconfigurations: { name: true, properties: { primary: true, subnet: REF, loadbalancerbackendaddresspools: REF } } } } } },
  },
};

const BY_TYPE: Record<string, Keep> = {
  'microsoft.network/loadbalancers': LOAD_BALANCER,
  'microsoft.network/networkinterfaces': NETWORK_INTERFACE,
  'microsoft.compute/virtualmachines': VIRTUAL_MACHINE,
  'microsoft.compute/virtualmachinescalesets': SCALE_SET,
};

function keep(v: Value, spec: Keep, intern: (s: string) => string): Value {
  if (Array.isArray(v)) return v.map((x) => keep(x, spec, intern));
  if (!isObject(v)) return v;
  // An object whose every key is kept is kept itself (its values kept in their places): the
  // parser made it the size of its keys, and a new object would be made with room for four.
  let whole = true;
  for (const k in v) {
    if (!spec[k.toLowerCase()]) {
      whole = false;
      break;
    }
  }
  const out: ValueObject = whole ? v : {};
  for (const k in v) {
    const s = spec[k.toLowerCase()];
    const x = v[k] as Value;
    if (s === true) out[k] = interned(x, intern);
    else if (s) out[k] = keep(x, s, intern);
  }
  return out;
}

/** A value kept whole, with one copy of each of its strings (an image reference in every VM). */
function interned(v: Value, intern: (s: string) => string): Value {
  if (typeof v === 'string') return intern(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = interned(v[i] as Value, intern);
  } else if (isObject(v)) {
    for (const k in v) v[k] = interned(v[k] as Value, intern);
  }
  return v;
}

/**
 * The row with only what the graph reads; a row of another type is returned as is. `intern`
 * gives one copy of each string a read meets again (a subnet's ID in each of its NICs, a pool's
 * in each rule and ipConfiguration, the type, subscription and group in every row). The row is
 * the reader's to give: an object of it whose every key is kept is kept itself, its values
 * replaced in place.
 */
export function pruneRow(row: ValueObject, intern: (s: string) => string = (s) => s): ValueObject {
  const type = row['type'];
  const spec = typeof type === 'string' ? BY_TYPE[type.toLowerCase()] : undefined;
  return spec ? (keep(row, spec, intern) as ValueObject) : row;
}
