// The hairpin lab (npm run lab): emulates the part of Azure's SDN that causes the ILB hairpin,
// with network namespaces, veth pairs and nftables on this machine, and runs the product's own
// generated guest configuration in it. See docs/lab.md.
//
//   node scripts/lab/lab.mjs [--k N] [--json] [--scenario 1,2,3,4] [--install]
//
// Prints a table (scenario, members, guest configuration, successes/attempts, expectation,
// PASS/FAIL) and exits 1 when an expectation fails. --json prints the whole result as JSON
// instead. Without root, `ip netns` or nftables it says why and exits 0 without testing (so does
// scenario 4 without Debian's nginx and its stream module: it is skipped, unless --install or
// CI=true, which install the Debian packages with apt-get).

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CANDIDATES, REPO, customScripts, fillPlaceholders, filesUnder, guestConfig, heredocFiles, parseCommandLine, runFix } from './extract.mjs';
import { IP, NFT, Network, labNamespaces, removeStale, run } from './netns.mjs';

const AGENT = path.join(REPO, 'scripts', 'lab', 'agent.mjs');
const FIXTURE = path.join(REPO, 'test', 'fixtures', 'lab', 'seed-lab-linux');

// The seed lab (examples/seed-lab): subnet 10.2.1.0/24, gateway 10.2.1.1, ILB frontend 10.2.1.100:80.
const VIP = '10.2.1.100';
const PORT = 80;
const GATEWAY = '10.2.1.1';
const WEB = [
  { name: 'Web01', nic1: '10.2.1.4', nic2: '10.2.1.5' },
  { name: 'Web02', nic1: '10.2.1.6', nic2: '10.2.1.7' },
];
const CLIENT = { name: 'Client', ip: '10.2.1.50' }; // a VM of the same VNet, not in the pool
const NVA_VIP = '10.2.2.100';
const NVAS = [
  { name: 'Nva01', ip: '10.2.2.4' },
  { name: 'Nva02', ip: '10.2.2.5' },
];
const POLICY_TABLE = 200;

// ---------------------------------------------------------------------------------------------
// Options and environment

function parseArgs(argv) {
  const opts = { k: 40, json: false, scenarios: null, install: process.env.CI === 'true', timeout: 1000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') opts.json = true;
    else if (a === '--install') opts.install = true;
    else if (a === '--k') opts.k = Number(argv[++i]);
    else if (a === '--timeout') opts.timeout = Number(argv[++i]);
    else if (a === '--scenario') opts.scenarios = argv[++i].split(',').map((s) => s.trim());
    else if (a === '-h' || a === '--help') {
      console.log('usage: node scripts/lab/lab.mjs [--k N] [--timeout MS] [--json] [--scenario 1,2,3,4] [--install]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(opts.k) || opts.k < 1) throw new Error('--k needs a positive integer');
  return opts;
}

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function aptInstall(packages, log) {
  log(`installing ${packages.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { encoding: 'utf8', env });
  if (update.status !== 0) return `apt-get update failed: ${update.stderr.trim().split('\n').pop()}`;
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { encoding: 'utf8', env });
  return r.status === 0 ? null : `apt-get install failed: ${r.stderr.trim().split('\n').pop()}`;
}

/** Why the lab cannot run here (null when it can). */
function missingPrerequisite(opts, log) {
  if (process.platform !== 'linux') return 'the lab needs Linux network namespaces';
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'the lab needs root (it creates network namespaces)';
  const missing = [!which('ip') && !fs.existsSync(IP) && 'iproute2', !which('nft') && !fs.existsSync(NFT) && 'nftables'].filter(Boolean);
  if (missing.length) {
    if (!(opts.install && which('apt-get'))) return `the lab needs ${missing.join(' and ')} (apt-get install ${missing.join(' ')}; or run the lab with --install)`;
    const failed = aptInstall(missing, log);
    if (failed) return failed;
  }
  const probe = `ilbh-${process.pid}-probe`;
  const add = spawnSync(IP, ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return `ip netns does not work here: ${add.stderr.trim()}`;
  try {
    const nft = spawnSync(IP, ['netns', 'exec', probe, NFT, '-f', '-'], {
      encoding: 'utf8',
      input: 'table ip probe {\n chain c {\n  type nat hook prerouting priority dstnat;\n  ip daddr 10.9.9.9 dnat to jhash ip saddr mod 2 map { 0 : 10.9.9.1, 1 : 10.9.9.2 }\n }\n}\n',
    });
    if (nft.status !== 0) return `nftables NAT does not work in a namespace here: ${nft.stderr.trim()}`;
  } finally {
    spawnSync(IP, ['netns', 'del', probe]);
  }
  return null;
}

/** Debian's nginx with the stream module: null when usable, otherwise why not. */
function nginxMissing(opts, log) {
  const ok = () => which('nginx') && fs.existsSync('/usr/lib/nginx/modules/ngx_stream_module.so');
  if (ok()) return null;
  if (!(opts.install && which('apt-get'))) return 'Debian\'s nginx with its stream module is not installed (apt-get install nginx libnginx-mod-stream; or run the lab with --install)';
  const failed = aptInstall(['nginx', 'libnginx-mod-stream'], log);
  return failed ?? (ok() ? null : 'nginx or its stream module is still missing after apt-get install');
}

// ---------------------------------------------------------------------------------------------
// Building blocks of a scenario

/**
 * Counters in a member: hairpin SYNs arriving from outside, accepted, and where SYN-ACKs to
 * itself went; ARP requests it receives for a VIP, and ARP packets it sends with a VIP as sender.
 */
function observe(net, member, vips) {
  const own = member.nics.map((n) => n.ip).join(', ');
  const vipSet = vips.join(', ');
  const ruleset = `table ip observe {
  counter hairpin_syn_in {}
  counter hairpin_syn_accepted {}
  counter synack_to_self_local {}
  counter synack_to_self_out {}
  chain pre {
    type filter hook prerouting priority raw; policy accept;
    iifname != "lo" ip saddr { ${own} } tcp flags & (syn | ack) == syn counter name hairpin_syn_in
  }
  chain input {
    type filter hook input priority filter; policy accept;
    iifname != "lo" ip saddr { ${own} } tcp flags & (syn | ack) == syn counter name hairpin_syn_accepted
  }
  chain post {
    type filter hook postrouting priority filter; policy accept;
    ip saddr { ${own} } ip daddr { ${own} } tcp flags & (syn | ack) == syn | ack oifname "lo" counter name synack_to_self_local
    ip saddr { ${own} } ip daddr { ${own} } tcp flags & (syn | ack) == syn | ack oifname != "lo" counter name synack_to_self_out
  }
}
table arp observe {
  counter arp_request_for_vip {}
  counter arp_sent_with_vip_sender {}
  chain in {
    type filter hook input priority filter; policy accept;
    arp operation request arp daddr ip { ${vipSet} } counter name arp_request_for_vip
  }
  chain out {
    type filter hook output priority filter; policy accept;
    arp saddr ip { ${vipSet} } counter name arp_sent_with_vip_sender
  }
}
`;
  net.exec(member.ns, [NFT, '-f', '-'], { input: ruleset });
}

function observed(net, members) {
  const total = {};
  for (const m of members) {
    const out = net.exec(m.ns, [NFT, '-j', 'list', 'counters']).stdout;
    for (const item of JSON.parse(out).nftables) if (item.counter) total[item.counter.name] = (total[item.counter.name] ?? 0) + item.counter.packets;
  }
  return total;
}

async function startServers(net, members) {
  await Promise.all(members.map((m) => net.start(m.ns, [process.execPath, AGENT, 'serve', '--name', m.name, '--port', String(PORT)])));
}

/** Runs the boot commands of a guest configuration in a member's namespace; returns a log. */
function applyGuest(net, member, config) {
  const log = [];
  for (const unit of config.units) {
    for (const cmd of unit.commands) {
      const r = net.exec(member.ns, cmd.argv, { allowFail: true });
      log.push({ unit: unit.name, line: cmd.line, status: r.status, stderr: r.stderr.trim() || undefined });
      if (r.status !== 0 && !cmd.ignoreFailure) throw new Error(`${member.name}: ${unit.name}: ${cmd.line} exited ${r.status}: ${r.stderr.trim()}`);
    }
  }
  if (config.units.length === 0) throw new Error(`${member.name}: the guest configuration enables no systemd unit`);
  return log;
}

/**
 * k connections from each client to to:port (from a bound source address if given), all open at
 * once, so that each has its own source port; the rows' numbers.
 */
async function measure(net, clients, to, port, opts, from) {
  const runs = await Promise.all(
    clients.map((c) => net.runAsync(c.ns, [process.execPath, AGENT, 'connect', '--to', to, '--port', String(port), '--k', String(opts.k), '--concurrency', String(opts.k), '--timeout', String(opts.timeout), '--http', ...(from ? ['--from', from] : [])])),
  );
  const servedBy = {};
  let attempts = 0;
  let successes = 0;
  let servedBySelf = 0;
  const ports = new Set();
  let reusedPorts = 0;
  const errors = {};
  runs.forEach((r, i) => {
    if (r.status !== 0) throw new Error(`client in ${clients[i].name} exited ${r.status}: ${r.stderr.trim()}`);
    const out = JSON.parse(r.stdout);
    attempts += out.attempts;
    successes += out.successes;
    for (const res of out.results) {
      if (res.ok) {
        servedBy[res.member] = (servedBy[res.member] ?? 0) + 1;
        if (res.member === clients[i].name) servedBySelf++;
      } else errors[res.error] = (errors[res.error] ?? 0) + 1;
      if (res.local) {
        const key = `${clients[i].name} ${res.local}`;
        if (ports.has(key)) reusedPorts++;
        ports.add(key);
      }
    }
  });
  return { attempts, successes, servedBy, servedBySelf, errors, reusedPorts };
}

function expectation(kind, lo = 0.2, hi = 0.8) {
  if (kind === 'all') return { text: 'all succeed', test: (s, a) => s === a };
  if (kind === 'none') return { text: 'all fail', test: (s) => s === 0 };
  return { text: `${Math.round(lo * 100)}%-${Math.round(hi * 100)}% succeed`, test: (s, a) => s >= lo * a && s <= hi * a };
}

function routeGet(net, member, ...args) {
  const r = net.exec(member.ns, [IP, 'route', 'get', ...args], { allowFail: true });
  return `ip route get ${args.join(' ')} -> ${(r.status === 0 ? r.stdout : r.stderr).trim().split('\n')[0]}`;
}

// ---------------------------------------------------------------------------------------------
// Scenarios. Each builds its networks, measures rows, and removes its networks.

const state = { networks: new Set(), configs: new Map() };

/** guestConfig() once per set of arguments in a run (each call runs the CLI on a fixture copy). */
function guestConfigCached(args) {
  const key = JSON.stringify(args);
  if (!state.configs.has(key)) state.configs.set(key, guestConfig(args));
  return state.configs.get(key);
}

async function withNetwork(tag, body) {
  const net = new Network(tag);
  state.networks.add(net);
  try {
    return await body(net);
  } finally {
    net.destroy();
    state.networks.delete(net);
  }
}

function row(r) {
  return { ...r, pass: r.skipped ? null : r.expect.test(r.successes, r.attempts), expectation: r.expect.text };
}

/** Members (one NIC, or two with `secondary`) + the outside client; the ILB over their first NICs. */
function buildWeb(net, count, { floating = false, secondary = false, sysctls = {} } = {}) {
  const members = WEB.slice(0, count).map((w) => net.addMember(w.name, secondary ? [w.nic1, w.nic2] : [w.nic1], sysctls));
  const client = net.addMember(CLIENT.name, [CLIENT.ip]);
  net.setLoadBalancers([{ name: 'ilb-we-02-web', vip: VIP, port: PORT, members: members.map((m) => m.nics[0].ip), floating }]);
  for (const m of members) observe(net, m, [VIP]);
  return { members, client };
}

async function scenario1(opts) {
  const rows = [];
  for (const count of [1, 2]) {
    await withNetwork(`s1m${count}`, async (net) => {
      const { members, client } = buildWeb(net, count);
      await startServers(net, members);
      const m = await measure(net, members, VIP, PORT, opts);
      rows.push(
        row({
          id: `1-baseline-${count}`,
          scenario: '1 baseline (DNAT, no fix)',
          members: count,
          clients: 'members',
          config: 'none',
          ...m,
          fabric: net.counters(),
          guest: observed(net, members),
          routes: [routeGet(net, members[0], WEB[0].nic1, 'from', WEB[0].nic1, 'iif', 'eth0')],
          expect: count === 1 ? expectation('none') : expectation('between'),
        }),
      );
      if (count === 2) {
        const c = await measure(net, [client], VIP, PORT, opts);
        rows.push(row({ id: '1-control', scenario: '1 control: outside client', members: count, clients: 'Client (not in pool)', config: 'none', ...c, expect: expectation('all') }));
      }
    });
  }
  return { rows };
}

async function scenario2(opts) {
  const config = guestConfigCached({ fixture: FIXTURE, strategy: 'floating-ip-loopback' });
  if (config.source !== 'product') throw new Error(`scenario 2 must use the product's output: ${config.why}`);
  const info = { source: config.source, why: config.why, units: config.units.map((u) => ({ name: u.name, commands: u.commands.map((c) => c.line) })) };
  const rows = [];
  const variants = [
    { count: 1, tag: 's2m1', sysctls: {}, label: '' },
    { count: 2, tag: 's2m2', sysctls: {}, label: '' },
    { count: 2, tag: 's2arp', sysctls: { 'net.ipv4.conf.all.arp_ignore': 1, 'net.ipv4.conf.all.arp_announce': 2 }, label: ' +arp_ignore=1 arp_announce=2' },
  ];
  for (const v of variants) {
    await withNetwork(v.tag, async (net) => {
      const { members, client } = buildWeb(net, v.count, { floating: true, sysctls: v.sysctls });
      const guestLog = members.map((m) => applyGuest(net, m, guestConfigCached({ fixture: FIXTURE, strategy: 'floating-ip-loopback', member: m.name })));
      await startServers(net, members);
      const m = await measure(net, members, VIP, PORT, opts);
      rows.push(row({ id: `2-floating-${v.count}${v.label ? '-arp' : ''}`, scenario: `2 floating IP + loopback${v.label}`, members: v.count, clients: 'members', config: `product (${config.units.map((u) => u.name).join(', ')})`, ...m, guestLog, expect: expectation('all') }));
      if (v.count === 2) {
        const c = await measure(net, [client], VIP, PORT, opts);
        rows.push(row({ id: `2-control${v.label ? '-arp' : ''}`, scenario: `2 control: outside client${v.label}`, members: v.count, clients: 'Client (not in pool)', config: 'product', ...c, fabric: net.counters(), guest: observed(net, members), expect: expectation('all') }));
      }
    });
  }
  // Floating IP without the guest configuration: nobody owns the VIP, every connection fails.
  await withNetwork('s2none', async (net) => {
    const { members, client } = buildWeb(net, 2, { floating: true });
    await startServers(net, members);
    const m = await measure(net, [...members, client], VIP, PORT, opts);
    rows.push(row({ id: '2-no-guest-config', scenario: '2 floating IP without loopback', members: 2, clients: 'members + Client', config: 'none', ...m, expect: expectation('none') }));
  });
  return { rows, info };
}

async function scenario3(opts) {
  const rows = [];
  const values = (w) => ({ VIP, GATEWAY, NIC1_IP: w.nic1, NIC2_IP: w.nic2, TABLE: POLICY_TABLE });
  // The proposed configuration comes from the product when its secondary-NIC fix exists; the
  // route-only baseline and the variants (ablations) are hand-written and measured as such.
  const configFor = (v, w) =>
    ablate(guestConfigCached({ fixture: FIXTURE, strategy: 'secondary-nic', candidate: path.join(CANDIDATES, v.candidate), values: values(w), member: w.name, product: v.product === true }), v);
  const naive = configFor({ candidate: 'secondary-nic-route-only.sh' }, WEB[0]);
  const policy = configFor({ candidate: 'secondary-nic-policy-routing.sh', product: true }, WEB[0]);
  const info = {
    routeOnly: { source: naive.source, why: naive.why, commands: naive.units.flatMap((u) => u.commands.map((c) => c.line)) },
    policyRouting: { source: policy.source, why: policy.why, commands: policy.units.flatMap((u) => u.commands.map((c) => c.line)) },
  };
  const variants = [
    { id: '3-route-only', label: 'route only (Windows-style)', candidate: 'secondary-nic-route-only.sh', counts: [1, 2], expect: (n) => (n === 1 ? expectation('none') : expectation('between')), control: true, inVm: true },
    { id: '3-route-only-no-rpf', label: 'route only + rp_filter=0', candidate: 'secondary-nic-route-only.sh', counts: [1], sysctls: { 'net.ipv4.conf.all.rp_filter': 0 }, expect: () => expectation('none') },
    {
      id: '3-route-only-accept-local',
      label: 'route only + accept_local=1, rp_filter=0',
      candidate: 'secondary-nic-route-only.sh',
      counts: [1],
      sysctls: { 'net.ipv4.conf.all.accept_local': 1, 'net.ipv4.conf.all.rp_filter': 0 },
      expect: () => expectation('none'),
    },
    { id: '3-policy-routing', label: 'route + reply rule (proposed)', candidate: 'secondary-nic-policy-routing.sh', product: true, counts: [1, 2], expect: () => expectation('all'), control: true, inVm: true },
    { id: '3-policy-routing-strict-rpf', label: 'proposed, rp_filter=1 (strict)', candidate: 'secondary-nic-policy-routing.sh', product: true, counts: [2], sysctls: { 'net.ipv4.conf.all.rp_filter': 1 }, expect: () => expectation('all'), inVm: true },
    { id: '3-policy-routing-no-rpf', label: 'proposed, rp_filter=0', candidate: 'secondary-nic-policy-routing.sh', product: true, counts: [2], sysctls: { 'net.ipv4.conf.all.rp_filter': 0 }, expect: () => expectation('all'), inVm: true },
    // Each line is needed: the same candidate without one of them.
    { id: '3-ablation-local-table', label: 'proposed minus moving the local table', candidate: 'secondary-nic-policy-routing.sh', drop: /lookup local/, counts: [1], expect: () => expectation('none') },
    { id: '3-ablation-iif-lo', label: 'proposed, reply rule without iif lo', candidate: 'secondary-nic-policy-routing.sh', edit: [/ iif lo /, ' '], counts: [2], expect: () => expectation('all'), inVm: true, inVmExpect: expectation('none') },
    { id: '3-ablation-accept-local', label: 'proposed minus accept_local on NIC2', candidate: 'secondary-nic-policy-routing.sh', edit: [/echo 1 > \S+accept_local; /, ''], counts: [2], expect: () => expectation('all'), inVm: true, inVmExpect: expectation('none') },
    { id: '3-ablation-rp-filter', label: 'proposed minus loose rp_filter on NIC2, rp_filter=1', candidate: 'secondary-nic-policy-routing.sh', edit: [/; echo 2 > \S+rp_filter/, ''], sysctls: { 'net.ipv4.conf.all.rp_filter': 1 }, counts: [2], expect: () => expectation('all'), inVm: true, inVmExpect: expectation('none') },
  ];
  for (const v of variants) {
    for (const count of v.counts) {
      await withNetwork(`s3${rows.length}`, async (net) => {
        const { members, client } = buildWeb(net, count, { secondary: true });
        // Settings per interface need the interfaces: set after the members exist.
        if (v.sysctls) for (const m of members) net.sysctl(m.ns, perInterface(v.sysctls, m));
        let config = '';
        for (const m of members) {
          const cfg = configFor(v, WEB.find((w) => w.name === m.name));
          config = cfg.source === 'product' ? 'product' : `candidate ${v.candidate.replace(/^secondary-nic-|\.sh$/g, '')}${v.drop || v.edit ? ' (changed)' : ''}`;
          applyGuest(net, m, cfg);
        }
        await startServers(net, members);
        const w = WEB[0];
        const routes = [routeGet(net, members[0], w.nic1, 'from', w.nic2, 'iif', 'eth0'), routeGet(net, members[0], w.nic2, 'from', w.nic1), routeGet(net, members[0], VIP)];
        const m = await measure(net, members, VIP, PORT, opts);
        rows.push(row({ id: `${v.id}-${count}`, scenario: `3 secondary NIC: ${v.label}`, members: count, clients: 'members', config, ...m, fabric: net.counters(), guest: observed(net, members), routes, expect: v.expect(count) }));
        if (v.control && count === 2) {
          const c = await measure(net, [client], VIP, PORT, opts);
          rows.push(row({ id: `${v.id}-control`, scenario: `3 control: outside client, ${v.label}`, members: count, clients: 'Client (not in pool)', config, ...c, expect: expectation('all') }));
        }
        if (v.inVm && count === 2) {
          // Calls between the VM's own two addresses (no load balancer): the reply rule must not break them.
          for (const [from, to] of [[w.nic2, w.nic1], [w.nic1, w.nic2]]) {
            const d = await measure(net, [members[0]], to, PORT, { ...opts, k: Math.min(opts.k, 10) }, from);
            rows.push(row({ id: `${v.id}-in-vm-${from}-${to}`, scenario: `3 in-VM call ${from} -> ${to}, ${v.label}`, members: count, clients: 'Web01 itself', config, ...d, expect: v.inVmExpect ?? expectation('all') }));
          }
        }
      });
    }
  }
  return { rows, info };
}

/** A configuration without the commands matching `drop`, or with `edit` ([pattern, replacement]) applied: the lab's ablations. */
function ablate(config, { drop, edit }) {
  if (!drop && !edit) return config;
  const units = config.units.map((u) => ({
    ...u,
    commands: u.commands
      .filter((c) => !(drop && drop.test(c.line)))
      .map((c) => (edit && edit[0].test(c.line) ? parseCommandLine(c.line.replace(edit[0], edit[1])) : c)),
  }));
  return { ...config, units };
}

/** conf.all.X settings repeated for each NIC (rp_filter takes the max of all and the interface). */
function perInterface(sysctls, member) {
  const out = { ...sysctls };
  for (const [k, v] of Object.entries(sysctls)) {
    const m = /^net\.ipv4\.conf\.all\.(\w+)$/.exec(k);
    if (m) for (const nic of member.nics) out[`net.ipv4.conf.${nic.dev}.${m[1]}`] = v;
  }
  return out;
}

/** Template variables that hold a cloud-init as an array of lines. */
function cloudInitVariables(text) {
  let template;
  try {
    template = JSON.parse(text);
  } catch {
    return [];
  }
  return Object.entries(template?.variables ?? {})
    .filter(([, v]) => Array.isArray(v) && v[0] === '#cloud-config')
    .map(([name, v]) => ({ name, text: v.join('\n') }));
}

/** A `write_files` entry of a cloud-config whose path matches, with its `content: |` block. */
function writtenFile(cloudConfig, pathPattern) {
  const lines = cloudConfig.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const p = /^\s*-\s*path:\s*(\S+)/.exec(lines[i]);
    if (!p || !pathPattern.test(p[1])) continue;
    for (let j = i + 1; j < lines.length && !/^\s*-\s/.test(lines[j]); j++) {
      if (!/^\s*content:\s*\|/.test(lines[j])) continue;
      const body = [];
      let indent;
      for (let k = j + 1; k < lines.length; k++) {
        const line = lines[k];
        if (line.trim() === '') {
          body.push('');
          continue;
        }
        const lead = /^ */.exec(line)[0].length;
        indent ??= lead;
        if (lead < indent) break;
        body.push(line.slice(indent));
      }
      return { path: p[1], text: `${body.join('\n').replace(/\n+$/, '')}\n` };
    }
  }
  return undefined;
}

/** The nginx.conf of the NVA: the product's (fix --strategy nginx-nva) when it exists, else the candidate. */
function nginxConfig() {
  const fix = runFix(FIXTURE, 'nginx-nva');
  try {
    if (fix.status === 0) {
      const found = [];
      for (const f of filesUnder(fix.dir)) {
        if (/nginx[^/]*\.conf$/i.test(f)) found.push({ from: path.relative(fix.dir, f), text: fs.readFileSync(f, 'utf8') });
        if (/\.json$/i.test(f)) {
          // The ARM scaffold keeps its cloud-init as a variable of lines (…NvaCloudInit).
          for (const c of cloudInitVariables(fs.readFileSync(f, 'utf8'))) {
            const conf = writtenFile(c.text, /nginx[^/]*\.conf$/);
            if (conf && !/@@\w+@@/.test(conf.text)) found.push({ from: `${path.relative(fix.dir, f)}: variables.${c.name} (cloud-init) ${conf.path}`, text: conf.text });
          }
          for (const s of customScripts(fs.readFileSync(f, 'utf8'))) {
            for (const h of heredocFiles(s.script)) if (/nginx[^/]*\.conf$/.test(h.path)) found.push({ from: `${s.name}: ${h.path}`, text: h.text });
          }
        }
      }
      if (found.length) return { source: 'product', why: `${fix.command} exited 0; nginx.conf from ${found[0].from}`, text: found[0].text };
    }
    const said = (fix.stderr || fix.stdout).trim().split('\n')[0];
    const upstream = WEB.map((w) => `        server ${w.nic1}:${PORT};`).join('\n');
    const text = fillPlaceholders(fs.readFileSync(path.join(CANDIDATES, 'nginx-nva.conf'), 'utf8'), { LISTEN_PORT: PORT, UPSTREAM_SERVERS: upstream });
    return { source: 'candidate', why: `${fix.command} exited ${fix.status}${said ? ` (${said})` : ''}${fix.status === 0 ? ' without an nginx.conf' : ''}: using the hand-written candidate scripts/lab/candidates/nginx-nva.conf`, text };
  } finally {
    fs.rmSync(fix.dir, { recursive: true, force: true });
  }
}

async function scenario4(opts, log) {
  const missing = nginxMissing(opts, log);
  if (missing) {
    return { rows: [{ id: '4-nginx-nva', scenario: '4 NGINX NVA', members: 2, clients: 'members', config: '-', skipped: missing, pass: null, expectation: 'all succeed', attempts: 0, successes: 0 }], info: { skipped: missing } };
  }
  const conf = nginxConfig();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ilbh-lab-nginx-'));
  const confFile = path.join(dir, 'nginx.conf');
  fs.writeFileSync(confFile, conf.text);
  const rows = [];
  try {
    await withNetwork('s4', async (net) => {
      const members = WEB.map((w) => net.addMember(w.name, [w.nic1]));
      const nvas = NVAS.map((n) => net.addMember(n.name, [n.ip]));
      net.setLoadBalancers([
        { name: 'ilb-we-02-web', vip: VIP, port: PORT, members: members.map((m) => m.nics[0].ip), floating: false },
        { name: 'ilb-we-02-nva', vip: NVA_VIP, port: PORT, members: nvas.map((m) => m.nics[0].ip), floating: false },
      ]);
      await startServers(net, members);
      for (const nva of nvas) {
        // ip netns exec gives the command its own mount namespace (slave of the host's): private
        // /run and /var/log/nginx keep the two NGINX instances and the host's apart.
        const prep = 'mount -t tmpfs ilbh-run /run && mount -t tmpfs ilbh-log /var/log/nginx';
        const test = net.exec(nva.ns, ['sh', '-c', `${prep} && nginx -t -q -e stderr -c '${confFile}'`], { allowFail: true });
        if (test.status !== 0) throw new Error(`nginx -t rejects the configuration: ${test.stderr.trim()}`);
        await net.start(nva.ns, ['sh', '-c', `${prep} && exec nginx -e stderr -c '${confFile}' -g 'daemon off;'`], null);
      }
      await waitFor(net, members[0], NVA_VIP, PORT);
      const m = await measure(net, members, NVA_VIP, PORT, opts);
      rows.push(row({ id: '4-nginx-nva', scenario: '4 NGINX NVA (members call the NVA VIP)', members: 2, clients: 'members', config: `${conf.source} nginx.conf`, ...m, fabric: net.counters(), expect: expectation('all'), servedBySelfOk: m.servedBySelf > 0 }));
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { rows, info: { source: conf.source, why: conf.why, nginxConf: conf.text } };
}

async function waitFor(net, member, to, port) {
  for (let i = 0; i < 50; i++) {
    const r = await net.runAsync(member.ns, [process.execPath, AGENT, 'connect', '--to', to, '--port', String(port), '--k', '1', '--timeout', '300', '--http']);
    if (r.status === 0 && JSON.parse(r.stdout).successes === 1) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`${to}:${port} does not answer from ${member.name}`);
}

// ---------------------------------------------------------------------------------------------
// Output

function pad(s, n) {
  s = String(s);
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function table(rows) {
  const head = ['scenario', 'members', 'guest config', 'successes', 'expectation', 'result'];
  const body = rows.map((r) => [
    r.scenario,
    String(r.members),
    r.config,
    r.skipped ? '-' : `${r.successes}/${r.attempts}`,
    r.expectation,
    r.skipped ? `SKIP (${r.skipped})` : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells) => cells.map((c, i) => (i === cells.length - 1 ? c : pad(c, widths[i]))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = (s) => (opts.json ? process.stderr : process.stdout).write(`lab: ${s}\n`);
  const why = missingPrerequisite(opts, log);
  if (why) {
    if (opts.json) console.log(JSON.stringify({ skipped: why }));
    else console.log(`lab: skipped: ${why}. Nothing was tested.`);
    return 0;
  }
  if (!fs.existsSync(path.join(REPO, 'dist', 'cli.js'))) {
    log('building the CLI (scripts/build.mjs)');
    run([process.execPath, path.join(REPO, 'scripts', 'build.mjs')], { cwd: REPO });
  }
  const stale = removeStale();
  if (stale.length) log(`removed ${stale.length} stale namespace(s) of dead lab runs: ${stale.join(' ')}`);

  const started = Date.now();
  const all = { 1: scenario1, 2: scenario2, 3: scenario3, 4: scenario4 };
  const result = { k: opts.k, timeoutMs: opts.timeout, kernel: os.release(), scenarios: {}, rows: [] };
  for (const [id, fn] of Object.entries(all)) {
    if (opts.scenarios && !opts.scenarios.includes(id)) continue;
    log(`scenario ${id}...`);
    const r = await fn(opts, log);
    result.scenarios[id] = r.info ?? {};
    result.rows.push(...r.rows);
  }
  result.seconds = Math.round((Date.now() - started) / 100) / 10;
  result.ok = result.rows.every((r) => r.pass !== false);
  if (opts.json) console.log(JSON.stringify(result, (k, v) => (k === 'expect' ? undefined : v), 2));
  else {
    console.log('');
    console.log(table(result.rows));
    console.log('');
    for (const [id, info] of Object.entries(result.scenarios)) {
      for (const key of ['why']) if (info[key]) console.log(`scenario ${id}: ${info[key]}`);
      if (info.routeOnly) console.log(`scenario ${id} (route only): ${info.routeOnly.why}`);
      if (info.policyRouting) console.log(`scenario ${id} (proposed): ${info.policyRouting.why}`);
    }
    console.log(`\n${result.ok ? 'all expectations met' : 'SOME EXPECTATIONS FAILED'} (${result.seconds} s, k=${opts.k} connections per client, timeout ${opts.timeout} ms)`);
  }
  return result.ok ? 0 : 1;
}

function cleanupAll() {
  for (const net of state.networks) net.destroy();
  state.networks.clear();
  // Anything of this run that a network did not know about yet (interrupted while being built).
  for (const ns of labNamespaces()) if (ns.startsWith(`ilbh-${process.pid}-`)) spawnSync(IP, ['netns', 'del', ns]);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    process.stderr.write(`\nlab: ${signal}: removing the lab's namespaces\n`);
    cleanupAll();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
process.on('exit', cleanupAll);

main().then(
  (code) => {
    cleanupAll();
    process.exitCode = code;
  },
  (e) => {
    cleanupAll();
    console.error(`lab: error: ${e instanceof Error ? e.stack : e}`);
    process.exitCode = 1;
  },
);
