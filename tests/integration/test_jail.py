"""Issue 18: every VMM corrald starts runs jailed - its own uid, new
namespaces, an empty root, no capabilities, no_new_privs, seccomp - and
corrald is supervised by init.

Guests are the vmm-wait scenario of test_corrald.py.  The forbidden system
call and the runaway allocation come from the test build of the VMM
(CORRAL_VMM_TEST_HOOKS, on the test-data disk, never in the ISO): SIGURG
makes it open a file, which the jail refuses; SIGWINCH makes it allocate
until its cgroup's memory.max has the kernel kill it.  It is bind-mounted over /usr/bin/corral-vmm only while its
VM starts.
"""

import re

from conftest import TESTDATA_MOUNT
from test_corrald import (corral_json, create_guest, ensure_corrald, host,  # noqa: F401
                          show, wait_for, wait_guest_up, wait_state)

JAIL_FIRST, JAIL_LAST = 100000, 165535
TEST_VMM = TESTDATA_MOUNT + "/corral-vmm-test-hooks"


def status_fields(machine, pid):
    text = machine.out("cat /proc/%d/status" % pid)
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def namespace(machine, pid, kind):
    return machine.out("readlink /proc/%s/ns/%s" % (pid, kind)).strip().splitlines()[-1]


def thread_priorities(machine, pid):
    """[(nice, guest time)] of each thread of pid: /proc/PID/task/*/stat
    fields 19 and 43, 17 and 41 after the command's name."""
    out = machine.out("for t in /proc/%d/task/*; do sed 's/.*) //' $t/stat | cut -d' ' -f17,41; "
                      "done" % pid)
    return [tuple(int(x) for x in line.split()) for line in out.splitlines()
            if re.match(r"-?\d+ \d+$", line)]


def start_guest(machine, made, name, extra=""):
    create_guest(machine, made, name, extra=extra)
    status, vm = corral_json(machine, "vm start %s" % name)
    assert status == 0, vm
    wait_guest_up(machine, name)
    vm = show(machine, name)
    assert vm["pid"], vm
    return vm


def start_with_test_vmm(machine, made, name, extra=""):
    """Starts NAME on the test build of the VMM (its hooks answer SIGURG and
    SIGWINCH); other VMs keep the product's."""
    machine.out("mount --bind %s /usr/bin/corral-vmm" % TEST_VMM)
    try:
        return start_guest(machine, made, name, extra=extra)
    finally:
        machine.out("umount -l /usr/bin/corral-vmm")  # the VMM runs it: lazily


def test_vmms_run_jailed_each_as_its_own_uid(host):
    machine, made = host
    vms = [start_guest(machine, made, name) for name in ("jail1", "jail2")]
    uids = []
    for vm in vms:
        pid = vm["pid"]
        st = status_fields(machine, pid)
        real, eff, saved, fs = (int(x) for x in st["Uid"].split())
        assert real == eff == saved == fs == vm["jail_uid"], (st["Uid"], vm)
        assert JAIL_FIRST <= real <= JAIL_LAST
        assert [int(x) for x in st["Gid"].split()] == [real] * 4, st["Gid"]
        assert st["Groups"] == "", st
        for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(st[caps], 16) == 0, (caps, st[caps])
        assert st["NoNewPrivs"] == "1" and st["Seccomp"] == "2", st
        uids.append(real)
        # Its vCPU threads lowered their own priority through the filter
        # (vcpu.h's VCPU_NICE_INCREMENT); every other thread kept its own.
        threads = thread_priorities(machine, pid)
        base = min(nice for nice, _ in threads)
        vcpus = [nice for nice, _ in threads if nice != base]
        assert vcpus == [base + 5] * vm["cpus"] and len(threads) > len(vcpus), threads
        assert all(nice == base + 5 for nice, guest_time in threads if guest_time > 0), threads
        # Its root is an empty directory, not the host's.
        assert machine.out("ls -A /proc/%d/root/ | wc -l" % pid).strip().endswith("0")
        for kind in ("mnt", "net", "pid", "ipc", "uts"):
            assert namespace(machine, pid, kind) != namespace(machine, 1, kind), kind
        # Another VM's files: no path reaches them from the empty root, and
        # its uid has no right on them (the state directory is root's, 0700).
        assert machine.out("stat -c '%a %u' /var/lib/corral/vms/jail1").strip() \
            .endswith("700 0")
    assert len(set(uids)) == 2, uids
    # Its cgroup: guest RAM + 64 MiB + 1/32 of the RAM, the VMM alone in it.
    for vm in vms:
        limits = vm["limits"]
        assert limits["memory_max"] == (256 + 64 + 8) << 20, vm
        assert 0 < limits["memory_current"] <= limits["memory_max"], vm
        assert limits["cpu_max"] == "max 100000" and limits["cpu_weight"] == 100, vm
        assert machine.out("cat /proc/%d/cgroup" % vm["pid"]).strip().endswith(
            "0::/corral/%s" % vm["name"])
        assert machine.out("cat /sys/fs/cgroup/corral/%s/memory.max" % vm["name"]) \
            .strip().endswith(str((256 + 64 + 8) << 20))
    # Everything that works unjailed still does: pause, resume, a clean stop.
    assert corral_json(machine, "vm pause jail1")[0] == 0
    assert show(machine, "jail1")["state"] == "paused"
    assert corral_json(machine, "vm resume jail1")[0] == 0
    status, vm = corral_json(machine, "vm stop jail1 --wait", timeout=240)
    assert status == 0, vm
    vm = show(machine, "jail1")
    assert vm["state"] == "stopped" and "guest powered off" in vm["last_stop"]["reason"], vm
    log = machine.out("cat /run/corral/vms/jail2/vmm.log")
    assert "seccomp" not in log, log


def test_a_forbidden_system_call_kills_the_vmm_and_corrald_says_why(host):
    machine, made = host
    vm = start_with_test_vmm(machine, made, "jailtrap", extra="--restart no")
    machine.out("kill -URG %d" % vm["pid"])
    try:
        vm = wait_state(machine, "jailtrap", "stopped")
    finally:
        print(machine.out("cat /run/corral/vms/jailtrap/vmm.log; logread | grep jailtrap || true"))
    reason = vm["last_stop"]["reason"]
    assert vm["last_stop"]["end"] == "signal" and vm["last_stop"]["code"] == 31, vm
    assert "a system call its jail forbids (seccomp)" in reason, reason
    # musl's open() is the open system call (2) on x86-64
    assert re.search(r"forbidden system call (2 \(open|257 \(openat),", reason), reason


def test_a_vmm_that_outgrows_memory_max_is_killed_alone_and_corrald_says_why(host):
    """A guest cannot outgrow memory.max through its RAM: the VMM maps the
    guest's RAM once, and the limit is that RAM plus the VMM's overhead.
    What the limit is for is the VMM's own memory - a leak in the device
    model, or a VMM its guest took over.  The test build's SIGWINCH hook makes
    the VMM itself touch 16 MiB after 16 MiB without end: the kernel must
    kill it inside its cgroup (not the host's OOM killer), corrald must say
    so, and another VM and corrald itself must carry on."""
    machine, made = host
    keep = start_guest(machine, made, "oomkeep", extra="--restart no")
    machine.out("dmesg -c >/dev/null")
    vm = start_with_test_vmm(machine, made, "oomtrap", extra="--memory 128M --restart no")
    memory_max = (128 + 64 + 4) << 20
    assert vm["limits"]["memory_max"] == memory_max, vm
    machine.out("kill -WINCH %d" % vm["pid"])
    try:
        vm = wait_state(machine, "oomtrap", "stopped")
    finally:
        print(machine.out("tail -3 /run/corral/vms/oomtrap/vmm.log; dmesg | grep -i 'out of memory' "
                          "|| true"))
    stop = vm["last_stop"]
    assert stop["end"] == "signal" and stop["code"] == 9, vm
    assert "VMM killed by the kernel: out of memory in its cgroup (memory.max = %d bytes, 196 MiB)" \
        % memory_max in stop["reason"], stop
    kernel = machine.out("dmesg")
    # the cgroup's OOM killer acted, the host-wide one did not
    assert "Memory cgroup out of memory" in kernel, kernel[-3000:]
    assert not re.search(r"^(\[[ 0-9.]+\] )?Out of memory", kernel, re.M), kernel[-3000:]
    after = show(machine, "oomkeep")
    assert after["state"] == "running" and after["pid"] == keep["pid"], after
    assert corral_json(machine, "host info")[0] == 0
    # the VM starts again in a new group, its OOM count back at zero
    status, _ = corral_json(machine, "vm start oomtrap")
    assert status == 0
    wait_guest_up(machine, "oomtrap")
    assert machine.out("grep oom_kill /sys/fs/cgroup/corral/oomtrap/memory.events") \
        .strip().splitlines()[0] == "oom_kill 0"


def test_jail_no_runs_the_vmm_as_before_and_cpu_limits_apply(host):
    machine, made = host
    vm = start_guest(machine, made, "nojail1",
                     extra="--set jail=no --set cpu_limit=50 --set cpu_weight=300")
    assert vm["limits"]["cpu_max"] == "50000 100000", vm
    assert vm["limits"]["cpu_weight"] == 300, vm
    assert vm["jail_uid"] is None, vm
    st = status_fields(machine, vm["pid"])
    assert st["Uid"].split()[0] == "0" and st["Seccomp"] == "0", st


def kill_corrald_and_wait_for_init_to_restart_it(machine):
    old = int(machine.out("cat /run/corral/corrald.pid").strip().splitlines()[-1])
    machine.out("kill -9 %d" % old)

    def new_corrald():
        status, out = machine.sh("cat /run/corral/corrald.pid")
        pid = out.strip().splitlines()[-1] if status == 0 and out.strip() else ""
        return pid.isdigit() and int(pid) != old and \
            machine.sh("kill -0 %s && corral host info >/dev/null" % pid)[0] == 0
    wait_for("init to start corrald again", new_corrald, timeout=60, interval=1)


def test_killing_corrald_has_init_start_it_again_and_vms_stay_up(host):
    machine, made = host
    before = start_guest(machine, made, "jailsup")
    kill_corrald_and_wait_for_init_to_restart_it(machine)
    after = wait_state(machine, "jailsup", "running")
    assert after["pid"] == before["pid"] and after["jail_uid"] == before["jail_uid"], after
    assert "respawn" in machine.out("grep corrald-run /etc/inittab")


def test_disk_limits_reach_io_max_where_the_device_allows(host):
    """A disk's iops=/bps= also go to the group's io.max, on the whole disk
    holding the image (here the test-data disk); an image on the live
    system's RAM file system has no block device, and vm show says so."""
    machine, made = host
    machine.out("truncate -s 16M /tmp/io-in-ram.img")
    vm = start_guest(machine, made, "iolimit", extra=(
        "--set disk=%s/blank.img,ro,iops=100,bps=1M --set disk=/tmp/io-in-ram.img,iops=50"
        % TESTDATA_MOUNT))
    # the test-data disk's whole-disk MAJ:MIN, as sysfs has it
    dev = machine.out(
        "d=$(basename $(findfs LABEL=CORRAL-TEST)); "
        "[ -e /sys/class/block/$d/partition ] && d=$(basename $(readlink -f /sys/class/block/$d/..)); "
        "cat /sys/class/block/$d/dev").strip().splitlines()[-1]
    line = "%s rbps=1048576 wbps=1048576 riops=100 wiops=100" % dev
    limits = vm["limits"]
    assert limits["io_max"] == [line], limits
    assert machine.out("cat /sys/fs/cgroup/corral/iolimit/io.max").strip() \
        .splitlines()[-1] == line
    note = limits["io_note"]
    assert note.startswith("io.max: not available on 0:") and "no block device" in note, note
    human = machine.out("corral vm show iolimit")
    assert "io.max       %s" % line in human and note in human, human
    # A corrald that adopts the running VM shows the same (it keeps the
    # note from the start: the definition may have changed since).
    kill_corrald_and_wait_for_init_to_restart_it(machine)
    adopted = wait_state(machine, "iolimit", "running")
    assert adopted["pid"] == vm["pid"], adopted
    assert adopted["limits"]["io_note"] == note and adopted["limits"]["io_max"] == [line], adopted


def test_a_stuck_corrald_gets_a_bounded_answer_and_long_commands_still_work(host):
    """A corrald that is alive but does not answer (SIGSTOP here; a bug that
    loops would look the same) makes the CLI give up after
    PROTO_REPLY_TIMEOUT_S with the reason, instead of hanging: init only
    restarts a corrald that ended.  Commands that take long by design do not
    wait inside one request, so they still work: a stop forced only after
    its 40 s timeout, and an image import (no corrald at all)."""
    machine, made = host
    create_guest(machine, made, "slowstop", extra="--restart no",
                 scenario="ignore-power-button")
    assert corral_json(machine, "vm start slowstop")[0] == 0
    wait_guest_up(machine, "slowstop")
    pid = int(machine.out("cat /run/corral/corrald.pid").strip().splitlines()[-1])
    machine.out("kill -STOP %d" % pid)
    try:
        out = machine.out("s=$(date +%s); corral vm list; echo \"rc=$? took=$(($(date +%s) - s))\"",
                          timeout=120)
    finally:
        machine.out("kill -CONT %d" % pid)
    took = int(re.search(r"took=(\d+)", out).group(1))
    assert "rc=1" in out and "corral: corrald did not answer in 30 s" in out, out
    assert 29 <= took <= 45, out
    status, err = corral_json(machine, "vm list")
    assert status == 0, err
    # a stop forced after 40 s: longer than the reply timeout, and fine
    out = machine.out("s=$(date +%s); corral vm stop slowstop --timeout 40 --wait; "
                      "echo \"rc=$? took=$(($(date +%s) - s))\"", timeout=180)
    assert "rc=0" in out and int(re.search(r"took=(\d+)", out).group(1)) >= 40, out
    vm = show(machine, "slowstop")
    assert vm["state"] == "stopped" and "forced off" in vm["last_stop"]["reason"], vm
    machine.out("dd if=/dev/zero of=/tmp/slow-src.img bs=1M count=1 2>/dev/null")
    machine.out("kill -STOP %d" % pid)
    try:  # an image import does not need corrald
        status, img = corral_json(machine, "image import /tmp/slow-src.img --name slow-imp.img")
    finally:
        machine.out("kill -CONT %d; rm -f /tmp/slow-src.img /var/lib/corral/images/slow-imp.img"
                    % pid)
    assert status == 0 and img["size_bytes"] == 1 << 20, img
