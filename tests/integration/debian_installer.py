"""Debian's installer as a user brings it: mini.iso, rebuilt here from the
`debian-installer-12-netboot-amd64` package.

Debian publishes mini.iso beside the netboot tree, but the package ships
only the tree (what a PXE server serves), so the test makes the ISO the
way Debian's own build does: the netboot tree with ISOLINUX in front of
the same boot menu (vesamenu.c32 with the splash, "Graphical install",
"Install", ...) for a BIOS, and for UEFI an El Torito EFI boot image (a
small FAT holding the tree's own EFI GRUB as EFI/BOOT/BOOTX64.EFI); the
image is made hybrid (an MBR and a GPT that boot it from a disk too), as
mini.iso is.  That GRUB (grubx64.efi, Debian's signed netboot build) has
the prefix /debian-installer/amd64/grub built in and no device: loaded
from a CD's El Torito image, GRUB takes the whole CD as its root, so it
runs the tree's grub/x86_64-efi/grub.cfg from the ISO itself, which
sources /boot/grub/grub.cfg, where the ISO has the tree's grub.cfg (the
UEFI installer menu), as Debian's mini.iso does.
The kernel and initrd are the installer's own; nothing in either menu is
edited, so what a guest shows is what a user sees.
"""

import os
import shutil
import subprocess
import tempfile

NETBOOT = "/usr/lib/debian-installer/images/12/amd64/text"
ISOLINUX_DIR = "/usr/lib/ISOLINUX"      # the isolinux package
SYSLINUX_BIOS = "/usr/lib/syslinux/modules/bios"  # syslinux-common
EFI_GRUB = "debian-installer/amd64/grubx64.efi"  # in the netboot tree
EFI_IMAGE = "boot/grub/efi.img"                  # where Debian's mini.iso has it
EFI_GRUB_CFG = "debian-installer/amd64/grub/grub.cfg"  # the UEFI installer menu
ISO_GRUB_CFG = "boot/grub/grub.cfg"  # where the tree's grub/x86_64-efi/grub.cfg looks
EFI_BOOT_PATH = "EFI/BOOT/BOOTX64.EFI"           # UEFI's removable-media path


def available():
    return os.path.isdir(os.path.join(NETBOOT, "debian-installer"))


def make_efi_image(dest, bootx64):
    """The El Torito EFI boot image: a FAT just large enough (1 MiB spare)
    holding bootx64 at the removable-media path; mtools, no mounting."""
    kib = (os.path.getsize(bootx64) >> 10) + 1024
    subprocess.run(["mkfs.vfat", "-C", "-n", "DEBIAN_EFI", dest, str(kib)],
                   check=True, capture_output=True)
    subprocess.run(["mmd", "-i", dest, "::/EFI", "::/EFI/BOOT"], check=True)
    subprocess.run(["mcopy", "-i", dest, bootx64, "::/" + EFI_BOOT_PATH], check=True)


def make_mini_iso(dest):
    """Write the installer ISO to dest; returns dest."""
    work = tempfile.mkdtemp(prefix="mini-iso-")
    try:
        root = os.path.join(work, "root")
        shutil.copytree(os.path.join(NETBOOT, "debian-installer"),
                        os.path.join(root, "debian-installer"))
        # The netboot menu's own entry point, read by ISOLINUX from the
        # ISO's root instead of by PXELINUX from pxelinux.cfg/.
        shutil.copy(os.path.join(NETBOOT, "debian-installer/amd64/pxelinux.cfg/default"),
                    os.path.join(root, "isolinux.cfg"))
        shutil.copy(os.path.join(ISOLINUX_DIR, "isolinux.bin"), root)
        shutil.copy(os.path.join(SYSLINUX_BIOS, "ldlinux.c32"), root)
        os.makedirs(os.path.dirname(os.path.join(root, EFI_IMAGE)))
        make_efi_image(os.path.join(root, EFI_IMAGE), os.path.join(root, EFI_GRUB))
        shutil.copy(os.path.join(root, EFI_GRUB_CFG), os.path.join(root, ISO_GRUB_CFG))
        subprocess.run(
            ["xorriso", "-as", "mkisofs", "-quiet", "-o", dest, "-V", "DEBIAN_MINI",
             "-r", "-J", "-isohybrid-mbr", os.path.join(ISOLINUX_DIR, "isohdpfx.bin"),
             "-b", "isolinux.bin", "-c", "boot.cat", "-no-emul-boot",
             "-boot-load-size", "4", "-boot-info-table",
             "-eltorito-alt-boot", "-e", EFI_IMAGE, "-no-emul-boot",
             "-isohybrid-gpt-basdat", root],
            check=True, capture_output=True)
    finally:
        shutil.rmtree(work)
    return dest
