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
i=0; while ! corral vm log %(name)s | grep -q EXITS-NET-END && [ $i -lt 180 ]; do sleep 1; i=$((i+1)); done
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


MIN_ROUNDS = 7
FIGURES = [  # key, what, format, higher is better
    ("BOOT", "vm start to the guest's scenario", "%.2f s", False),
    ("WRITE", "sequential write, 1 MiB O_DIRECT", "%.0f MiB/s", True),
    ("READ", "sequential read, 1 MiB O_DIRECT", "%.0f MiB/s", True),
    ("NET", "TCP guest -> control domain", "%.1f MiB/s", True),
]


def spread(runs, key, fmt):
    """'median (min-max, n)' of one setup's rounds."""
    vals = [r[key] for r in runs if r.get(key) is not None]
    if not vals:
        return "-"
    return "%s (%s-%s, n=%d)" % (fmt % statistics.median(vals), (fmt % min(vals)).split()[0],
                                 (fmt % max(vals)).split()[0], len(vals))


def paired_cost(jailed, free, key, higher_better):
    """The jail's cost per round, jailed against jail = no run back to back in
    the same round (so that the machine's load, which drifts over minutes,
    weighs on both alike): its median and range, in percent; positive = the
    jail is slower."""
    costs = []
    for j, f in zip(jailed, free):
        a, b = j.get(key), f.get(key)
        if a is None or b is None or a <= 0 or b <= 0:
            continue
        costs.append((b / a - 1) * 100 if higher_better else (a / b - 1) * 100)
    if not costs:
        return "-", None
    med = statistics.median(costs)
    return "%+.1f%% (%+.1f..%+.1f)" % (med, min(costs), max(costs)), med


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
    rounds = max(args.rounds, MIN_ROUNDS)
    with Machine("bench-jail", memory_mib=2048, cpus=2, disks=[testdata_image]) as m:
        host = bench_devices.prepare(m, DISK, MIB)
        runs = {name: [] for name, _ in SETUPS}
        for i in range(rounds):
            # alternated: ABBA..., so that neither setup always runs first
            for name, extra in (SETUPS if i % 2 == 0 else SETUPS[::-1]):
                runs[name].append(run_guest(m, extra, host))
                print("bench jail: round %d/%d, %s: %s" % (
                    i + 1, rounds, name, ", ".join("%s %.2f" % (k, v) for k, v in
                                                   sorted(runs[name][-1].items())
                                                   if isinstance(v, float))), flush=True)
        calls, ioctls = allowlist()
    jailed, free = runs[SETUPS[0][0]], runs[SETUPS[1][0]]
    rows = []
    for name, _ in SETUPS:
        r = runs[name]
        rows.append(("%s (jail_uid %s)" % (name, r[-1]["jail_uid"] if r else "?"), "", ""))
        rows += [("  " + what, spread(r, key, fmt), "") for key, what, fmt, _ in FIGURES]
    rows.append(("the jail's cost, per round (median, range)", "", ""))
    for key, what, _, higher in FIGURES:
        text, med = paired_cost(jailed, free, key, higher)
        verdict = "" if med is None else ("within 2%" if abs(med) <= 2 else "NOT within 2%")
        rows.append(("  " + what, text, verdict))
    rows.append(("seccomp allowlist (one filter, every thread: main, vCPUs, I/O)",
                 "%d system calls, ioctl limited to %d requests" % (calls, ioctls), ""))
    table("The VMM jail: jailed against jail = no (inside the nested test host)", rows,
          note="%d rounds, each running both setups back to back in alternating order; "
          "median (min-max) per setup, and the per-round cost; the same guest (256 MiB, "
          "1 vCPU, test kernel and initramfs) started by corrald, virtio-blk on a %d MiB "
          "image in the control domain's RAM, virtio-net on a tap in br0, TCP %d s; "
          "outer QEMU %s" % (rounds, MIB, SECONDS, " ".join(accel_args())))
