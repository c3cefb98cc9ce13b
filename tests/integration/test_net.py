"""Issue 4: corral-vmm's virtio-net on taps in br0, inside the control
domain under nested KVM.

Two guests share br0 with the control domain: guest B takes a static
address, pings the control domain and waits; guest A gets its address by
DHCP through br0 from QEMU's user network (10.0.2.0/24, restrict=on: no
traffic leaves the test machine), pings the control domain and guest B,
and sends 64 MiB of random data to the control domain, where the checksum
must match what A sent.  The MAC each NIC gets is derived from the VM name
(locally administered) and is what the guest sees.  A NIC with bps=256K
sends at 256 KiB/s, within 10%, timed by the guest.
"""

import re

from test_vmm import KERNEL, INITRD, POWEROFF, booted, retry_on_nested_fault, run_vmm, stop_vmms

PEER_IP = "10.0.2.200"
PORT = 5000
B_LOG = "/tmp/vmm-net-b.log"
RECV = "/tmp/net-recv.bin"
HOLD_PID = "/tmp/net-listener-stdin.pid"


def br0_address(appliance):
    addr = appliance.out("ip -4 -o addr show br0 | awk '{print $4}' | cut -d/ -f1").strip()
    assert re.match(r"10\.0\.2\.\d+$", addr), "br0 has no DHCP address: %r" % addr
    return addr


def guest_args(name, scenario, cmdline):
    return ("--name %s --nic bridge=br0 --kernel %s --initrd %s --memory 256 "
            "--cmdline 'quiet corral.scenario=%s %s'" % (name, KERNEL, INITRD, scenario, cmdline))


def test_two_guests_dhcp_ping_and_64mib_transfer(appliance, testdata_image):
    retry_on_nested_fault(appliance, testdata_image, _two_guests_dhcp_ping_and_64mib_transfer)


def _two_guests_dhcp_ping_and_64mib_transfer(appliance):
    host = br0_address(appliance)
    # The listener's stdin stays open and empty (a sleep, killed at the
    # end): at EOF on it BusyBox nc half-closes, and guest A's nc then ends
    # at once, its data unsent.
    appliance.out("rm -f %s %s; ( (sleep 900 & echo $! >%s; wait) | nc -l -p %d >%s & ) ; "
                  "(corral-vmm -v %s </dev/null >%s 2>&1 &)"
                  % (RECV, B_LOG, HOLD_PID, PORT, RECV,
                     guest_args("guest-b", "net-static-wait",
                                "corral.ip=%s corral.host=%s" % (PEER_IP, host)), B_LOG))
    out_b = appliance.out("for i in $(seq 180); do grep -q GUEST-WAITING %s && break; sleep 1; done; "
                          "cat %s" % (B_LOG, B_LOG), timeout=210)
    try:
        status, out = run_vmm(appliance, "-v " + guest_args(
            "guest-a", "net-dhcp-send", "corral.host=%s corral.peer=%s" % (host, PEER_IP)),
            timeout=420)
        # SIGUSR2 on guest B's VMM, still running: where its NIC's rings stand.
        out_b_state = appliance.out("kill -USR2 $(pidof corral-vmm); sleep 1; cat %s" % B_LOG)
    finally:
        stop_vmms(appliance)
        appliance.out("pkill -x nc; "
                      "kill $(cat %s) 2>/dev/null; true" % HOLD_PID)
    booted(out)
    assert "PING-HOST ok" in out_b, out_b[-2000:]
    state = re.search(r"corral-vmm: nic 0: rx: avail (\d+), taken (\d+), used (\d+), .*; "
                      r"frame waiting \d+ bytes on \d+ buffers, tap (?:not )?polled, "
                      r"(\d+) frames, 0 dropped; tx: avail (\d+), .*; (\d+) frames, 0 dropped",
                      out_b_state)
    assert state, out_b_state[-2000:]
    rx_avail, rx_taken, rx_used, rx_frames, tx_avail, tx_frames = map(int, state.groups())
    # B got at least its three ping replies and A's ping, and sent as many.
    assert rx_frames >= 4 and tx_frames >= 4, state.group(0)
    assert rx_used == rx_taken <= rx_avail and tx_avail >= tx_frames, state.group(0)

    # The MAC: derived from the VM name, locally administered, what the guest sees.
    logged = re.search(r"nic 0: virtio-net ([0-9a-f:]{17}) on tap (\S+) in bridge br0", out)
    assert logged, out[-3000:]
    assert "NIC mac=%s driver=virtio_net" % logged.group(1) in out, out[-3000:]
    assert int(logged.group(1)[:2], 16) & 0x02, logged.group(1)
    mac_b = re.search(r"nic 0: virtio-net ([0-9a-f:]{17})", out_b)
    assert mac_b and mac_b.group(1) != logged.group(1), out_b[-2000:]

    assert re.search(r"DHCP-BOUND ip=10\.0\.2\.\d+", out), out[-3000:]
    assert "PING-HOST ok" in out, out[-3000:]
    assert "PING-PEER ok" in out, out[-3000:]
    got = appliance.out("wc -c <%s; md5sum <%s" % (RECV, RECV)).split()
    # A transfer cut by the time limit: how far it got, and (at the end of
    # out, from SIGUSR2) where the NIC's rings stood.
    assert "NC-STATUS=0" in out, "received %s bytes of %d\n%s" % (got[0], 64 << 20, out[-3000:])
    sent = re.search(r"SENT md5=([0-9a-f]{32})", out).group(1)
    assert int(got[0]) == 64 << 20, got
    assert got[1] == sent, (got, sent)
    assert status == POWEROFF, out[-2000:]


def test_nettest_in_the_control_domain(appliance):
    """corral-nettest ships in the ISO: a server and both client modes over
    the control domain's loopback, and its refusals."""
    out = appliance.out("(corral-nettest server --once --port 5399 >/tmp/nettest-srv.log 2>&1 &); "
                        "sleep 1; corral-nettest throughput 127.0.0.1 --port 5399 --mib 16; "
                        "sleep 1; cat /tmp/nettest-srv.log")
    assert re.search(r"throughput: 16\.0 MiB in [\d.]+ s: [\d.]+ MiB/s", out), out
    assert re.search(r"server: 127\.0\.0\.1: received 16\.0 MiB", out), out
    out = appliance.out("(corral-nettest server --once --port 5399 >/dev/null 2>&1 &); "
                        "sleep 1; corral-nettest latency localhost --port 5399 --count 100 --size 512")
    assert re.search(r"latency: 100 round trips of 512 bytes: median [\d.]+ us, p99 [\d.]+ us", out), out
    status, out = appliance.sh("corral-nettest throughput 127.0.0.1 --port 5398")
    assert status == 1 and "cannot connect to 127.0.0.1 port 5398" in out, (status, out)
    status, out = appliance.sh("corral-nettest latency 127.0.0.1 --size 0")
    assert status == 2 and "--size: not a size in bytes" in out, (status, out)


RATE_LOG = "/tmp/vmm-net-rate.log"
RATE_PORT = 5001
NIC_BPS = 256 << 10


def test_rate_limited_nic_stays_within_10_percent(appliance, testdata_image):
    retry_on_nested_fault(appliance, testdata_image, _rate_limited_nic_stays_within_10_percent)


def _rate_limited_nic_stays_within_10_percent(appliance):
    """A guest sends 4 MiB over TCP through a NIC limited to bps=256K and
    times it.  The limit is a token bucket that starts full with one
    second's worth (docs/vm-definition.md), so the first 256 KiB go at once
    and the rest at the limit: what follows the burst, over the time taken,
    must be within 10% of 256 KiB/s.  (Sampling the tap for a few seconds
    instead measured up to 12% over: a stall before the window lets the
    bucket refill, and its burst then lands inside the window.)  The limit
    sits well below what the test machine can carry: a guest on a 1-vCPU
    appliance under TCG sends only about 0.93 MiB/s unlimited (12 MiB in
    12.9 s), so a 1M limit would measure the emulation, not the bucket."""
    host = br0_address(appliance)
    mib = 4
    args = ("--name guest-rate --nic bridge=br0,bps=256K --kernel %s --initrd %s "
            "--memory 256 --cmdline 'quiet corral.scenario=net-send-rate corral.ip=10.0.2.201 "
            "corral.host=%s corral.mib=%d'" % (KERNEL, INITRD, host, mib))
    appliance.out("( (sleep 600 & echo $! >%s; wait) | nc -l -p %d >/dev/null & ) ; "
                  "(corral-vmm -v %s </dev/null >%s 2>&1 &)"
                  % (HOLD_PID, RATE_PORT, args, RATE_LOG))
    try:
        out = appliance.out("for i in $(seq 240); do grep -q 'SENT seconds' %s && break; sleep 1; "
                            "done; cat %s" % (RATE_LOG, RATE_LOG), timeout=270)
    finally:
        stop_vmms(appliance)
        appliance.out("pkill -x nc; kill $(cat %s) 2>/dev/null; true" % HOLD_PID)
    assert "NC-STATUS=0" in out, out[-3000:]
    seconds = float(re.search(r"SENT seconds=([0-9.]+)", out).group(1))
    rate = (mib * 2**20 - NIC_BPS) / seconds
    print("nic bps=256K: %d MiB in %.2f s: %.1f KiB/s after the burst" % (mib, seconds, rate / 1024))
    assert abs(rate - NIC_BPS) <= 0.10 * NIC_BPS, (rate, NIC_BPS, out[-2000:])
