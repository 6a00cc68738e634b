/**
 * The packet walks of a hairpin-prone rule, as the seed tells them: the failing path (member ->
 * frontend VIP -> DNAT -> back to the same member with its own address as source -> no SYN-ACK)
 * and the path after each fix (floating IP with the VIP on the loopback, a secondary NIC, an NGINX
 * NVA). Addresses are the template's when it fixes them, otherwise named for what they are.
 */
import type { PacketPath } from './model';

/** What the walks of one rule need to know, already in words. */
export interface LoopFacts {
  /** Node ids. */
  member: string | undefined;
  frontend: string | undefined;
  rule: string;
  pool: string | undefined;
  memberLabel: string;
  /** The member's private IP, or words for it ("its NIC IP"). */
  memberIp: string;
  /** A scale set, a module or an IP entry: the walk follows one instance. */
  memberIsGroup: boolean;
  /** The frontend IP, or words for it. */
  vip: string;
  /** `80`, or `any port` for HA ports. */
  frontendPort: string;
  backendPort: string;
  protocol: string;
  ruleName: string;
  poolName: string;
  loadBalancer: string;
  /** Backend instances; null when unknown. */
  members: number | null;
  /** Why the floating-IP fix cannot be applied here, when it cannot. */
  floatingIpRefused: string | undefined;
}

function withPort(ip: string, port: string): string {
  return port === 'any port' ? `${ip} (any port)` : `${ip}:${port}`;
}

export function chanceText(members: number | null): string {
  if (members === null) return '1 in N calls fail (N unknown)';
  if (members <= 1) return 'every call fails';
  return `1 in ${members} calls fail`;
}

export function packetPaths(f: LoopFacts): PacketPath[] {
  return [failing(f), floatingIp(f), secondaryNic(f), nginxNva(f), appGateway(f)];
}

/** The member as a party of a walk: one instance of a scale set or module. */
function one(f: LoopFacts): string {
  return f.memberIsGroup ? `${f.memberLabel} (one instance)` : f.memberLabel;
}

function failing(f: LoopFacts): PacketPath {
  const vip = withPort(f.vip, f.frontendPort);
  const hashed =
    f.members === 1
      ? `${f.ruleName} sends it to pool ${f.poolName}, whose only member is the caller`
      : `${f.ruleName} hashes the flow to pool ${f.poolName}: ${f.members === null ? '1 in N' : `1 in ${f.members}`} lands on the caller itself`;
  return {
    kind: 'failing',
    title: 'Failing path: the hairpin',
    summary:
      `The load balancer rewrites the destination but not the source: the member gets its own SYN from its own address, ` +
      `never answers, and the call times out (${chanceText(f.members)}).`,
    outcome: 'fails',
    participants: [
      { id: 'client', label: one(f), detail: `client · ${f.memberIp}`, ...(f.member ? { node: f.member } : {}) },
      { id: 'vip', label: `frontend ${f.vip}`, detail: `${f.loadBalancer}`, ...(f.frontend ? { node: f.frontend } : {}) },
      { id: 'rule', label: `rule ${f.ruleName}`, detail: `${f.protocol} ${f.frontendPort} → ${f.backendPort}, DNAT`, node: f.rule },
      { id: 'server', label: one(f), detail: `server · ${f.memberIp}, the same machine`, ...(f.member ? { node: f.member } : {}) },
    ],
    steps: [
      { from: 'client', to: 'vip', label: 'the member calls its own load balancer', packet: { what: 'SYN', src: f.memberIp, dst: vip } },
      { from: 'vip', to: 'rule', label: hashed },
      {
        from: 'rule',
        to: 'server',
        label: 'DNAT: destination rewritten to the member, source kept',
        packet: { what: 'SYN', src: f.memberIp, dst: withPort(f.memberIp, f.backendPort) },
      },
      {
        from: 'server',
        to: 'client',
        label: `no SYN-ACK: ${f.memberIp} → ${f.memberIp} matches no connection the guest opened (it called ${f.vip}); the halves of the flow never meet`,
        outcome: 'fail',
      },
    ],
    notes: [
      'Calls from outside the pool work: only a member calling its own frontend is hashed back to itself.',
      f.members === null ? 'How many members there are is not known, so neither is the chance.' : `With ${f.members} member${f.members === 1 ? '' : 's'}: ${chanceText(f.members)}.`,
    ],
  };
}

function floatingIp(f: LoopFacts): PacketPath {
  return {
    kind: 'floating-ip',
    title: 'Fix: floating IP + VIP on the loopback',
    summary: `The member holds ${f.vip} on its loopback: its call to the VIP is on-link and served by itself, never leaving the machine.`,
    outcome: 'works',
    participants: [
      { id: 'client', label: one(f), detail: `client · ${f.memberIp}`, ...(f.member ? { node: f.member } : {}) },
      { id: 'loopback', label: `loopback ${f.vip}`, detail: 'the VIP on the member (added)', ...(f.member ? { anchor: f.member } : {}), proposed: true },
      { id: 'app', label: one(f), detail: `the application, on ${f.vip} and ${f.memberIp}`, ...(f.member ? { node: f.member } : {}) },
    ],
    steps: [
      { from: 'client', to: 'loopback', label: `the route to ${f.vip} is on-link: the VIP is a local address`, packet: { what: 'SYN', src: f.memberIp, dst: withPort(f.vip, f.frontendPort) } },
      { from: 'loopback', to: 'app', label: 'delivered locally, without the load balancer' },
      { from: 'app', to: 'client', label: 'SYN-ACK: the flow matches; the call succeeds', packet: { what: 'SYN-ACK', src: withPort(f.vip, f.frontendPort), dst: f.memberIp }, outcome: 'ok' },
    ],
    notes: [
      `With floating IP (DSR) on rule ${f.ruleName}, packets from other clients reach the member with ${f.vip} still as their destination: the application must listen on the VIP.`,
      `Health probes still reach the NIC's own address (${f.memberIp}): keep listening there too.`,
      'A member calling the VIP is always served by itself, never by another member.',
      'Windows: enable weak host send/receive on the NIC and the loopback adapter.',
    ],
    ...(f.floatingIpRefused ? { unavailable: f.floatingIpRefused } : {}),
  };
}

function secondaryNic(f: LoopFacts): PacketPath {
  const vip = withPort(f.vip, f.frontendPort);
  return {
    kind: 'secondary-nic',
    title: 'Fix: a secondary NIC',
    summary: `The member calls ${f.vip} from a second NIC that is not in the pool, so the SYN it may get back comes from another address and is answered.`,
    outcome: 'works',
    participants: [
      { id: 'nic2', label: 'NIC2 (added)', detail: `of ${one(f)}, not in the pool`, ...(f.member ? { anchor: f.member } : {}), proposed: true },
      { id: 'vip', label: `frontend ${f.vip}`, detail: f.loadBalancer, ...(f.frontend ? { node: f.frontend } : {}) },
      { id: 'rule', label: `rule ${f.ruleName}`, detail: 'DNAT', node: f.rule },
      { id: 'nic1', label: `${one(f)} NIC1`, detail: `${f.memberIp}, in the pool`, ...(f.member ? { node: f.member } : {}) },
    ],
    steps: [
      { from: 'nic2', to: 'vip', label: `a static route in the guest sends traffic for ${f.vip} out of NIC2`, packet: { what: 'SYN', src: "NIC2's IP", dst: vip } },
      { from: 'vip', to: 'rule', label: `hashed to pool ${f.poolName} (it may be the caller itself)` },
      { from: 'rule', to: 'nic1', label: "DNAT to the member's primary NIC; source kept", packet: { what: 'SYN', src: "NIC2's IP", dst: withPort(f.memberIp, f.backendPort) } },
      {
        from: 'nic1',
        to: 'nic2',
        label: 'the source is another address, so the guest answers; the platform un-NATs the reply to come from the VIP',
        packet: { what: 'SYN-ACK', src: vip, dst: "NIC2's IP" },
        outcome: 'ok',
      },
    ],
    notes: [
      'NIC2 must not join the pool.',
      `In the guest: a host route for ${f.vip}/32 via NIC2's subnet gateway (Windows: route add ${f.vip} mask 255.255.255.255 <gateway> if <NIC2>).`,
      'The VM size must allow two NICs; a scale set needs a second NIC configuration.',
    ],
  };
}

function nginxNva(f: LoopFacts): PacketPath {
  return {
    kind: 'nginx-nva',
    title: 'Fix: an NGINX NVA in front',
    summary: `Clients (the members too) call an NGINX tier, which proxies to the members' own addresses: no member is ever handed its own SYN.`,
    outcome: 'works',
    participants: [
      { id: 'client', label: one(f), detail: `client · ${f.memberIp}`, ...(f.member ? { node: f.member } : {}) },
      { id: 'nva', label: 'NVA frontend', detail: 'an internal load balancer in front of NGINX (added)', proposed: true, ...(f.frontend ? { anchor: f.frontend } : {}) },
      { id: 'nginx', label: 'NGINX', detail: 'two instances (added)', proposed: true, ...(f.frontend ? { anchor: f.frontend } : {}) },
      { id: 'server', label: one(f), detail: `upstream server · ${f.memberIp}`, ...(f.member ? { node: f.member } : {}) },
    ],
    steps: [
      { from: 'client', to: 'nva', label: 'the member calls the NVA frontend', packet: { what: 'SYN', src: f.memberIp, dst: withPort('NVA VIP', f.frontendPort) } },
      { from: 'nva', to: 'nginx', label: 'balanced across the NGINX instances' },
      { from: 'nginx', to: 'server', label: `proxy_pass to the member's own address (upstream { server ${f.memberIp}; })`, packet: { what: 'SYN', src: 'NGINX IP', dst: withPort(f.memberIp, f.backendPort) } },
      { from: 'server', to: 'nginx', label: 'SYN-ACK to NGINX: another machine, so the flow matches', packet: { what: 'SYN-ACK', src: withPort(f.memberIp, f.backendPort), dst: 'NGINX IP' }, outcome: 'ok' },
      { from: 'nginx', to: 'client', label: "the response over the client's own connection to the NVA", outcome: 'ok' },
    ],
    notes: [
      'NGINX upstream lists every member by IP (one server line each).',
      'An extra tier costs compute and has its own scale and performance limits; Application Gateway does the same for HTTP/S.',
    ],
  };
}

function appGateway(f: LoopFacts): PacketPath {
  return {
    kind: 'app-gateway',
    title: 'Fix: an Application Gateway in front (HTTP/S)',
    summary: `Clients (the members too) call an Application Gateway's private frontend; the gateway opens its own connection to a member's address: no member is ever handed its own SYN.`,
    outcome: 'works',
    participants: [
      { id: 'client', label: one(f), detail: `client · ${f.memberIp}`, ...(f.member ? { node: f.member } : {}) },
      { id: 'appgw', label: 'Application Gateway', detail: 'v2, private frontend, own subnet (added)', proposed: true, ...(f.frontend ? { anchor: f.frontend } : {}) },
      { id: 'server', label: one(f), detail: `backend · ${f.memberIp}`, ...(f.member ? { node: f.member } : {}) },
    ],
    steps: [
      { from: 'client', to: 'appgw', label: "the member calls the gateway's private frontend (a listener per mirrored rule)", packet: { what: 'SYN', src: f.memberIp, dst: withPort('gateway private IP', f.frontendPort) } },
      { from: 'appgw', to: 'server', label: "a routing rule sends the request to the backend pool: the member's own address", packet: { what: 'SYN', src: 'gateway instance IP', dst: withPort(f.memberIp, f.backendPort) } },
      { from: 'server', to: 'appgw', label: 'SYN-ACK to the gateway instance: another machine, so the flow matches', packet: { what: 'SYN-ACK', src: withPort(f.memberIp, f.backendPort), dst: 'gateway instance IP' }, outcome: 'ok' },
      { from: 'appgw', to: 'client', label: "the response over the client's own connection to the gateway", outcome: 'ok' },
    ],
    notes: [
      'HTTP and HTTPS only; the health probe is mirrored from the load balancer (HTTP/S, status 200-399).',
      'A v2 gateway also needs a public frontend IP configuration unless the subscription has the private-only deployment feature.',
    ],
  };
}
