"""Issue 5's and 16's figures: exec to the guest's init through firmware
(SeaBIOS, then GRUB from the disk's MBR, then the kernel; and UEFI: OVMF,
then EFI GRUB from the GPT disk's ESP, then the kernel) against direct
kernel boot of the same kernel and initramfs, in the same run.

Inside the appliance (nested KVM), from the test-data disk (guest.py):
direct boot runs corral-vmm --kernel vmlinuz --initrd initrd.img; firmware
boot runs a `boot = firmware` definition with grub.img, whose ext2
partition holds the same two files; UEFI boot runs Debian's OVMF_CODE_4M.fd
with efi-grub.img (guest.make_efi_grub_disk), 1 GiB of RAM (EFI GRUB runs
out of memory loading the kernel in 256 MiB).  The guest powers off once
its init has printed GUEST-BOOTED (the disks' guests once their power
button is pressed, as soon as they wait for it).  Each marker is stamped with the
control domain's clock from the moment corral-vmm is started.

The appliance runs on the test suite's patched QEMU (qemu.patched_qemu_binary,
tests/patches/qemu), all three boots alike: Debian's QEMU 7.2 aborts under
OVMF's CR8 writes, and the patch touches nothing else a Linux guest or
SeaBIOS runs.  The UEFI rounds still go last: should the outer QEMU die
under them anyway (Debian's QEMU asked for, CORRAL_TEST_QEMU=system), the
run ends and the figure says so.
"""

import re
import statistics

from guest import EFI_GRUB_DISK, OVMF_CODE
from qemu import DEBIAN_QEMU, ConsoleTimeout, Machine, accel_args, patched_qemu_binary

TEST_MOUNT = "/mnt/test"
CONF = "/tmp/bench-fw.conf"
UEFI_CONF = "/tmp/bench-uefi.conf"
MARKERS = {"SeaBIOS": "SEABIOS", "GRUB-MENU": "GRUB", "BdsDxe": "BDS",
           "GRUB-EFI-MENU": "GRUBEFI", "GUEST-BOOTED": "INIT"}

# Stamp the first line with each marker (ms since the shell started the VMM).
# The disks' guests (acpi-power-button scenario) then wait for their power
# button: a watcher presses it (SIGTERM to the VMM) once the console says
# GUEST-WAITING; the direct boot's guest powers off by itself.  (tee, not
# awk, writes the console file: it writes each read at once.)
STAMPED = r"""s=$(cut -d' ' -f1 /proc/uptime); rm -f %(console)s
( for i in $(seq 600); do grep -q GUEST-WAITING %(console)s 2>/dev/null &&
  { kill -TERM $(pidof corral-vmm); break; }; sleep 1; done ) & watcher=$!
timeout -s KILL 600 %(command)s 2>&1 </dev/null | tee %(console)s | awk -v s=$s '
  function stamp(name) { getline u < "/proc/uptime"; close("/proc/uptime"); split(u, a, " ");
                         printf "STAMP-%%s %%d\n", name, (a[1] - s) * 1000 }
  %(rules)s'
kill $watcher 2>/dev/null; true"""
CONSOLE = "/tmp/bench-boot-console.log"


def stamped(m, command):
    rules = " ".join('/%s/ && !seen["%s"]++ { stamp("%s") }' % (marker, tag, tag)
                     for marker, tag in MARKERS.items())
    out = m.out(STAMPED % {"command": command, "rules": rules, "console": CONSOLE}, timeout=660)
    stamps = {k: float(v) for k, v in re.findall(r"STAMP-(\w+) (\d+)", out)}
    if "INIT" not in stamps:
        print("bench boot: `%s` did not reach the guest's init; its console ends:\n%s"
              % (command, m.out("tail -c 2500 %s" % CONSOLE)))
    return stamps


def median(values, fmt):
    return fmt % (statistics.median(values) / 1000.0) if values else "-"


def uefi_rounds(m, args, times):
    """The UEFI rounds; False when the outer QEMU died under them."""
    uefi = "corral-vmm --config %s" % UEFI_CONF
    try:
        for _ in range(args.rounds):
            u = stamped(m, uefi)
            for tag, key in (("INIT", "uefi"), ("GRUBEFI", "grubefi"), ("BDS", "bds")):
                if tag in u:
                    times[key].append(u[tag])
    except ConsoleTimeout as e:
        print("bench boot: the appliance died during the UEFI rounds:\n%s" % str(e)[-1500:])
        return False
    return True


def bench(args, testdata_image, table):
    direct = ("corral-vmm --kernel %s/vmlinuz --initrd %s/initrd.img --memory 256 --cpus 1 "
              "--cmdline quiet" % (TEST_MOUNT, TEST_MOUNT))
    firmware = "corral-vmm --config %s" % CONF
    times = {k: [] for k in ("direct", "firmware", "grub", "seabios", "uefi", "grubefi", "bds")}
    outer_qemu = patched_qemu_binary()
    with Machine("bench-boot", memory_mib=2048, cpus=2, disks=[testdata_image],
                 qemu=outer_qemu) as m:
        m.wait_ready()
        m.out("mkdir -p %s && mount -t ext4 $(findfs LABEL=CORRAL-TEST) %s"
              % (TEST_MOUNT, TEST_MOUNT))
        m.out("printf 'name = bench-fw\\nboot = firmware\\nfirmware = /usr/share/corral/bios.bin\\n"
              "memory = 256\\ncpus = 1\\ndisk = %s/grub.img,ro\\n' >%s" % (TEST_MOUNT, CONF))
        m.out("printf 'name = bench-uefi\\nboot = firmware\\nfirmware = %s/%s\\nmemory = 1024\\n"
              "cpus = 1\\ndisplay = none\\ndisk = %s/%s,ro\\n' >%s"
              % (TEST_MOUNT, OVMF_CODE.rsplit("/", 1)[1], TEST_MOUNT, EFI_GRUB_DISK, UEFI_CONF))
        for _ in range(args.rounds):
            d = stamped(m, direct)
            if "INIT" in d:
                times["direct"].append(d["INIT"])
            f = stamped(m, firmware)
            for tag, key in (("INIT", "firmware"), ("GRUB", "grub"), ("SEABIOS", "seabios")):
                if tag in f:
                    times[key].append(f[tag])
        uefi_survived = uefi_rounds(m, args, times)
    rows = [("direct kernel boot: exec to guest init", median(times["direct"], "%.1f s"), ""),
            ("firmware boot: exec to guest init", median(times["firmware"], "%.1f s"), ""),
            ("  of which exec to SeaBIOS banner", median(times["seabios"], "%.1f s"), ""),
            ("  of which exec to GRUB running", median(times["grub"], "%.1f s"), ""),
            ("UEFI boot (OVMF): exec to guest init", median(times["uefi"], "%.1f s"), ""),
            ("  of which exec to OVMF's boot manager", median(times["bds"], "%.1f s"), ""),
            ("  of which exec to EFI GRUB running", median(times["grubefi"], "%.1f s"), "")]
    if times["direct"] and times["firmware"]:
        extra = statistics.median(times["firmware"]) - statistics.median(times["direct"])
        rows.append(("firmware boot costs", "%+.1f s" % (extra / 1000.0), ""))
    if times["direct"] and times["uefi"]:
        extra = statistics.median(times["uefi"]) - statistics.median(times["direct"])
        rows.append(("UEFI boot costs", "%+.1f s" % (extra / 1000.0), ""))
    table("corral-vmm: firmware and UEFI boot against direct kernel boot (inside the nested test host)",
          rows, note="median of %d rounds; the same kernel and initramfs, 1 vCPU; guest 256 MiB "
                     "(1 GiB under OVMF); SeaBIOS -> GRUB (MBR, ext2) -> Linux; OVMF -> EFI GRUB "
                     "(GPT, ESP) -> Linux%s; outer QEMU: %s, %s"
                     % (args.rounds, "" if uefi_survived else
                        "; the UEFI rounds crashed the outer QEMU (its SVM emulation asserts "
                        "when OVMF writes CR8 with an interrupt pending)",
                        "Debian's" if outer_qemu == DEBIAN_QEMU else "the suite's patched",
                        " ".join(accel_args())))
