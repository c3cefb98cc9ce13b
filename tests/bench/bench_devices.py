"""Issue 15's figures: the same guest with its disk and NIC on virtio
(virtio-blk, virtio-net) and on emulated PC hardware (SATA on the AHCI
controller, e1000), in one appliance (nested KVM).

The guest (1 vCPU, 256 MiB, the test kernel and initramfs, which has both
sets of drivers) runs the bench-devices scenario
(tests/integration/guest/scenarios/bench-devices.sh) on a disk image in the
control domain's RAM and a tap in br0:

- sequential write and read: dd of MIB MiB in 1 MiB O_DIRECT blocks;
- 4 KiB random reads: corral-randread (guest/tools/randread.c), one
  O_DIRECT pread at a time (queue depth 1) at random 4 KiB offsets over the
  whole disk for SECONDS: the latency of one request through the device
  model, not what a deeper queue would reach;
- TCP throughput to the control domain: corral-nettest for SECONDS, as in
  bench_net.py.

VM exits per MiB: at each EXITS-*-START/END marker the guest prints, the
control domain sends corral-vmm SIGUSR2 (its exit counters, see
bench_net.py); KVM's count of all exits over the phase divided by the MiB
moved in it, and of those, the MMIO and port I/O exits passed to corral-vmm.
"""

import re
import statistics

from bench_net import THROUGHPUT_RE, snapshots as timed_snapshots
from qemu import Machine, accel_args

TEST_MOUNT = "/mnt/test"
GUEST_IP = "10.0.2.202"
MIB = 128
SECONDS = 8
DISK = "/tmp/bench-devices-disk.img"
LOG = "/tmp/bench-devices.log"
MARKERS = ("WRITE-START", "WRITE-END", "READ-START", "READ-END", "NET-START", "NET-END")
RANDREAD_RE = re.compile(r"RANDREAD ops=(\d+) seconds=([\d.]+) iops=(\d+) mibs=([\d.]+)")

# name, disk option, NIC option, the guest's disk device
SETUPS = [("virtio", "--disk %s" % DISK, "--nic bridge=br0", "vda"),
          ("SATA + e1000", "--disk %s,bus=sata" % DISK, "--nic bridge=br0,model=e1000", "sda")]

WATCHED = r"""rm -f %(log)s; corral-vmm -v --name bench-devices %(nic)s %(disk)s \
  --kernel %(mnt)s/vmlinuz --initrd %(mnt)s/initrd.img --memory 256 --cpus 1 \
  --cmdline 'quiet corral.scenario=bench-devices corral.dev=%(dev)s corral.mib=%(mib)d corral.secs=%(secs)d corral.ip=%(ip)s corral.host=%(host)s' \
  </dev/null >%(log)s 2>&1 &
pid=$!
for m in %(markers)s; do
  while ! grep -q "EXITS-$m" %(log)s; do kill -0 $pid 2>/dev/null || break 2; usleep 100000; done
  kill -USR2 $pid
done
wait $pid; echo "VMM-STATUS=$?"; cat %(log)s"""


def snapshots(out):
    return [counters for _, counters in timed_snapshots(out)]


def per_mib(a, b, mib):
    """Exits per MiB between two snapshots: all (KVM's count), and those
    passed to corral-vmm (MMIO + port I/O)."""
    if not mib or a["kvm"] is None or b["kvm"] is None:
        return None
    return {"kvm": (b["kvm"] - a["kvm"]) / mib,
            "vmm": (b["vmm_mmio"] - a["vmm_mmio"] + b["vmm_io"] - a["vmm_io"]) / mib}


def sequential(out, mib):
    """MiB/s of the scenario's sequential WRITE and READ phases, and of its
    TCP send as NET (each key only when the guest got that far)."""
    r = {}
    for key in ("WRITE", "READ"):
        s = re.search(r"BENCH-%s seconds=([\d.]+)" % key, out)
        if s and float(s.group(1)) > 0:
            r[key] = mib / float(s.group(1))
    t = THROUGHPUT_RE.search(out)
    if t:
        r["NET"] = float(t.group(1))
    return r


def run_guest(m, setup, host):
    name, disk, nic, dev = setup
    out = m.out(WATCHED % {"log": LOG, "nic": nic, "disk": disk, "mnt": TEST_MOUNT, "dev": dev,
                           "mib": MIB, "secs": SECONDS, "ip": GUEST_IP, "host": host,
                           "markers": " ".join(MARKERS)}, timeout=900)
    r = sequential(out, MIB)
    rr = RANDREAD_RE.search(out)
    if rr:
        r["IOPS"], r["RANDMIBS"] = int(rr.group(3)), float(rr.group(4))
    t = THROUGHPUT_RE.search(out)
    sent = re.search(r"throughput: ([\d.]+) MiB", out)
    snaps = snapshots(out)
    if len(snaps) >= 6:
        r["WRITE-EXITS"] = per_mib(snaps[0], snaps[1], MIB)
        r["READ-EXITS"] = per_mib(snaps[2], snaps[3], MIB)
        r["NET-EXITS"] = per_mib(snaps[4], snaps[5], float(sent.group(1)) if sent else 0)
    drivers = re.search(r"BENCH-DEVICES disk=(\S*) nic=(\S*)", out)
    r["drivers"] = drivers.groups() if drivers else ("?", "?")
    if not rr or not t or len(snaps) < 6:
        print("bench devices: the %s guest fell short; its last output:\n%s" % (name, out[-2500:]))
    return r


def med(runs, key, fmt):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return fmt % statistics.median(vals) if vals else "-"


def med_exits(runs, key):
    kvm = [r[key]["kvm"] for r in runs if r.get(key)]
    vmm = [r[key]["vmm"] for r in runs if r.get(key)]
    if not kvm:
        return "-"
    return "%.0f / %.0f" % (statistics.median(kvm), statistics.median(vmm))


def prepare(m, disk, mib):
    """The booted appliance ready for the bench-devices scenario: the test
    data mounted, a zeroed disk image of mib MiB at disk (in RAM), a
    corral-nettest server; returns the control domain's address on br0."""
    m.wait_ready()
    m.out("mkdir -p %s && mount -t ext4 $(findfs LABEL=CORRAL-TEST) %s && "
          "dd if=/dev/zero of=%s bs=1M count=%d 2>/dev/null"
          % (TEST_MOUNT, TEST_MOUNT, disk, mib), timeout=300)
    host = m.out("ip -4 -o addr show br0 | awk '{print $4}' | cut -d/ -f1").strip().splitlines()[-1]
    m.out("(corral-nettest server </dev/null >/tmp/nettest-server.log 2>&1 &)")
    return host


def bench(args, testdata_image, table):
    with Machine("bench-devices", memory_mib=2048, cpus=2, disks=[testdata_image]) as m:
        host = prepare(m, DISK, MIB)
        runs = {s[0]: [] for s in SETUPS}
        for _ in range(args.rounds):
            for setup in SETUPS:
                runs[setup[0]].append(run_guest(m, setup, host))
    rows = []
    for name, _, _, _ in SETUPS:
        r = runs[name]
        drivers = r[-1]["drivers"] if r else ("?", "?")
        rows += [
            ("%s (guest drivers %s, %s)" % (name, drivers[0], drivers[1]), "", ""),
            ("  sequential write, 1 MiB O_DIRECT", med(r, "WRITE", "%.0f MiB/s"), ""),
            ("  sequential read, 1 MiB O_DIRECT", med(r, "READ", "%.0f MiB/s"), ""),
            ("  4 KiB random read, QD1, O_DIRECT", med(r, "IOPS", "%.0f IOPS") + " "
             + med(r, "RANDMIBS", "(%.1f MiB/s)"), ""),
            ("  TCP guest -> control domain", med(r, "NET", "%.1f MiB/s"), ""),
            ("  VM exits/MiB, all / to VMM: seq write", med_exits(r, "WRITE-EXITS"), ""),
            ("  VM exits/MiB, all / to VMM: seq read", med_exits(r, "READ-EXITS"), ""),
            ("  VM exits/MiB, all / to VMM: TCP send", med_exits(r, "NET-EXITS"), ""),
        ]
    table("Guest devices: virtio against SATA (AHCI) + e1000 (inside the nested test host)",
          rows, note="median of %d rounds; the same guest (256 MiB, 1 vCPU, test kernel and "
          "initramfs), a %d MiB disk image in the control domain's RAM, a tap in br0; "
          "random reads and TCP %d s each; exits from corral-vmm's counters (SIGUSR2), "
          "KVM's count and those passed to corral-vmm (MMIO + port I/O); outer QEMU %s"
          % (args.rounds, MIB, SECONDS, " ".join(accel_args())))
