# Not a scenario: udhcpc's script for net-*.sh - apply the lease.
case "$1" in
bound|renew)
    ip addr add "$ip/${mask:-24}" dev "$interface"
    echo "DHCP-BOUND ip=$ip"
    ;;
esac
