// The lab's network: network namespaces joined by veth pairs to one fabric namespace that plays
// Azure's host networking. Everything is made with iproute2 (`ip -n NS ...`, `ip netns exec NS ...`)
// and nftables inside namespaces this module creates; the host's own network is never touched.
//
//   member (netns)            fabric (netns)                       member (netns)
//   eth0 10.2.1.4/24 ======== m1n0 ]                            [ m2n0 ======== eth0 10.2.1.6/24
//   eth1 10.2.1.5/24 ======== m1n1 ]  routes /32 per NIC,       [ m2n1 ======== eth1 10.2.1.7/24
//   (lo: VIP with floating IP)         proxy ARP, gateway .1 on each port,
//                                      VIPs routed to az0, ILBs in nftables, no SNAT ever
//
// - Every packet between members crosses the fabric: each NIC is a point-to-point veth to it, the
//   fabric answers every ARP request (proxy ARP, no delay), like Azure's host, and routes to
//   the NIC by a /32 route, never by asking a guest for the VIP.
// - Source spoofing is dropped as in Azure without IP forwarding on the NIC: a NIC may send with
//   its own address, or with a VIP when the packet is the reply of a floating-IP flow.
// - An ILB: `dnat` mode rewrites VIP:port to one member picked per flow by a 5-tuple hash
//   (conntrack keeps the choice and un-NATs the replies); `floating` mode keeps the destination and
//   routes the flow to the member with a conntrack mark + policy routing table per member.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';

export const IP = fs.existsSync('/usr/sbin/ip') ? '/usr/sbin/ip' : 'ip';
export const NFT = fs.existsSync('/usr/sbin/nft') ? '/usr/sbin/nft' : 'nft';
export const PREFIX = 'ilbh';

/** Runs a command; throws with its stderr when it fails (unless `allowFail`). */
export function run(argv, { input, allowFail = false, cwd } = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', input, cwd });
  if (r.error) throw r.error;
  if (r.status !== 0 && !allowFail) throw new Error(`${argv.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout).trim()}`);
  return r;
}

/** The lab's namespaces (ours and stale ones): names starting with `ilbh-<pid>-`. */
export function labNamespaces() {
  const r = spawnSync(IP, ['netns', 'list'], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => new RegExp(`^${PREFIX}-\\d+-`).test(n));
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Removes one namespace: ends the processes in it (the lab started them), then deletes it. */
export function removeNamespace(name) {
  for (const pid of namespacePids(name)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone already */
    }
  }
  spawnSync(IP, ['netns', 'del', name], { encoding: 'utf8' });
}

/** Deletes namespaces left by lab runs whose process is dead (killed with SIGKILL, power loss...). */
export function removeStale() {
  const removed = [];
  for (const name of labNamespaces()) {
    const pid = Number(name.split('-')[1]);
    if (pid === process.pid || alive(pid)) continue;
    removeNamespace(name);
    removed.push(name);
  }
  return removed;
}

/** The usual guest sysctls of a Linux VM image (Ubuntu: loose reverse-path filter, weak host model). */
export const GUEST_SYSCTLS = {
  'net.ipv4.conf.all.rp_filter': 2,
  'net.ipv4.conf.default.rp_filter': 2,
  'net.ipv4.conf.all.accept_local': 0,
  'net.ipv4.conf.default.accept_local': 0,
  'net.ipv4.conf.all.arp_ignore': 0,
  'net.ipv4.conf.default.arp_ignore': 0,
  'net.ipv4.conf.all.arp_announce': 0,
  'net.ipv4.conf.default.arp_announce': 0,
  'net.ipv4.conf.all.accept_redirects': 0,
  'net.ipv4.conf.default.accept_redirects': 0,
  'net.ipv4.ip_forward': 0,
  'net.ipv6.conf.all.disable_ipv6': 1,
  'net.ipv6.conf.default.disable_ipv6': 1,
};

const FABRIC_SYSCTLS = {
  'net.ipv4.ip_forward': 1,
  'net.ipv4.conf.all.rp_filter': 0,
  'net.ipv4.conf.default.rp_filter': 0,
  'net.ipv4.conf.all.send_redirects': 0,
  'net.ipv4.conf.default.send_redirects': 0,
  'net.ipv4.conf.default.proxy_arp': 1,
  'net.ipv6.conf.all.disable_ipv6': 1,
  'net.ipv6.conf.default.disable_ipv6': 1,
};

/** One lab network. Namespaces are named `ilbh-<pid>-<tag>-<name>`; destroy() removes them all. */
export class Network {
  constructor(tag) {
    this.prefix = `${PREFIX}-${process.pid}-${tag}`;
    this.namespaces = [];
    this.children = new Set();
    this.members = new Map(); // name -> { ns, nics: [{ ip, dev, port }] }
    this.subnets = new Map(); // 'a.b.c' -> gateway
    this.fabric = this.addNamespace('fab', FABRIC_SYSCTLS);
    this.ip(this.fabric, 'link', 'add', 'az0', 'type', 'veth', 'peer', 'name', 'az0p');
    this.ip(this.fabric, 'link', 'set', 'az0p', 'up');
    this.ip(this.fabric, 'link', 'set', 'az0', 'up');
  }

  ns(name) {
    return `${this.prefix}-${name}`;
  }

  addNamespace(name, sysctls) {
    const ns = this.ns(name);
    run([IP, 'netns', 'add', ns]);
    this.namespaces.push(ns);
    this.ip(ns, 'link', 'set', 'lo', 'up');
    this.sysctl(ns, sysctls);
    return ns;
  }

  ip(ns, ...args) {
    return run([IP, '-n', ns, ...args]);
  }

  exec(ns, argv, opts) {
    return run([IP, 'netns', 'exec', ns, ...argv], opts);
  }

  sysctl(ns, values) {
    const pairs = Object.entries(values).map(([k, v]) => `${k}=${v}`);
    if (pairs.length) this.exec(ns, ['sysctl', '-q', '-w', ...pairs]);
  }

  /** A subnet whose gateway (x.x.x.1) is the fabric: its address is on each of the subnet's ports. */
  addSubnet(prefix) {
    if (!this.subnets.has(prefix)) this.subnets.set(prefix, `${prefix}.1`);
  }

  /**
   * A VM: a namespace with one NIC per address (eth0 primary with the default route; eth1.. get
   * their subnet route with metric 200, as cloud-init/netplan does on Azure), each a veth to the
   * fabric. `sysctls` are added to GUEST_SYSCTLS.
   */
  addMember(name, addresses, sysctls = {}) {
    const ns = this.addNamespace(name, { ...GUEST_SYSCTLS, ...sysctls });
    const index = this.members.size + 1;
    const nics = addresses.map((ip, i) => {
      const dev = `eth${i}`;
      const port = `m${index}n${i}`;
      const prefix = ip.split('.').slice(0, 3).join('.');
      this.addSubnet(prefix);
      this.ip(this.fabric, 'link', 'add', port, 'type', 'veth', 'peer', 'name', dev, 'netns', ns);
      this.sysctl(this.fabric, { [`net.ipv4.conf.${port}.proxy_arp`]: 1, [`net.ipv4.neigh.${port}.proxy_delay`]: 0, [`net.ipv4.conf.${port}.send_redirects`]: 0 });
      this.ip(this.fabric, 'addr', 'add', `${this.subnets.get(prefix)}/32`, 'dev', port);
      this.ip(this.fabric, 'link', 'set', port, 'up');
      this.ip(this.fabric, 'route', 'add', `${ip}/32`, 'dev', port);
      if (i === 0) {
        this.ip(ns, 'addr', 'add', `${ip}/24`, 'dev', dev);
        this.ip(ns, 'link', 'set', dev, 'up');
        this.ip(ns, 'route', 'add', 'default', 'via', this.subnets.get(prefix), 'dev', dev);
      } else {
        this.ip(ns, 'addr', 'add', `${ip}/24`, 'dev', dev, 'noprefixroute');
        this.ip(ns, 'link', 'set', dev, 'up');
        this.ip(ns, 'route', 'add', `${prefix}.0/24`, 'dev', dev, 'src', ip, 'metric', '200');
      }
      return { ip, dev, port };
    });
    const member = { name, ns, nics };
    this.members.set(name, member);
    return member;
  }

  /**
   * The load balancers, as one nftables table in the fabric (call once per network). Each ILB:
   * { name, vip, port, members: [IPs], floating }. The VIP is routed to az0 so that proxy ARP
   * answers for it on every port.
   */
  setLoadBalancers(ilbs) {
    const vips = ilbs.map((l) => l.vip);
    const lines = [];
    const add = (s) => lines.push(s);
    add('table ip azure {');
    add('  counter spoofed {}');
    add('  counter selfmapped {}');
    // Anti-spoofing: what a NIC may send (its address; a VIP only in reply to a floating-IP flow).
    add('  chain antispoof {');
    add('    type filter hook forward priority filter - 10; policy accept;');
    for (const m of this.members.values()) {
      for (const nic of m.nics) {
        add(`    iifname "${nic.port}" ip saddr ${nic.ip} accept`);
        if (vips.length) add(`    iifname "${nic.port}" ct direction reply ip saddr { ${vips.join(', ')} } accept`);
        add(`    iifname "${nic.port}" counter name spoofed drop`);
      }
    }
    add('  }');
    add('  chain lb_pick {');
    add('    type filter hook prerouting priority mangle; policy accept;');
    ilbs.forEach((l, i) => {
      add(`    ip daddr ${l.vip} tcp dport != ${l.port} drop`);
      add(`    ip daddr ${l.vip} meta l4proto != tcp drop`);
      if (l.floating) {
        add(`    ip daddr ${l.vip} tcp dport ${l.port} ct state new ct mark set jhash ip saddr . tcp sport . ip daddr . tcp dport mod ${l.members.length} seed ${0x1000 + i} offset ${markBase(i)}`);
      }
    });
    add('    ct direction original ct mark != 0 meta mark set ct mark');
    add('  }');
    add('  chain lb_dnat {');
    add('    type nat hook prerouting priority dstnat; policy accept;');
    ilbs.forEach((l, i) => {
      if (l.floating) return;
      const map = l.members.map((ip, j) => `${j} : ${ip}`).join(', ');
      add(`    ip daddr ${l.vip} tcp dport ${l.port} dnat to jhash ip saddr . tcp sport . ip daddr . tcp dport mod ${l.members.length} seed ${0x1000 + i} map { ${map} }`);
    });
    add('  }');
    // Flows the ILB mapped back to the member that opened them (counted, not changed).
    add('  chain lb_count {');
    add('    type filter hook forward priority filter; policy accept;');
    for (const m of this.members.values()) {
      const own = m.nics.map((n) => n.ip).join(', ');
      ilbs.forEach((l, i) => {
        if (!l.members.some((ip) => m.nics.some((n) => n.ip === ip))) return;
        if (l.floating) {
          const j = l.members.findIndex((ip) => m.nics.some((n) => n.ip === ip));
          add(`    ct state new ct mark ${markBase(i) + j} ip saddr { ${own} } counter name selfmapped`);
        } else {
          // Once per flow: a SYN sent again (the caller retries a flow that gets no answer) is
          // still in state new; the flow's conntrack mark says it was counted. (No route looks
          // at this mark: the floating-IP tables match their own marks exactly.)
          add(`    ct state new ct mark 0 ct original ip daddr ${l.vip} ip saddr { ${own} } ip daddr { ${own} } counter name selfmapped ct mark set ${COUNTED_MARK}`);
        }
      });
    }
    add('  }');
    add('}');
    this.exec(this.fabric, [NFT, 'delete', 'table', 'ip', 'azure'], { allowFail: true });
    this.exec(this.fabric, [NFT, '-f', '-'], { input: lines.join('\n') + '\n' });
    // Floating IP: the flow's mark picks a table whose only route sends the VIP to the member's NIC.
    ilbs.forEach((l, i) => {
      this.ip(this.fabric, 'route', 'replace', `${l.vip}/32`, 'dev', 'az0');
      if (!l.floating) return;
      l.members.forEach((ip, j) => {
        const mark = markBase(i) + j;
        const nic = [...this.members.values()].flatMap((m) => m.nics).find((n) => n.ip === ip);
        if (!nic) throw new Error(`ILB ${l.name}: no NIC has ${ip}`);
        this.ip(this.fabric, 'route', 'replace', `${l.vip}/32`, 'via', ip, 'dev', nic.port, 'table', String(100 + mark));
        this.ip(this.fabric, 'rule', 'add', 'pref', String(100 + mark), 'fwmark', String(mark), 'lookup', String(100 + mark));
      });
    });
    this.ilbs = ilbs;
  }

  /** The fabric's counters: { spoofed (packets), selfmapped (flows) }. */
  counters() {
    const out = this.exec(this.fabric, [NFT, '-j', 'list', 'counters', 'table', 'ip', 'azure']).stdout;
    const result = {};
    for (const item of JSON.parse(out).nftables) if (item.counter) result[item.counter.name] = item.counter.packets;
    return result;
  }

  /** Starts a long-running process in a namespace; resolves when it prints `ready` on stdout (or, when `ready` is null, when it is still running after 200 ms). */
  start(ns, argv, ready = 'listening', timeoutMs = 5000) {
    const child = spawn(IP, ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    return new Promise((resolve, reject) => {
      let out = '';
      let err = '';
      const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} in ${ns}: not ready after ${timeoutMs} ms: ${err.trim()}`)), timeoutMs);
      child.stderr.on('data', (d) => (err += d));
      if (!ready) {
        setTimeout(() => {
          clearTimeout(timer);
          resolve(child);
        }, 200);
      }
      child.stdout.on('data', (d) => {
        out += d;
        if (ready && out.includes(ready)) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${argv.join(' ')} in ${ns} exited ${code}: ${err.trim()}`));
      });
    });
  }

  /** Runs a command in a namespace to completion, asynchronously; resolves { status, stdout, stderr }. */
  runAsync(ns, argv) {
    const child = spawn(IP, ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    return new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('exit', (status) => {
        this.children.delete(child);
        resolve({ status, stdout, stderr });
      });
    });
  }

  /**
   * Ends what it started and removes its namespaces. Synchronous, so that signal handlers can use
   * it: SIGTERM first (NGINX's master then stops its workers), up to a second for the namespaces
   * to empty, then SIGKILL for what is left, then `ip netns del`.
   */
  destroy() {
    for (const child of this.children) {
      try {
        child.kill('SIGTERM');
      } catch {
        /* gone */
      }
    }
    this.children.clear();
    const deadline = Date.now() + 1000;
    while (Date.now() < deadline && this.namespaces.some((ns) => namespacePids(ns).length > 0)) sleepSync(50);
    for (const ns of this.namespaces.splice(0).reverse()) removeNamespace(ns);
  }
}

function namespacePids(ns) {
  const r = spawnSync(IP, ['netns', 'pids', ns], { encoding: 'utf8' });
  return (r.stdout || '').split(/\s+/).filter(Boolean).map(Number);
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function markBase(i) {
  return 16 * (i + 1);
}

/** The conntrack mark of a non-floating flow the fabric counted as mapped back to its caller (above every markBase). */
const COUNTED_MARK = '0x40000000';
