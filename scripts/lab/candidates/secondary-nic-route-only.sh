#!/bin/sh
# HAND-WRITTEN CANDIDATE for the hairpin lab, not product output. The Windows-style secondary-NIC
# workaround transposed to Linux: only a route that sends the VIP out of the second NIC (the one
# that is not in the backend pool) via the subnet gateway. The lab measures that it is NOT enough
# on Linux (docs/lab.md, scenario 3). Placeholders: <VIP> <GATEWAY> <NIC2_IP>.
set -eu
cat > /etc/systemd/system/ilb-hairpin-secondary-nic.service <<'UNIT'
[Unit]
Description=ILB frontend <VIP> through the secondary NIC (route only)
After=network-online.target
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
# The VIP through the NIC that holds <NIC2_IP> (found at boot, not by name).
ExecStart=/bin/sh -c 'ip route replace <VIP>/32 via <GATEWAY> dev "$$(ip -o -4 addr show to <NIC2_IP>/32 | cut -d" " -f2)"'

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now ilb-hairpin-secondary-nic.service
