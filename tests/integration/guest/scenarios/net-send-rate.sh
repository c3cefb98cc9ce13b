# corral-vmm test: a static address from corral.ip=, then corral.mib= MiB
# of zeros by TCP to the control domain (corral.host=, port 5001), timed by
# /proc/uptime: the test checks the NIC's rate limit from that time.
arg() { sed -n "s/.*corral\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
t() { cut -d' ' -f1 /proc/uptime; }
host=$(arg host)
ip link set lo up
ip link set eth0 up
ip addr add "$(arg ip)/24" dev eth0
ping -c 1 -W 5 "$host" >/dev/null
echo "SENDING"
s=$(t)
dd if=/dev/zero bs=1M count="$(arg mib)" 2>/dev/null | nc "$host" 5001
echo "NC-STATUS=$?"
e=$(t)
echo "SENT seconds=$(awk "BEGIN {print $e - $s}")"
