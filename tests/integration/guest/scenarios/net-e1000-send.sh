# corral-vmm test (an e1000 guest): DHCP through br0, ping the control
# domain, send corral.mib MiB (default 64) to it and time the transfer.
# The control domain's address comes as corral.host=IP.
# Run with the no-virtio initramfs (guest.NOVIRTIO_INITRD): none to see.
. /scenarios/lib-guest.sh
virtio_report
host=$(arg host); mib=$(arg mib); mib=${mib:-64}
ip link set lo up
ip link set eth0 up
echo "NIC mac=$(cat /sys/class/net/eth0/address) driver=$(basename "$(readlink /sys/class/net/eth0/device/driver)")"
udhcpc -i eth0 -n -q -t 10 -T 2 -s /scenarios/net-udhcpc.sh || exit 1
ping -c 3 -W 5 "$host" >/dev/null && echo "PING-HOST ok"
dd if=/dev/urandom of=/tmp/blob bs=1M count="$mib" 2>/dev/null
echo "SENT md5=$(md5sum </tmp/blob | cut -d' ' -f1)"
start=$(cut -d' ' -f1 /proc/uptime)
nc "$host" 5002 </tmp/blob
echo "NC-STATUS=$?"
end=$(cut -d' ' -f1 /proc/uptime)
echo "SENT seconds=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }')"
cat /proc/interrupts | grep -i eth0 | sed 's/^/IRQS /'
