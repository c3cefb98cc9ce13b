"""Issue 4's figures: guest-to-control-domain TCP over br0, and VM exits.

Inside one appliance (nested KVM): corral-nettest's server runs in the
control domain; a guest (1 vCPU, 256 MiB, a static address on br0) runs the
bench-net scenario (tests/integration/guest/scenarios/bench-net.sh):
corral-nettest throughput for SECONDS, latency for COUNT round trips, then
1 MiB O_DIRECT writes to its virtio-blk disk for SECONDS.  Each guest runs
once with the fast I/O path (MSI-X interrupts by irqfd, queue kicks by
ioeventfd on the I/O thread) and once with CORRAL_VMM_SLOW_IO=1 (kicks exit
to the vCPU thread, interrupts by ioctl), alternating within a round.  The
control domain's own loopback is the reference.

VM exits: at each EXITS-*-START/END marker the guest prints, a watcher in
the control domain sends corral-vmm SIGUSR2, which prints its exit counters
(what came back to the VMM by reason, and KVM's own counts, most of which
never leave the kernel); the difference between two snapshots over the time
between them is the rate.
"""

import re
import statistics

from qemu import Machine, accel_args

TEST_MOUNT = "/mnt/test"
GUEST_IP = "10.0.2.201"
SECONDS = 6
COUNT = 1000
DISK = "/tmp/bench-net-disk.img"
LOG = "/tmp/bench-net.log"

SNAPSHOT_RE = re.compile(
    r"exits at ([\d.]+) s: vmm total=(\d+) io=(\d+) mmio=(\d+) hlt=\d+ intr=\d+ other=\d+; "
    r"(?:kvm total=(\d+) io=(\d+) mmio=(\d+) hlt=(\d+) irq=(\d+)|kvm unavailable)")
THROUGHPUT_RE = re.compile(r"throughput: [\d.]+ MiB in [\d.]+ s: ([\d.]+) MiB/s")
LATENCY_RE = re.compile(r"latency: \d+ round trips of \d+ bytes: median ([\d.]+) us, "
                        r"p99 ([\d.]+) us")
SNAP_FIELDS = ("vmm", "vmm_io", "vmm_mmio", "kvm", "kvm_io", "kvm_mmio", "kvm_hlt", "kvm_irq")

# Run the guest in the background; at each marker its console shows, take
# a snapshot of the exit counters (SIGUSR2).  BusyBox usleep: 0.1 s polls.
WATCHED = r"""rm -f %(log)s; %(env)s corral-vmm -v --name bench-net --nic bridge=br0 \
  --kernel %(mnt)s/vmlinuz --initrd %(mnt)s/initrd.img --memory 256 --cpus 1 --disk %(disk)s \
  --cmdline 'quiet corral.scenario=bench-net corral.ip=%(ip)s corral.host=%(host)s corral.secs=%(secs)d corral.count=%(count)d' \
  </dev/null >%(log)s 2>&1 &
pid=$!
for m in NET-START NET-END DISK-START DISK-END; do
  while ! grep -q "EXITS-$m" %(log)s; do kill -0 $pid 2>/dev/null || break 2; usleep 100000; done
  kill -USR2 $pid
done
wait $pid; echo "VMM-STATUS=$?"; cat %(log)s"""


def snapshots(out):
    snaps = []
    for m in SNAPSHOT_RE.finditer(out):
        values = [int(v) if v is not None else None for v in m.groups()[1:]]
        snaps.append((float(m.group(1)), dict(zip(SNAP_FIELDS, values))))
    return snaps


def rates(a, b, mib):
    """Exits per second by counter between two snapshots, and all exits
    (KVM's count) per MiB moved in that phase."""
    dt = b[0] - a[0]
    if dt <= 0:
        return None
    r = {k: (b[1][k] - a[1][k]) / dt for k in SNAP_FIELDS if b[1][k] is not None}
    if mib and b[1]["kvm"] is not None:
        r["per_mib"] = (b[1]["kvm"] - a[1]["kvm"]) / mib
    return r


def run_guest(m, host, slow):
    env = "CORRAL_VMM_SLOW_IO=1" if slow else ""
    out = m.out(WATCHED % {"log": LOG, "env": env, "mnt": TEST_MOUNT, "disk": DISK,
                           "ip": GUEST_IP, "host": host, "secs": SECONDS, "count": COUNT},
                timeout=600)
    result = {}
    t = THROUGHPUT_RE.search(out)
    lat = LATENCY_RE.search(out)
    if t:
        result["mibs"] = float(t.group(1))
    if lat:
        result["median"], result["p99"] = float(lat.group(1)), float(lat.group(2))
    snaps = snapshots(out)
    sent = re.search(r"throughput: ([\d.]+) MiB", out)
    disk = re.search(r"BENCH-DISK-MIB (\d+)", out)
    if len(snaps) >= 4:
        result["net_exits"] = rates(snaps[0], snaps[1], float(sent.group(1)) if sent else 0)
        result["disk_exits"] = rates(snaps[2], snaps[3], int(disk.group(1)) if disk else 0)
    if not t or not lat or len(snaps) < 4:
        print("bench net: a guest run fell short (%s); its last output:\n%s"
              % ("slow" if slow else "fast", out[-2500:]))
    return result


def loopback(m):
    out = m.out("corral-nettest throughput 127.0.0.1 --seconds %d && "
                "corral-nettest latency 127.0.0.1 --count %d" % (SECONDS, COUNT), timeout=300)
    t, lat = THROUGHPUT_RE.search(out), LATENCY_RE.search(out)
    return {"mibs": float(t.group(1)), "median": float(lat.group(1)), "p99": float(lat.group(2))}


def med(runs, key, fmt):
    vals = [r[key] for r in runs if key in r]
    return fmt % statistics.median(vals) if vals else "-"


def med_rate(runs, phase, key, unit="/s"):
    vals = [r[phase][key] for r in runs if r.get(phase) and key in r[phase]]
    return "%.0f%s" % (statistics.median(vals), unit) if vals else "-"


def bench(args, testdata_image, table):
    with Machine("bench-net", memory_mib=2048, cpus=2, disks=[testdata_image]) as m:
        m.wait_ready()
        m.out("mkdir -p %s && mount -t ext4 $(findfs LABEL=CORRAL-TEST) %s && "
              "dd if=/dev/zero of=%s bs=1M count=64 2>/dev/null" % (TEST_MOUNT, TEST_MOUNT, DISK))
        host = m.out("ip -4 -o addr show br0 | awk '{print $4}' | cut -d/ -f1").strip().splitlines()[-1]
        m.out("(corral-nettest server </dev/null >/tmp/nettest-server.log 2>&1 &)")
        loops, runs = [], {"fast": [], "slow": []}
        for _ in range(args.rounds):
            loops.append(loopback(m))
            for mode in ("fast", "slow"):
                runs[mode].append(run_guest(m, host, mode == "slow"))
    rows = [("control domain loopback: TCP throughput", med(loops, "mibs", "%.0f MiB/s"), ""),
            ("control domain loopback: RTT median / p99",
             med(loops, "median", "%.0f") + " / " + med(loops, "p99", "%.0f us"), "")]
    names = {"fast": "MSI-X+ioeventfd+irqfd", "slow": "CORRAL_VMM_SLOW_IO=1"}
    for mode in ("fast", "slow"):
        r = runs[mode]
        rows.append(("guest->br0->control domain, %s: TCP throughput" % names[mode],
                     med(r, "mibs", "%.1f MiB/s"), ""))
        rows.append(("guest->br0->control domain, %s: RTT median / p99" % names[mode],
                     med(r, "median", "%.0f") + " / " + med(r, "p99", "%.0f us"), ""))
    for phase, what in (("net_exits", "TCP send"), ("disk_exits", "disk write")):
        for mode in ("fast", "slow"):
            r = runs[mode]
            rows.append(("VM exits during %s, %s: all (KVM's count)" % (what, names[mode]),
                         med_rate(r, phase, "kvm") + ", " + med_rate(r, phase, "per_mib", "/MiB"),
                         ""))
            rows.append(("  of which HLT / host interrupts",
                         med_rate(r, phase, "kvm_hlt") + " / " + med_rate(r, phase, "kvm_irq"), ""))
            rows.append(("  of which passed to corral-vmm: MMIO / port I/O",
                         med_rate(r, phase, "vmm_mmio") + " / " + med_rate(r, phase, "vmm_io"), ""))
    table("corral-vmm networking and VM exits (inside the nested test host)", rows,
          note="median of %d rounds; guest 256 MiB, 1 vCPU, virtio-net on a tap in br0, "
               "corral-nettest %d s of TCP and %d round trips of 64 bytes; disk: 1 MiB "
               "O_DIRECT writes for %d s to an image in the control domain's RAM; "
               "outer QEMU %s" % (args.rounds, SECONDS, COUNT, SECONDS, " ".join(accel_args())))
