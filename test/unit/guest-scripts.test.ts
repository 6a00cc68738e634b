/**
 * The Linux secondary-NIC guest script (`linuxSecondaryNicScript`): the whole script for bash,
 * each systemd `ExecStart=` program (after systemd's `$$`/`%%` unescaping, the `-` prefix and the
 * `/bin/sh -c '...'` wrapper removed) for a POSIX shell, the routes it writes, and
 * `secondaryNicScriptRoutes` reading the VIPs and gateway back (Linux and Windows). As root with
 * `ip netns`, the programs also run in a throwaway network namespace shaped like an Azure VM with
 * two NICs in one subnet, and the resulting rules and routes are compared with the expected ones.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';

import { LINUX_SECONDARY_NIC_TABLE, linuxSecondaryNicScript, secondaryNicScriptRoutes, windowsSecondaryNicScript } from '../../src/core/fixes/guest';

const VIPS = ['10.2.1.100', '10.2.1.101'];
const GATEWAY = '10.2.1.1';

const WITH_GATEWAY = linuxSecondaryNicScript(VIPS, GATEWAY);
const AT_BOOT = linuxSecondaryNicScript(VIPS, undefined);
const SCRIPTS = [
  { label: 'gateway 10.2.1.1', script: WITH_GATEWAY, gateway: GATEWAY as string | undefined },
  { label: 'gateway found at boot', script: AT_BOOT, gateway: undefined as string | undefined },
];

/** A POSIX shell for `-n`: dash when installed (stricter than bash), else sh. */
const POSIX_SH = spawnSync('dash', ['-n'], { input: '' }).status === 0 ? 'dash' : 'sh';

/** systemd's unescaping of `$$` and `%%`, left to right (so `$$$$` is `$$`). */
const systemdUnescape = (s: string): string => s.replace(/\$\$|%%/g, (m) => m[0] as string);

interface Program {
  /** The ExecStart= line as written. */
  line: string;
  /** Failure ignored (`-` prefix). */
  ignoreFailure: boolean;
  /** The shell program of a `/bin/sh -c '...'` wrapper, unescaped; undefined for a plain command. */
  sh: string | undefined;
  /** argv as run (the wrapper kept as sh -c <program>). */
  argv: string[];
}

/** Every `ExecStart=` of the unit, in order. */
function programs(script: string): Program[] {
  return script
    .split('\n')
    .filter((l) => l.startsWith('ExecStart='))
    .map((line) => {
      let command = line.slice('ExecStart='.length);
      const ignoreFailure = command.startsWith('-');
      if (ignoreFailure) command = command.slice(1);
      const wrapped = /^\/bin\/sh -c '([^']*)'$/.exec(command);
      if (wrapped) {
        const sh = systemdUnescape(wrapped[1] as string);
        return { line, ignoreFailure, sh, argv: ['/bin/sh', '-c', sh] };
      }
      return { line, ignoreFailure, sh: undefined, argv: systemdUnescape(command).split(/ +/) };
    });
}

function shellCheck(shell: string, program: string): { status: number | null; stderr: string } {
  const r = spawnSync(shell, ['-n'], { input: program, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('linuxSecondaryNicScript: syntax', () => {
  for (const { label, script } of SCRIPTS) {
    it(`${label}: bash -n accepts the whole script`, () => {
      const r = shellCheck('bash', script);
      assert.equal(r.status, 0, r.stderr);
    });

    it(`${label}: every ExecStart= program, unescaped and unwrapped, passes ${POSIX_SH} -n`, () => {
      const list = programs(script);
      // Two rule commands, the reply route, the reply rule, the sysctls, one route per VIP.
      assert.equal(list.length, 5 + VIPS.length);
      assert.deepEqual(
        list.filter((p) => p.sh === undefined).map((p) => [p.ignoreFailure, p.argv.join(' ')]),
        [
          [true, '/sbin/ip rule add pref 100 lookup local'],
          [true, '/sbin/ip rule del pref 0 lookup local'],
        ],
      );
      for (const p of list) {
        const program = p.sh ?? p.argv.join(' ');
        const r = shellCheck(POSIX_SH, program);
        assert.equal(r.status, 0, `${POSIX_SH} -n: ${r.stderr}\n${program}`);
      }
    });

    it(`${label}: systemd sees no specifier or variable: every % and $ of an ExecStart= line is doubled, no backslash, no quote inside the wrapper`, () => {
      for (const p of programs(script)) {
        const rest = p.line.replace(/\$\$|%%/g, '');
        assert.doesNotMatch(rest, /[$%]/, `a lone $ or % in: ${p.line}`);
        assert.ok(!p.line.includes('\\'), `a backslash in: ${p.line}`);
        if (p.sh !== undefined) assert.ok(!p.sh.includes("'"), `a single quote inside the wrapper: ${p.line}`);
      }
    });

    it(`${label}: the unit is written by a quoted here-document (no expansion by the outer shell) and enabled`, () => {
      const lines = script.split('\n');
      const open = lines.indexOf("cat > /etc/systemd/system/ilb-hairpin-secondary-nic.service <<'UNIT'");
      const close = lines.indexOf('UNIT');
      assert.ok(open >= 0 && close > open, 'a quoted here-document holds the unit');
      assert.ok(lines.slice(open + 1, close).every((l) => l !== 'UNIT'));
      assert.deepEqual(lines.slice(close + 1), ['systemctl daemon-reload', 'systemctl enable --now ilb-hairpin-secondary-nic.service', '']);
      // The outer shell writes the unit as is: bash reading the here-document keeps $$ and %%.
      const unit = spawnSync('bash', ['-c', lines.slice(open, close + 1).join('\n').replace('cat > /etc/systemd/system/ilb-hairpin-secondary-nic.service', 'cat')], { encoding: 'utf8' });
      assert.equal(unit.status, 0, unit.stderr);
      assert.equal(unit.stdout, `${lines.slice(open + 1, close).join('\n')}\n`);
    });
  }
});

describe('linuxSecondaryNicScript: routes and gateway', () => {
  for (const { label, script } of SCRIPTS) {
    it(`${label}: one route per VIP, /32 through the gateway out of the secondary NIC, in order`, () => {
      const routes = programs(script)
        .map((p) => /; ip route replace (\S+) via \$gw dev \$n2$/.exec(p.sh ?? '')?.[1])
        .filter((x): x is string => x !== undefined);
      assert.deepEqual(routes, ['10.2.1.100/32', '10.2.1.101/32']);
      for (const v of VIPS) assert.equal(script.split('\n').filter((l) => l.includes(`ip route replace ${v}/32 via $$gw dev $$n2'`)).length, 1, v);
    });

    it(`${label}: the reply route and rule use table ${LINUX_SECONDARY_NIC_TABLE}, and the sysctls of the secondary NIC`, () => {
      const tails = programs(script)
        .filter((p) => p.sh !== undefined)
        .map((p) => (p.sh as string).split('; ip2=${4%/*}; ')[1]);
      assert.deepEqual(tails, [
        `ip route replace $ip2/32 via $gw dev $n1 table ${LINUX_SECONDARY_NIC_TABLE}`,
        `ip rule del pref 50 2>/dev/null || true; ip rule add pref 50 from $ip1 to $ip2 iif lo lookup ${LINUX_SECONDARY_NIC_TABLE}`,
        'echo 1 > /proc/sys/net/ipv4/conf/$n2/accept_local; echo 2 > /proc/sys/net/ipv4/conf/$n2/rp_filter',
        'ip route replace 10.2.1.100/32 via $gw dev $n2',
        'ip route replace 10.2.1.101/32 via $gw dev $n2',
      ]);
    });
  }

  it('a given gateway is a literal in every wrapped program; none is discovered', () => {
    for (const p of programs(WITH_GATEWAY).filter((x) => x.sh !== undefined)) {
      assert.ok((p.sh as string).startsWith('set -e; set -- $(ip -4 route show default); n1=$5; gw=10.2.1.1; '), p.sh);
      assert.ok(!(p.sh as string).includes('gw=$3'));
    }
  });

  it('without a gateway, every wrapped program takes it from the default route (gw=$3 after set -- $(ip -4 route show default))', () => {
    for (const p of programs(AT_BOOT).filter((x) => x.sh !== undefined)) {
      assert.ok((p.sh as string).startsWith('set -e; set -- $(ip -4 route show default); n1=$5; gw=$3; '), p.sh);
      assert.doesNotMatch(p.sh as string, /gw=\d/);
    }
    // In the unit as written: systemd's escape of the same.
    assert.ok(AT_BOOT.includes("ExecStart=/bin/sh -c 'set -e; set -- $$(ip -4 route show default); n1=$$5; gw=$$3; "));
  });

  it('the discovery finds n1, gw, ip1, n2 and ip2 as expected from typical `ip` output (fake ip, ls)', () => {
    // The find part of one program, run by the POSIX shell with `ip` and `ls` replaced by functions
    // printing what an Azure VM with eth0 10.2.1.4/24 (default via 10.2.1.1) and eth1 10.2.1.5/24 shows.
    const find = (programs(AT_BOOT)[2]?.sh as string).split('; ip route replace ')[0] as string;
    const fakes = [
      'ip() {',
      '  case "$*" in',
      '    "-4 route show default") echo "default via 10.2.1.1 dev eth0 proto dhcp src 10.2.1.4 metric 100" ;;',
      '    "-o -4 route show dev eth0 scope link") echo "10.2.1.0/24 proto kernel src 10.2.1.4 metric 100" ;;',
      '    "-o -4 route show dev eth1 scope link") echo "10.2.1.0/24 proto kernel src 10.2.1.5 metric 200" ;;',
      '    "-o -4 route show dev docker0 scope link") echo "172.17.0.0/16 proto kernel src 172.17.0.1 linkdown" ;;',
      '    "-o -4 route show dev "*) ;;',
      '    "-o -4 addr show dev eth0") echo "2: eth0    inet 10.2.1.4/24 metric 100 brd 10.2.1.255 scope global eth0\\       valid_lft forever preferred_lft forever" ;;',
      '    "-o -4 addr show dev eth1") echo "3: eth1    inet 10.2.1.5/24 metric 200 brd 10.2.1.255 scope global eth1\\       valid_lft forever preferred_lft forever" ;;',
      '    *) echo "unexpected ip $*" >&2; return 1 ;;',
      '  esac',
      '}',
      'ls() { echo docker0; echo enP1s1; echo eth0; echo eth1; echo lo; }',
    ].join('\n');
    const r = spawnSync(POSIX_SH, ['-c', `${fakes}\n${find}\necho "n1=$n1 gw=$gw ip1=$ip1 n2=$n2 ip2=$ip2"`], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'n1=eth0 gw=10.2.1.1 ip1=10.2.1.4 n2=eth1 ip2=10.2.1.5\n');
  });

  it('without a second NIC in the subnet the program fails (set -e and [ -n "$n2" ]) instead of routing through nothing', () => {
    const find = (programs(AT_BOOT)[2]?.sh as string).split('; ip route replace ')[0] as string;
    const fakes = [
      'ip() {',
      '  case "$*" in',
      '    "-4 route show default") echo "default via 10.2.1.1 dev eth0" ;;',
      '    "-o -4 route show dev eth0 scope link") echo "10.2.1.0/24 proto kernel src 10.2.1.4" ;;',
      '    "-o -4 route show dev "*) ;;',
      '    "-o -4 addr show dev eth0") echo "2: eth0    inet 10.2.1.4/24 scope global eth0" ;;',
      '    *) echo "unexpected ip $*" >&2; return 1 ;;',
      '  esac',
      '}',
      'ls() { echo eth0; echo lo; }',
    ].join('\n');
    const r = spawnSync(POSIX_SH, ['-c', `${fakes}\n${find}\necho reached`], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.equal(r.stdout, '');
  });
});

describe('secondaryNicScriptRoutes: reads back what the scripts route', () => {
  it('Linux, with a gateway and found at boot', () => {
    assert.deepEqual(secondaryNicScriptRoutes(WITH_GATEWAY), { os: 'linux', vips: VIPS, gateway: GATEWAY });
    assert.deepEqual(secondaryNicScriptRoutes(AT_BOOT), { os: 'linux', vips: VIPS, gateway: undefined });
    assert.deepEqual(secondaryNicScriptRoutes(linuxSecondaryNicScript('10.9.0.7', '10.9.0.1')), { os: 'linux', vips: ['10.9.0.7'], gateway: '10.9.0.1' });
  });

  it('Windows, with a gateway and computed at boot', () => {
    assert.deepEqual(secondaryNicScriptRoutes(windowsSecondaryNicScript(VIPS, GATEWAY)), { os: 'windows', vips: VIPS, gateway: GATEWAY });
    assert.deepEqual(secondaryNicScriptRoutes(windowsSecondaryNicScript(VIPS, undefined)), { os: 'windows', vips: VIPS, gateway: undefined });
    assert.deepEqual(secondaryNicScriptRoutes(windowsSecondaryNicScript('10.9.0.7', '10.9.0.1')), { os: 'windows', vips: ['10.9.0.7'], gateway: '10.9.0.1' });
  });

  it('a script not made by these functions: undefined', () => {
    assert.equal(secondaryNicScriptRoutes('#!/bin/sh\nip route replace 10.2.1.100/32 via 10.2.1.1 dev eth1\n'), undefined);
    assert.equal(secondaryNicScriptRoutes(''), undefined);
  });
});

// ------------------------------------------------------------------ in a network namespace

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasNetns = isRoot && spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).status === 0;
const NETNS_SKIP = !isRoot ? 'not root: ip netns needs root' : !hasNetns ? '`ip netns` is not available' : false;

/** Runs argv in the namespace; throws with its output when it fails. */
function inNs(ns: string, argv: string[], allowFailure = false): string {
  const r = spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' });
  if (r.status !== 0 && !allowFailure) throw new Error(`${argv.join(' ')} failed (${String(r.status)}): ${r.stderr}`);
  return r.stdout;
}

/** A namespace like an Azure VM with two NICs in 10.2.1.0/24: eth0 10.2.1.4 (default via 10.2.1.1), eth1 10.2.1.5. */
function makeVmNamespace(ns: string): void {
  const add = spawnSync('ip', ['netns', 'add', ns], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`ip netns add ${ns}: ${add.stderr}`);
  inNs(ns, ['ip', 'link', 'set', 'lo', 'up']);
  // The veth peers stay in the namespace, up and without addresses (the links need a carrier).
  inNs(ns, ['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0']);
  inNs(ns, ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'peer1']);
  for (const dev of ['eth0', 'eth1', 'peer0', 'peer1']) inNs(ns, ['ip', 'link', 'set', dev, 'up']);
  inNs(ns, ['ip', 'addr', 'add', '10.2.1.4/24', 'dev', 'eth0']);
  inNs(ns, ['ip', 'addr', 'add', '10.2.1.5/24', 'dev', 'eth1']);
  inNs(ns, ['ip', 'route', 'add', 'default', 'via', '10.2.1.1', 'dev', 'eth0']);
}

/** Runs the unit's ExecStart= programs in order, as systemd would (a failure stops it unless `-`). */
function runUnit(ns: string, script: string): { line: string; status: number | null; stderr: string }[] {
  const out: { line: string; status: number | null; stderr: string }[] = [];
  for (const p of programs(script)) {
    const r = spawnSync('ip', ['netns', 'exec', ns, ...p.argv], { encoding: 'utf8' });
    out.push({ line: p.line, status: r.status, stderr: r.stderr });
    if (r.status !== 0 && !p.ignoreFailure) throw new Error(`${p.line}\nfailed (${String(r.status)}): ${r.stderr}`);
  }
  return out;
}

const normalized = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter((l) => l !== '' && l !== 'cache');

const EXPECTED_RULES = [`50: from 10.2.1.4 to 10.2.1.5 iif lo lookup ${LINUX_SECONDARY_NIC_TABLE}`, '100: from all lookup local', '32766: from all lookup main', '32767: from all lookup default'];

describe('linuxSecondaryNicScript: the unit run in a network namespace (eth0 10.2.1.4/24 default via 10.2.1.1, eth1 10.2.1.5/24)', { skip: NETNS_SKIP }, () => {
  let counter = 0;
  for (const { label, script } of SCRIPTS) {
    it(`${label}: ip rule, table ${LINUX_SECONDARY_NIC_TABLE}, the route to each VIP through eth1, the reply through eth0, the sysctls`, () => {
      const ns = `ilbh-test-${process.pid}-${++counter}`;
      try {
        makeVmNamespace(ns);
        const ran = runUnit(ns, script);
        assert.ok(ran.every((r) => r.status === 0), `every program succeeds on a fresh VM: ${JSON.stringify(ran.filter((r) => r.status !== 0))}`);
        assert.deepEqual(normalized(inNs(ns, ['ip', 'rule'])), EXPECTED_RULES);
        assert.deepEqual(normalized(inNs(ns, ['ip', 'route', 'show', 'table', String(LINUX_SECONDARY_NIC_TABLE)])), ['10.2.1.5 via 10.2.1.1 dev eth0']);
        for (const v of VIPS) {
          const [route] = normalized(inNs(ns, ['ip', 'route', 'get', v]));
          assert.match(route ?? '', new RegExp(`^${v.replace(/\./g, '\\.')} via 10\\.2\\.1\\.1 dev eth1 src 10\\.2\\.1\\.5 `), `route to ${v}`);
        }
        // The member's reply to the secondary address (primary -> secondary, sent locally) goes out of eth0 to the gateway.
        const [reply] = normalized(inNs(ns, ['ip', 'route', 'get', '10.2.1.5', 'from', '10.2.1.4']));
        assert.match(reply ?? '', /^10\.2\.1\.5 from 10\.2\.1\.4 via 10\.2\.1\.1 dev eth0 table 16650 /);
        assert.deepEqual(normalized(inNs(ns, ['ip', 'route', 'show', 'table', 'main'])), [
          'default via 10.2.1.1 dev eth0',
          '10.2.1.0/24 dev eth0 proto kernel scope link src 10.2.1.4',
          '10.2.1.0/24 dev eth1 proto kernel scope link src 10.2.1.5',
          '10.2.1.100 via 10.2.1.1 dev eth1',
          '10.2.1.101 via 10.2.1.1 dev eth1',
        ]);
        assert.equal(inNs(ns, ['cat', '/proc/sys/net/ipv4/conf/eth1/accept_local']).trim(), '1');
        assert.equal(inNs(ns, ['cat', '/proc/sys/net/ipv4/conf/eth1/rp_filter']).trim(), '2');
        assert.equal(inNs(ns, ['cat', '/proc/sys/net/ipv4/conf/eth0/accept_local']).trim(), '0', 'the primary NIC is left alone');

        // A restart (the unit run again): the "-" commands fail harmlessly, the state is the same.
        const again = runUnit(ns, script);
        assert.deepEqual(
          again.filter((r) => r.status !== 0).map((r) => r.line),
          ['ExecStart=-/sbin/ip rule add pref 100 lookup local', 'ExecStart=-/sbin/ip rule del pref 0 lookup local'],
        );
        assert.deepEqual(normalized(inNs(ns, ['ip', 'rule'])), EXPECTED_RULES, 'no duplicate rule after a restart');
        assert.deepEqual(normalized(inNs(ns, ['ip', 'route', 'show', 'table', String(LINUX_SECONDARY_NIC_TABLE)])), ['10.2.1.5 via 10.2.1.1 dev eth0']);
      } finally {
        spawnSync('ip', ['netns', 'del', ns]);
      }
      assert.ok(!spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.split(' ')[0] === ns), 'the namespace is gone');
    });
  }
});
