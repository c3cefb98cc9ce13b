"""Issue 19's disk figures: fio in the guest, corral-vmm against QEMU q35
with `-drive ...,cache=none,aio=io_uring`, on the same image file of the
same ext4 file system, in the same run, inside the nested test host.

fio 3.33 is Debian's source built static with musl here (cached under the
build cache, keyed by version and configure options) and put into a copy
of the guest initramfs; the guest (2 vCPUs, 256 MiB) runs
guest/scenarios/bench-fio.sh against /dev/vda: 1 MiB sequential read and
write, 4 KiB random read and write, each at iodepth 1 and 32, O_DIRECT,
ioengine io_uring, time based.  The same fio on the image file in the
control domain is the host's reference.  The VMMs alternate within each
round (the order reversed every other round); every figure is the median of
the rounds.

Beside the timed figures, which swing 2-3x on a loaded machine, each job's
counts: the guest's requests, merges and virtio interrupts and the host
KVM's VM exits per job (read the same way for both VMMs; the exits include
the timer's and HLT's, which grow with a job's duration), the appliance's
own timer, disk and IPI interrupts per job, and corral-vmm's own (with -v it
prints, per run, kicks, io_uring_enter calls and interrupts per request).

CORRAL_BENCH_BASELINE_VMM=/path/to/corral-vmm adds that binary as a third
VMM in the same rounds, for before/after figures in the same conditions.
The figures by round go to out/test-logs/bench-disk-<time>.json, which
tests/bench/pool_disk.py pools over runs (disk_pairs.py); a run the docs
quote is kept as tests/bench/records/<run>.json.
"""

import contextlib
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import threading
import time

import guest
from bench_vmm import (BENCH_MOUNT, QEMU_GUEST_CRASH_ENDS, TEST_MOUNT, bundle_qemu,
                       rss_beyond_guest_ram)
from disk_pairs import QEMU_RUN, figure_of, paired_ratios, ratio_cell, record
from qemu import GUEST_KERNEL_MARK, ConsoleTimeout, Machine, accel_args

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("CORRAL_CACHE", "/var/cache/corral")
GUEST_MEM_MIB = 256
GUEST_CPUS = 2
# The appliance's (the nested host's) CPUs.  2 by default, as the figures
# in docs/corral-vmm.md were measured; CORRAL_BENCH_HOST_CPUS=1 keeps the
# outer QEMU's nested-SVM wedges away (docs/design-notes.md: none in 62
# one-vCPU runs), for a comparison that finishes.
HOST_CPUS = int(os.environ.get("CORRAL_BENCH_HOST_CPUS", "2"))
DISK_MIB = 512
SECONDS = 5  # per job; the scenario's default RUNTIME
FIO_SCENARIO = os.path.join(ROOT, "tests", "integration", "guest", "scenarios", "bench-fio.sh")
JOBS = [("seq read 1 MiB", "read", "1M"), ("seq write 1 MiB", "write", "1M"),
        ("rand read 4 KiB", "randread", "4k"), ("rand write 4 KiB", "randwrite", "4k")]
DEPTHS = (1, 32)
FIO_CONFIGURE = ["--cc=musl-gcc", "--build-static", "--disable-native", "--disable-numa",
                 "--disable-rdma", "--disable-rados", "--disable-rbd", "--disable-http",
                 "--disable-gfapi", "--disable-libnfs", "--disable-lex", "--disable-pmem",
                 "--disable-xnvme", "--disable-libzbc", "--disable-tcmalloc", "--disable-dfs"]


def pin(name):
    with open(os.path.join(ROOT, "configs", "versions.conf")) as f:
        return re.search(r"^%s=(\S+)" % name, f.read(), re.M).group(1)


def build_fio():
    """fio static with musl from Debian's source; the cached binary."""
    version = pin("FIO_VERSION")
    key = subprocess.run(["sha256sum"], input=" ".join(FIO_CONFIGURE).encode(),
                         capture_output=True, check=True).stdout.decode()[:12]
    dest = os.path.join(CACHE, "built", "fio-%s-%s" % (version, key))
    binary = os.path.join(dest, "fio")
    if os.path.exists(binary):
        return binary
    with tempfile.TemporaryDirectory(prefix="corral-fio-") as work:
        subprocess.run(["apt-get", "source", "-qq", "--download-only",
                        "%s=%s" % (pin("FIO_SRC"), version)], cwd=work, check=True)
        dsc = [f for f in os.listdir(work) if f.endswith(".dsc")][0]
        src = os.path.join(work, "src")
        subprocess.run(["dpkg-source", "--no-check", "-x", dsc, src], cwd=work, check=True,
                       capture_output=True)
        musl_inc = os.path.join(ROOT, "out", "musl-include")
        subprocess.run(["./configure"] + FIO_CONFIGURE + ["--extra-cflags=-isystem " + musl_inc],
                       cwd=src, check=True, capture_output=True)
        subprocess.run(["make", "-j2", "fio"], cwd=src, check=True, capture_output=True)
        subprocess.run(["strip", os.path.join(src, "fio")], check=True)
        os.makedirs(dest + ".tmp", exist_ok=True)
        shutil.copy(os.path.join(src, "fio"), os.path.join(dest + ".tmp", "fio"))
        os.rename(dest + ".tmp", dest)
    return binary


def make_bench_disk(work, fio):
    """ext4 CORRAL-BENCH: Debian's QEMU with its libraries, fio, the guest
    initramfs with fio, and room for the guest's disk image."""
    content = os.path.join(work, "bench-content")
    os.makedirs(content)
    bundle_qemu(content)
    shutil.copy(fio, os.path.join(content, "fio"))
    if BASELINE_VMM:
        shutil.copy(BASELINE_VMM, os.path.join(content, "corral-vmm-baseline"))
    shutil.copy(FIO_SCENARIO, os.path.join(content, "bench-fio.sh"))
    guest.make_initramfs(os.path.join(content, "initrd-fio.img"),
                         os.path.join(work, "initrd-staging"), extra_bins={"fio": fio})
    image = os.path.join(work, "bench.img")
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-L", "CORRAL-BENCH", "-d", content,
                    image, "2048M"], check=True)
    return image


BASELINE_VMM = os.environ.get("CORRAL_BENCH_BASELINE_VMM")


def vmm_command(disk, cmdline, binary="corral-vmm"):
    return (binary + " -v --kernel %s/vmlinuz --initrd %s/initrd-fio.img --memory %d "
            "--cpus %d --disk %s --cmdline '%s'"
            % (TEST_MOUNT, BENCH_MOUNT, GUEST_MEM_MIB, GUEST_CPUS, disk, cmdline))


def qemu_command(disk, cmdline):
    q = BENCH_MOUNT + "/qemu"
    return ("%s/lib/ld-linux-x86-64.so.2 --library-path %s/lib %s/qemu-system-x86_64 -L %s/share "
            "-enable-kvm -cpu host -m %d -smp %d -nodefaults -no-user-config -display none "
            "%s -serial stdio -kernel %s/vmlinuz -initrd %s/initrd-fio.img -M q35 "
            "-drive file=%s,format=raw,if=none,id=d0,cache=none,aio=io_uring "
            "-device virtio-blk-pci,drive=d0 -append 'console=ttyS0 %s'"
            % (q, q, q, q, GUEST_MEM_MIB, GUEST_CPUS, QEMU_GUEST_CRASH_ENDS, TEST_MOUNT,
               BENCH_MOUNT, disk, cmdline))


class Run:
    def __init__(self, name, command):
        self.name = name
        self.command = command


def runs(disk, scenario, more=""):
    """Each VMM's run of the guest's scenario (more: the scenario's own
    kernel parameters)."""
    cmdline = ("quiet corral.scenario=%s %s" % (scenario, more)).strip()
    found = [Run("corral-vmm", vmm_command(disk, cmdline)),
             Run(QEMU_RUN, qemu_command(disk, cmdline))]
    if BASELINE_VMM:
        found.insert(1, Run("corral-vmm baseline",
                            vmm_command(disk, cmdline, BENCH_MOUNT + "/corral-vmm-baseline")))
    return found


# fio's terse (v3) output: read bandwidth KiB/s and IOPS are fields 7 and
# 8, write's 48 and 49 (1-based).
def terse_figures(line, rw):
    """(MiB/s, IOPS), or None for a line that is not whole: the guest's
    console passes through the nested emulation, which once cut one short
    (run AE), and one bad line must not end a benchmark of 40 minutes."""
    f = line.split(";")
    bw, iops = (6, 7) if "read" in rw else (47, 48)
    try:
        return float(f[bw]) / 1024.0, float(f[iops])
    except (IndexError, ValueError):
        return None


def parse_fio(out):
    """{(rw, depth): (MiB/s, IOPS)} from the FIO lines of a run; a job
    whose line is not whole has no figure (and says so)."""
    figures = {}
    for rw, depth, terse in re.findall(r"^FIO (\w+) (\d+) (3;.*)$", out, re.M):
        found = terse_figures(terse, rw)
        if found is None:
            print("fio's line for %s at iodepth %s is not whole (%d characters): "
                  "no figure for that job in this run" % (rw, depth, len(terse)))
            continue
        figures[(rw, int(depth))] = found
    return figures


# KVM's counts of VM exits, every VM in the control domain together (the
# benchmark runs one at a time): read as the guest's JOB-START and COUNTS
# lines come out of the VMM, so each job gets the exits it caused, whichever
# the VMM.  The lines themselves cost a few exits (the serial port's, one per
# character, the same for both VMMs).  The total first, then by reason, so
# that a VMM with more exits per request shows which kind they are.  The
# guest kernel's lines are marked, and its panic ends the run at once: a
# panicked guest never ends by itself, and the watchdog would wait 420 s.
# RUN_PID is where the watchdog leaves the running VMM's pid for that.
RUN_PID = "/tmp/bench-disk-run.pid"
# After them, the nanoseconds KVM spent polling a halted vCPU before it
# let the thread sleep, polls that saw the vCPU woken and polls that gave
# up: time on an appliance CPU that does no work, charged to the VMM's
# vCPU threads (vcpu_threads_us).
KVM_STATS = ("exits", "io_exits", "mmio_exits", "halt_exits", "irq_exits",
             "irq_window_exits", "irq_injections", "halt_wakeup",
             "halt_poll_success_ns", "halt_poll_fail_ns")
# Beside them, the appliance's own interrupts (its /proc/interrupts, every
# CPU): its local timer, its disks' virtio completions and its IPIs, to
# tell where the external interrupts that stop a guest (irq_exits) come
# from.  On one appliance vCPU every one of them that lands while the
# guest runs is such an exit.
# The IPIs (RES, CAL and TLB together) and two of them apart: rescheduling
# IPIs (a thread woken on another CPU, KVM kicking a running vCPU out of
# the guest) and TLB shootdowns (an munmap or madvise in a process with
# threads on another CPU, as an allocator giving memory back does: the CPU
# running a vCPU thread of that process leaves the guest for it).
APPLIANCE_IRQS = ("appliance_timer_irqs", "appliance_disk_irqs", "appliance_ipis",
                  "appliance_resched_ipis", "appliance_tlb_ipis")
# And the VMM's CPU time (its /proc/PID/stat, every thread of it, io_uring's
# workers too), in microseconds: its own (user and system time outside the
# guest: device emulation, KVM's exit handling, io_uring's submissions) and
# the guest's.  When the nested host's CPUs are the bottleneck, as at
# iodepth 32, the VMM's time per request is what it takes from the guest:
# a count that the machine's load moves far less than a job's speed.  The
# appliance's clock ticks (USER_HZ 100) are 10 ms; a 5 s job has hundreds.
VMM_CPU = ("vmm_cpu_us", "guest_cpu_us")
# And the requests the appliance's own virtio disks completed (reads and
# writes, /proc/diskstats): how many the control domain's block layer made
# of each guest request, beside the interrupts that completed them.
APPLIANCE_DISK = ("appliance_disk_requests",)
# And where the VMM's own time goes, by thread (/proc/PID/task/*/stat):
# its vCPU threads' (those that ran the guest: KVM's exit handling and the
# devices they emulate in place) and io_uring's workers' ("iou-wrk-*": a
# request that could not be issued without blocking, retried from a
# worker); the rest of vmm_cpu_us is the VMM's other threads (its I/O
# thread: queues, submissions, completions).  A worker that exits within a
# job takes its time out of the listing with it (they live 5 s idle).
# Then how long the threads waited for a CPU while they could run (the
# scheduler's run_delay, /proc/PID/task/*/schedstat), the vCPU threads'
# and the others' (the VMM's device threads: its I/O and disk threads;
# QEMU's main loop and workers) apart, io_uring's workers left out: with
# two appliance CPUs shared by the guest's two vCPUs and the VMM's
# threads, a completion the disk thread could not reap at once is time a
# request spends neither at the host's disk nor in the guest.
# Beside them the appliance's idle time (/proc/stat, every CPU): when the
# VMM and its guest take no more CPU per request but a job is slower, the
# time went to waiting; iowait apart (a CPU idle while a task that last ran
# on it sleeps on a disk: a submission that blocked, not an idle ring).
VMM_THREADS = ("vcpu_threads_us", "io_uring_workers_us", "vcpu_threads_wait_us",
               "device_threads_wait_us")
APPLIANCE_IDLE = ("appliance_idle_us", "appliance_iowait_us")
# And how deep the pipeline runs at the appliance's own disks (their
# /proc/diskstats: the milliseconds their reads and writes spent in flight,
# summed over requests, and the milliseconds any was in flight) over the
# job's wall time (the appliance's uptime): by Little's law the first over
# the wall time is the mean number of requests in flight there, and the
# second the share of the time the disk had work at all, which says
# whether the host's disk or its CPUs set a job's pace.  Not per guest
# request, so shown apart (disk_depth_cell).
APPLIANCE_DISK_TIME = ("appliance_disk_ms", "appliance_disk_busy_ms", "appliance_uptime_ms")
PER_REQUEST = KVM_STATS + APPLIANCE_IRQS + APPLIANCE_DISK + VMM_CPU + VMM_THREADS + APPLIANCE_IDLE
STAMPED = PER_REQUEST + APPLIANCE_DISK_TIME
SUM_APPLIANCE_IRQS = ("awk '{ n = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) n += $i } "
                      "$1 == \"LOC:\" { t += n } /virtio[0-9]+-req/ { d += n } "
                      "$1 == \"RES:\" || $1 == \"CAL:\" || $1 == \"TLB:\" { p += n } "
                      "$1 == \"RES:\" { r += n } $1 == \"TLB:\" { f += n } "
                      "END { print t + 0, d + 0, p + 0, r + 0, f + 0 }' /proc/interrupts")
SUM_APPLIANCE_DISK_REQUESTS = ("awk '$3 ~ /^vd[a-z]+$/ { n += $4 + $8 } END { print n + 0 }' "
                               "/proc/diskstats")
SUM_APPLIANCE_DISK_TIME = ("awk '$3 ~ /^vd[a-z]+$/ { t += $7 + $11; b += $13 } END { "
                           "printf \"%.0f %.0f \", t, b }' /proc/diskstats; "
                           "awk '{ printf \"%.0f\\n\", $1 * 1000 }' /proc/uptime")
# utime, stime and guest_time are fields 14, 15 and 43, 12, 13 and 41 after
# the command's name (which could hold a space).
VMM_CPU_US = ("sed 's/.*) //' /proc/$(cat %s)/stat 2>/dev/null | awk '{ print "
              "($12 + $13 - $41) * 10000, $41 * 10000 } END { if (!NR) print \"x x\" }'"
              % RUN_PID)
VMM_THREADS_US = ("for t in /proc/$(cat %s)/task/*; do echo \"$(cat $t/schedstat) $(cat $t/stat)\"; "
                  "done 2>/dev/null | awk '$1 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ { k++; "
                  "n = substr($0, index($0, \"(\") + 1); sub(/\\) .*/, \"\", n); r = $0; "
                  "sub(/^.*\\) /, \"\", r); split(r, f, \" \"); t = f[12] + f[13] - f[41]; "
                  "if (n ~ /^iou-wrk/) w += t; else if (f[41] > 0) { v += t; vw += $2 } "
                  "else dw += $2 } END { if (k) printf \"%%.0f %%.0f %%.0f %%.0f\\n\", "
                  "v * 10000, w * 10000, vw / 1000, dw / 1000; else print \"x x x x\" }'"
                  % RUN_PID)
APPLIANCE_IDLE_US = ("awk '$1 == \"cpu\" { printf \"%.0f %.0f\\n\", $5 * 10000, $6 * 10000 }' "
                     "/proc/stat")
STAMP_EXITS = ('tr -d "\\r" | while IFS= read -r l; do case $l in JOB-START*|COUNTS*) '
               'echo "$l $(for s in %s; do cat /sys/kernel/debug/kvm/$s 2>/dev/null || echo x; '
               'done | tr "\\n" " ") $(%s) $(%s) $(%s) $(%s) $(%s) $(%s)";; '
               '\\[*) echo "%s$l"; case $l in *"end Kernel panic"*) '
               'kill -9 $(cat %s) 2>/dev/null;; esac;; *) echo "$l";; esac; '
               'done' % (" ".join(KVM_STATS), SUM_APPLIANCE_IRQS, SUM_APPLIANCE_DISK_REQUESTS,
                         VMM_CPU_US, VMM_THREADS_US, APPLIANCE_IDLE_US, SUM_APPLIANCE_DISK_TIME,
                         GUEST_KERNEL_MARK, RUN_PID))


def stamp_fields(rest):
    """A stamp's readings (STAMPED, in order; 'x' where unreadable), or
    None when the line is not whole: the guest's console is shared with its
    kernel, and one run's COUNTS line once had "[   52.981446] reboot:
    Power down" cut into it, which shifted every reading after it."""
    fields = rest.split()
    if len(fields) != len(STAMPED) or not all(f.isdigit() or f == "x" for f in fields):
        return None
    return fields


def kvm_deltas(start, end):
    """{stat: end - start} for the stats (STAMPED) both readings have."""
    a, b = stamp_fields(start) or [], stamp_fields(end) or []
    return {name: int(y) - int(x) for name, x, y in zip(STAMPED, a, b)
            if x.isdigit() and y.isdigit()}


def parse_counts(out):
    """{(rw, depth): (requests, merged, interrupts, {kvm stat: delta})} from
    the COUNTS lines (the dict empty where KVM's counts could not be read);
    a COUNTS line that is not whole is left out, its guest counts with it."""
    starts = {(rw, int(depth)): rest for rw, depth, rest in
              re.findall(r"^JOB-START (\w+) (\d+) ?(.*)$", out, re.M)}
    counts = {}
    for rw, depth, a, b, c, rest in re.findall(
            r"^COUNTS (\w+) (\d+) (\d+) (\d+) (\d+) ?(.*)$", out, re.M):
        if stamp_fields(rest) is None:
            continue
        start = starts.get((rw, int(depth)), "")
        counts[(rw, int(depth))] = (int(a), int(b), int(c), kvm_deltas(start, rest))
    return counts


# A run that has not ended after this long has stopped (a whole run takes
# 1-3 minutes): 4 of 6 runs of this benchmark once hung at iodepth 32, in
# QEMU's runs and in corral-vmm's.  The watchdog says so ("RUN-HUNG"), has
# corral-vmm print where each vCPU thread and each disk queue stands
# (SIGUSR2, twice 3 s apart: a vCPU whose exits stopped, a request the
# driver made and the device never took, or one completed whose interrupt
# the guest never saw) and each of its threads' state and wait channel
# ("RUN-THREAD"), kills the run and lets the rounds go on.
RUN_LIMIT_S = 420
# A VMM still there this long after kill -9 cannot end: a process whose
# io_uring holds a block request waits for it in exit, and run AC
# (docs/corral-vmm.md) once saw the appliance's own disk keep one for
# minutes.  The watchdog says so ("RUN-UNKILLABLE", with the process's
# state and the appliance's requests in flight by disk); WedgeWatch then
# ends that appliance and the run counts as lost with it.
UNKILLABLE_S = 30
# A hung run's guest exits, sampled for a second from KVM's kvm_exit
# tracepoint (the appliance's tracefs): the five commonest vCPU / reason /
# rip ("RUN-EXITS count vcpu N reason R rip X"), which tell a vCPU that
# loops on one exit (run BD: 17,000 a second, none reaching corral-vmm)
# from one that spins in the guest's own code.
def hung_exits(tracefs=("/sys/kernel/tracing", "/sys/kernel/debug/tracing")):
    """The shell that samples them (where a tracefs has KVM's events)."""
    return ("for tf in %s; do [ -w $tf/events/kvm/kvm_exit/enable ] && break; done; "
            "if [ -w $tf/events/kvm/kvm_exit/enable ]; then echo >$tf/trace; "
            "echo 1 >$tf/events/kvm/kvm_exit/enable; sleep 1 >/dev/null 2>&1; "
            "echo 0 >$tf/events/kvm/kvm_exit/enable; "
            "grep -o 'vcpu [0-9]* reason [^ ]* rip 0x[0-9a-f]*' $tf/trace | sort | uniq -c | "
            "sort -rn | head -5 | while read n r; do echo \"RUN-EXITS $n $r\"; done; "
            "echo >$tf/trace; fi; " % " ".join(tracefs))


# A hung run's exit addresses named by function.  The guest runs the
# appliance's own kernel (the ISO's vmlinuz), so a function's offset from
# _text is the same in both: the guest prints where its text landed
# ("GUEST-TEXT", scenarios/bench-fio.sh; KASLR moves it every boot), and the
# appliance's /proc/kallsyms names the address at that offset from its own
# _text.  (Debian's System.map is a one-line stub; the real one is in a
# -dbg package of hundreds of MiB.)
KALLSYMS = "/proc/kallsyms"


def exit_rips(lines):
    """The rip in each line, a RUN-EXITS line's or a vCPU line's from the
    halt check (None where it has none)."""
    found = [re.search(r"\brip 0x([0-9a-f]+)\b", line) for line in lines]
    return [int(f.group(1), 16) if f else None for f in found]


def kallsyms_lookup(addresses, path=KALLSYMS):
    """Shell printing "SYMBOL <address> <symbol address> <name>" for each
    address (16 hex digits): the code symbol at or below it.  Fixed-width
    hex compares as a string, so awk needs no 64-bit arithmetic."""
    return ("awk -v want='%s' 'BEGIN { n = split(want, w, \" \") } "
            "$2 ~ /^[tTwW]$/ { for (i = 1; i <= n; i++) "
            "if (($1 \"\") <= w[i] && ($1 \"\") > best[i]) { best[i] = $1; name[i] = $3 } } "
            "END { for (i = 1; i <= n; i++) if (best[i] != \"\") "
            "print \"SYMBOL\", w[i], best[i], name[i] }' %s"
            % (" ".join("%016x" % a for a in addresses), path))


def named_exits(m, lines, out, path=KALLSYMS):
    """The lines (RUN-EXITS, vCPU lines) with each kernel rip's function+offset appended;
    unchanged where the guest said no GUEST-TEXT or the address is past
    the kernel's code (user space, a module's)."""
    text = re.search(r"^GUEST-TEXT ([0-9a-f]{16})\r?$", out, re.M)
    rips = exit_rips(lines)
    if not text or not any(rips):
        return lines
    ours = re.search(r"^([0-9a-f]{16}) \w _text$",
                     m.out("grep ' _text$' %s; true" % path), re.M)
    if not ours:
        return lines
    shift = int(ours.group(1), 16) - int(text.group(1), 16)
    wanted = {rip: (rip + shift) % (1 << 64) for rip in rips if rip is not None}
    named = {}
    for want, base, name in re.findall(r"^SYMBOL ([0-9a-f]+) ([0-9a-f]+) (\S+)$",
                                       m.out(kallsyms_lookup(sorted(set(wanted.values())), path)),
                                       re.M):
        offset = int(want, 16) - int(base, 16)
        if offset < 0x10000:  # farther is past the last function
            named[int(want, 16)] = "%s+0x%x" % (name, offset)
    return ["%s (%s)" % (line, named[wanted[rip]]) if rip in wanted and wanted[rip] in named
            else line for line, rip in zip(lines, rips)]


WATCHDOG = ("{ %(command)s 2>&1 </dev/null & p=$!; echo $p >" + RUN_PID + "; "
            "( sleep %(limit)d >/dev/null 2>&1; kill -0 $p 2>/dev/null || exit 0; "
            "echo 'RUN-HUNG after %(limit)d s'; %(usr2)s "
            "for t in /proc/$p/task/*; do echo \"RUN-THREAD $(cat $t/comm) state "
            "$(sed 's/.*) //' $t/stat | cut -d' ' -f1) in $(cat $t/wchan)\"; done; "
            + hung_exits() +
            "sleep 2 >/dev/null 2>&1; kill -9 $p; "
            "sleep %(unkillable)d >/dev/null 2>&1; kill -0 $p 2>/dev/null || exit 0; "
            "echo \"RUN-UNKILLABLE state $(cut -d' ' -f3 /proc/$p/stat), in flight "
            "(disk reads writes;) $(for d in /sys/block/*; do echo ${d##*/} $(cat $d/inflight); "
            "done | tr '\\n' ';')\" "
            ") & w=$!; wait $p; kill $w 2>/dev/null; }")


def unkillable_in(log):
    """The watchdog's RUN-UNKILLABLE line in an appliance's console log, or
    None.  (The command's own echo has "state $(", never a state letter.)"""
    found = re.search(r"^RUN-UNKILLABLE state [A-Z], in flight.*$", log, re.M)
    return found.group(0) if found else None


def watched(run, limit=RUN_LIMIT_S):
    """run's command under the watchdog (killed after limit seconds);
    SIGUSR2 for corral-vmm only (it would end QEMU, which has no handler
    for it)."""
    usr2 = ("kill -USR2 $p; sleep 3 >/dev/null 2>&1; kill -USR2 $p;"
            if run.name.startswith("corral-vmm") else "")
    return WATCHDOG % {"command": run.command, "limit": limit, "usr2": usr2,
                       "unkillable": UNKILLABLE_S}


# The lines of a run's console that the benchmarks read (the soak's
# bench_soak.py too): the scenarios' and the watchdog's, the VMMs' and the
# guest kernel's (marked by STAMP_EXITS).
KEPT_LINES = ("^(FIO|COUNTS|JOB-START|SOAK-JOB|SOAK-END|RUN-HUNG|RUN-THREAD|RUN-EXITS|"
              "RUN-UNKILLABLE) |GUEST-|^(corral-vmm: |qemu-system-x86_64: |%s)"
              % GUEST_KERNEL_MARK)


def console_of(m, run, limit=RUN_LIMIT_S):
    """What the run printed (KEPT_LINES), under the watchdog."""
    return m.out("%s | %s | grep -a -E '%s' ; true" % (watched(run, limit), STAMP_EXITS, KEPT_LINES),
                 timeout=limit + 300)


def guest_fio(m, run):
    """The run's fio figures, its guest counts, corral-vmm's own disk
    statistics line (None for QEMU), and what went wrong: what the watchdog
    saw when the run hung, or the job a run ended in without the guest
    saying it was done (None when it finished)."""
    # Beside the figures: what the VMM, QEMU and the guest's kernel say
    # (the guest boots `quiet`, so its kernel prints only trouble; its
    # lines are marked, so that its panic is never taken for the
    # appliance's), to tell why a run ended early.
    out = console_of(m, run)
    vmm = re.search(r"disk [^:]*: (requests .*)$", out, re.M)
    started = re.findall(r"^JOB-START (\w+ \d+)", out, re.M)
    job = started[-1] if started else "(none: boot)"
    hung = None
    if "RUN-HUNG" in out:
        state = re.findall(r"disk \d+: (q0.*)$", out, re.M)
        vcpus = re.findall(r"^corral-vmm: (vcpu \d+: .*)$", out, re.M)
        exits = re.findall(r"^RUN-EXITS (.*)$", out, re.M)
        named = named_exits(m, vcpus + exits, out)
        threads = re.findall(r"^RUN-THREAD (.*)$", out, re.M) + named[len(vcpus):]
        hung = "in job %s; %s%s" % (job, "".join(v + "; " for v in named[:len(vcpus)] + threads),
                                    state[-1] if state else "no queue state")
        print("%s: run hung %s" % (run.name, hung))
    elif "GUEST-DONE" not in out:
        said = [l for l in out.splitlines()
                if not re.match(r"(FIO|COUNTS|JOB-START) ", l)][-12:]
        hung = "ended in job %s without GUEST-DONE" % job
        print("%s: run %s; its last words:\n  %s" % (run.name, hung, "\n  ".join(said)),
              flush=True)
    return parse_fio(out), parse_counts(out), vmm.group(1) if vmm else None, hung


def host_fio(m, image):
    """The same jobs on the image file in the control domain."""
    out = m.out("FIO=%s/fio DEV=%s SIZE=%dM RUNTIME=%d sh %s/bench-fio.sh"
                % (BENCH_MOUNT, image, DISK_MIB, SECONDS, BENCH_MOUNT), timeout=900)
    return parse_fio(out)


# --pairs N goes on past --rounds until every job of every corral-vmm
# build has N rounds paired with QEMU's, for at most this many times N
# rounds: on two appliance vCPUs the nested emulation can take half the runs.
PAIRS_ROUNDS_FACTOR = 3


def fewest_pairs(by_round):
    """The fewest rounds any job of any corral-vmm build has paired with QEMU's."""
    return min(len(paired_ratios(by_round, name, rw, depth))
               for name in by_round if name != QEMU_RUN
               for _, rw, _ in JOBS for depth in DEPTHS)


def more_rounds(args, done, by_round):
    """Whether to run another round after `done` of them."""
    if done < args.rounds:
        return True
    return (args.pairs > 0 and done < PAIRS_ROUNDS_FACTOR * args.pairs
            and fewest_pairs(by_round) < args.pairs)


def round_label(args, i):
    if i < args.rounds:
        return "%d/%d" % (i + 1, args.rounds)
    return "%d (going on for %d pairs a job)" % (i + 1, args.pairs)


def cell(values, rw):
    if not values:
        return "-"
    unit = "MiB/s" if rw in ("read", "write") else "IOPS"
    return "%.0f %s" % (statistics.median(figure_of(v, rw) for v in values), unit)


# Kernel messages up to KERN_WARNING and KERN_DEFAULT (backtraces) on the
# appliance's console, which the serial logs keep.
APPLIANCE_CONSOLE_LOGLEVEL = 5


def boot_appliance(testdata_image, bench_disk):
    """The nested test host with both disks mounted and debugfs up."""
    m = Machine("bench-disk", memory_mib=3072, cpus=HOST_CPUS, disks=[testdata_image, bench_disk])
    m.start()
    try:
        m.wait_ready()
        m.out("mkdir -p %s %s && mount -t ext4 $(findfs LABEL=CORRAL-TEST) %s && "
              "mount -t ext4 $(findfs LABEL=CORRAL-BENCH) %s"
              % (TEST_MOUNT, BENCH_MOUNT, TEST_MOUNT, BENCH_MOUNT))
        m.out("mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug; "
              "true")
        # The appliance boots `quiet` (console loglevel 4), which keeps a
        # soft lockup's header and drops its registers and backtrace (level 4):
        # run BF lost a run to both appliance CPUs locked up in corral-vmm's
        # threads for 650 s with nothing on the console to say where.
        m.out("echo %d >/proc/sys/kernel/printk" % APPLIANCE_CONSOLE_LOGLEVEL)
    except BaseException:
        m.stop()
        raise
    return m


class WedgeWatch(threading.Thread):
    """Samples the appliance every SAMPLE_S seconds while the runs go on:
    ends a panicked one (end_if_panicked), and notes a vCPU found stuck
    (Machine.stuck_vcpus) in two samples in a row: the outer QEMU's wedge, which can take one of the
    appliance's two CPUs away for minutes while the other runs on.  A
    run during which that happened measured half a machine, whichever VMM
    it was; the table names those runs."""
    SAMPLE_S = 10

    def __init__(self, m):
        super().__init__(daemon=True)
        self.m = m
        self.lock = threading.Lock()
        self.wedged = set()
        self.stopping = threading.Event()

    def run(self):
        before = set()
        while not self.stopping.wait(self.SAMPLE_S):
            self.end_if_panicked()
            self.end_if_unkillable()
            stuck, _ = self.m.stuck_vcpus()
            with self.lock:
                self.wedged |= before & set(stuck)
            before = set(stuck)

    def end_if_panicked(self):
        """A panicked appliance never answers: quitting its QEMU ends the
        run's wait at once (guest_fio_or_reboot then boots another) instead
        of after the run's whole timeout, 12 minutes."""
        if self.m.host_panicked():
            self.quit()

    def end_if_unkillable(self):
        """A VMM that outlived kill -9 (the watchdog's RUN-UNKILLABLE) holds
        the console's command for good: that appliance is ended too."""
        if unkillable_in(self.m.log_text()):
            self.quit()

    def quit(self):
        try:
            self.m.monitor("quit", timeout=5)
        except OSError:
            pass  # already gone

    def take(self):
        """The vCPUs seen wedged since the last take()."""
        with self.lock:
            found, self.wedged = sorted(self.wedged), set()
        return found


def stuck_in_two_samples(m):
    """A vCPU stuck (Machine.stuck_vcpus) in two samples a second apart:
    one sample can catch a vCPU just being woken."""
    first = set(m.stuck_vcpus()[0])
    if not first:
        return False
    time.sleep(1)
    return bool(first & set(m.stuck_vcpus()[0]))


def keep_lost_log(m):
    """A copy of the appliance's console log, which the next boot would
    overwrite: the panic's trace is what tells the outer QEMU's fault from
    ours."""
    for n in range(1, 1000):
        kept = "%s.lost-%d" % (m.log_path, n)
        if not os.path.exists(kept):
            shutil.copyfile(m.log_path, kept)
            return kept
    return m.log_path


def appliance_went_silent(log):
    """True when the console log's last command (after its BEGIN marker)
    never got the watchdog's RUN-HUNG: called once the console's wait
    (RUN_LIMIT_S + 300 s) has run out, that means the appliance ran none
    of its own programs after the run limit, whatever the VMM did: the
    appliance itself stopped (run AM, 2026-12-05: both of its vCPUs in
    its kernel, not halted, no line for 12 minutes)."""
    begun = log.rfind("BEGIN-")  # Machine.sh's marker; its echoed command has BEGIN''-N
    return begun >= 0 and "RUN-HUNG" not in log[begun:]


def guest_fio_or_reboot(m, run, boot):
    """guest_fio, and the appliance to go on with (run_or_reboot); a lost
    run has no figures."""
    return run_or_reboot(m, run, boot, guest_fio, lambda what: ({}, {}, None, what))


def run_or_reboot(m, run, boot, attempt, lost):
    """attempt(m, run), and the appliance to go on with.  When the appliance's
    own kernel panicked during the run (the nested-SVM emulation panic the
    README describes, rare, not a VMM's doing), the VMM outlived kill -9
    (a request stuck in the appliance's own disk, RUN-UNKILLABLE), the
    console went silent with a vCPU stuck for good in the outer QEMU
    (WedgeWatch), or the appliance stopped running its own programs
    (appliance_went_silent), the run is lost: it is reported, lost(what)
    stands for its result, and the appliance is booted again, so that one
    such event does not throw away a whole benchmark.  Any other failure
    ends it."""
    try:
        return attempt(m, run), m
    except ConsoleTimeout:
        what = appliance_loss(m)
        if what is None:
            raise
        m.stop()
        kept = keep_lost_log(m)
        print("%s: %s during the run; booting it again (its console: %s)" % (run.name, what, kept))
        return lost(what), boot()


def appliance_loss(m):
    """What happened to an appliance whose console's wait ran out, or None
    when it was none of the known losses."""
    unkillable = unkillable_in(m.log_text())
    if m.host_panicked():
        return "the appliance's kernel panicked (nested SVM emulation)"
    if unkillable:
        return ("the VMM outlived kill -9, a request stuck below it (%s)"
                % unkillable.replace("RUN-UNKILLABLE ", ""))
    if stuck_in_two_samples(m):
        return "the appliance wedged (outer QEMU, see WedgeWatch)"
    if appliance_went_silent(m.log_text()):
        return "the appliance went silent (not even the watchdog's line after the run's limit)"
    return None


# The corral-vmm the appliance runs: the ISO's, built from out/rootfs.
APPLIANCE_VMM = os.path.join(ROOT, "out", "rootfs", "usr", "bin", "corral-vmm")


def sha256_of(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def keep_run(name, i, results, wedged_cpus, by_round, counts, vmm_stats):
    """Keeps a run's figures (round i), guest counts and VMM statistics,
    unless an appliance vCPU was wedged during it: a CPU taken away for 10
    s or more of a 50 s run (run BF's round 4: 0.77x against 0.85-0.90x in
    the others) measures the outer QEMU, not the VMM."""
    if wedged_cpus:
        return False
    figures, guest_counts, stats = results
    for k, v in figures.items():
        by_round[name].setdefault(k, {})[i] = v
    for k, v in guest_counts.items():
        counts[name].setdefault(k, []).append(v)
    if stats:
        vmm_stats[name].append(stats)
    return True


def builds_of(names):
    """Each run's binary, by its sha256 (QEMU: None), as the benchmark starts."""
    paths = {"corral-vmm": APPLIANCE_VMM, "corral-vmm baseline": BASELINE_VMM}
    return {name: sha256_of(paths[name]) if name in paths else None for name in names}


def save_record(log_path, by_round, builds, started, rounds):
    """The figures by round beside the serial log, for pooling runs
    (disk_pairs.py); returns the file's path."""
    path = os.path.join(os.path.dirname(log_path), "bench-disk-%s.json"
                        % time.strftime("%Y%m%d-%H%M%S", time.gmtime(started)))
    meta = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "rounds": rounds, "host_cpus": HOST_CPUS, "guest_cpus": GUEST_CPUS,
            "seconds_per_job": SECONDS, "outer": " ".join(accel_args())}
    with open(path, "w") as f:
        json.dump(record(by_round, builds, meta), f, indent=1)
    return path


@contextlib.contextmanager
def booted_with_guest_disk(testdata_image, prefix):
    """fio built, the bench disk made, the appliance booted with the wedge
    watch on it and the guest's disk image written: yields (watch, boot,
    image).  The appliance in use is watch.m: a run that loses it boots
    another (run_or_reboot), which the caller hands the watch."""
    fio = build_fio()
    with tempfile.TemporaryDirectory(prefix=prefix) as work:
        disk = make_bench_disk(work, fio)
        boot = lambda: boot_appliance(testdata_image, disk)  # noqa: E731
        watch = WedgeWatch(boot())
        watch.start()
        try:
            image = BENCH_MOUNT + "/guest-disk.img"
            watch.m.out("dd if=/dev/zero of=%s bs=1M count=%d 2>/dev/null" % (image, DISK_MIB),
                        timeout=600)
            yield watch, boot, image
        finally:
            watch.stopping.set()
            watch.m.stop()


def bench(args, testdata_image, table):
    bench_started = time.time()
    with booted_with_guest_disk(testdata_image, "corral-bench-disk-") as (watch, boot, image):
        m = watch.m
        names = [r.name for r in runs(image, "")]
        builds = builds_of(names)
        # Each VMM's figures by round (paired_ratios); the host's by job.
        by_round = {name: {} for name in names}
        host = {}
        counts = {name: {} for name in names}
        vmm_stats = {name: [] for name in names}
        rss = {name: [] for name in names}
        hung, wedged = [], []
        i = 0
        while more_rounds(args, i, by_round):
            order = runs(image, "bench-fio")
            for run in order if i % 2 == 0 else order[::-1]:
                watch.take()
                started = time.monotonic()
                (figures, guest_counts, stats, stopped), m = guest_fio_or_reboot(m, run, boot)
                watch.m = m
                cpus = watch.take()
                # Progress: a whole benchmark takes 12-60 minutes.
                print("[bench-disk] round %s, %s: %s in %.0f s"
                      % (round_label(args, i), run.name,
                         "lost" if stopped else "figures left out (wedged)" if cpus
                         else "done", time.monotonic() - started), flush=True)
                if stopped:
                    hung.append("%s, round %d: %s" % (run.name, i + 1, stopped))
                if cpus:
                    wedged.append("%s, round %d: the appliance's vCPU %s"
                                  % (run.name, i + 1, " and ".join(map(str, cpus))))
                keep_run(run.name, i, (figures, guest_counts, stats), cpus,
                         by_round, counts, vmm_stats)
            i += 1
        print("[bench-disk] figures by round, for pooling (tests/bench/pool_disk.py): %s"
              % save_record(m.log_path, by_round, builds, bench_started, i), flush=True)
        for k, v in host_fio(m, image).items():
            host.setdefault(k, []).append(v)
        for run in runs(image, "vmm-wait"):
            rss[run.name].append(rss_beyond_guest_ram(m, run))
    rows = []
    for label, rw, _ in JOBS:
        for depth in DEPTHS:
            for name in by_round:
                rows.append(("%s, iodepth %d: %s" % (label, depth, name),
                             cell(list(by_round[name].get((rw, depth), {}).values()), rw), ""))
            rows.append(("%s, iodepth %d: host (fio on the file)" % (label, depth),
                         cell(host.get((rw, depth)), rw), ""))
            for name in by_round:
                if name != QEMU_RUN:
                    rows.append(("%s, iodepth %d: %s / QEMU, paired by round"
                                 % (label, depth, name),
                                 ratio_cell(paired_ratios(by_round, name, rw, depth)), ""))
    for name in vmm_stats:
        for stats in vmm_stats[name]:
            rows.append(("%s: the disk's counts over a round's 8 jobs" % name, stats, ""))
    rows.append(("runs that hung (killed after %d s) or were lost with the appliance"
                 % RUN_LIMIT_S, str(len(hung)), ""))
    for text in hung:
        rows.append(("hung", text, ""))
    rows.append(("runs left out: an appliance vCPU was wedged (outer QEMU, sampled every "
                 "%d s)" % WedgeWatch.SAMPLE_S, str(len(wedged)), ""))
    for text in wedged:
        rows.append(("wedged", text, ""))
    for name in rss:
        rows.append(("%s: RSS beyond guest RAM" % name,
                     "%.1f MiB" % (statistics.median(rss[name]) / 1024.0) if rss[name] else "-",
                     ""))
    table("Disk: fio in the guest, corral-vmm against QEMU (inside the nested test host)", rows,
          note="medians of the rounds that finished (%d run); guest %d MiB, %d vCPUs, "
               "virtio-blk on a %d MiB raw image on ext4, fio 3.33 O_DIRECT io_uring %d s "
               "per job; outer QEMU %s, %d vCPU(s)"
               % (i, GUEST_MEM_MIB, GUEST_CPUS, DISK_MIB, SECONDS,
                  " ".join(accel_args()), HOST_CPUS))
    rows = count_rows(counts)
    if not rows:
        return
    table("Disk: counts per job (requests, merged by the guest, interrupts and VM exits "
          "per request)", rows,
          note="from the guest's /sys/block/vda/stat and /proc/interrupts, the host KVM's "
               "exits (debugfs) and the appliance's /proc/interrupts, /proc/stat and "
               "/proc/diskstats (appliance_*) around each fio job; medians of the rounds "
               "(their range after them); requests, merges and interrupts per request "
               "hardly move with the machine's load, the exits include timer and HLT exits, "
               "which grow with a job's duration")


def spread(values):
    """The median of values and, over more than one round, their range:
    one run's count can sit far from the next's (QEMU's interrupts per
    request at random reads were 0.11, 0.15 and 0.23 in three benchmarks)."""
    median = statistics.median(values)
    if len(values) == 1:
        return "%.2f" % median
    return "%.2f (%.2f-%.2f)" % (median, min(values), max(values))


def kvm_per_request(values):
    """KVM's exits per request over the rounds (spread): the total and each
    reason that had any; then the appliance's own interrupts."""
    parts = []
    for stat in PER_REQUEST:
        ratios = [v[3][stat] / v[0] for v in values if v[0] and stat in v[3]]
        if ratios and (stat == "exits" or statistics.median(ratios) >= 0.005):
            parts.append("%s %s" % (stat, spread(ratios)))
    return ", ".join(parts) or "no KVM counts"


def count_rows(counts):
    rows = []
    for label, rw, _ in JOBS:
        for depth in DEPTHS:
            for name in counts:
                values = counts[name].get((rw, depth))
                if not values:
                    continue
                requests = statistics.median(v[0] for v in values)
                merged = statistics.median(v[1] for v in values)
                irqs = spread([v[2] / v[0] for v in values if v[0]] or [0])
                rows.append(("%s, iodepth %d: %s" % (label, depth, name),
                             "%d requests, %d merged, %s interrupts/request; per request: %s; "
                             "the appliance's disks: %s"
                             % (requests, merged, irqs, kvm_per_request(values),
                                disk_depth_cell(values)), ""))
    return rows


def disk_depth_cell(values):
    """The appliance's disks over a job (spread over the rounds): mean
    requests in flight, the share of the wall time any was, and the mean
    time each took."""
    def ratios(num, den, scale=1.0):
        return [v[3][num] * scale / v[3][den] for v in values
                if num in v[3] and v[3].get(den)]
    depth = ratios("appliance_disk_ms", "appliance_uptime_ms")
    busy = ratios("appliance_disk_busy_ms", "appliance_uptime_ms", 100.0)
    took = ratios("appliance_disk_ms", "appliance_disk_requests", 1000.0)
    if not depth:
        return "no counts"
    return "%s in flight, busy %s%%, %s us each" % (spread(depth), spread(busy), spread(took))
