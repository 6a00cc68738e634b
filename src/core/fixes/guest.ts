/**
 * The guest side of floating IP: each member must own the frontend IP (the VIP) on a loopback
 * interface, so that packets arriving with the VIP as their destination are accepted, and a
 * member calling the VIP is served by itself. Scripts are plain text, made here, checked by tests
 * (`bash -n`), and carried into templates by the loopback fix.
 */
import { decodeBase64Text, toBase64 } from '../base64';
import type { TextEdit } from '../edit';

/** Linux: a systemd unit that puts the VIP/32 on `lo` at every boot (idempotent: `ip addr replace`). */
export function linuxLoopbackScript(vip: string): string {
  return systemdOneshotScript('ilb-hairpin-vip.service', ['# ilb-hairpin: the internal load balancer frontend IP on the loopback (floating IP / DSR).'], `ILB frontend ${vip} on the loopback (floating IP)`, [
    `ExecStart=/sbin/ip addr replace ${vip}/32 dev lo`,
    `ExecStop=/sbin/ip addr del ${vip}/32 dev lo`,
  ]);
}

/** A shell script that writes a oneshot systemd unit with these [Service] lines, and starts and enables it (so it runs now and at every boot). */
function systemdOneshotScript(unit: string, comments: readonly string[], description: string, service: readonly string[]): string {
  return [
    '#!/bin/sh',
    ...comments,
    'set -eu',
    `cat > /etc/systemd/system/${unit} <<'UNIT'`,
    '[Unit]',
    `Description=${description}`,
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    ...service,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    'UNIT',
    'systemctl daemon-reload',
    `systemctl enable --now ${unit}`,
    '',
  ].join('\n');
}

/**
 * Windows: the VIP on "Loopback Pseudo-Interface 1" with weak host send/receive, weak host
 * receive on the NIC that holds the default route, and a firewall rule for the port(s), as the
 * load-balancer floating IP documentation describes. netsh keeps the address across reboots.
 */
export function windowsLoopbackScript(vip: string, port: number | null, protocol: string | null): string {
  const proto = protocol && /^udp$/i.test(protocol) ? 'UDP' : 'TCP';
  const firewall =
    port && port > 0
      ? `New-NetFirewallRule -DisplayName 'ilb-hairpin VIP ${vip}:${port}' -Direction Inbound -Protocol ${proto} -LocalPort ${port} -Action Allow -ErrorAction SilentlyContinue | Out-Null`
      : `New-NetFirewallRule -DisplayName 'ilb-hairpin VIP ${vip}' -Direction Inbound -LocalAddress ${vip} -Action Allow -ErrorAction SilentlyContinue | Out-Null`;
  return [
    '# ilb-hairpin: the internal load balancer frontend IP on the loopback (floating IP / DSR).',
    "$ErrorActionPreference = 'Stop'",
    "$nic = (Get-NetRoute -DestinationPrefix '0.0.0.0/0' | Sort-Object RouteMetric | Select-Object -First 1).InterfaceAlias",
    'netsh int ipv4 set int "$nic" weakhostreceive=enabled',
    `netsh int ipv4 add addr "Loopback Pseudo-Interface 1" ${vip} 255.255.255.255`,
    'netsh int ipv4 set int "Loopback Pseudo-Interface 1" weakhostreceive=enabled weakhostsend=enabled',
    firewall,
    '',
  ].join('\r\n');
}

/**
 * A loopback script made by this module with one more VIP (the same script when it has it);
 * undefined for any other text.
 */
export function withLoopbackVip(script: string, vip: string, port: number | null, protocol: string | null): string | undefined {
  if (script.includes('ilb-hairpin-vip.service')) {
    if (script.includes(`ip addr replace ${vip}/32 dev lo`)) return script;
    return script
      .replace(/(ExecStart=\/sbin\/ip addr replace \S+\/32 dev lo\n)(?!ExecStart=\/sbin\/ip addr replace)/, `$1ExecStart=/sbin/ip addr replace ${vip}/32 dev lo\n`)
      .replace(/(ExecStop=\/sbin\/ip addr del \S+\/32 dev lo\n)(?!ExecStop=)/, `$1ExecStop=/sbin/ip addr del ${vip}/32 dev lo\n`);
  }
  if (script.includes('"Loopback Pseudo-Interface 1"') && script.startsWith('# ilb-hairpin: the internal load balancer frontend IP on the loopback')) {
    if (script.includes(`"Loopback Pseudo-Interface 1" ${vip} 255.255.255.255`)) return script;
    const lines = windowsLoopbackScript(vip, port, protocol).split('\r\n');
    const add = lines.filter((l) => l.startsWith('netsh int ipv4 add addr') || l.startsWith('New-NetFirewallRule'));
    return script.replace(/\r\n$/, '') + '\r\n' + add.join('\r\n') + '\r\n';
  }
  return undefined;
}

/** Base64 of UTF-8 text (CustomScript's `script` setting). */
export function base64Utf8(text: string): string {
  return toBase64(new TextEncoder().encode(text));
}

/** PowerShell's `-EncodedCommand`: base64 of the UTF-16LE text. */
export function encodedCommand(script: string): string {
  const bytes = new Uint8Array(script.length * 2);
  for (let i = 0; i < script.length; i++) {
    const c = script.charCodeAt(i);
    bytes[2 * i] = c & 0xff;
    bytes[2 * i + 1] = c >> 8;
  }
  return toBase64(bytes);
}

/**
 * Edits that re-make the guest scripts an earlier fix embedded in a file (a CustomScript `script`
 * in base64, or a PowerShell encoded command): `remake` gives the new script, the same one when
 * nothing changes, or undefined for a text that is not its kind. Undefined when no script of that
 * kind is in the file.
 */
export function rewriteEmbeddedScripts(text: string, file: string, remake: (script: string) => string | undefined): TextEdit[] | undefined {
  const edits: TextEdit[] = [];
  let found = false;
  for (const m of text.matchAll(/[A-Za-z0-9+/]{100,}={0,2}/g)) {
    for (const encoding of ['utf-8', 'utf-16le'] as const) {
      const script = decodeBase64Text(m[0], encoding);
      const again = script !== undefined ? remake(script) : undefined;
      if (again === undefined) continue;
      found = true;
      if (again !== script) edits.push({ file, offset: m.index, length: m[0].length, newText: encoding === 'utf-8' ? base64Utf8(again) : encodedCommand(again) });
      break;
    }
  }
  return found ? edits : undefined;
}

/** The extension's `properties` for one OS (CustomScript on Linux, CustomScriptExtension on Windows). */
export function extensionProperties(os: 'linux' | 'windows', vip: string, port: number | null, protocol: string | null): Record<string, unknown> {
  return customScriptProperties(os, os === 'linux' ? linuxLoopbackScript(vip) : windowsLoopbackScript(vip, port, protocol));
}

/** A CustomScript (Linux: a shell script) or CustomScriptExtension (Windows: PowerShell) running `script` once. */
export function customScriptProperties(os: 'linux' | 'windows', script: string): Record<string, unknown> {
  if (os === 'linux') {
    return {
      publisher: 'Microsoft.Azure.Extensions',
      type: 'CustomScript',
      typeHandlerVersion: '2.1',
      autoUpgradeMinorVersion: true,
      protectedSettings: { script: base64Utf8(script) },
    };
  }
  return {
    publisher: 'Microsoft.Compute',
    type: 'CustomScriptExtension',
    typeHandlerVersion: '1.10',
    autoUpgradeMinorVersion: true,
    protectedSettings: { commandToExecute: `powershell -NoProfile -ExecutionPolicy Bypass -EncodedCommand ${encodedCommand(script)}` },
  };
}

/** The subnet gateway Azure uses: the first host of the prefix (10.2.1.0/24 -> 10.2.1.1); undefined for anything else than IPv4 CIDR. */
export function subnetGateway(prefix: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(prefix.trim());
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 29) return undefined;
  const ip = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - bits);
  const gateway = Math.floor(ip / size) * size + 1;
  return [24, 16, 8, 0].map((shift) => Math.floor(gateway / 2 ** shift) % 256).join('.');
}

/** The routing table the Linux secondary-NIC configuration uses for its reply rule. */
export const LINUX_SECONDARY_NIC_TABLE = 16650;

/**
 * Linux, secondary NIC, as proven in the hairpin lab (docs/lab.md, scenario 3): the VIP/32 goes
 * out of the secondary NIC, as on Windows; the member's reply to the secondary address (primary
 * IP -> secondary IP) must leave through the primary NIC so that the platform un-NATs it, instead
 * of being delivered inside the VM: a rule for locally sent packets, looked up before the local
 * table (moved from priority 0 to 100), sends it to the gateway; the secondary NIC accepts
 * packets from the VM's own addresses (accept_local, loose reverse-path filter). A systemd unit
 * runs it at every boot; the NICs and their addresses are found at boot (the primary NIC holds
 * the default route, the secondary one is the other interface in its subnet), so dynamic
 * addresses work. `$$` and `%%` are systemd's escapes for `$` and `%`.
 */
export function linuxSecondaryNicScript(vipOrVips: string | readonly string[], gateway: string | undefined): string {
  const vips = typeof vipOrVips === 'string' ? [vipOrVips] : vipOrVips;
  const vip = vips.join(', ');
  const table = LINUX_SECONDARY_NIC_TABLE;
  // Finds n1/ip1 (primary: the default route's NIC), n2/ip2 (another NIC in the same subnet), gw.
  const find = [
    'set -e',
    'set -- $$(ip -4 route show default)',
    'n1=$$5',
    `gw=${gateway ?? '$$3'}`,
    'net=$$(ip -o -4 route show dev $$n1 scope link | cut -d" " -f1 | head -n1)',
    'set -- $$(ip -o -4 addr show dev $$n1)',
    'ip1=$${4%%/*}',
    'n2=',
    'for d in $$(ls /sys/class/net); do [ $$d != lo ] && [ $$d != $$n1 ] && ip -o -4 route show dev $$d scope link | cut -d" " -f1 | grep -qxF "$$net" && n2=$$d && break; done',
    '[ -n "$$n2" ]',
    'set -- $$(ip -o -4 addr show dev $$n2)',
    'ip2=$${4%%/*}',
  ].join('; ');
  const sh = (command: string): string => `ExecStart=/bin/sh -c '${find}; ${command}'`;
  return systemdOneshotScript(
    'ilb-hairpin-secondary-nic.service',
    [
      `# ilb-hairpin: calls to the internal load balancer frontend ${vip} leave through the secondary NIC (in no backend pool),`,
      '# and replies to the secondary address leave through the primary NIC (proven in the hairpin lab, docs/lab.md).',
    ],
    `ILB frontend ${vip} through the secondary NIC, replies to it through the primary NIC`,
    [
      '# The local table after rule 50 ("-": already done on a restart).',
      'ExecStart=-/sbin/ip rule add pref 100 lookup local',
      'ExecStart=-/sbin/ip rule del pref 0 lookup local',
      '# Primary IP -> secondary IP leaves through the primary NIC via the gateway (the platform un-NATs it).',
      sh(`ip route replace $$ip2/32 via $$gw dev $$n1 table ${table}`),
      sh(`ip rule del pref 50 2>/dev/null || true; ip rule add pref 50 from $$ip1 to $$ip2 iif lo lookup ${table}`),
      "# Packets with the VM's own source address are accepted on the secondary NIC.",
      sh('echo 1 > /proc/sys/net/ipv4/conf/$$n2/accept_local; echo 2 > /proc/sys/net/ipv4/conf/$$n2/rp_filter'),
      '# Calls to the VIP leave through the secondary NIC.',
      ...vips.map((v) => sh(`ip route replace ${v}/32 via $$gw dev $$n2`)),
    ],
  );
}

/** The VIPs a secondary-NIC script made by this module routes, and its gateway (undefined: found at boot). */
export function secondaryNicScriptRoutes(script: string): { os: 'linux' | 'windows'; vips: string[]; gateway: string | undefined } | undefined {
  if (!script.includes('# ilb-hairpin: calls to the internal load balancer frontend')) return undefined;
  const windows = [...script.matchAll(/^route -p add (\S+) mask 255\.255\.255\.255/gm)].map((m) => m[1] as string);
  if (windows.length) return { os: 'windows', vips: windows, gateway: /^\$gateway = '([\d.]+)'/m.exec(script)?.[1] };
  const linux = [...script.matchAll(/ip route replace ([\d.]+)\/32 via \$\$gw dev \$\$n2'/g)].map((m) => m[1] as string);
  if (linux.length) {
    const gw = /gw=([\d.]+);/.exec(script)?.[1];
    return { os: 'linux', vips: linux, gateway: gw };
  }
  return undefined;
}

/**
 * Windows, secondary NIC: the VIP/32 routed through the subnet gateway out of the secondary NIC
 * (`route -p add`), so the member's own calls to the frontend leave with the secondary NIC's
 * address, which the load balancer never hashes back to the member. The interface is found at
 * every boot (a scheduled task): Azure gives the default route only to the primary NIC, so the
 * secondary NIC is the other adapter holding a DHCP address. With no gateway given, it is the
 * first host of that adapter's subnet.
 */
export function windowsSecondaryNicScript(vipOrVips: string | readonly string[], gateway: string | undefined): string {
  const vips = typeof vipOrVips === 'string' ? [vipOrVips] : vipOrVips;
  const vip = vips.join(', ');
  const route = [
    "$ErrorActionPreference = 'Stop'",
    "$primary = (Get-NetRoute -DestinationPrefix '0.0.0.0/0' | Sort-Object RouteMetric | Select-Object -First 1).InterfaceIndex",
    '$second = Get-NetIPAddress -AddressFamily IPv4 -PrefixOrigin Dhcp | Where-Object { $_.InterfaceIndex -ne $primary } | Sort-Object InterfaceIndex | Select-Object -First 1',
    "if (-not $second) { throw 'ilb-hairpin: the secondary NIC has no IPv4 address' }",
    ...(gateway
      ? [`$gateway = '${gateway}'`]
      : [
          '$bytes = ([System.Net.IPAddress]$second.IPAddress).GetAddressBytes(); [Array]::Reverse($bytes)',
          '$size = [uint32][math]::Pow(2, 32 - $second.PrefixLength)',
          '$first = [uint32]([math]::Floor([BitConverter]::ToUInt32($bytes, 0) / $size) * $size + 1)',
          '$g = [BitConverter]::GetBytes($first); [Array]::Reverse($g); $gateway = ([System.Net.IPAddress]$g).ToString()',
        ]),
    ...vips.flatMap((v) => [`route delete ${v} | Out-Null`, `route -p add ${v} mask 255.255.255.255 $gateway if $($second.InterfaceIndex)`]),
  ];
  return [
    `# ilb-hairpin: calls to the internal load balancer frontend ${vip} leave through the secondary NIC (in no backend pool).`,
    "$ErrorActionPreference = 'Stop'",
    "$dir = Join-Path $env:ProgramData 'ilb-hairpin'",
    'New-Item -ItemType Directory -Force -Path $dir | Out-Null',
    "$file = Join-Path $dir 'secondary-nic-route.ps1'",
    "Set-Content -Path $file -Encoding UTF8 -Value @'",
    ...route,
    "'@",
    '& $file',
    "$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument \"-NoProfile -ExecutionPolicy Bypass -File `\"$file`\"\"",
    "Register-ScheduledTask -TaskName 'ilb-hairpin-secondary-nic-route' -Action $action -Trigger (New-ScheduledTaskTrigger -AtStartup) -User 'SYSTEM' -RunLevel Highest -Force | Out-Null",
    '',
  ].join('\r\n');
}
