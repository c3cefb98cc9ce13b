# Benchmark (tests/bench/bench_devices.py): the same guest with its disk and
# NIC on virtio or on SATA + e1000.  corral.dev= (vda or sda), corral.mib=
# (sequential MiB), corral.secs= (random reads and TCP, seconds),
# corral.ip= (static address), corral.host= (the control domain on br0).
# Each phase is between EXITS-*-START and EXITS-*-END markers at which the
# bench takes corral-vmm's exit counters.
. /scenarios/lib-guest.sh
dev=/dev/$(arg dev); mib=$(arg mib); secs=$(arg secs); ip=$(arg ip); host=$(arg host)
wait_block "${dev#/dev/}"
echo "BENCH-DEVICES disk=$(basename "$(readlink /sys/block/${dev#/dev/}/device/driver 2>/dev/null)") nic=$(basename "$(readlink /sys/class/net/eth0/device/driver)")"
t() { cut -d' ' -f1 /proc/uptime; }
echo "EXITS-WRITE-START"
s=$(t); dd if=/dev/zero of="$dev" bs=1M count="$mib" oflag=direct 2>/dev/null || exit 1; e=$(t)
echo "EXITS-WRITE-END"
echo "BENCH-WRITE seconds=$(awk "BEGIN {print $e - $s}")"
echo "EXITS-READ-START"
s=$(t); dd if="$dev" of=/dev/null bs=1M count="$mib" iflag=direct 2>/dev/null || exit 1; e=$(t)
echo "EXITS-READ-END"
echo "BENCH-READ seconds=$(awk "BEGIN {print $e - $s}")"
corral-randread "$dev" "$secs" || exit 1
net_static_up "$ip" "$host" || exit 1
echo "EXITS-NET-START"
corral-nettest throughput "$host" --seconds "$secs" || exit 1
echo "EXITS-NET-END"
