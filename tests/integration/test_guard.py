"""Issue 18: the guests' network cannot attack the host.  A hostile guest
on br0 (guest/scenarios/net-rogue.sh) answers DHCP to the control domain,
claims the control domain's address by ARP, and tries its SSH port.  The bridge guard (corral-netguard's ebtables rules) drops
all of it: the control domain's address and neighbour table stay as they
were, no UDP datagram reaches it (its UDP counters do not move), each
rule's counter shows the frames it dropped, and SSH answers only once
mgmt_from_vms = yes.
"""

import re

from test_net import br0_address, guest_args
from test_vmm import booted, retry_on_nested_fault, run_vmm, stop_vmms

GUEST_IP = "10.0.2.201"


def udp_received(m):
    """IPv4 UDP datagrams the control domain took in, to an open port or
    not (/proc/net/snmp's InDatagrams + NoPorts)."""
    rows = [l.split() for l in m.out("grep '^Udp:' /proc/net/snmp").splitlines()]
    fields = dict(zip(rows[0][1:], rows[1][1:]))
    return int(fields["InDatagrams"]) + int(fields["NoPorts"])


def rule_counts(m):
    """{rule text: packets} of the guard's chain for frames to the host."""
    out = m.out("ebtables -L CORRAL-GUARD-IN --Lc")
    counts = {r.group(1).strip(): int(r.group(2))
              for r in re.finditer(r"^(-.*?) , pcnt = (\d+)", out, re.M)}
    assert counts, out
    return counts


def dropped_by(dropped, fragment):
    """Packets dropped by the one rule whose text holds fragment."""
    rules = [rule for rule in dropped if fragment in rule]
    assert len(rules) == 1, (fragment, list(dropped))
    return dropped[rules[0]]


def run_rogue(m, host):
    try:
        status, out = run_vmm(m, "-v " + guest_args(
            "rogue", "net-rogue", "corral.host=%s corral.ip=%s" % (host, GUEST_IP)), timeout=300)
    finally:
        stop_vmms(m)
    booted(out)
    assert "ROGUE-DONE" in out, out[-3000:]
    return out


def test_a_hostile_guest_cannot_attack_the_host(appliance, testdata_image):
    retry_on_nested_fault(appliance, testdata_image, _hostile_guest)


def _hostile_guest(m):
    host = br0_address(m)
    assert m.out("cat /run/corral/status/guard").startswith(
        "br0 guarded (1 uplink(s), 1 IPv4"), m.out("cat /run/corral/status/guard")
    assert m.out("corral-sysconf get mgmt_from_vms").strip() == "no"
    neigh_before = m.out("ip neigh show dev br0 | grep -v -e FAILED -e INCOMPLETE | sort")
    before = rule_counts(m)
    udp_before = udp_received(m)
    out = run_rogue(m, host)
    udp_after = udp_received(m)
    after = rule_counts(m)
    dropped = {rule: after[rule] - before.get(rule, 0) for rule in after}
    print("\nframes the guard dropped from the hostile guest:")
    for rule, n in dropped.items():
        if n:
            print("  %4d  %s" % (n, rule))

    assert "PING-HOST ok" in out, out[-3000:]  # an ordinary guest otherwise
    assert "SSH-BANNER []" in out, out[-3000:]
    assert dropped_by(dropped, "--ip-dport 22 ") > 0, dropped
    assert out.count("UDP-SENT 3") == 2, out[-3000:]  # to the host, and broadcast
    assert dropped_by(dropped, "--ip-sport 67 --ip-dport 68 ") >= 6, dropped
    assert udp_after == udp_before, "UDP datagrams reached the host: %d" % (udp_after - udp_before)
    assert dropped_by(dropped, "--arp-ip-src %s " % host) >= 3, dropped
    # The host keeps its address, and learnt nothing from the guest but
    # its own address (from its ping).
    assert br0_address(m) == host
    guest_mac = re.search(r"NIC mac=([0-9a-f:]+)", out).group(1)
    learnt = [l for l in m.out("ip neigh show dev br0").splitlines() if guest_mac in l]
    assert all(l.split()[0] == GUEST_IP for l in learnt), (neigh_before, learnt)

    # The admin allows management from VMs: SSH answers the same guest.
    try:
        m.out("echo 'mgmt_from_vms = yes' >>/var/lib/corral/system.conf")
        assert "management from VMs allowed" in m.out("/usr/libexec/corral/network guard")
        out = run_rogue(m, host)
        assert re.search(r"SSH-BANNER \[SSH-2\.0-dropbear", out), out[-3000:]
    finally:
        m.out("sed -i '/^mgmt_from_vms/d' /var/lib/corral/system.conf; "
              "/usr/libexec/corral/network guard")
    assert "management from VMs refused" in m.out("cat /run/corral/status/guard")
