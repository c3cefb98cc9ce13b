"""How long the nested guest lives under the disk benchmark's load, by VMM.

`./build.sh bench soak`: in the nested test host (two appliance vCPUs, as
bench disk), each VMM in turn runs the same 2-vCPU guest through the four
iodepth-32 fio jobs of bench disk, 5 s each, cycled (scenarios/bench-soak.sh:
300 s of load by default), alternating by round as bench disk does.  Each
run ends one way: it finished, the guest died of the outer emulation's one
known fault (the double fault at entry_SYSCALL_64 with interrupts off:
qemu.nested_guest_fault_in), it triple-faulted (corral-vmm says so; QEMU,
run with -no-reboot, just ends), another guest crash, a hang (the
watchdog's), or the appliance itself was lost.  The table gives each VMM's
ends and its seconds of load per guest crash.

Why it exists: bench disk lost corral-vmm's guests to crashes in 4 of 13
runs over BJ-BL and seemed to lose QEMU's in none, which pointed at
corral-vmm; but QEMU reset a triple-faulted guest and ran the scenario again
(bench_vmm.QEMU_GUEST_CRASH_ENDS), and its 5 s jobs give a fault 20 s of
iodepth-32 load a run.  300 s a run tells the two apart, or does not: in
run BM and a first pass of the same shape they crashed at rates the counts
cannot tell apart (docs/disk-benchmark-log.md).
"""

import re
import statistics
import time

import bench_disk
from bench_disk import (GUEST_CPUS, GUEST_MEM_MIB, HOST_CPUS, booted_with_guest_disk,
                        console_of, run_or_reboot)
from qemu import accel_args, nested_guest_fault_in

CYCLES = 15          # of the four 5 s jobs: 300 s of load
SECONDS_PER_JOB = 5  # scenarios/bench-soak.sh
# A run that finishes takes its boot (~10 s), the load and fio's starts;
# one that has not ended after this long hung.
LIMIT_S = 120 + CYCLES * 4 * SECONDS_PER_JOB * 2

ENDS = ("finished", "the emulation's double fault", "triple fault", "other guest crash",
        "hung", "ended without a word", "appliance lost")


def runs(disk):
    return bench_disk.runs(disk, "bench-soak", "corral.soak_cycles=%d" % CYCLES)


def uptimes(out):
    """The guest's uptime at each SOAK-JOB and at SOAK-END (None if none)."""
    jobs = [float(t) for t in re.findall(r"^SOAK-JOB \d+ \w+ ([0-9.]+)\s*$", out, re.M)]
    end = re.search(r"^SOAK-END ([0-9.]+)\s*$", out, re.M)
    return jobs, float(end.group(1)) if end else None


def how_it_ended(out):
    """(end, seconds of load the guest went through) from a run's console
    (bench_disk.KEPT_LINES).  The load runs from the first job's start to
    SOAK-END, or to the start of the job the guest died in (a lower bound)."""
    jobs, end = uptimes(out)
    if end is not None and "GUEST-DONE" in out:
        return "finished", end - jobs[0] if jobs else 0.0
    load = jobs[-1] - jobs[0] if jobs else 0.0
    if "RUN-HUNG" in out:
        return "hung", load
    if nested_guest_fault_in(out):
        return "the emulation's double fault", load
    if "guest crashed: triple fault" in out:
        return "triple fault", load
    if re.search(r"Kernel panic|guest crashed", out):
        return "other guest crash", load
    # QEMU with -no-reboot leaves on a triple fault without a word
    return "ended without a word", load


def soak_run(m, run):
    started = time.monotonic()
    out = console_of(m, run, LIMIT_S)
    end, load = how_it_ended(out)
    return end, load, time.monotonic() - started, out


def last_words(out):
    said = [line for line in out.splitlines() if not line.startswith("SOAK-JOB ")]
    return "\n  ".join(said[-8:])


def summary_rows(ends):
    """Rows for each VMM: its runs by end, load seconds, seconds per crash."""
    rows = []
    for name, found in ends.items():
        counted = [(e, load) for e, load in found if e != "appliance lost"]
        crashes = sum(1 for e, _ in counted if e not in ("finished", "hung"))
        load = sum(load for _, load in counted)
        by_end = ", ".join("%s %d" % (e, sum(1 for f, _ in found if f == e))
                           for e in ENDS if any(f == e for f, _ in found))
        rows.append(("%s: runs by end" % name, str(len(found)), by_end))
        rows.append(("%s: seconds of iodepth-32 load, guest crashes" % name,
                     "%.0f s, %d" % (load, crashes), ""))
        rows.append(("%s: seconds of load per guest crash" % name,
                     "%.0f s" % (load / crashes) if crashes else "none crashed", ""))
        loads = [load for e, load in counted if e not in ("finished", "hung")]
        if loads:
            rows.append(("%s: load before each crash" % name,
                         "median %.0f s" % statistics.median(loads),
                         " ".join("%.0f" % v for v in loads)))
    return rows


def bench(args, testdata_image, table):
    with booted_with_guest_disk(testdata_image, "corral-bench-soak-") as (watch, boot, image):
        m = watch.m
        ends = {run.name: [] for run in runs(image)}
        for i in range(args.rounds):
            order = runs(image)
            for run in order if i % 2 == 0 else order[::-1]:
                (end, load, took, out), m = run_or_reboot(
                    m, run, boot, soak_run, lambda what: ("appliance lost", 0.0, 0.0, what))
                watch.m = m
                ends[run.name].append((end, load))
                print("[bench-soak] round %d/%d, %s: %s after %.0f s of load (%.0f s)"
                      % (i + 1, args.rounds, run.name, end, load, took), flush=True)
                if end not in ("finished", "appliance lost"):
                    print("  " + last_words(out), flush=True)
    table("Soak: how long the nested guest lives under disk load, by VMM", summary_rows(ends),
          note="%d rounds; guest %d MiB, %d vCPUs, fio iodepth 32 (read 1 MiB, randread 4 KiB, "
               "write 1 MiB, randwrite 4 KiB, %d s each) cycled %d times; outer QEMU %s, %d "
               "vCPU(s); a run lost with the appliance is not counted"
               % (args.rounds, GUEST_MEM_MIB, GUEST_CPUS, SECONDS_PER_JOB, CYCLES,
                  " ".join(accel_args()), HOST_CPUS))
