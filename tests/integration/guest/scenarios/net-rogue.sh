# Issue 18 (test_guard.py): a hostile guest on br0.  It tries the control
# domain's SSH port, answers DHCP to it (UDP 67 -> 68, what an offer is),
# then claims the control domain's address as its own by ARP (gratuitous
# and replies).  The control domain is
# corral.host=IP; the guest's own address corral.ip=IP.
arg() { sed -n "s/.*corral\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
host=$(arg host); ip=$(arg ip)
ip link set lo up
ip link set eth0 up
ip addr add "$ip/24" dev eth0
echo "NIC mac=$(cat /sys/class/net/eth0/address)"
ping -c 2 -W 5 "$host" >/dev/null && echo "PING-HOST ok"
banner=$(timeout 20 nc "$host" 22 </dev/null 2>/dev/null | head -c 32 | tr -dc 'A-Za-z0-9._-')
echo "SSH-BANNER [$banner]"
corral-udpsend 67 "$host" 68 CORRAL-ROGUE-OFFER 3
corral-udpsend 67 "${ip%.*}.255" 68 CORRAL-ROGUE-OFFER 3  # the /24 broadcast
# The host's address on this guest too (arping binds to it), then the lies.
ip addr add "$host/32" dev eth0
arping -U -c 3 -I eth0 -s "$host" "$host" >/dev/null 2>&1; echo "ARP-GRATUITOUS $?"
arping -A -c 3 -I eth0 -s "$host" "$host" >/dev/null 2>&1; echo "ARP-REPLY $?"
echo "ROGUE-DONE"
