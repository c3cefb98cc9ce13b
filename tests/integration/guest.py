"""The guest side of the integration tests: a guest initramfs made from the
ISO's own BusyBox (out/rootfs) and the modules of the kernel the ISO ships
(out/kernel-tree, Debian's whole module tree: guests need drivers the
control domain leaves out), and that kernel (out/iso-root/boot/vmlinuz).

Besides BusyBox the guest has corral-nettest (static, from the ISO's
rootfs), corral-randread and corral-udpsend (guest/tools/, built here with musl).  The guest's /init loads the virtio drivers and e1000, prints
`GUEST-BOOTED cpus=N mem_kb=N`, runs the scenario named on the kernel
command line (`corral.scenario=NAME`, a script from guest/scenarios/NAME.sh)
and prints `GUEST-DONE status=N`.  What it does then is up to the scenario
(power off, reboot, ...); with no scenario it powers off.
"""

import glob
import lzma
import os
import shutil
import struct
import subprocess
import tempfile

import debian_installer
from qemu import OUT, iso_path, make_target

HERE = os.path.dirname(os.path.abspath(__file__))
ROOTFS = os.path.join(OUT, "rootfs")
KERNEL_TREE = os.path.join(OUT, "kernel-tree")  # linked by build.sh
# ahci, sd_mod, sr_mod, isofs (with libata and cdrom): the SATA disks and
# CD-ROM drives of corral-vmm's AHCI controller (test_ahci.py).
GUEST_MODULES = ["virtio_pci", "virtio_mmio", "virtio_blk", "virtio_net", "virtio_rng",
                 "e1000", "button", "evdev", "psmouse", "virtio_input",
                 "ahci", "sd_mod", "sr_mod", "isofs"]
# In the initramfs but loaded only by the scenarios that want them (each
# loads in well under a second, but every guest would pay for all).
GUEST_ON_DEMAND_MODULES = ["bochs", "efivarfs"]
# The initramfs of guests without virtio drivers (issue 15: test_ahci.py,
# test_e1000.py, the El Torito CD): only what a PC with an AHCI controller
# and an Intel NIC needs, so nothing can quietly go through virtio.
NOVIRTIO_MODULES = ["e1000", "button", "evdev", "ahci", "sd_mod", "sr_mod", "isofs"]
NOVIRTIO_INITRD = "initrd-novirtio.img"
# A CD that only boots by El Torito (no isohybrid MBR): ISOLINUX, the guest
# kernel and the no-virtio initramfs (test_ahci.py).
ELTORITO_ISO = "eltorito.iso"
ISOLINUX_BIN = "/usr/lib/ISOLINUX/isolinux.bin"  # Debian's isolinux
LDLINUX_C32 = "/usr/lib/syslinux/modules/bios/ldlinux.c32"  # syslinux-common
# The tests' time limit for a VMM (appliance/vmm-timeout.sh): SIGUSR2 at
# the limit, so that the log says where a hung guest's rings stood, then
# SIGKILL.
VMM_TIMEOUT_SCRIPT = "vmm-timeout.sh"
# The file on the test CD (test_ahci.py), and the CD's name on the test-data disk.
TEST_CD_FILE = "hello.txt"
TEST_CD_ISO = "sata-test.iso"


def test_cd_content():
    """What hello.txt holds: several 2 KiB blocks of a known text."""
    return "".join("corral ahci cd line %d\n" % i for i in range(1, 5001)).encode()


def make_test_cd(dest):
    """An ISO 9660 image (Rock Ridge, so names keep their case) holding
    TEST_CD_FILE, made with xorriso on the build host."""
    work = tempfile.mkdtemp()
    try:
        with open(os.path.join(work, TEST_CD_FILE), "wb") as f:
            f.write(test_cd_content())
        subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-r", "-V", "CORRALTEST",
                        "-o", dest, work], check=True)
    finally:
        shutil.rmtree(work)

GUEST_INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in %(modules)s; do modprobe "$m" 2>/dev/null; done
mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
echo "GUEST-BOOTED cpus=$(grep -c ^processor /proc/cpuinfo) mem_kb=$mem_kb"
# The power button powers off, as with acpid (scenarios/wait-power-button.sh).
( . /scenarios/wait-power-button.sh; power_button_default ) &
scenario=$(sed -n 's/.*corral\.scenario=\([^ ]*\).*/\1/p' /proc/cmdline)
status=0
if [ -n "$scenario" ]; then
    if [ -f "/scenarios/$scenario.sh" ]; then
        sh "/scenarios/$scenario.sh"; status=$?
    else
        echo "GUEST: no scenario $scenario"; status=127
    fi
fi
echo "GUEST-DONE status=$status"
sync
# kvmtool has no ACPI on x86 and ends only on a reboot (bench_vmm.py)
grep -q 'corral\.end=reboot' /proc/cmdline && reboot -f
poweroff -f
"""


def kernel_release():
    mods = glob.glob(os.path.join(ROOTFS, "lib", "modules", "*"))
    if len(mods) != 1:
        raise RuntimeError("expected one kernel in %s/lib/modules: build the ISO first" % ROOTFS)
    return os.path.basename(mods[0])


def module_closure(krel, names):
    """Relative paths of the modules named and everything they depend on."""
    moddir = os.path.join(KERNEL_TREE, "lib", "modules", krel)
    deps = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[os.path.basename(mod).replace(".ko", "").replace("-", "_")] = (mod, rest.split())
    wanted, todo = set(), list(names)
    while todo:
        name = todo.pop().replace("-", "_")
        if name not in deps:
            continue  # built into the kernel
        path, requires = deps[name]
        if path in wanted:
            continue
        wanted.add(path)
        todo += [os.path.basename(r).replace(".ko", "") for r in requires]
    return sorted(wanted)


def make_initramfs(dest, staging, modules=None, on_demand=None, extra_bins=None):
    """The guest initramfs; modules: what /init loads (default
    GUEST_MODULES), on_demand: modules only copied in (default
    GUEST_ON_DEMAND_MODULES).  Only these and their dependencies are in it.
    extra_bins: {name: path} of static programs added to /bin (the disk
    benchmark's fio)."""
    modules = GUEST_MODULES if modules is None else modules
    on_demand = GUEST_ON_DEMAND_MODULES if on_demand is None else on_demand
    krel = kernel_release()
    if os.path.exists(staging):
        shutil.rmtree(staging)
    for d in ("bin", "proc", "sys", "dev", "tmp", "mnt", "scenarios"):
        os.makedirs(os.path.join(staging, d))
    shutil.copy(os.path.join(ROOTFS, "bin", "busybox"), os.path.join(staging, "bin", "busybox"))
    # Corral's network measuring tool, the same static binary the ISO ships:
    # the guest end of the network benchmark (tests/bench/bench_net.py).
    shutil.copy(os.path.join(ROOTFS, "usr", "bin", "corral-nettest"),
                os.path.join(staging, "bin", "corral-nettest"))
    # 4 KiB random reads for the devices benchmark (tests/bench/bench_devices.py).
    subprocess.run(["musl-gcc", "-static", "-Os", "-s", "-o",
                    os.path.join(staging, "bin", "corral-randread"),
                    os.path.join(HERE, "guest", "tools", "randread.c")], check=True)
    # UDP from a chosen source port: the hostile guest's DHCP answers (test_guard.py).
    subprocess.run(["musl-gcc", "-static", "-Os", "-s", "-o",
                    os.path.join(staging, "bin", "corral-udpsend"),
                    os.path.join(HERE, "guest", "tools", "udpsend.c")], check=True)
    for name, path in (extra_bins or {}).items():
        shutil.copy(path, os.path.join(staging, "bin", name))
    for rel in module_closure(krel, modules + on_demand):
        src = os.path.join(KERNEL_TREE, "lib", "modules", krel, rel)
        dst = os.path.join(staging, "lib", "modules", krel, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(src, dst)
    for meta in ("modules.order", "modules.builtin", "modules.builtin.modinfo"):
        src = os.path.join(KERNEL_TREE, "lib", "modules", krel, meta)
        if os.path.exists(src):
            shutil.copy(src, os.path.join(staging, "lib", "modules", krel, meta))
    subprocess.run(["depmod", "-b", staging, krel], check=True)
    init = os.path.join(staging, "init")
    with open(init, "w") as f:
        f.write(GUEST_INIT % {"modules": " ".join(modules)})
    os.chmod(init, 0o755)
    for script in glob.glob(os.path.join(HERE, "guest", "scenarios", "*.sh")):
        dst = os.path.join(staging, "scenarios", os.path.basename(script))
        shutil.copy(script, dst)
        # Executable: some are run by programs, not by sh (udhcpc -s).
        os.chmod(dst, 0o755)
    cpio = subprocess.run("cd %s && find . | sort | cpio -o -H newc --owner=0:0 --quiet | gzip -1"
                          % staging, shell=True, check=True, capture_output=True).stdout
    with open(dest, "wb") as f:
        f.write(cpio)


GRUB_I386_PC = "/usr/lib/grub/i386-pc"  # Debian's grub-pc-bin
SECTOR = 512
PART_START = 2048  # sectors: 1 MiB, GRUB's core.img lives in the gap before
GRUB_MODULES = ["biosdisk", "part_msdos", "ext2", "linux", "serial", "terminal",
                "echo", "boot"]


def _mbr(boot_img, part_sectors):
    """GRUB's boot.img (it loads core.img from sector 1, its default) with
    one bootable Linux partition from PART_START."""
    entry = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff",
                        PART_START, part_sectors)
    return boot_img[:446] + entry + bytes(48) + b"\x55\xaa"


def make_grub_disk(dest, kernel, initrd, cmdline, size_mib=64):
    """A raw disk image a BIOS boots like any installed Linux: GRUB's boot.img
    in the MBR, core.img behind it (with an embedded config that prints
    GRUB-MENU on the serial console and boots the kernel), and an ext2
    partition holding the kernel and initramfs.  No root or loop devices:
    mke2fs -d fills the filesystem, the MBR is written here."""
    work = tempfile.mkdtemp(prefix="grubdisk-")
    try:
        files = os.path.join(work, "files")
        os.makedirs(files)
        shutil.copy(kernel, os.path.join(files, "vmlinuz"))
        shutil.copy(initrd, os.path.join(files, "initrd.img"))
        cfg = os.path.join(work, "early.cfg")
        with open(cfg, "w") as f:
            f.write("serial --unit=0 --speed=115200\nterminal_output serial\n"
                    "echo GRUB-MENU\n"
                    "linux (hd0,msdos1)/vmlinuz %s\ninitrd (hd0,msdos1)/initrd.img\nboot\n"
                    % cmdline)
        core = os.path.join(work, "core.img")
        subprocess.run(["grub-mkimage", "-O", "i386-pc", "-d", GRUB_I386_PC, "-c", cfg,
                        "-p", "(hd0,msdos1)/boot/grub", "-o", core] + GRUB_MODULES,
                       check=True)
        part = os.path.join(work, "part.img")
        part_sectors = size_mib * 2048 - PART_START
        subprocess.run(["mke2fs", "-q", "-t", "ext2", "-d", files, part,
                        "%dk" % (part_sectors // 2)], check=True)
        with open(os.path.join(GRUB_I386_PC, "boot.img"), "rb") as f:
            boot_img = f.read()
        with open(core, "rb") as f:
            core_img = f.read()
        if len(core_img) > (PART_START - 1) * SECTOR:
            raise RuntimeError("core.img does not fit before the partition")
        with open(dest, "wb") as out, open(part, "rb") as p:
            out.write(_mbr(boot_img, part_sectors))
            out.write(core_img)
            out.seek(PART_START * SECTOR)
            shutil.copyfileobj(p, out)
            out.truncate(size_mib << 20)
    finally:
        shutil.rmtree(work)


GRUB_X86_64_EFI = "/usr/lib/grub/x86_64-efi"  # Debian's grub-efi-amd64-bin
GRUB_EFI_MODULES = ["part_gpt", "fat", "linux", "echo", "boot", "search", "search_fs_file"]
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"  # Debian's ovmf, unmodified
EFI_GRUB_DISK = "efi-grub.img"
# the same with the efivar-persist scenario (a variable through efivarfs)
EFIVAR_DISK = "efi-grub-efivar.img"


def make_efi_grub_disk(dest, kernel, initrd, cmdline, size_mib=64):
    """A GPT disk as a UEFI machine boots it: one EFI system partition
    (FAT) holding GRUB for x86_64-efi at the removable-media path
    EFI/BOOT/BOOTX64.EFI (grub-mkimage, with an embedded config that prints
    GRUB-EFI-MENU on the firmware's console and boots the kernel from the
    same partition), the kernel and the initramfs.  No root or loop
    devices: mtools fills the FAT, sgdisk writes the GPT."""
    work = tempfile.mkdtemp(prefix="efidisk-")
    try:
        cfg = os.path.join(work, "early.cfg")
        with open(cfg, "w") as f:
            f.write("echo GRUB-EFI-MENU\nsearch --file --set=root /vmlinuz\n"
                    "linux /vmlinuz %s\ninitrd /initrd.img\nboot\n" % cmdline)
        bootx64 = os.path.join(work, "BOOTX64.EFI")
        subprocess.run(["grub-mkimage", "-O", "x86_64-efi", "-d", GRUB_X86_64_EFI, "-c", cfg,
                        "-p", "/EFI/BOOT", "-o", bootx64] + GRUB_EFI_MODULES, check=True)
        part = os.path.join(work, "esp.img")
        part_sectors = size_mib * 2048 - PART_START - 34  # the backup GPT at the end
        part_sectors -= part_sectors % 8
        subprocess.run(["mkfs.vfat", "-C", "-n", "CORRALESP", part, str(part_sectors // 2)],
                       check=True, capture_output=True)
        subprocess.run(["mmd", "-i", part, "::/EFI", "::/EFI/BOOT"], check=True)
        for src, name in ((bootx64, "/EFI/BOOT/BOOTX64.EFI"), (kernel, "/vmlinuz"),
                          (initrd, "/initrd.img")):
            subprocess.run(["mcopy", "-i", part, src, "::" + name], check=True)
        with open(dest, "wb") as out, open(part, "rb") as p:
            out.truncate(size_mib << 20)
            out.seek(PART_START * SECTOR)
            shutil.copyfileobj(p, out)
        subprocess.run(["sgdisk", "-n", "1:%d:%d" % (PART_START, PART_START + part_sectors - 1),
                        "-t", "1:EF00", "-c", "1:EFI system partition", dest],
                       check=True, capture_output=True)
    finally:
        shutil.rmtree(work)


def make_eltorito_cd(dest, kernel, initrd, cmdline):
    """An ISO 9660 image that boots only by El Torito (no emulation,
    ISOLINUX) with no MBR: a BIOS can boot it from a CD-ROM drive but not
    as a disk.  ISOLINUX talks on the serial port and boots kernel and
    initrd with cmdline."""
    work = tempfile.mkdtemp(prefix="eltorito-")
    try:
        root = os.path.join(work, "root")
        os.makedirs(os.path.join(root, "isolinux"))
        shutil.copy(ISOLINUX_BIN, os.path.join(root, "isolinux", "isolinux.bin"))
        shutil.copy(LDLINUX_C32, os.path.join(root, "isolinux", "ldlinux.c32"))
        shutil.copy(kernel, os.path.join(root, "vmlinuz"))
        shutil.copy(initrd, os.path.join(root, "initrd.img"))
        with open(os.path.join(root, "isolinux", "isolinux.cfg"), "w") as f:
            f.write("SERIAL 0 115200\nPROMPT 0\nTIMEOUT 0\nDEFAULT guest\n"
                    "LABEL guest\n  KERNEL /vmlinuz\n  INITRD /initrd.img\n"
                    "  APPEND %s\n" % cmdline)
        subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-r", "-V", "CORRALBOOT",
                        "-o", dest, "-b", "isolinux/isolinux.bin", "-c", "isolinux/boot.cat",
                        "-no-emul-boot", "-boot-load-size", "4", "-boot-info-table", root],
                       check=True)
    finally:
        shutil.rmtree(work)


def make_blank_disk(dest, size_mib=16):
    """A disk with no boot loader: all zeros, as a freshly made VM disk."""
    with open(dest, "wb") as f:
        f.truncate(size_mib << 20)


# The same kernel uncompressed, as an ELF vmlinux booted by PVH
# (test_vmm.py), and a copy of it cut short: a hostile, truncated ELF.
VMLINUX = "vmlinux"
VMLINUX_TRUNCATED = "vmlinux-truncated"
# Where in the vmlinux the PVH note's type field is (decimal, one line):
# patched in a copy, it makes an ELF kernel without the PVH entry.
VMLINUX_PVH_NOTE_TYPE_AT = "vmlinux.pvh-note-type-offset"
XEN_ELFNOTE_PHYS32_ENTRY = 18


def bzimage_payload_range(img):
    """(file offset, length) of a bzImage's compressed kernel: the setup
    header's payload_offset counts from the end of the real-mode setup."""
    setup_sects = img[0x1f1] or 4
    payload_offset, payload_length = struct.unpack_from("<II", img, 0x248)
    return (setup_sects + 1) * 512 + payload_offset, payload_length


def extract_vmlinux(bzimage, dest):
    """The ELF inside a bzImage, as the kernel's scripts/extract-vmlinux
    finds it: the setup header's payload_offset/payload_length give the
    compressed payload (XZ for Debian's kernels), which Python's lzma
    decompresses.  A host tool for the tests; corral-vmm does not do this."""
    with open(bzimage, "rb") as f:
        img = f.read()
    start, length = bzimage_payload_range(img)
    payload = img[start:start + length]
    if not payload.startswith(b"\xfd7zXZ\x00"):
        raise RuntimeError("%s: payload is not XZ-compressed" % bzimage)
    elf = lzma.LZMADecompressor().decompress(payload)
    if not elf.startswith(b"\x7fELF"):
        raise RuntimeError("%s: payload is not an ELF vmlinux" % bzimage)
    with open(dest, "wb") as f:
        f.write(elf)
    return elf


def populate(content_dir):
    """Fill the test-data disk: guest kernel, guest initramfs, scenarios."""
    shutil.copy(os.path.join(OUT, "iso-root", "boot", "vmlinuz"),
                os.path.join(content_dir, "vmlinuz"))
    make_initramfs(os.path.join(content_dir, "initrd.img"),
                   os.path.join(content_dir + ".staging"))
    with open(os.path.join(content_dir, "not-a-kernel.bin"), "wb") as f:
        f.write(b"this is not a bzImage\n" * 512)
    elf = extract_vmlinux(os.path.join(content_dir, "vmlinuz"),
                          os.path.join(content_dir, VMLINUX))
    with open(os.path.join(content_dir, VMLINUX_TRUNCATED), "wb") as f:
        f.write(elf[:1 << 20])
    note = elf.find(struct.pack("<III", 4, 8, XEN_ELFNOTE_PHYS32_ENTRY) + b"Xen\0")
    if note < 0:
        raise RuntimeError("the guest kernel has no PVH note (CONFIG_PVH)")
    with open(os.path.join(content_dir, VMLINUX_PVH_NOTE_TYPE_AT), "w") as f:
        f.write("%d\n" % (note + 8))
    # firmware boot (test_firmware.py): a GRUB disk, a disk without a boot
    # loader, and Corral's own ISO to boot inside Corral.
    make_grub_disk(os.path.join(content_dir, "grub.img"),
                   os.path.join(content_dir, "vmlinuz"),
                   os.path.join(content_dir, "initrd.img"),
                   "console=ttyS0 quiet corral.scenario=acpi-power-button")
    make_blank_disk(os.path.join(content_dir, "blank.img"))
    # UEFI boot (test_uefi.py): Debian's OVMF and a GPT disk with EFI GRUB
    shutil.copy(OVMF_CODE, os.path.join(content_dir, os.path.basename(OVMF_CODE)))
    make_efi_grub_disk(os.path.join(content_dir, EFI_GRUB_DISK),
                       os.path.join(content_dir, "vmlinuz"),
                       os.path.join(content_dir, "initrd.img"),
                       "console=ttyS0 quiet corral.scenario=acpi-power-button")
    make_efi_grub_disk(os.path.join(content_dir, EFIVAR_DISK),
                       os.path.join(content_dir, "vmlinuz"),
                       os.path.join(content_dir, "initrd.img"),
                       "console=ttyS0 quiet corral.scenario=efivar-persist", size_mib=32)
    shutil.copy(iso_path(), os.path.join(content_dir, "corral.iso"))
    # the display tests (test_screen.py): Debian's installer as users get it
    debian_installer.make_mini_iso(os.path.join(content_dir, "mini.iso"))
    make_test_cd(os.path.join(content_dir, TEST_CD_ISO))
    # guests without virtio drivers (issue 15)
    make_initramfs(os.path.join(content_dir, NOVIRTIO_INITRD),
                   os.path.join(content_dir + ".staging"), NOVIRTIO_MODULES, [])
    shutil.rmtree(content_dir + ".staging")
    # the tests' time limit for a VMM, which asks it where it stands first
    shutil.copy(os.path.join(HERE, "appliance", "vmm-timeout.sh"),
                os.path.join(content_dir, VMM_TIMEOUT_SCRIPT))
    # the VMM with its test hooks (test_jail.py), built here: never in the ISO
    make_target("test-vmm")
    shutil.copy(os.path.join(OUT, "test-bin", "corral-vmm"),
                os.path.join(content_dir, "corral-vmm-test-hooks"))
    make_eltorito_cd(os.path.join(content_dir, ELTORITO_ISO),
                     os.path.join(content_dir, "vmlinuz"),
                     os.path.join(content_dir, NOVIRTIO_INITRD),
                     "console=ttyS0 quiet corral.scenario=eltorito-boot")
