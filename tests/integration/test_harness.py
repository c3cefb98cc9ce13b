"""The test harness's own reading of an appliance's console log (qemu.py):
no QEMU here, the logs are written out as the console would show them.

host_panic_in decides whether a test may retry on a fresh appliance
(test_vmm.retry_on_nested_fault) and whether the disk benchmark counts a run
as lost with its appliance: the appliance's own panic, not a nested
guest's, whose console reaches the same log.

make_target runs one make at a time, since each pytest-xdist worker builds
its own test-data disk (with the test VMM in it) at the same moment.
"""

import re
import subprocess
import sys
import threading
import time

import qemu
from qemu import host_panic_in, nested_guest_fault_in

GUEST_PANIC = ("[    3.141592] Kernel panic - not syncing: Attempted to kill init! "
               "exitcode=0x00000009\n"
               "[    3.141600] ---[ end Kernel panic - not syncing: Attempted to kill init! ]---\n")
HOST_PANIC = ("[  812.000001] Kernel panic - not syncing: Fatal exception in interrupt\n"
              "[  812.000100] ---[ end Kernel panic - not syncing: Fatal exception ]---\n")


def command(n, output, status=0):
    """One Machine.sh command as the console shows it: the typed line
    (markers split), its output, and its end."""
    return ("# echo 'BEGIN''-%d'; { cat /tmp/vmm-test.log\n> }; echo 'END''-%d' $?\n"
            "BEGIN-%d\n%sEND-%d %d\n" % (n, n, n, output, n, status))


def test_a_panic_with_no_command_ended_after_it_is_the_appliances():
    log = command(1, "ready\n") + "# " + HOST_PANIC
    assert host_panic_in(log)


def test_a_panic_while_booting_is_the_appliances():
    assert host_panic_in("Linux version 6.1.0\n" + HOST_PANIC)


def test_a_guest_panic_a_command_printed_is_not_the_appliances():
    log = command(1, "GUEST-BOOTED cpus=2\n" + GUEST_PANIC) + command(2, "")
    assert not host_panic_in(log)


def test_a_marked_guest_kernel_line_is_not_the_appliances_even_mid_command():
    # The disk benchmark streams the guest's console and marks its kernel's
    # lines; its watch samples the log before the command ends.
    marked = "".join("guest-kernel: " + line + "\n" for line in GUEST_PANIC.splitlines())
    log = command(1, "") + "BEGIN-2\nJOB-START randread 32\n" + marked
    assert not host_panic_in(log)


def test_the_appliances_panic_after_a_guest_panic_is_still_seen():
    log = command(1, GUEST_PANIC) + "BEGIN-2\n" + HOST_PANIC
    assert host_panic_in(log)


# The guest's trace from CI's failed run of 2026-12-05 (shortened).
NESTED_FAULT = """GUEST-BOOTED cpus=2 mem_kb=210632
QUEUES n=2
[   29.263028] traps: PANIC: double fault, error_code: 0x0
[   29.264515] double fault: 0000 [#1] PREEMPT SMP NOPTI
[   29.264929] CPU: 1 PID: 286 Comm: cmp Tainted: G        W          6.1.0-56-amd64 #1
[   29.265197] RIP: 0010:entry_SYSCALL_64+0x0/0x29
[   29.265874] Code: cc cc cc cc <0f> 01 f8 65 48 89 24 25 14 60 00 00 eb 12
[   29.266015] RSP: 0018:00007ffd0d9d08e0 EFLAGS: 00000002
[   29.266383] RAX: 0000000000000000 RBX: 00000000004ac100 RCX: 00000000004168e2
[   29.599742] Kernel panic - not syncing: Fatal exception in interrupt
"""


def test_the_nested_guests_known_crash_is_recognised():
    assert nested_guest_fault_in(NESTED_FAULT)
    # as the benchmark marks a guest kernel's lines, in a serial log's line ends
    assert nested_guest_fault_in("".join("guest-kernel: " + l + "\r\r\n"
                                         for l in NESTED_FAULT.splitlines()))


def test_other_guest_crashes_are_not_the_emulations():
    # interrupts on: not an event the guest had masked
    assert not nested_guest_fault_in(NESTED_FAULT.replace("EFLAGS: 00000002",
                                                          "EFLAGS: 00000202"))
    # elsewhere in the kernel
    assert not nested_guest_fault_in(NESTED_FAULT.replace("entry_SYSCALL_64+0x0/",
                                                          "virtblk_done+0x4e/"))
    assert not nested_guest_fault_in(NESTED_FAULT.replace("double fault: 0000",
                                                          "general protection fault: 0000"))
    assert not nested_guest_fault_in(GUEST_PANIC)


def test_a_retry_is_noted_for_the_summary(tmp_path, monkeypatch):
    monkeypatch.setattr(qemu, "LOG_DIR", str(tmp_path))
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "test_virtio.py::test_x (call)")
    qemu.note_retry("nested guest's double fault")
    qemu.note_retry("nested host kernel panicked")
    assert (tmp_path / qemu.RETRIES_LOG).read_text() == (
        "test_virtio.py::test_x: nested guest's double fault\n"
        "test_virtio.py::test_x: nested host kernel panicked\n")


def test_a_log_without_a_panic():
    assert not host_panic_in(command(1, "fine\n") + "# ")


def test_bench_disk_goes_on_until_every_job_has_its_pairs():
    """`bench disk --pairs N` (tests/bench): rounds past --rounds while some
    job of corral-vmm has fewer than N rounds paired with QEMU's, at most
    PAIRS_ROUNDS_FACTOR * N rounds."""
    import argparse
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
    import bench_disk as b
    jobs = [(rw, depth) for _, rw, _ in b.JOBS for depth in b.DEPTHS]
    figures = (100.0, 100.0)

    def by_round(ours, theirs):
        return {"corral-vmm": {job: {i: figures for i in ours} for job in jobs},
                b.QEMU_RUN: {job: {i: figures for i in theirs} for job in jobs}}

    args = argparse.Namespace(rounds=2, pairs=0)
    assert b.more_rounds(args, 1, by_round([], []))
    assert not b.more_rounds(args, 2, by_round([], []))
    args.pairs = 3
    # round 1 lost by corral-vmm, round 2 by QEMU: one pair after three rounds
    assert b.more_rounds(args, 3, by_round([0, 2], [0, 1]))
    assert b.fewest_pairs(by_round([0, 2, 3, 4], [0, 1, 3, 4])) == 3
    assert not b.more_rounds(args, 5, by_round([0, 2, 3, 4], [0, 1, 3, 4]))
    # never more than PAIRS_ROUNDS_FACTOR * pairs rounds
    assert not b.more_rounds(args, b.PAIRS_ROUNDS_FACTOR * 3, by_round([], []))


def bench_module(name):
    import importlib
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
    return importlib.import_module(name)


def test_bench_disk_records_round_trip_and_pool_by_binary(tmp_path):
    """A run's figures by round survive its record (disk_pairs.py), and
    pooling pairs a build with QEMU in every run where it ran, whatever
    the run called it: here build A is `corral-vmm` in one run and
    `corral-vmm baseline` in the other."""
    import json
    p = bench_module("disk_pairs")
    q = p.QEMU_RUN
    a, b = "a" * 64, "b" * 64
    run1 = {"corral-vmm": {("randread", 32): {0: (16.0, 4000.0), 1: (17.0, 5000.0)}},
            q: {("randread", 32): {0: (15.0, 3000.0), 2: (15.0, 3000.0)}}}
    run2 = {"corral-vmm": {("randread", 32): {0: (16.0, 2000.0)}},
            "corral-vmm baseline": {("randread", 32): {0: (16.0, 6000.0), 1: (1.0, 2.0)}},
            q: {("randread", 32): {0: (15.0, 4000.0), 1: (15.0, 4000.0)}}}
    files = []
    for n, (by_round, builds) in enumerate(
            [(run1, {"corral-vmm": a, q: None}),
             (run2, {"corral-vmm": b, "corral-vmm baseline": a, q: None})]):
        path = tmp_path / ("run%d.json" % n)
        path.write_text(json.dumps(p.record(by_round, builds, {"rounds": 3})))
        assert p.load(str(path)) == (by_round, builds)
        files.append(p.load(str(path)))
    pooled, names = p.pool(files, [("randread", 32), ("read", 1)])
    ka, kb = "corral-vmm " + a[:12], "corral-vmm " + b[:12]
    # run 1: round 0 only (QEMU lost round 1); run 2: rounds 0 and 1
    assert pooled[(ka, "randread", 32)] == [4000 / 3000, 6000 / 4000, 2 / 4000]
    assert pooled[(kb, "randread", 32)] == [0.5]
    assert pooled[(ka, "read", 1)] == []
    assert names == {ka: {"corral-vmm", "corral-vmm baseline"}, kb: {"corral-vmm"}}
    # against build A: only run 2 has both
    pooled, _ = p.pool(files, [("randread", 32)], against=ka)
    assert pooled == {(kb, "randread", 32): [2000 / 6000]}
    assert p.ratio_cell([1.5, 0.5, 1.2]) == "1.20x (0.50-1.50x over 3 rounds, ahead in 2)"
    # --as-one: build B's pairs count as A's (binaries alike in what is measured)
    pool_disk = bench_module("pool_disk")
    merged, names = p.pool(pool_disk.as_one(files, ["aaaa,bbb"]), [("randread", 32)])
    assert list(merged) == [(ka, "randread", 32)]
    assert sorted(merged[(ka, "randread", 32)]) == sorted([4000 / 3000, 6000 / 4000, 2 / 4000, 0.5])
    assert names == {ka: {"corral-vmm", "corral-vmm baseline"}}
    assert p.ratio_cell([]) == "-"


def test_bench_disk_pool_refuses_what_is_not_a_record(tmp_path, capsys):
    """pool_disk.py names the file and exits 1 on a file that is not a
    record (not JSON, another version, a figure that is not a number), and
    on --against matching no build."""
    import json
    pool_disk = bench_module("pool_disk")
    p = bench_module("disk_pairs")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(p.record({p.QEMU_RUN: {}}, {p.QEMU_RUN: None}, {})))
    bad = {"notjson.json": "{", "version.json": json.dumps({"version": 99}),
           "figure.json": json.dumps({"version": p.RECORD_VERSION, "builds": {
               "x": {"sha256": "c" * 64, "figures": {"read 1": {"0": ["fast", 1]}}}}}),
           "depth.json": json.dumps({"version": p.RECORD_VERSION, "builds": {
               "x": {"sha256": "c" * 64, "figures": {"read": {}}}}})}
    for name, text in bad.items():
        path = tmp_path / name
        path.write_text(text)
        assert pool_disk.main([str(good), str(path)]) == 1
        assert name in capsys.readouterr().err
    assert pool_disk.main(["--against", "dead", str(good)]) == 1
    assert "matches 0 builds" in capsys.readouterr().err
    assert pool_disk.main([str(good)]) == 0
    assert "no build was paired" in capsys.readouterr().out


def test_bench_disk_pool_defaults_to_the_kept_records(tmp_path, monkeypatch, capsys):
    """With no file named, pool_disk.py pools tests/bench/records/*.json
    (the runs the docs quote: out/ goes with the machine), and says so
    when there are none."""
    import json
    pool_disk = bench_module("pool_disk")
    p = bench_module("disk_pairs")
    monkeypatch.setattr(pool_disk, "KEPT", str(tmp_path))
    assert pool_disk.main([]) == 1
    assert "none kept in %s" % tmp_path in capsys.readouterr().err
    (tmp_path / "BX.json").write_text(json.dumps(p.record({p.QEMU_RUN: {}}, {p.QEMU_RUN: None}, {})))
    (tmp_path / "notes.txt").write_text("not a record")
    assert pool_disk.main([]) == 0
    assert "no build was paired" in capsys.readouterr().out


def test_bench_disk_reads_kvm_and_appliance_counts_around_a_job():
    """The lines STAMP_EXITS writes: KVM's stats ('x' where unreadable),
    then the appliance's timer, disk and IPI interrupts; a job gets the
    differences."""
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
    import bench_disk as b
    out = ("JOB-START randread 32 100 10 0 5 20 1 30 5 7000 9000  1000 50 7 4 1 300 20000 90000 "
           "10000 0 3000 1000 500000 7 1000 500 60000\n"
           "FIO randread 32 3;fio\n"
           "COUNTS randread 32 400 0 40 160 30 0 15 60 4 90 15 47000 409000  1900 250 9 6 1 500 "
           "60000 490000 30000 20000 8000 6000 4500000 17 11000 4500 65000\n"
           "JOB-START read 1 x x x x x x x x x x  5 5 5 1 0" + " x" * 12 + "\n"
           "COUNTS read 1 10 0 10 x x x x x x x x x x  8 6 5 1 0" + " x" * 12 + "\n"
           # the guest kernel's line cut into a stamp: every reading after it
           # would shift, so the job's stamp (JOB-START) or whole count (COUNTS)
           # is left out
           "JOB-START write 1 1 2[   52.981446] reboot: Power down" + " 1" * 25 + "\n"
           "COUNTS write 1 7 0 7" + " 2" * 27 + "\n"
           "JOB-START write 32" + " 1" * 27 + "\n"
           "COUNTS write 32 12503 0 2022[   52.981446] reboot: Power down" + " 2" * 27 + "\n")
    counts = b.parse_counts(out)
    requests, merged, irqs, deltas = counts[("randread", 32)]
    assert (requests, merged, irqs) == (400, 0, 40)
    assert deltas["exits"] == 60 and deltas["irq_exits"] == 40
    assert deltas["halt_poll_success_ns"] == 40000 and deltas["halt_poll_fail_ns"] == 400000
    assert deltas["appliance_timer_irqs"] == 900
    assert deltas["appliance_disk_irqs"] == 200
    assert deltas["appliance_ipis"] == 2
    assert deltas["appliance_resched_ipis"] == 2 and deltas["appliance_tlb_ipis"] == 0
    assert deltas["appliance_disk_requests"] == 200
    assert deltas["vmm_cpu_us"] == 40000 and deltas["guest_cpu_us"] == 400000
    assert deltas["vcpu_threads_us"] == 20000 and deltas["io_uring_workers_us"] == 20000
    assert deltas["vcpu_threads_wait_us"] == 5000 and deltas["device_threads_wait_us"] == 5000
    assert deltas["appliance_idle_us"] == 4000000 and deltas["appliance_iowait_us"] == 10
    assert deltas["appliance_disk_ms"] == 10000 and deltas["appliance_uptime_ms"] == 5000
    _, _, _, deltas = counts[("read", 1)]
    assert "exits" not in deltas  # KVM's unreadable: left out, nothing shifted
    assert deltas == {"appliance_timer_irqs": 3, "appliance_disk_irqs": 1, "appliance_ipis": 0,
                      "appliance_resched_ipis": 0, "appliance_tlb_ipis": 0}
    assert counts[("write", 1)] == (7, 0, 7, {})
    assert ("write", 32) not in counts
    per_request = b.kvm_per_request([counts[("randread", 32)]])
    assert "appliance_disk_irqs 0.50" in per_request
    assert "vmm_cpu_us 100.00, guest_cpu_us 1000.00" in per_request
    assert "appliance_disk_ms" not in per_request  # not per request: apart
    # 10 s of requests in flight over a 5 s job: 2 deep; 4 s of 5 busy; 200
    # requests of 50 ms each
    assert (b.disk_depth_cell([counts[("randread", 32)]])
            == "2.00 in flight, busy 80.00%, 50000.00 us each")
    # over two rounds: the median, then the range
    again = (200, 0, 12, {"exits": 70})
    two = [counts[("randread", 32)], again]
    assert "exits 0.25 (0.15-0.35)" in b.kvm_per_request(two)
    rows = b.count_rows({"v": {("randread", 32): two}})
    assert "0.08 (0.06-0.10) interrupts/request" in rows[0][1], rows


def stamp_of_a_busy_process(tmp_path, script, code):
    """The two numbers script (one of bench_disk's /proc readers, for the
    process RUN_PID names) prints for a process running code that has
    spun for half a second, and what it prints once that process is gone."""
    b = bench_disk()
    busy = subprocess.Popen([sys.executable, "-c", code])
    pid_file = tmp_path / "run.pid"
    pid_file.write_text("%d\n" % busy.pid)
    script = script.replace(b.RUN_PID, str(pid_file))
    try:
        time.sleep(0.5)
        found = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                               timeout=30).stdout.split()
    finally:
        busy.kill()
        busy.wait()
    gone = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
    return found, gone.stdout.split()


def test_bench_disk_reads_the_vmms_cpu_time(tmp_path):
    """VMM_CPU_US on a live process: its own and its guest's time in
    microseconds (no guest here: 0), whole ticks; 'x x' once it is gone."""
    (own, guest), gone = stamp_of_a_busy_process(tmp_path, bench_disk().VMM_CPU_US,
                                                 "while True: pass")
    assert 100000 <= int(own) <= 5000000 and int(own) % 10000 == 0, own
    assert guest == "0"
    assert gone == ["x", "x"]


def test_bench_disk_splits_the_vmms_time_by_thread(tmp_path):
    """VMM_THREADS_US: a thread named like io_uring's workers counts as
    one; a thread that never ran a guest is no vCPU thread; all 'x' once the
    process is gone."""
    worker = ("import ctypes, threading\n"
              "def spin():\n"
              "    ctypes.CDLL(None).prctl(15, b'iou-wrk-1', 0, 0, 0)\n"
              "    while True: pass\n"
              "threading.Thread(target=spin).start()\n")
    (vcpus, workers, _, _), gone = stamp_of_a_busy_process(
        tmp_path, bench_disk().VMM_THREADS_US, worker)
    assert vcpus == "0"
    assert 100000 <= int(workers) <= 5000000 and int(workers) % 10000 == 0, workers
    assert gone == ["x", "x", "x", "x"]


def test_bench_disk_reads_how_long_the_vmms_threads_waited(tmp_path):
    """VMM_THREADS_US's waits: a process that spins on one CPU beside
    another spinner there waits for it about half the time, in
    microseconds, as a thread that never ran a guest (a device thread).
    The rival asks to be killed with its parent (PR_SET_PDEATHSIG)."""
    one_cpu = ("import os, subprocess, sys\n"
               "os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})\n"
               "rival = ('import ctypes\\n'\n"
               "         'ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)\\n'\n"
               "         'while True: pass\\n')\n"
               "subprocess.Popen([sys.executable, '-c', rival])\n"
               "while True: pass\n")
    (vcpus, _, vcpu_wait, device_wait), _ = stamp_of_a_busy_process(
        tmp_path, bench_disk().VMM_THREADS_US, one_cpu)
    assert vcpus == "0" and vcpu_wait == "0"
    assert 100000 <= int(device_wait) <= 5000000, device_wait


def test_bench_disk_reads_the_appliances_idle_time(tmp_path):
    """Idle and iowait of the first line of /proc/stat, in microseconds,
    whole even past 2^31."""
    b = bench_disk()
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 0 50 900000 2000 0 7 0 0 0\n"
                    "cpu0 50 0 25 450000 1000 0 3 0 0 0\n")
    script = b.APPLIANCE_IDLE_US.replace("/proc/stat", str(stat))
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["9000000000", "20000000"], out


def test_bench_disk_tells_a_silent_appliance():
    """Past the console's wait, a run whose watchdog never spoke means the
    appliance stopped; one whose watchdog did is the VMM's (an earlier
    command's line does not count)."""
    b = bench_disk()
    assert b.appliance_went_silent("# # # > BEGIN-5\nRUN-HUNG after 420 s\nEND-5 0\n"
                                   "# # # > BEGIN-6\n")
    assert not b.appliance_went_silent("# # # > BEGIN-6\nFIO read 1 3;x\n"
                                       "RUN-HUNG after 420 s\n")
    assert not b.appliance_went_silent("no command yet\n")
    # the console's echo of the command holds the watchdog's text, before
    # the marker: it does not count
    echoed = ("echo 'BEGIN''-7'; { x & ( sleep 420; echo 'RUN-HUNG after 420 s' ) ...\n"
              "}; echo 'END''-7' $?\n# # # > BEGIN-7\n")
    assert b.appliance_went_silent(echoed)
    assert not b.appliance_went_silent(echoed + "RUN-HUNG after 420 s\n")


def test_bench_disk_counts_the_appliances_disk_requests(tmp_path):
    """Reads and writes completed by whole virtio disks: not partitions,
    not other disks."""
    b = bench_disk()
    stats = tmp_path / "diskstats"
    stats.write_text(" 254 0 vda 100 3 800 10 20 1 160 5 0 0 0 0\n"
                     " 254 1 vda1 90 3 720 9 20 1 160 5 0 0 0 0\n"
                     " 254 16 vdb 7 0 56 1 5 0 40 1 0 0 0 0\n"
                     "   8 0 sda 1000 0 8000 1 500 0 4000 1 0 0 0 0\n")
    script = b.SUM_APPLIANCE_DISK_REQUESTS.replace("/proc/diskstats", str(stats))
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["132"], out


def test_bench_disk_sums_the_appliances_interrupts(tmp_path):
    """Local timer, virtio request queues, every IPI (RES, CAL, TLB), then
    the rescheduling IPIs and the TLB shootdowns apart; other lines (the
    queues' config interrupts, NMIs) not counted."""
    b = bench_disk()
    irqs = tmp_path / "interrupts"
    irqs.write_text("           CPU0       CPU1\n"
                    " 24:        100         50  PCI-MSIX-0000:00:04.0   1-edge      virtio1-req.0\n"
                    " 25:          3          4  PCI-MSIX-0000:00:04.0   0-edge      virtio1-config\n"
                    "NMI:          9          9   Non-maskable interrupts\n"
                    "LOC:       1000       2000   Local timer interrupts\n"
                    "RES:         30         40   Rescheduling interrupts\n"
                    "CAL:          5          6   Function call interrupts\n"
                    "TLB:          7          8   TLB shootdowns\n")
    script = b.SUM_APPLIANCE_IRQS.replace("/proc/interrupts", str(irqs))
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["3000", "150", "96", "70", "15"], out


def test_bench_disk_reads_the_appliances_disk_time(tmp_path):
    """Milliseconds whole virtio disks' reads and writes spent in flight
    (not partitions', not other disks'), the milliseconds any was, then the
    uptime in milliseconds."""
    b = bench_disk()
    stats = tmp_path / "diskstats"
    stats.write_text(" 254 0 vda 100 3 800 10 20 1 160 5 2 12 16 0 0 0 0\n"
                     " 254 1 vda1 90 3 720 9 20 1 160 5 2 11 14 0 0 0 0\n"
                     " 254 16 vdb 7 0 56 1 5 0 40 4000000000 0 3 5 0 0 0 0\n"
                     "   8 0 sda 1000 0 8000 100 500 0 4000 100 0 100 200 0 0 0 0\n")
    uptime = tmp_path / "uptime"
    uptime.write_text("3000000.25 5000.00\n")
    script = (b.SUM_APPLIANCE_DISK_TIME.replace("/proc/diskstats", str(stats))
              .replace("/proc/uptime", str(uptime)))
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
    assert out.stdout.split() == ["4000000016", "15", "3000000250"], out


def bench_disk():
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
    import bench_disk as b
    return b


def test_bench_disk_watchdog_names_a_vmm_that_outlives_kill_9():
    """A run that ignores kill -9 (as a process whose io_uring waits on a
    stuck disk request does) gets RUN-UNKILLABLE with its state and the
    disks' requests in flight, which the benchmark reads from the log."""
    b = bench_disk()
    # `kill -9` does nothing here, every other kill is the shell's own
    script = ("kill() { [ \"$1\" = -9 ] || command kill \"$@\"; }; " +
              b.WATCHDOG % {"command": "sleep 6", "limit": 1, "usr2": "", "unkillable": 1})
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                         timeout=30).stdout
    assert "RUN-HUNG after 1 s" in out, out
    line = b.unkillable_in(out)
    assert line and re.match(r"RUN-UNKILLABLE state [SR], in flight \(disk reads writes;\) ",
                             line), out
    # the line as the console echoes the command itself never counts
    assert b.unkillable_in(command(1, "")) is None
    assert b.unkillable_in("# " + script + "\n") is None


def test_bench_disk_skips_a_fio_line_that_is_not_whole(capsys):
    """Run AE ended with an IndexError in the middle of its last round: one
    of fio's terse lines came through the console cut short."""
    b = bench_disk()
    fields = (["3", "fio-3.33", "job", "0", "0", "0", "2048", "512"] + ["0"] * 39 +
              ["4096", "1024"])
    whole = ";".join(fields)
    out = ("FIO read 32 %s\nFIO write 32 %s\nFIO randread 1 3;fio-3.33;job;0;0;0;20x8\n"
           "FIO randwrite 1 %s\n" % (whole, whole, whole[:60]))
    figures = b.parse_fio(out)
    assert figures == {("read", 32): (2.0, 512.0), ("write", 32): (4.0, 1024.0)}
    assert "randwrite at iodepth 1 is not whole" in capsys.readouterr().out


def test_bench_disk_watchdog_ends_quietly_when_kill_9_works():
    """A hung run says what each of its threads waits in, then is killed."""
    b = bench_disk()
    script = b.WATCHDOG % {"command": "sleep 6", "limit": 1, "usr2": "", "unkillable": 1}
    out = subprocess.run(["sh", "-c", script], capture_output=True, text=True,
                         timeout=30).stdout
    assert "RUN-HUNG after 1 s" in out and "RUN-UNKILLABLE" not in out, out
    # each of the hung run's threads, with its state and where it waits
    assert re.search(r"^RUN-THREAD sleep state [SR] in \w+", out, re.M), out


def test_bench_disk_hung_run_samples_its_exits_from_kvms_tracepoint(tmp_path):
    """A hung run's exits for a second (run BD: a vCPU looping on exits
    that never reach corral-vmm): the commonest vCPU/reason/rip first, the
    tracepoint off again and its buffer emptied.  A tracefs stands in
    here, the tracepoint "firing" while it is on."""
    b = bench_disk()
    tf = tmp_path / "tracing"
    enable = tf / "events" / "kvm" / "kvm_exit" / "enable"
    enable.parent.mkdir(parents=True)
    enable.write_text("0\n")
    trace = tf / "trace"
    trace.write_text("stale\n")
    line = ("  CPU 0/KVM-12 [001] d.... 5.0: kvm_exit: vcpu %d reason %s rip 0x%x info1 0x0 "
            "info2 0x0 intr_info 0x0 error_code 0x0\n")

    def fire():
        deadline = time.monotonic() + 10
        while enable.read_text().strip() != "1" and time.monotonic() < deadline:
            time.sleep(0.01)
        with open(trace, "a") as f:
            f.write(line % (0, "npf", 0xffffffff81000010) * 3 + line % (1, "hlt", 0x10))
    writer = threading.Thread(target=fire)
    writer.start()
    out = subprocess.run(["sh", "-c", b.hung_exits([str(tmp_path / "none"), str(tf)])],
                         capture_output=True, text=True, timeout=30).stdout
    writer.join()
    assert out.splitlines() == ["RUN-EXITS 3 vcpu 0 reason npf rip 0xffffffff81000010",
                                "RUN-EXITS 1 vcpu 1 reason hlt rip 0x10"], out
    assert enable.read_text().strip() == "0" and trace.read_text().strip() == ""
    # no tracefs with KVM's events: nothing said, nothing written
    assert subprocess.run(["sh", "-c", b.hung_exits([str(tmp_path / "none")])],
                          capture_output=True, text=True, timeout=30).stdout == ""


def test_bench_disk_leaves_out_a_run_during_which_the_appliance_wedged():
    """A run's figures, counts and statistics are kept by round; a run
    during which an appliance vCPU was wedged keeps none of them."""
    b = bench_disk()
    by_round, counts, stats = {"vmm": {}}, {"vmm": {}}, {"vmm": []}
    results = ({("read", 32): (2100.0, 2100.0)}, {("read", 32): (9000, 0, 900)}, "requests 9000")
    assert b.keep_run("vmm", 0, results, [], by_round, counts, stats)
    assert not b.keep_run("vmm", 3, ({("read", 32): (1613.0, 1612.0)}, {("read", 32): (1, 0, 1)},
                                     "requests 1"), [0], by_round, counts, stats)
    assert by_round == {"vmm": {("read", 32): {0: (2100.0, 2100.0)}}}
    assert counts == {"vmm": {("read", 32): [(9000, 0, 900)]}}
    assert stats == {"vmm": ["requests 9000"]}


def test_bench_disk_names_a_hung_guests_exit_addresses(tmp_path):
    """RUN-EXITS rips named through the appliance's kallsyms (the guest runs
    the same kernel), moved by the two kernels' different _text (GUEST-TEXT):
    a kernel address gets function+offset; a user-space one, an address
    past the last function, or a run without GUEST-TEXT, none."""
    b = bench_disk()
    kallsyms = tmp_path / "kallsyms"
    kallsyms.write_text("0000000000000000 A fixed_percpu_data\n"
                        "ffffffffa3000000 T _text\n"
                        "ffffffffa3000000 T startup_64\n"
                        "ffffffffa3100000 t csd_lock_wait\n"
                        "ffffffffa3100040 T smp_call_function_many_cond\n"
                        "ffffffffa3100100 D some_data\n"
                        "ffffffffc0a00000 t kvm_vcpu_block\t[kvm]\n")

    class Appliance:
        def out(self, command):
            return subprocess.run(["sh", "-c", command], capture_output=True, text=True,
                                  check=True, timeout=30).stdout
    lines = ["1200 vcpu 0 reason pause rip 0xffffffff9d100012",
             "30 vcpu 0 reason npf rip 0xffffffff9d100144\r",
             "7 vcpu 0 reason npf rip 0xffffffff9d300000",
             "2 vcpu 1 reason hlt rip 0x4011f0",
             "vcpu 1: in KVM_RUN, halted; returns 2700, last exit 10 (signal); kvm exits 17323, "
             "hlt 2979; at the last halt check halted at rip 0xffffffff9d100044, interrupts off"]
    out = "GUEST-BOOTED cpus=2\nGUEST-TEXT ffffffff9d000000\r\nJOB-START write 32\n"
    named = b.named_exits(Appliance(), lines, out, str(kallsyms))
    assert named == [lines[0] + " (csd_lock_wait+0x12)",
                     lines[1] + " (smp_call_function_many_cond+0x104)",
                     lines[2], lines[3],
                     lines[4] + " (smp_call_function_many_cond+0x4)"], named
    assert b.named_exits(Appliance(), lines, "JOB-START write 32\n", str(kallsyms)) == lines
    assert b.named_exits(Appliance(), lines, out, str(tmp_path / "missing")) == lines


def test_makes_from_two_workers_run_one_after_the_other(monkeypatch):
    spans = []

    def slow_make(cmd, check):
        start = time.monotonic()
        time.sleep(0.3)
        spans.append((start, time.monotonic()))

    monkeypatch.setattr(qemu.subprocess, "run", slow_make)
    workers = [threading.Thread(target=qemu.make_target, args=("test-vmm",)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    (a_start, a_end), (b_start, b_end) = sorted(spans)
    assert a_end <= b_start, spans


class FakeAppliance:
    def __init__(self, panicked=False):
        self.panicked = panicked

    def host_panicked(self):
        return self.panicked


def failing_first(error):
    """A test body that fails once with error, then passes on the machine
    it gets; records the machines."""
    seen = []

    def body(m):
        seen.append(m)
        if len(seen) == 1:
            raise AssertionError(error)
        return "passed"
    return body, seen


def test_retry_on_the_guests_known_crash_is_on_the_same_appliance(tmp_path, monkeypatch):
    import test_vmm
    monkeypatch.setattr(qemu, "LOG_DIR", str(tmp_path))
    shared = FakeAppliance()
    body, seen = failing_first(NESTED_FAULT)
    assert test_vmm.retry_on_nested_fault(shared, None, body) == "passed"
    assert seen == [shared, shared]
    assert "double fault" in (tmp_path / qemu.RETRIES_LOG).read_text()


def test_retry_after_the_hosts_panic_is_on_a_fresh_appliance(tmp_path, monkeypatch):
    import test_vmm
    monkeypatch.setattr(qemu, "LOG_DIR", str(tmp_path))
    fresh = FakeAppliance()
    fresh.stop = lambda: None
    monkeypatch.setattr(test_vmm, "fresh_appliance", lambda image: fresh)
    shared = FakeAppliance(panicked=True)
    body, seen = failing_first("console timed out")
    assert test_vmm.retry_on_nested_fault(shared, None, body) == "passed"
    assert seen == [shared, fresh]


def test_any_other_failure_is_not_retried(tmp_path, monkeypatch):
    import pytest
    import test_vmm
    monkeypatch.setattr(qemu, "LOG_DIR", str(tmp_path))
    body, seen = failing_first(NESTED_FAULT.replace("EFLAGS: 00000002", "EFLAGS: 00000202"))
    with pytest.raises(AssertionError):
        test_vmm.retry_on_nested_fault(FakeAppliance(), None, body)
    assert len(seen) == 1 and not (tmp_path / qemu.RETRIES_LOG).exists()


def bench_soak():
    bench_disk()  # puts tests/bench on the path
    import bench_soak as s
    return s


def soak_console(jobs, tail=""):
    """A soak run's kept lines: the guest's boot, a SOAK-JOB per job
    started (the guest's uptime 20 s + 5 s a job), then tail."""
    lines = ["GUEST-BOOTED cpus=2 mem_kb=210632"]
    lines += ["SOAK-JOB %d %s %.2f" % (i // 4, ("read", "randread", "write", "randwrite")[i % 4],
                                       20 + 5.0 * i) for i in range(jobs)]
    return "\n".join(lines) + "\n" + tail


def test_bench_soak_tells_how_each_run_ended():
    s = bench_soak()
    done = soak_console(60, "SOAK-END 321.50\nGUEST-DONE status=0\n")
    assert s.how_it_ended(done) == ("finished", 301.5)
    marked = "".join("guest-kernel: " + line + "\n" for line in NESTED_FAULT.splitlines()
                     if line.startswith("["))
    assert s.how_it_ended(soak_console(50, marked)) == ("the emulation's double fault", 245.0)
    assert s.how_it_ended(soak_console(3, "corral-vmm: guest crashed: triple fault (shutdown) "
                                          "on vCPU 1 at rip 0xfff0\n")) == ("triple fault", 10.0)
    assert s.how_it_ended(soak_console(7, "guest-kernel: " + GUEST_PANIC)) == \
        ("other guest crash", 30.0)
    # QEMU, -no-reboot, leaves on a triple fault without a word
    assert s.how_it_ended(soak_console(9)) == ("ended without a word", 40.0)
    assert s.how_it_ended(soak_console(9, "RUN-HUNG after 720 s\n")) == ("hung", 40.0)
    # a crash before the first job: no load
    assert s.how_it_ended("GUEST-BOOTED cpus=2\n") == ("ended without a word", 0.0)
    # SOAK-END without GUEST-DONE: the guest died on its way out
    assert s.how_it_ended(soak_console(60, "SOAK-END 321.50\n"))[0] == "ended without a word"


def test_bench_soak_counts_crashes_per_second_of_load():
    s = bench_soak()
    rows = dict((name, (value, note)) for name, value, note in s.summary_rows({
        "corral-vmm": [("finished", 300.0), ("the emulation's double fault", 240.0),
                       ("triple fault", 60.0), ("appliance lost", 0.0)],
        "qemu": [("finished", 300.0), ("hung", 100.0)]}))
    assert rows["corral-vmm: runs by end"] == (
        "4", "finished 1, the emulation's double fault 1, triple fault 1, appliance lost 1")
    assert rows["corral-vmm: seconds of iodepth-32 load, guest crashes"][0] == "600 s, 2"
    assert rows["corral-vmm: seconds of load per guest crash"][0] == "300 s"
    assert rows["corral-vmm: load before each crash"] == ("median 150 s", "240 60")
    # a hang is not a crash: its load still counts
    assert rows["qemu: seconds of iodepth-32 load, guest crashes"][0] == "400 s, 0"
    assert rows["qemu: seconds of load per guest crash"][0] == "none crashed"


def test_bench_runs_a_by_name_only_benchmark_only_when_named(monkeypatch):
    bench_disk()
    import run
    ran = []
    monkeypatch.setattr(run, "BENCHMARKS", {"disk": lambda a: ran.append("disk"),
                                            "soak": lambda a: ran.append("soak")})
    monkeypatch.setattr(run, "BY_NAME_ONLY", {"soak"})
    monkeypatch.setattr(sys, "argv", ["run.py"])
    run.main()
    monkeypatch.setattr(sys, "argv", ["run.py", "soak"])
    run.main()
    assert ran == ["disk", "soak"]


def test_bench_vmm_pairs_boot_times_by_round():
    bench_disk()  # puts tests/bench on the path
    import bench_vmm
    rows = bench_vmm.paired_init_rows({
        "corral-vmm": {0: 8000.0, 1: 9000.0, 2: 7000.0},
        "kvmtool": {0: 7600.0, 2: 8400.0},  # its round 1 failed: no pair
        "qemu -M q35": {0: 10000.0, 1: 9900.0, 2: 9800.0}})
    by_name = {name: (value, note) for name, value, note in rows}
    q35 = by_name["exec to guest init, corral-vmm against qemu -M q35, paired by round "
                  "(qemu -M q35's time over corral-vmm's)"]
    assert q35 == ("1.25x (1.10-1.40x over 3 rounds, ahead in 3)",
                   "8000 / 10000 ms, 9000 / 9900 ms, 7000 / 9800 ms")
    kvmtool = by_name["exec to guest init, corral-vmm against kvmtool, paired by round "
                      "(kvmtool's time over corral-vmm's)"]
    assert kvmtool[0] == "1.07x (0.95-1.20x over 2 rounds, ahead in 1)"
    # the PVH pairs had no runs: no rows
    assert len(rows) == 2
