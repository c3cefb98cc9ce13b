# corral-vmm test: how fast the first disk goes, for its rate limits
# (the test gives it bps=4M,iops=50, and runs it once unlimited).  Each
# phase first spends the bucket's burst (one second's worth, and the
# bucket starts full) untimed, then times steady O_DIRECT I/O by
# /proc/uptime: 1 MiB writes, 1 MiB reads (bytes/s), 4 KiB writes (ops/s).
t() { cut -d' ' -f1 /proc/uptime; }
span() { awk "BEGIN {print $2 - $1}"; }
MIB=24
OPS=300
dd if=/dev/zero of=/dev/vda bs=1M count=8 oflag=direct 2>/dev/null || exit 1
s=$(t); dd if=/dev/zero of=/dev/vda bs=1M count=$MIB seek=8 oflag=direct 2>/dev/null || exit 1; e=$(t)
echo "RATE-WRITE bytes=$((MIB << 20)) seconds=$(span $s $e)"
s=$(t); dd if=/dev/vda of=/dev/null bs=1M count=$MIB iflag=direct 2>/dev/null || exit 1; e=$(t)
echo "RATE-READ bytes=$((MIB << 20)) seconds=$(span $s $e)"
dd if=/dev/zero of=/dev/vda bs=4k count=100 oflag=direct 2>/dev/null || exit 1
s=$(t); dd if=/dev/zero of=/dev/vda bs=4k count=$OPS oflag=direct 2>/dev/null || exit 1; e=$(t)
echo "RATE-OPS ops=$OPS seconds=$(span $s $e)"
