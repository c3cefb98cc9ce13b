# Benchmark: sequential virtio-blk throughput on the first disk, 256 MiB
# written then read in 1 MiB O_DIRECT blocks, timed by /proc/uptime.
t() { cut -d' ' -f1 /proc/uptime; }
s=$(t); dd if=/dev/zero of=/dev/vda bs=1M count=256 oflag=direct 2>/dev/null || exit 1; e=$(t)
echo "BENCH-WRITE seconds=$(awk "BEGIN {print $e - $s}")"
s=$(t); dd if=/dev/vda of=/dev/null bs=1M count=256 iflag=direct 2>/dev/null || exit 1; e=$(t)
echo "BENCH-READ seconds=$(awk "BEGIN {print $e - $s}")"
