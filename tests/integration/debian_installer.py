"""Debian's installer as a user brings it: mini.iso, rebuilt here from the
`debian-installer-12-netboot-amd64` package.

Debian publishes mini.iso beside the netboot tree, but the package ships
only the tree (what a PXE server serves), so the test makes the ISO the
way Debian's own build does: the netboot tree with ISOLINUX in front of
the same boot menu (vesamenu.c32 with the splash, "Graphical install",
"Install", ...), and the image made hybrid (an MBR that boots it from a
disk too), as mini.iso is.  The kernel and initrd are the installer's own;
nothing in the menu is edited, so what a guest shows is what a user sees.
"""

import os
import shutil
import subprocess
import tempfile

NETBOOT = "/usr/lib/debian-installer/images/12/amd64/text"
ISOLINUX_DIR = "/usr/lib/ISOLINUX"      # the isolinux package
SYSLINUX_BIOS = "/usr/lib/syslinux/modules/bios"  # syslinux-common


def available():
    return os.path.isdir(os.path.join(NETBOOT, "debian-installer"))


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
        subprocess.run(
            ["xorriso", "-as", "mkisofs", "-quiet", "-o", dest, "-V", "DEBIAN_MINI",
             "-r", "-J", "-isohybrid-mbr", os.path.join(ISOLINUX_DIR, "isohdpfx.bin"),
             "-b", "isolinux.bin", "-c", "boot.cat", "-no-emul-boot",
             "-boot-load-size", "4", "-boot-info-table", root],
            check=True, capture_output=True)
    finally:
        shutil.rmtree(work)
    return dest
