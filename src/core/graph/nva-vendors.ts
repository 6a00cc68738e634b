/**
 * Network virtual appliance vendors, as their Azure Marketplace images and plans name them: a
 * member whose image or plan publisher (or offer) matches is a firewall or ADC that owns its VIPs
 * and rarely calls its own load balancer. Data only: add a vendor here.
 */
export interface NvaVendor {
  /** The vendor as people know it. */
  name: string;
  /** Matches a Marketplace publisher id (or an offer that names the product). */
  match: RegExp;
}

export const NVA_VENDORS: readonly NvaVendor[] = [
  { name: 'Fortinet', match: /^fortinet|fortigate|fortiadc|fortiweb/i },
  { name: 'Check Point', match: /^checkpoint|check-point/i },
  { name: 'Palo Alto Networks', match: /^paloaltonetworks|vmseries|panorama/i },
  { name: 'Barracuda', match: /^barracuda/i },
  { name: 'F5', match: /^f5-networks|f5-big-ip/i },
  { name: 'Citrix / NetScaler', match: /^citrix|netscaler/i },
  { name: 'Cisco', match: /^cisco/i },
  { name: 'Sophos', match: /^sophos/i },
  { name: 'Juniper', match: /^juniper-networks|vsrx/i },
  { name: 'VMware SD-WAN', match: /^vmware-inc.*velocloud|velocloud/i },
  { name: 'Versa Networks', match: /^versa-networks/i },
  { name: 'WatchGuard', match: /^watchguard/i },
  { name: 'Kemp / Progress', match: /^kemptech/i },
  { name: 'A10 Networks', match: /^a10networks/i },
  { name: 'Forcepoint', match: /^forcepoint/i },
  { name: 'Netgate (pfSense)', match: /^netgate/i },
  { name: 'OPNsense', match: /opnsense/i },
  { name: 'Aviatrix', match: /^aviatrix/i },
  { name: 'Hillstone', match: /^hillstone/i },
  { name: 'Radware', match: /^radware/i },
  { name: 'Silver Peak / Aruba', match: /^silver-peak|arubanetworks/i },
  { name: 'Arista', match: /^arista/i },
  { name: 'Riverbed', match: /^riverbed/i },
];
