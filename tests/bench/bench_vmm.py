"""corral-vmm against Debian's QEMU, measured inside the nested test host.

The appliance boots with two extra disks: the usual test-data disk (guest
kernel and initramfs, see tests/integration/guest.py) and a bench disk
(ext4, label CORRAL-BENCH) holding Debian's qemu-system-x86_64 with its
shared libraries and firmware, run in the appliance through its own glibc
loader, plus room for the guest's disk image.  Every figure is the median of
several rounds, and the VMMs alternate within each round.
"""

import os
import re
import shutil
import statistics
import subprocess
import tempfile

import guest
from disk_pairs import ratio_cell
from qemu import OUT, Machine, accel_args, default_cpus

BENCH_MOUNT = "/mnt/bench"
TEST_MOUNT = "/mnt/test"
GUEST_MEM_MIB = 256
DISK_MIB = 256
QEMU_FIRMWARE = {
    "bios-256k.bin": "/usr/share/seabios/bios-256k.bin",
    "bios-microvm.bin": "/usr/share/seabios/bios-microvm.bin",
    "kvmvapic.bin": "/usr/share/qemu/kvmvapic.bin",
    "linuxboot_dma.bin": "/usr/share/qemu/linuxboot_dma.bin",
    "linuxboot.bin": "/usr/share/qemu/linuxboot.bin",
    "pvh.bin": "/usr/share/qemu/pvh.bin",
    "qboot.rom": "/usr/share/qemu/qboot.rom",
}


def bundle_program(dest, name):
    """A program of this machine with every library it links, into
    dest/qemu (run there by the glibc loader in dest/qemu/lib)."""
    program = shutil.which(name)
    shutil.copy(program, os.path.join(dest, "qemu", name))
    ldd = subprocess.run(["ldd", program], capture_output=True, text=True, check=True).stdout
    for path in re.findall(r"(/\S+\.so[.\d]*)", ldd):
        shutil.copy(os.path.realpath(path), os.path.join(dest, "qemu", "lib", os.path.basename(path)))


def bundle_qemu(dest):
    """Debian's QEMU with every library it links and the firmware it needs,
    and Debian's xz (liblzma: what decompresses the kernel's payload)."""
    os.makedirs(os.path.join(dest, "qemu", "lib"))
    os.makedirs(os.path.join(dest, "qemu", "share"))
    bundle_program(dest, "qemu-system-x86_64")
    bundle_program(dest, "xz")
    for name, src in QEMU_FIRMWARE.items():
        shutil.copy(os.path.realpath(src), os.path.join(dest, "qemu", "share", name))


# kvmtool is not in Debian 12: when CORRAL_BENCH_KVMTOOL names a static
# lkvm (built by hand from kvmtool's source, e.g. `make lkvm-static`), the
# benchmark runs it beside the others; the build never depends on it.
KVMTOOL = os.environ.get("CORRAL_BENCH_KVMTOOL", "")


def make_bench_disk(workdir):
    content = os.path.join(workdir, "bench-content")
    os.makedirs(content)
    bundle_qemu(content)
    if KVMTOOL:
        shutil.copy(KVMTOOL, os.path.join(content, "lkvm"))
    image = os.path.join(workdir, "bench.img")
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-L", "CORRAL-BENCH", "-d", content,
                    image, "1536M"], check=True)
    return image


class VmmRun:
    """One way of running the guest: corral-vmm, or QEMU with a machine type."""

    def __init__(self, name, command):
        self.name = name
        self.command = command


# The guest kernel two ways (issue 19): Debian's XZ bzImage, which
# decompresses itself, and the same kernel as an uncompressed ELF vmlinux
# entered by PVH (extracted by tests/integration/guest.py).
BZIMAGE = "vmlinuz"
VMLINUX = "vmlinux"


# QEMU, given a guest's triple fault (KVM_EXIT_SHUTDOWN), resets the machine
# and the guest boots and runs its scenario again, where corral-vmm ends
# with "guest crashed: triple fault": without -no-reboot a crashed QEMU run
# looked like a slow one that finished (runs BG, BH and BJ of bench disk
# had QEMU runs of 67, 94 and 122 s where the others took 56-62 s, the
# figures those of the second boot).  With it QEMU ends too, and the run
# counts as lost, as corral-vmm's does.  The guests power off, never reboot.
QEMU_GUEST_CRASH_ENDS = "-no-reboot"


def qemu_command(machine, disk, cmdline, kernel=BZIMAGE):
    q = BENCH_MOUNT + "/qemu"
    base = ("%s/lib/ld-linux-x86-64.so.2 --library-path %s/lib %s/qemu-system-x86_64 -L %s/share "
            "-enable-kvm -cpu host -m %d -smp 1 -nodefaults -no-user-config -display none "
            "%s -serial stdio -kernel %s/%s -initrd %s/initrd.img "
            % (q, q, q, q, GUEST_MEM_MIB, QEMU_GUEST_CRASH_ENDS, TEST_MOUNT, kernel, TEST_MOUNT))
    if machine == "microvm":
        return (base + "-M microvm -drive file=%s,format=raw,if=none,id=d0,cache=none "
                "-device virtio-blk-device,drive=d0 -append 'console=ttyS0 %s'" % (disk, cmdline))
    return (base + "-M q35 -drive file=%s,format=raw,if=none,id=d0,cache=none "
            "-device virtio-blk-pci,drive=d0 -append 'console=ttyS0 %s'" % (disk, cmdline))


def vmm_command(disk, cmdline, kernel=BZIMAGE):
    return ("corral-vmm -v --kernel %s/%s --initrd %s/initrd.img --memory %d --cpus 1 "
            "--disk %s --cmdline '%s'"
            % (TEST_MOUNT, kernel, TEST_MOUNT, GUEST_MEM_MIB, disk, cmdline))


def kvmtool_command(disk, cmdline):
    # no network, the serial console on stdout; its guest ends by rebooting
    # (killed after 240 s should it hang, so the other rows survive)
    return ("HOME=/tmp timeout -s KILL 240 %s/lkvm run -k %s/%s -i %s/initrd.img -m %d -c 1 -d %s "
            "--console serial -n mode=none -p '%s corral.end=reboot'"
            % (BENCH_MOUNT, TEST_MOUNT, BZIMAGE, TEST_MOUNT, GUEST_MEM_MIB, disk, cmdline))


# The promises on boot time (docs/corral-vmm.md, "Performance promises").
INIT_TARGETS = {"corral-vmm": "< qemu -M q35 and kvmtool",
                "corral-vmm vmlinux (PVH)": "< corral-vmm (bzImage), qemu PVH"}


# Each promise on boot time as pairs within a round (the VMMs run back to
# back, so the machine's drifting load moves a round's pair less than the
# medians): the first VMM against the second.
INIT_PAIRS = (("corral-vmm", "qemu -M q35"), ("corral-vmm", "kvmtool"),
              ("corral-vmm vmlinux (PVH)", "corral-vmm"),
              ("corral-vmm vmlinux (PVH)", "qemu -M q35 vmlinux (PVH)"))


def paired_init_rows(init_by_round):
    """Rows: for each pair both of which ran, the other's time to the
    guest's init over the first's, round by round (above 1.0x: the first
    was faster), with each round's two times."""
    rows = []
    for mine, other in INIT_PAIRS:
        a, b = init_by_round.get(mine, {}), init_by_round.get(other, {})
        both = sorted(set(a) & set(b))
        if not both:
            continue
        rows.append(("exec to guest init, %s against %s, paired by round (%s's time over %s's)"
                     % (mine, other, other, mine),
                     ratio_cell([b[i] / a[i] for i in both]),
                     ", ".join("%.0f / %.0f ms" % (a[i], b[i]) for i in both)))
    return rows


def runs(disk, scenario):
    cmdline = "quiet corral.scenario=%s" % scenario
    return [VmmRun("corral-vmm", vmm_command(disk, cmdline)),
            VmmRun("corral-vmm vmlinux (PVH)", vmm_command(disk, cmdline, VMLINUX)),
            VmmRun("qemu -M q35", qemu_command("q35", disk, cmdline)),
            VmmRun("qemu -M q35 vmlinux (PVH)", qemu_command("q35", disk, cmdline, VMLINUX)),
            VmmRun("qemu -M microvm", qemu_command("microvm", disk, cmdline))] + (
                [VmmRun("kvmtool", kvmtool_command(disk, cmdline))] if KVMTOOL else [])


# In the appliance: run a command, stamp (from /proc/uptime) when the guest
# prints GUEST-BOOTED and its bench lines, and keep the whole console.
TIMED = r"""s=$(cut -d' ' -f1 /proc/uptime); %s 2>&1 </dev/null | awk -v s=$s '
  /GUEST-BOOTED/ && !b { getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " ");
                         printf "INIT-MS %%d\n", (a[1] - s) * 1000; b = 1 }
  /first KVM_RUN/ { match($0, /\[ *[0-9.]+ ms\]/); t = substr($0, RSTART, RLENGTH); gsub(/[^0-9.]/, "", t);
                    printf "FIRST-RUN-MS %%s\n", t }
  /^BENCH-/ || /exits at .*kvm total=/ { print }
  { print > "/tmp/bench-console.log" }'"""


def timed(m, command, timeout=300):
    out = m.out(TIMED % command, timeout=timeout)
    figures = dict(re.findall(r"(INIT-MS|FIRST-RUN-MS) ([\d.]+)", out, re.M))
    bench = dict(re.findall(r"BENCH-(\w+) seconds=([\d.]+)", out, re.M))
    # corral-vmm -v ends with KVM's counters: its nested page faults
    faults = re.findall(r"kvm total=.* pf_taken=(\d+) pf_fixed=(\d+)", out)
    if faults:
        figures["PF-TAKEN"], figures["PF-FIXED"] = faults[-1]
    return figures, bench


# Exit counts of one boot (exec to the guest's power-off or reboot), the
# same way for every VMM: hist triggers on KVM's tracepoints in the control
# domain (counts, unlike times, do not swing with the machine's load).
TRACE_KVM = "/sys/kernel/tracing/events/kvm"
COUNTED = {"kvm_exit": "exit_reason", "kvm_pio": "port", "kvm_mmio": "gpa",
           "kvm_userspace_exit": "reason"}
# Port I/O by the device behind it (the rest: "other").
PORT_GROUPS = [("serial", 0x3f8, 0x3ff), ("PCI config", 0xcf8, 0xcff), ("i8042", 0x60, 0x60),
               ("i8042", 0x64, 0x64), ("RTC", 0x70, 0x71), ("PIC", 0x20, 0x21),
               ("PIC", 0xa0, 0xa1), ("PIT", 0x40, 0x43), ("ACPI PM", 0x600, 0x63f)]
COUNT_RUNS = ("corral-vmm", "kvmtool", "qemu -M q35")


def hist_trigger(event, on):
    return "echo '%shist:keys=%s:size=4096' > %s/%s/trigger" % (
        "" if on else "!", COUNTED[event], TRACE_KVM, event)


def exit_counts(m, command):
    """{event: hits, "ports": {group: hits}} for one run of command, or
    None where the control domain's kernel has no such tracing."""
    m.sh("[ -d %s ] || mount -t tracefs none /sys/kernel/tracing" % TRACE_KVM)
    for event in COUNTED:
        m.sh(hist_trigger(event, False))
        if m.sh(hist_trigger(event, True))[0] != 0:
            return None
    m.out(TIMED % command, timeout=300)
    counts = {"ports": {}}
    for event in COUNTED:
        out = m.out("cat %s/%s/hist" % (TRACE_KVM, event))
        m.sh(hist_trigger(event, False))
        hits = re.search(r"Hits: (\d+)", out)
        counts[event] = int(hits.group(1)) if hits else 0
        if event == "kvm_pio":
            for port, n in re.findall(r"port:\s*(\d+) \} hitcount:\s*(\d+)", out):
                group = next((g for g, lo, hi in PORT_GROUPS if lo <= int(port) <= hi), "other")
                counts["ports"][group] = counts["ports"].get(group, 0) + int(n)
    return counts


def exit_count_rows(counts):
    rows = []
    for name, c in counts.items():
        rows.append(("%s: one boot to power-off (kvmtool: reboot): KVM exits / of them to the VMM / port I/O exits / MMIO trace events" % name,
                     "%d / %d / %d / %d" % (c["kvm_exit"], c["kvm_userspace_exit"], c["kvm_pio"],
                                            c["kvm_mmio"]), ""))
        ports = sorted(c["ports"].items(), key=lambda kv: -kv[1])
        rows.append(("%s: port I/O of that boot by device" % name,
                     ", ".join("%s %d" % kv for kv in ports), ""))
    return rows


# Resident memory of a running VMM outside the mapping(s) that back guest RAM
# (every mapping at least as large as the guest's memory): the total, and
# the part in mappings of files (the VMM's own binary and libraries, pages
# of the page cache that every VMM of the kind shares; the rest is this
# VM's alone).
RSS_BEYOND_RAM = r"""awk -v ram=%d '/^[0-9a-f]+-[0-9a-f]+ / {file = ($6 ~ /^\//)}
  /^Size:/ {size = $2} /^Rss:/ { if (size < ram) { rss += $2; if (file) files += $2 } }
  END {print rss + 0, files + 0}' /proc/%d/smaps"""


def rss_beyond_guest_ram_parts(m, run):
    """Start the guest, wait until its init is idle, read the VMM's smaps:
    (KiB beyond guest RAM, KiB of it in file mappings), or None when the
    VMM has exited by then."""
    out = m.out("%s >/tmp/bench-wait.log 2>&1 </dev/null & echo PID=$!" % run.command)
    pid = int(re.search(r"PID=(\d+)", out).group(1))
    m.out("i=0; while ! grep -q GUEST-WAITING /tmp/bench-wait.log && [ $i -lt 300 ]; "
          "do sleep 1; i=$((i+1)); done; grep -q GUEST-WAITING /tmp/bench-wait.log", timeout=330)
    # kvmtool runs under `timeout`: measure the VMM, the wrapper's child
    child = m.sh("pgrep -P %d" % pid)[1].split()
    vmm = int(child[0]) if child and child[0].isdigit() else pid
    status, out = m.sh(RSS_BEYOND_RAM % (GUEST_MEM_MIB * 1024, vmm))
    m.sh("kill -9 %d; wait %d 2>/dev/null" % (pid, pid))
    if status != 0:  # the VMM is gone already: no figure rather than no table
        print("%s: no RSS figure, the VMM had exited:\n%s" % (run.name, out[-500:]))
        return None
    total, files = out.strip().splitlines()[-1].split()
    return int(total), int(files)


def rss_beyond_guest_ram(m, run):
    """KiB beyond guest RAM (see rss_beyond_guest_ram_parts), or None."""
    parts = rss_beyond_guest_ram_parts(m, run)
    return parts[0] if parts else None


def host_dd(m, image):
    """The same sequential write and read on the image file, in the host."""
    out = m.out(r"""t() { cut -d' ' -f1 /proc/uptime; }
        s=$(t); dd if=/dev/zero of=%s bs=1M count=%d oflag=direct conv=notrunc 2>/dev/null; e=$(t)
        echo "BENCH-WRITE seconds=$(awk "BEGIN {print $e - $s}")"
        s=$(t); dd if=%s of=/dev/null bs=1M count=%d iflag=direct 2>/dev/null; e=$(t)
        echo "BENCH-READ seconds=$(awk "BEGIN {print $e - $s}")" """
                % (image, DISK_MIB, image, DISK_MIB), timeout=300)
    return dict(re.findall(r"BENCH-(\w+) seconds=([\d.]+)", out, re.M))


def xz_payload_ms(m):
    """What decompressing the bzImage's XZ payload costs in the control
    domain with liblzma (Debian's xz), the work an in-VMM decompression
    before PVH would add to corral-vmm's start: the figure that decides
    whether that is worth doing (issue 19).  BusyBox's xzcat cannot: it
    lacks the x86 BCJ filter the kernel's payload uses.  None on failure."""
    with open(os.path.join(OUT, "iso-root", "boot", BZIMAGE), "rb") as f:
        start, length = guest.bzimage_payload_range(f.read())
    q = BENCH_MOUNT + "/qemu"
    out = m.out(r"""t() { cut -d' ' -f1 /proc/uptime; }
        s=$(t); tail -c +%d %s/%s | head -c %d | %s/lib/ld-linux-x86-64.so.2 --library-path %s/lib %s/xz -dc --single-stream | wc -c; e=$(t)
        echo "BENCH-XZ seconds=$(awk "BEGIN {print $e - $s}")" """
                % (start + 1, TEST_MOUNT, BZIMAGE, length, q, q, q), timeout=300)
    unpacked = re.search(r"^(\d+)\s*$", out, re.M)
    if not unpacked or int(unpacked.group(1)) < length:
        print("xz of the kernel payload failed:\n" + out[-1000:])
        return None
    return float(re.search(r"BENCH-XZ seconds=([\d.]+)", out).group(1)) * 1000


def mbps(seconds):
    s = float(seconds)
    return DISK_MIB / s if s > 0 else float("inf")


def median_or_dash(values, fmt):
    return fmt % statistics.median(values) if values else "-"


def bench(args, testdata_image, table):
    with tempfile.TemporaryDirectory(prefix="corral-bench-") as work:
        bench_disk = make_bench_disk(work)
        # one vCPU under TCG (qemu.default_cpus): a 2-vCPU appliance wedged
        # both its CPUs during a nested QEMU run here (issue 19's bench run)
        m = Machine("bench-vmm", memory_mib=3072, cpus=default_cpus(),
                    disks=[testdata_image, bench_disk])
        with m:
            m.wait_ready()
            m.out("mkdir -p %s %s && mount -t ext4 $(findfs LABEL=CORRAL-TEST) %s && "
                  "mount -t ext4 $(findfs LABEL=CORRAL-BENCH) %s" % (TEST_MOUNT, BENCH_MOUNT, TEST_MOUNT, BENCH_MOUNT))
            image = BENCH_MOUNT + "/guest-disk.img"
            m.out("dd if=/dev/zero of=%s bs=1M count=%d 2>/dev/null" % (image, DISK_MIB), timeout=300)
            size_kib = int(m.out("wc -c < /usr/bin/corral-vmm").strip().splitlines()[-1]) / 1024
            init_by_round = {r.name: {} for r in runs(image, "")}
            first = {r.name: [] for r in runs(image, "")}
            faults = {r.name: {"PF-TAKEN": [], "PF-FIXED": []} for r in runs(image, "")}
            disk = {r.name: {"WRITE": [], "READ": []} for r in runs(image, "")}
            rss = {r.name: [] for r in runs(image, "")}
            host = {"WRITE": [], "READ": []}
            xz = []
            for i in range(args.rounds):
                # the order reversed every other round: no VMM is always
                # first after the round's dd, or last
                order = runs(image, "bench-disk")
                for run in order if i % 2 == 0 else order[::-1]:
                    figures, b = timed(m, run.command)
                    if "INIT-MS" in figures:
                        init_by_round[run.name][i] = float(figures["INIT-MS"])
                    if "FIRST-RUN-MS" in figures:
                        first[run.name].append(float(figures["FIRST-RUN-MS"]))
                    for k in faults[run.name]:
                        if k in figures:
                            faults[run.name][k].append(int(figures[k]))
                    for k in ("WRITE", "READ"):
                        if k in b:
                            disk[run.name][k].append(mbps(b[k]))
                ms = xz_payload_ms(m)
                if ms is not None:
                    xz.append(ms)
                hd = host_dd(m, image)
                for k in ("WRITE", "READ"):
                    host[k].append(mbps(hd[k]))
            counts = {}
            for run in runs(image, ""):
                if run.name in COUNT_RUNS:
                    try:
                        c = exit_counts(m, run.command)
                    except AssertionError as e:  # no counts rather than no table
                        print("%s: no exit counts: %s" % (run.name, str(e)[-500:]))
                        c = None
                    if c is not None:
                        counts[run.name] = c
            # a guest idle at its init until killed (kvmtool has no ACPI power
            # button for vmm-wait to wait on: its guest would end at once)
            for run in runs(image, "ignore-power-button"):
                parts = rss_beyond_guest_ram_parts(m, run)
                if parts is not None:
                    rss[run.name].append(parts)
    rows = [("corral-vmm static binary", "%.0f KiB" % size_kib, "<= 512 KiB")]
    for name in first:
        if first[name]:  # corral-vmm -v says when its vCPU first ran
            rows.append(("%s: exec to first KVM_RUN" % name,
                         median_or_dash(first[name], "%.1f ms"), ""))
    for name in init_by_round:
        rows.append(("%s: exec to guest init" % name,
                     median_or_dash(list(init_by_round[name].values()), "%.0f ms"),
                     INIT_TARGETS.get(name, "")))
    rows += paired_init_rows(init_by_round)
    if not KVMTOOL:
        rows.append(("kvmtool", "not available", "set CORRAL_BENCH_KVMTOOL=/path/to/static/lkvm"))
    rows.append(("control domain: xz -d (liblzma) of the bzImage's payload (in-VMM decompression cost)",
                 median_or_dash(xz, "%.0f ms"), ""))
    for name in faults:
        if faults[name]["PF-TAKEN"]:
            rows.append(("%s: nested page faults per run, KVM pf_taken / pf_fixed" % name,
                         "%s / %s" % (median_or_dash(faults[name]["PF-TAKEN"], "%.0f"),
                                      median_or_dash(faults[name]["PF-FIXED"], "%.0f")), ""))
    rows += exit_count_rows(counts)
    for name in rss:
        rows.append(("%s: RSS beyond guest RAM" % name,
                     median_or_dash([t / 1024.0 for t, _ in rss[name]], "%.2f MiB"),
                     "<= 4 MiB" if name == "corral-vmm" else ""))
        rows.append(("%s: of which its binary and libraries (page cache, shared)" % name,
                     median_or_dash([f / 1024.0 for _, f in rss[name]], "%.2f MiB"), ""))
    for k in ("WRITE", "READ"):
        h = statistics.median(host[k])
        rows.append(("host dd %s (same file, O_DIRECT)" % k.lower(), "%.0f MiB/s" % h, ""))
        for name in disk:
            vals = disk[name][k]
            ratio = "%.2f x host" % (statistics.median(vals) / h) if vals else "-"
            rows.append(("%s: guest %s" % (name, k.lower()),
                         median_or_dash(vals, "%.0f MiB/s") + " " + ratio,
                         ">= 0.8 x host" if name == "corral-vmm" else ""))
    table("corral-vmm against QEMU (inside the nested test host)", rows,
          note="median of %d rounds; guest %d MiB, 1 vCPU, virtio-blk %d MiB sequential, "
               "1 MiB O_DIRECT blocks; outer QEMU %s"
               % (args.rounds, GUEST_MEM_MIB, DISK_MIB, " ".join(accel_args())))
