# corral-vmm test (guest B): a static address from corral.ip=, ping the
# control domain, then stay up for guest A to ping.
ip=$(sed -n 's/.*corral\.ip=\([^ ]*\).*/\1/p' /proc/cmdline)
host=$(sed -n 's/.*corral\.host=\([^ ]*\).*/\1/p' /proc/cmdline)
ip link set lo up
ip link set eth0 up
ip addr add "$ip/24" dev eth0
ping -c 3 -W 5 "$host" >/dev/null && echo "PING-HOST ok"
echo "GUEST-WAITING"
sleep 300
