"""Issue 15: corral-vmm's e1000 (82540EM) on a tap in br0, inside the
control domain under nested KVM.

The guest has Linux's e1000 driver (Debian's kernel, the module from the
ISO) in the no-virtio initramfs (guest.NOVIRTIO_INITRD: no virtio module
at all, as an OS without virtio drivers) and no virtio-net device: its only NIC is `--nic bridge=br0,model=e1000`.
It gets its address by DHCP through br0 from QEMU's user network (as
test_net.py's guests do), pings the control domain and sends 64 MiB of
random data to it over TCP (Linux's e1000 turns TSO and checksum offload on,
so this goes through the device's segmentation), where the checksum must
match what the guest sent.
"""

import re

import guest
from conftest import TESTDATA_MOUNT
from test_net import br0_address
from test_vmm import KERNEL, POWEROFF, booted, retry_on_nested_fault, run_vmm, stop_vmms

PORT = 5002
MIB = 64
RECV = "/tmp/e1000-recv.bin"
HOLD_PID = "/tmp/e1000-listener-stdin.pid"
INITRD = "%s/%s" % (TESTDATA_MOUNT, guest.NOVIRTIO_INITRD)


def test_e1000_dhcp_ping_and_64mib_transfer(appliance, testdata_image):
    retry_on_nested_fault(appliance, testdata_image, _e1000_dhcp_ping_and_transfer)


def _e1000_dhcp_ping_and_transfer(appliance):
    host = br0_address(appliance)
    # The listener's stdin stays open and empty (see test_net.py).
    appliance.out("rm -f %s; ( (sleep 1500 & echo $! >%s; wait) | nc -l -p %d >%s & )"
                  % (RECV, HOLD_PID, PORT, RECV))
    args = ("-v --name guest-e1000 --nic bridge=br0,model=e1000 --kernel %s --initrd %s "
            "--memory 256 --cmdline 'quiet corral.scenario=net-e1000-send corral.host=%s "
            "corral.mib=%d'" % (KERNEL, INITRD, host, MIB))
    try:
        status, out = run_vmm(appliance, args, timeout=1200)
    finally:
        stop_vmms(appliance)
        appliance.out("pkill -x nc; kill $(cat %s) 2>/dev/null; true" % HOLD_PID)
    booted(out)
    assert "VIRTIO-MODULES present=0 loaded=0" in out, out[-3000:]
    logged = re.search(r"nic 0: e1000 ([0-9a-f:]{17}) on tap (\S+) in bridge br0", out)
    assert logged, out[-3000:]
    assert "NIC mac=%s driver=e1000" % logged.group(1) in out, out[-3000:]
    assert re.search(r"DHCP-BOUND ip=10\.0\.2\.\d+", out), out[-3000:]
    assert "PING-HOST ok" in out, out[-3000:]
    assert "NC-STATUS=0" in out, out[-3000:]
    sent = re.search(r"SENT md5=([0-9a-f]{32})", out).group(1)
    got = appliance.out("wc -c <%s; md5sum <%s" % (RECV, RECV)).split()
    seconds = re.search(r"SENT seconds=([0-9.]+)", out)
    irqs = re.search(r"IRQS\s+\d+:\s+(\d+)", out)
    exits = re.search(r"exits at [\d.]+ s: vmm total=(\d+) io=\d+ mmio=(\d+)", out)
    print("e1000: %d MiB in %s s; guest interrupts %s; VM exits %s (MMIO %s), %s per MiB" % (
        MIB, seconds.group(1) if seconds else "?", irqs.group(1) if irqs else "?",
        exits.group(1) if exits else "?", exits.group(2) if exits else "?",
        int(exits.group(1)) // MIB if exits else "?"))
    assert int(got[0]) == MIB << 20, got
    assert got[1] == sent, (got, sent)
    assert status == POWEROFF, out[-2000:]
