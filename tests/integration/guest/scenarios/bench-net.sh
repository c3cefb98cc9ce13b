# Benchmark (tests/bench/bench_net.py): TCP to the control domain with
# corral-nettest, then a disk write, each phase between EXITS-*-START and
# EXITS-*-END markers at which the bench takes corral-vmm's exit counters.
# corral.ip= (static address), corral.host= (the control domain on br0),
# corral.secs= (length of the timed phases), corral.count= (round trips).
. /scenarios/lib-guest.sh
ip=$(arg ip); host=$(arg host); secs=$(arg secs); count=$(arg count)
net_static_up "$ip" "$host" || exit 1
echo "EXITS-NET-START"
corral-nettest throughput "$host" --seconds "$secs" || exit 1
echo "EXITS-NET-END"
corral-nettest latency "$host" --count "$count" || exit 1
# Sequential 1 MiB O_DIRECT writes over the first 64 MiB of /dev/vda, again
# and again for secs seconds.
end=$(($(cut -d. -f1 /proc/uptime) + secs))
mib=0
echo "EXITS-DISK-START"
while [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
    dd if=/dev/zero of=/dev/vda bs=1M count=64 oflag=direct 2>/dev/null || exit 1
    mib=$((mib + 64))
done
echo "EXITS-DISK-END"
echo "BENCH-DISK-MIB $mib"
