/**
 * The Azure SDK's models are flattened (`lb.frontendIPConfigurations`); Resource Manager's JSON,
 * which templates, Resource Graph rows and the network graph speak, keeps `properties`
 * (`lb.properties.frontendIPConfigurations`). These functions put what the graph reads back
 * where the REST API has it; the SDK's types make a misspelt property a compile error.
 */
import type {
  BackendAddressPool,
  FrontendIPConfiguration,
  InboundNatRule,
  LoadBalancer,
  LoadBalancerBackendAddress,
  LoadBalancingRule,
  NetworkInterface,
  NetworkInterfaceIPConfiguration,
  Probe,
  SubResource,
} from '@azure/arm-network';
import type { VirtualMachine, VirtualMachineScaleSet } from '@azure/arm-compute';
import type { Value, ValueObject } from '../evaluate/value';

/** An object without its undefined entries (JSON has none). */
function obj(entries: Record<string, Value | undefined>): ValueObject {
  const out: ValueObject = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}

function ref(r: SubResource | undefined): ValueObject | undefined {
  return r ? obj({ id: r.id }) : undefined;
}

function refs(list: SubResource[] | undefined): ValueObject[] | undefined {
  return list?.map((r) => obj({ id: r.id }));
}

/** A child resource (`{ id, name, properties }`). */
function child(item: { id?: string; name?: string }, properties: Record<string, Value | undefined>): ValueObject {
  return obj({ id: item.id, name: item.name, properties: obj(properties) });
}

export function loadBalancerJson(lb: LoadBalancer): ValueObject {
  return obj({
    id: lb.id,
    name: lb.name,
    type: lb.type ?? 'Microsoft.Network/loadBalancers',
    location: lb.location,
    sku: lb.sku ? obj({ name: lb.sku.name, tier: lb.sku.tier }) : undefined,
    properties: obj({
      frontendIPConfigurations: lb.frontendIPConfigurations?.map(frontendJson),
      backendAddressPools: lb.backendAddressPools?.map(poolJson),
      loadBalancingRules: lb.loadBalancingRules?.map(ruleJson),
      probes: lb.probes?.map((p: Probe) => child(p, { protocol: p.protocol, port: p.port, requestPath: p.requestPath })),
      inboundNatRules: lb.inboundNatRules?.map((n: InboundNatRule) =>
        child(n, {
          frontendIPConfiguration: ref(n.frontendIPConfiguration),
          protocol: n.protocol,
          frontendPort: n.frontendPort,
          backendPort: n.backendPort,
          enableFloatingIP: n.enableFloatingIP,
          backendIPConfiguration: ref(n.backendIPConfiguration),
        }),
      ),
    }),
  });
}

function frontendJson(f: FrontendIPConfiguration): ValueObject {
  return child(f, {
    privateIPAddress: f.privateIPAddress,
    privateIPAllocationMethod: f.privateIPAllocationMethod,
    privateIPAddressVersion: f.privateIPAddressVersion,
    subnet: ref(f.subnet),
    publicIPAddress: ref(f.publicIPAddress),
    publicIPPrefix: ref(f.publicIPPrefix),
    gatewayLoadBalancer: ref(f.gatewayLoadBalancer),
  });
}

function poolJson(p: BackendAddressPool): ValueObject {
  return child(p, {
    loadBalancerBackendAddresses: p.loadBalancerBackendAddresses?.map((a: LoadBalancerBackendAddress) =>
      obj({
        name: a.name,
        properties: obj({ ipAddress: a.ipAddress, virtualNetwork: ref(a.virtualNetwork), subnet: ref(a.subnet), networkInterfaceIPConfiguration: ref(a.networkInterfaceIPConfiguration) }),
      }),
    ),
    backendIPConfigurations: refs(p.backendIPConfigurations),
  });
}

function ruleJson(r: LoadBalancingRule): ValueObject {
  return child(r, {
    frontendIPConfiguration: ref(r.frontendIPConfiguration),
    backendAddressPool: ref(r.backendAddressPool),
    backendAddressPools: refs(r.backendAddressPools),
    probe: ref(r.probe),
    protocol: r.protocol,
    frontendPort: r.frontendPort,
    backendPort: r.backendPort,
    enableFloatingIP: r.enableFloatingIP,
  });
}

export function networkInterfaceJson(nic: NetworkInterface): ValueObject {
  return obj({
    id: nic.id,
    name: nic.name,
    type: nic.type ?? 'Microsoft.Network/networkInterfaces',
    properties: obj({
      virtualMachine: ref(nic.virtualMachine),
      primary: nic.primary,
      ipConfigurations: nic.ipConfigurations?.map((c: NetworkInterfaceIPConfiguration) =>
        child(c, {
          primary: c.primary,
          privateIPAddress: c.privateIPAddress,
          privateIPAddressVersion: c.privateIPAddressVersion,
          subnet: ref(c.subnet),
          loadBalancerBackendAddressPools: refs(c.loadBalancerBackendAddressPools),
          loadBalancerInboundNatRules: refs(c.loadBalancerInboundNatRules),
        }),
      ),
    }),
  });
}

export function virtualMachineJson(vm: VirtualMachine): ValueObject {
  const os = vm.osProfile;
  return obj({
    id: vm.id,
    name: vm.name,
    type: vm.type ?? 'Microsoft.Compute/virtualMachines',
    properties: obj({
      networkProfile: obj({ networkInterfaces: vm.networkProfile?.networkInterfaces?.map((n) => obj({ id: n.id, properties: obj({ primary: n.primary }) })) }),
      storageProfile: obj({ osDisk: obj({ osType: vm.storageProfile?.osDisk?.osType }) }),
      osProfile: os ? obj({ linuxConfiguration: os.linuxConfiguration ? {} : undefined, windowsConfiguration: os.windowsConfiguration ? {} : undefined }) : undefined,
      virtualMachineScaleSet: ref(vm.virtualMachineScaleSet),
    }),
  });
}

export function scaleSetJson(ss: VirtualMachineScaleSet): ValueObject {
  const profile = ss.virtualMachineProfile;
  const os = profile?.osProfile;
  return obj({
    id: ss.id,
    name: ss.name,
    type: ss.type ?? 'Microsoft.Compute/virtualMachineScaleSets',
    sku: ss.sku ? obj({ name: ss.sku.name, capacity: ss.sku.capacity }) : undefined,
    properties: obj({
      orchestrationMode: ss.orchestrationMode,
      virtualMachineProfile: obj({
        networkProfile: obj({
          networkInterfaceConfigurations: profile?.networkProfile?.networkInterfaceConfigurations?.map((cfg) =>
            obj({
              name: cfg.name,
              properties: obj({
                primary: cfg.primary,
                ipConfigurations: cfg.ipConfigurations?.map((ipc) =>
                  obj({ name: ipc.name, properties: obj({ primary: ipc.primary, subnet: ref(ipc.subnet), loadBalancerBackendAddressPools: refs(ipc.loadBalancerBackendAddressPools) }) }),
                ),
              }),
            }),
          ),
        }),
        storageProfile: obj({ osDisk: obj({ osType: profile?.storageProfile?.osDisk?.osType }) }),
        osProfile: os ? obj({ linuxConfiguration: os.linuxConfiguration ? {} : undefined, windowsConfiguration: os.windowsConfiguration ? {} : undefined }) : undefined,
      }),
    }),
  });
}
