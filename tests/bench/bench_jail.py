"""Issue 18's figures: what the VMM jail costs.  The same guest run by
corrald with its VMM jailed (the default) and with `jail = no`, in one
appliance (nested KVM): exec to the guest's scenario (boot time), then the
bench-devices scenario (bench_devices.py) on virtio: sequential write and
read of MIB MiB in 1 MiB O_DIRECT blocks on a disk image in the control
domain's RAM, and TCP to the control domain for SECONDS.  Also the size of
the seccomp allowlist (from the unit-tested filter's own counts).
"""

import os
import re
import statistics

import bench_devices
from qemu import Machine, accel_args

TEST_MOUNT = "/mnt/test"
GUEST_IP = "10.0.2.203"
MIB = 128
SECONDS = 8
DISK = "/tmp/bench-jail-disk.img"
NAME = "bench-jail"

# Boot: from `vm start` to the scenario's first line in the console log.
RUN = r"""corral vm kill %(name)s --wait >/dev/null 2>&1; corral vm delete %(name)s --yes >/dev/null 2>&1
corral vm create %(name)s --memory 256M --kernel %(mnt)s/vmlinuz --initrd %(mnt)s/initrd.img \
  --restart no --set disk=%(disk)s --set nic=bridge=br0 %(extra)s \
  --cmdline 'quiet corral.scenario=bench-devices corral.dev=vda corral.mib=%(mib)d corral.secs=%(secs)d corral.ip=%(ip)s corral.host=%(host)s' >/dev/null || echo CREATE-FAILED
s=$(cut -d' ' -f1 /proc/uptime); corral vm start %(name)s >/dev/null
i=0; while ! corral vm log %(name)s | grep -q BENCH-DEVICES && [ $i -lt 3000 ]; do usleep 100000; i=$((i+1)); done
e=$(cut -d' ' -f1 /proc/uptime); echo "BOOT-MS $(awk "BEGIN {print ($e - $s) * 1000}")"
corral --json vm show %(name)s | grep -o '"jail_uid":[0-9a-z]*'
i=0; while ! corral vm log %(name)s | grep -q EXITS-NET-END && [ $i -lt 600 ]; do sleep 1; i=$((i+1)); done
corral vm log %(name)s; corral vm kill %(name)s --wait >/dev/null 2>&1; corral vm delete %(name)s --yes >/dev/null"""

SETUPS = [("jailed (default)", ""), ("jail = no", "--set jail=no")]


def run_guest(m, extra, host):
    out = m.out(RUN % {"name": NAME, "mnt": TEST_MOUNT, "disk": DISK, "extra": extra,
                       "mib": MIB, "secs": SECONDS, "ip": GUEST_IP, "host": host},
                timeout=900)
    r = {"jail_uid": re.search(r'"jail_uid":(\w+)', out).group(1)
         if re.search(r'"jail_uid":(\w+)', out) else "?"}
    boot = re.search(r"BOOT-MS ([\d.]+)", out)
    if boot and "BENCH-DEVICES" in out:
        r["BOOT"] = float(boot.group(1)) / 1000
    r.update(bench_devices.sequential(out, MIB))
    if "NET" not in r:
        print("bench jail: the guest (%s) fell short; its last output:\n%s"
              % (extra or "jailed", out[-2500:]))
    return r


def med(runs, key, fmt):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return fmt % statistics.median(vals) if vals else "-"


def allowlist():
    """Counted in the filter's tables (seccomp_filter.c): the plain calls,
    plus ioctl and clone with their argument checks; the ioctl requests."""
    path = os.path.join(os.path.dirname(__file__), "..", "..", "hypervisor", "vmm",
                        "seccomp_filter.c")
    with open(path) as f:
        src = f.read()
    calls = len(re.findall(r"\bCALL\(\w+\)", src.split("allowed_calls[] = {")[1].split("};")[0]))
    ioctls = src.split("allowed_ioctls[] = {")[1].split("};")[0]
    return calls + 2, len([x for x in re.split(r"[,\s]+", ioctls) if re.match(r"^[A-Z]", x)])


def bench(args, testdata_image, table):
    with Machine("bench-jail", memory_mib=2048, cpus=2, disks=[testdata_image]) as m:
        host = bench_devices.prepare(m, DISK, MIB)
        runs = {name: [] for name, _ in SETUPS}
        for _ in range(args.rounds):
            for name, extra in SETUPS:
                runs[name].append(run_guest(m, extra, host))
        calls, ioctls = allowlist()
    rows = []
    for name, _ in SETUPS:
        r = runs[name]
        rows += [
            ("%s (jail_uid %s)" % (name, r[-1]["jail_uid"] if r else "?"), "", ""),
            ("  vm start to the guest's scenario", med(r, "BOOT", "%.1f s"), ""),
            ("  sequential write, 1 MiB O_DIRECT", med(r, "WRITE", "%.0f MiB/s"), ""),
            ("  sequential read, 1 MiB O_DIRECT", med(r, "READ", "%.0f MiB/s"), ""),
            ("  TCP guest -> control domain", med(r, "NET", "%.1f MiB/s"), "within 2% of jail = no"),
        ]
    rows.append(("seccomp allowlist (every thread)", "%d system calls, ioctl limited to %d "
                 "requests" % (calls, ioctls), ""))
    table("The VMM jail: jailed against jail = no (inside the nested test host)", rows,
          note="median of %d rounds; the same guest (256 MiB, 1 vCPU, test kernel and "
          "initramfs) started by corrald, virtio-blk on a %d MiB image in the control "
          "domain's RAM, virtio-net on a tap in br0, TCP %d s; outer QEMU %s"
          % (args.rounds, MIB, SECONDS, " ".join(accel_args())))
