# corral-vmm test: a static address from corral.ip=, then corral.mib= MiB
# of zeros by TCP to the control domain (corral.host=, port 5001); the
# test samples the tap's counters to see the NIC's rate limit hold.
arg() { sed -n "s/.*corral\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
host=$(arg host)
ip link set lo up
ip link set eth0 up
ip addr add "$(arg ip)/24" dev eth0
ping -c 1 -W 5 "$host" >/dev/null
echo "SENDING"
dd if=/dev/zero bs=1M count="$(arg mib)" 2>/dev/null | nc "$host" 5001
echo "NC-STATUS=$?"
