#!/bin/sh
# Not a scenario: udhcpc's script for net-*.sh - apply the lease.  udhcpc
# executes it, so it needs the #! line (and guest.py's execute bit).
case "$1" in
bound|renew)
    ip addr add "$ip/${mask:-24}" dev "$interface"
    echo "DHCP-BOUND ip=$ip"
    ;;
esac
