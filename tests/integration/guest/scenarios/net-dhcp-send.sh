# corral-vmm test (guest A): DHCP through br0, ping the control domain and
# the other guest, send 64 MiB to the control domain.  The addresses come
# on the kernel command line: corral.host=IP corral.peer=IP.
arg() { sed -n "s/.*corral\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
host=$(arg host); peer=$(arg peer)
ip link set lo up
ip link set eth0 up
echo "NIC mac=$(cat /sys/class/net/eth0/address) driver=$(basename "$(readlink /sys/class/net/eth0/device/driver)")"
echo "OFFLOAD $(cat /sys/class/net/eth0/features 2>/dev/null)"
udhcpc -i eth0 -n -q -t 10 -T 2 -s /scenarios/net-udhcpc.sh || exit 1
ping -c 3 -W 5 "$host" >/dev/null && echo "PING-HOST ok"
for i in 1 2 3 4 5 6 7 8 9 10; do
    ping -c 1 -W 2 "$peer" >/dev/null && { echo "PING-PEER ok"; break; }
done
dd if=/dev/urandom of=/tmp/blob bs=1M count=64 2>/dev/null
echo "SENT md5=$(md5sum </tmp/blob | cut -d' ' -f1)"
nc "$host" 5000 </tmp/blob
echo "NC-STATUS=$?"
