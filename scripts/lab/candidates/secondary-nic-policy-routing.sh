#!/bin/sh
# HAND-WRITTEN CANDIDATE for the hairpin lab, not product output (yet). The secondary-NIC
# workaround for Linux, as proven by the lab (docs/lab.md, scenario 3; docs/open-points.md):
#   1. the VIP is routed out of the second NIC (NIC2, not in the backend pool), as on Windows;
#   2. the member's reply to NIC2's address (primary IP -> NIC2 IP) must leave through the primary
#      NIC so that the platform un-NATs it, instead of being delivered locally: a policy rule for
#      locally sent packets (iif lo), looked up before the local table, sends it to the gateway;
#      the local table moves from priority 0 to 100 to make room for that rule;
#   3. NIC2 accepts packets whose source is one of the VM's own addresses (accept_local, loose
#      reverse-path filter), so that calls between the VM's two addresses keep working.
# Interfaces are found at boot by the addresses they hold, not by name.
# Placeholders: <VIP> <GATEWAY> <NIC1_IP> (in the pool) <NIC2_IP> (not in the pool) <TABLE>.
set -eu
cat > /etc/systemd/system/ilb-hairpin-secondary-nic.service <<'UNIT'
[Unit]
Description=ILB frontend <VIP> through the secondary NIC, replies to it through the primary NIC
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
# Look up the local table after rule 50 (add the new position first, then drop the old one;
# "-": already done on a restart).
ExecStart=-/sbin/ip rule add pref 100 lookup local
ExecStart=-/sbin/ip rule del pref 0 lookup local
# Primary IP -> NIC2 IP leaves through the primary NIC via the gateway (the platform un-NATs it).
ExecStart=/bin/sh -c 'ip route replace <NIC2_IP>/32 via <GATEWAY> dev "$$(ip -o -4 addr show to <NIC1_IP>/32 | cut -d" " -f2)" table <TABLE>'
ExecStart=-/sbin/ip rule add pref 50 from <NIC1_IP> to <NIC2_IP> iif lo lookup <TABLE>
# That rule (and the same path taken by a call the VM makes from <NIC1_IP> to <NIC2_IP>) brings
# packets back to NIC2 with a source address of this VM: NIC2 accepts them (accept_local), also
# when the image filters reverse paths strictly (rp_filter=1; 2 is loose).
ExecStart=/bin/sh -c 'd=$$(ip -o -4 addr show to <NIC2_IP>/32 | cut -d" " -f2); echo 1 > /proc/sys/net/ipv4/conf/$$d/accept_local; echo 2 > /proc/sys/net/ipv4/conf/$$d/rp_filter'
# Calls to the VIP leave through NIC2 (the Windows-style route).
ExecStart=/bin/sh -c 'ip route replace <VIP>/32 via <GATEWAY> dev "$$(ip -o -4 addr show to <NIC2_IP>/32 | cut -d" " -f2)"'

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now ilb-hairpin-secondary-nic.service
