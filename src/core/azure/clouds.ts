/**
 * The Azure clouds a deployed scan can read: their Resource Manager endpoint, the token scope
 * for it, and the portal that shows a resource.
 */
export const CLOUDS = ['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud'] as const;
export type CloudName = (typeof CLOUDS)[number];

export interface CloudEndpoints {
  /** Azure Resource Manager, e.g. https://management.azure.com (no trailing slash). */
  arm: string;
  /** The scope a token for Resource Manager is asked with. */
  scope: string;
  /** The portal's origin; undefined for a custom endpoint (Azure Stack Hub has its own portal). */
  portal: string | undefined;
}

const KNOWN: Record<CloudName, CloudEndpoints> = {
  AzureCloud: { arm: 'https://management.azure.com', scope: 'https://management.azure.com/.default', portal: 'https://portal.azure.com' },
  AzureUSGovernment: { arm: 'https://management.usgovcloudapi.net', scope: 'https://management.usgovcloudapi.net/.default', portal: 'https://portal.azure.us' },
  AzureChinaCloud: { arm: 'https://management.chinacloudapi.cn', scope: 'https://management.chinacloudapi.cn/.default', portal: 'https://portal.azure.cn' },
};

/**
 * The endpoints of a cloud, or of a custom Resource Manager endpoint (Azure Stack Hub, a proxy):
 * its token scope is `<endpoint>/.default`; it has a portal link only when the cloud is named
 * too (a proxy in front of that cloud), since Azure Stack Hub's portal has its own address.
 */
export function cloudEndpoints(cloud: CloudName | undefined, armEndpoint?: string): CloudEndpoints {
  const known = KNOWN[cloud ?? 'AzureCloud'];
  if (armEndpoint === undefined) return known;
  const arm = armEndpoint.replace(/\/+$/, '');
  return { arm, scope: `${arm}/.default`, portal: cloud !== undefined ? known.portal : undefined };
}

/** Checks a `--arm-endpoint` value: an https URL (http only for the local machine). */
export function armEndpointProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `'${value}' is not a URL (for example https://management.local.azurestack.external).`;
  }
  const local = url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && local)) return `'${value}' must be an https URL (a bearer token is sent to it).`;
  return undefined;
}

/**
 * The portal page of a resource: the resource's own page, or for a part of a load balancer (rule,
 * frontend, pool, probe, NAT rule) the load balancer's page for that kind of part.
 */
export function portalUrl(portal: string | undefined, resourceId: string): string | undefined {
  if (portal === undefined) return undefined;
  const m = /^(.*\/providers\/microsoft\.network\/loadbalancers\/[^/]+)\/(loadBalancingRules|frontendIPConfigurations|backendAddressPools|probes|inboundNatRules)\/[^/]+$/i.exec(resourceId);
  const page = m ? `${m[1]}/${bladeOf(m[2] as string)}` : `${resourceId.replace(/\/ipConfigurations\/[^/]+$/i, '')}/overview`;
  return `${portal}/#@/resource${page}`;
}

function bladeOf(collection: string): string {
  const c = collection.toLowerCase();
  if (c === 'loadbalancingrules') return 'loadBalancingRules';
  if (c === 'frontendipconfigurations') return 'frontendIPConfiguration';
  if (c === 'backendaddresspools') return 'backendPools';
  if (c === 'probes') return 'healthprobes';
  return 'inboundNatRules';
}
