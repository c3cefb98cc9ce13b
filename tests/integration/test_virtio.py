"""Issue 3: corral-vmm's PCI bus and virtio devices as a Linux guest sees
them, inside the control domain under nested KVM: the host bridge and one
virtio-blk function per disk, MSI-X with a vector per queue (and INTx
through the IOAPIC when the guest turns MSI off), serials, the limits the
device advertises, and I/O across two disks.  Issue 19: a queue per vCPU,
32 requests in flight, O_DIRECT where the file system allows it and the
buffered fallback where it does not, every byte where the guest put it."""

import re

import pytest

from conftest import TESTDATA_MOUNT
from test_vmm import POWEROFF, boot_args, booted, retry_on_nested_fault, run_vmm

SECTORS = 64 * 1024 * 1024 // 512


def run_two_disks(appliance, cmdline=""):
    appliance.out("rm -f /tmp/va.img /tmp/vb.img && truncate -s 64M /tmp/vb.img && "
                  "dd if=/dev/urandom of=/tmp/va.img bs=1M count=64 2>/dev/null")
    status, out = run_vmm(appliance, boot_args("vmm-virtio-devices", cpus=2, cmdline=cmdline,
                                               extra="--disk /tmp/va.img --disk /tmp/vb.img"))
    booted(out)
    assert status == POWEROFF, out[-2000:]
    return out


def facts(out, prefix):
    return [line.split()[1:] for line in out.splitlines() if line.startswith(prefix + " ")]


@pytest.mark.parametrize("msi", [True, False], ids=["msix", "intx"])
def test_virtio_blk_devices_and_interrupts(appliance, msi):
    out = run_two_disks(appliance, "" if msi else "pci=nomsi")
    pci = {f[0]: " ".join(f[1:]) for f in facts(out, "PCI")}
    # the i440FX chipset: host bridge, PIIX3 ISA bridge, PIIX4 PM (i440fx.h)
    assert pci["0000:00:00.0"].startswith("0x8086:0x1237"), pci
    assert pci["0000:00:01.0"].startswith("0x8086:0x7000"), pci
    assert pci["0000:00:01.3"].startswith("0x8086:0x7113"), pci
    for slot in ("0000:00:02.0", "0000:00:03.0"):
        assert pci[slot].startswith("0x1af4:0x1042"), pci
        assert "driver=virtio-pci" in pci[slot], pci
        # a queue per vCPU (2) and the configuration's vector
        assert ("msi=3" if msi else "msi=0") in pci[slot], pci

    disks = {f[0]: " ".join(f[1:]) for f in facts(out, "DISK")}
    assert "sectors=%d serial=va.img cache=write-back max_segments=254" % SECTORS in disks["vda"]
    assert "serial=vb.img" in disks["vdb"]
    assert int(re.search(r"discard_max=(\d+)", disks["vda"]).group(1)) > 0
    assert "COPY=0" in out, out[-2000:]

    irqs = facts(out, "IRQ")
    kind = "PCI-MSI" if msi else "IO-APIC"
    assert irqs and all(i[-1] == "kind=" + kind for i in irqs), irqs
    busy = [i for i in irqs if int(i[1].split("=")[1]) > 0]
    assert len(busy) >= 2, irqs  # both disks interrupted the guest
    # The 4 MiB the guest copied from vda to vdb reached vdb's image.
    n = 64 * 65536
    assert (appliance.out("cmp -n %d /tmp/va.img /tmp/vb.img && echo same" % n).strip()
            .endswith("same"))


def test_sigusr2_shows_where_each_disk_queue_stands(appliance):
    """SIGUSR2 on a running VMM: besides the exit counters, a line per vCPU
    (where its thread is) and a line per disk with each queue's indices
    (what an operator reads when a guest's I/O looks stuck).  An idle guest has had everything it made available
    taken and returned, and nothing is in flight."""
    log = "/tmp/vmm-state.log"
    appliance.out("rm -f /tmp/st.img && truncate -s 16M /tmp/st.img")
    pid = int(re.search(r"PID=(\d+)", appliance.out(
        "corral-vmm %s </dev/null >%s 2>&1 & echo PID=$!"
        % (boot_args("vmm-wait", cpus=2, extra="--disk /tmp/st.img"), log))).group(1))
    try:
        appliance.out("i=0; until grep -q GUEST-WAITING %s || [ $i -ge 150 ]; do sleep 1; "
                      "i=$((i+1)); done" % log, timeout=180)
        # Again each second until a half-second halt check has found a vCPU
        # halted (at most 20): on a loaded machine an idle guest's vCPUs may
        # be taking their timer ticks at every check for a while.
        appliance.out("i=0; until grep -q 'disk 0:' %s && grep -q 'at the last halt check' %s "
                      "|| [ $i -ge 20 ]; do kill -USR2 %d; sleep 1; i=$((i+1)); done"
                      % (log, log, pid), timeout=60)
    finally:
        appliance.out("kill %d; i=0; while kill -0 %d 2>/dev/null && [ $i -lt 60 ]; do "
                      "sleep 1; i=$((i+1)); done; kill -9 %d 2>/dev/null; true"
                      % (pid, pid, pid), timeout=120)
    out = appliance.out("cat %s" % log)
    booted(out)
    assert re.search(r"corral-vmm: exits at [\d.]+ s: vmm total=\d+", out), out[-2000:]
    # where each vCPU thread is: an idle guest's are in KVM_RUN, halted
    # most of the time (one may be taking its timer tick)
    vcpus = re.findall(r"^corral-vmm: vcpu (\d): (in KVM_RUN, (?:halted|running)|in corral-vmm, "
                       r"handling exit \d+ \(\w+\)); returns (\d+)(?:, last exit \d+ "
                       r"\(\w+\))?; kvm exits (\d+), hlt \d+"
                       r"(; at the last halt check halted at rip 0x[0-9a-f]+, "
                       r"interrupts (?:on|off))?$", out, re.M)
    assert vcpus and [v[0] for v in vcpus[-2:]] == ["0", "1"], out[-2000:]  # the last dump
    assert any(v[1] == "in KVM_RUN, halted" for v in vcpus), vcpus
    assert all(int(v[3]) > int(v[2]) for v in vcpus), vcpus  # KVM's count has its own
    # the half-second halt check found an idle vCPU halted, interrupts on
    assert any(v[4].endswith("interrupts on") for v in vcpus), vcpus
    lines = list(re.finditer(r"^corral-vmm: disk 0: (.*)$", out, re.M))
    assert lines, out[-2000:]
    line = lines[-1]
    queues = re.findall(r"q(\d): in flight (\d+), avail (\d+), taken (\d+), used (\d+), "
                        r"decided at \d+, avail flags (?:0x)?[0-9a-f]+, used_event \d+, "
                        r"avail_event (\d+), MSI-X vector \d+ to APIC \d+ as 0x[0-9a-f]+, "
                        r"sent (\d+)((?:, masked)?(?:, pending)?)", line.group(1))
    assert [q[0] for q in queues] == ["0", "1"], line.group(1)  # a queue per vCPU
    for _, in_flight, avail, taken, used, avail_event, _, pending in queues:
        assert in_flight == "0" and avail == taken == used == avail_event, line.group(1)
        assert "pending" not in pending, line.group(1)  # no interrupt held back
    assert sum(int(q[2]) for q in queues) > 0, line.group(1)  # the boot read the disk
    # ...and was interrupted for what it read, by message.
    assert sum(int(q[6]) for q in queues) > 0, line.group(1)
    assert line.group(1).endswith("ring: in flight 0"), line.group(1)


LIMIT_BPS = 4 << 20
LIMIT_IOPS = 50


def disk_rates(appliance, limits, env=""):
    """Run the vmm-disk-rate scenario on a fresh 64 MiB disk with the given
    --disk options; returns {phase: rate} in bytes/s (write, read) and
    ops/s (ops), as the guest measured them."""
    appliance.out("rm -f /tmp/rate.img && truncate -s 64M /tmp/rate.img")
    status, out = run_vmm(appliance, boot_args("vmm-disk-rate",
                                               extra="--disk /tmp/rate.img" + limits),
                          env=env)
    booted(out)
    assert "GUEST-DONE status=0" in out, out[-3000:]
    assert status == POWEROFF, out[-2000:]
    rates = {}
    for phase, amount, seconds in re.findall(
            r"RATE-(\w+) (?:bytes|ops)=(\d+) seconds=([0-9.]+)", out):
        rates[phase.lower()] = int(amount) / max(float(seconds), 0.01)
    assert set(rates) == {"write", "read", "ops"}, out[-3000:]
    print("disk%s: write %.2f MiB/s, read %.2f MiB/s, %.0f 4 KiB writes/s"
          % (limits or " unlimited", rates["write"] / 2**20, rates["read"] / 2**20,
             rates["ops"]))
    return rates


def fast_enough(rates):
    return (min(rates["write"], rates["read"]) > 2 * LIMIT_BPS
            and rates["ops"] > 2 * LIMIT_IOPS)


def unlimited_disk_rates(appliance, env):
    """The unlimited baseline, the best of at most two runs.  It measures
    the machine as much as the VMM: where 80-240 MiB/s of writes are usual,
    one CI run (two test workers sharing two emulated cores) once measured
    3 MiB/s, 24 MiB taking 7.8 s while the reads right after ran at
    400 MiB/s.  So a baseline under the bar is measured once more before it
    counts; the limited run's checks are not retried."""
    first = disk_rates(appliance, "", env)
    if fast_enough(first):
        return first
    print("unlimited baseline below the bar, measured once more: %r" % first)
    second = disk_rates(appliance, "", env)
    return {phase: max(first[phase], second[phase]) for phase in first}


@pytest.mark.parametrize("env", ["", "CORRAL_VMM_SLOW_IO=1"], ids=["fast-io", "slow-io"])
def test_rate_limited_disk_stays_within_10_percent(appliance, env):
    # Unlimited first: the limits below must be what slows the guest down.
    free = unlimited_disk_rates(appliance, env)
    assert free["write"] > 2 * LIMIT_BPS and free["read"] > 2 * LIMIT_BPS, free
    assert free["ops"] > 2 * LIMIT_IOPS, free
    limited = disk_rates(appliance, ",bps=4M,iops=%d" % LIMIT_IOPS, env)
    for phase, limit in (("write", LIMIT_BPS), ("read", LIMIT_BPS), ("ops", LIMIT_IOPS)):
        assert abs(limited[phase] - limit) <= 0.10 * limit, (phase, limited[phase], limit)


def run_parallel_disk(appliance, testdata_image, image, options=""):
    """The vmm-disk-parallel scenario (parallel_disk), retried once after
    the nested emulation's known faults: 64 guest processes making system
    calls on 2 vCPUs for minutes are where CI met its guest crash."""
    return retry_on_nested_fault(appliance, testdata_image,
                                 lambda m: parallel_disk(m, image, options=options))


def parallel_disk(appliance, image, cpus=2, options=""):
    """The vmm-disk-parallel scenario on a fresh 128 MiB image (with --disk
    options): 32 writers and then 32 readers at once through a queue per
    vCPU.  Returns the output, after checking the image holds exactly what
    the guest wrote."""
    appliance.out("rm -f %s && truncate -s 128M %s" % (image, image))
    # 64 guest processes on 2 vCPUs: 360 s, not the default 180 s, as a
    # loaded build machine once needed more than 180 s (RCU stalls in the log)
    status, out = run_vmm(appliance, boot_args("vmm-disk-parallel", cpus=cpus,
                                               extra="-v --disk %s%s" % (image, options)),
                          timeout=360)
    booted(out)
    assert status == POWEROFF, out[-3000:]
    assert "WRITE-BAD" not in out and "READ-BAD" not in out, out[-3000:]
    assert "QUEUES n=%d" % cpus in out, out[-3000:]
    m = re.search(r"PARALLEL-DONE sha256=([0-9a-f]{64})", out)
    assert m, out[-3000:]
    host = appliance.out("sha256sum %s" % image).split()[0]
    assert host == m.group(1), (host, m.group(1))
    return out


def test_disk_queues_and_depth_32_keep_every_byte(appliance, testdata_image):
    # On the ext4 test-data disk: O_DIRECT through io_uring.
    out = run_parallel_disk(appliance, testdata_image, TESTDATA_MOUNT + "/parallel.img")
    assert re.search(r"virtio-blk, O_DIRECT, io_uring, 2 queue\(s\)", out), out[:3000]
    # -v: the disk's counts at the end; the guest never kicks more often
    # than it makes requests, nothing bounced (its buffers are aligned), and
    # a request spends time in flight (a host disk is never instant).
    m = re.search(r"disk parallel\.img: requests (\d+), kicks (\d+) .*"
                  r"bounced \(every disk\) (\d+); per ring request: in flight (\d+) us, "
                  r"completion held (\d+) us", out)
    assert m, out[-3000:]
    requests, kicks, bounced, in_flight_us, held_us = (int(g) for g in m.groups())
    print("requests %d, kicks %d, bounced %d, in flight %d us, held %d us"
          % (requests, kicks, bounced, in_flight_us, held_us))
    assert requests > 0 and kicks <= requests and bounced == 0, m.group(0)
    assert in_flight_us > 0, m.group(0)
    appliance.out("rm -f %s/parallel.img" % TESTDATA_MOUNT)


def test_disk_with_cache_writeback_goes_through_the_page_cache(appliance, testdata_image):
    out = run_parallel_disk(appliance, testdata_image, TESTDATA_MOUNT + "/parallel.img",
                            options=",cache=writeback")
    assert "virtio-blk, buffered (cache = writeback), io_uring" in out, out[:3000]
    appliance.out("rm -f %s/parallel.img" % TESTDATA_MOUNT)


def test_disk_on_tmpfs_goes_buffered(appliance, testdata_image):
    # The control domain's /tmp is tmpfs, which refuses O_DIRECT (Linux 6.1).
    out = run_parallel_disk(appliance, testdata_image, "/tmp/parallel.img")
    assert "buffered (no O_DIRECT here), io_uring" in out, out[:3000]
    appliance.out("rm -f /tmp/parallel.img")
