"""Issue 14: corral-vmm's display device, the std VGA with Bochs VBE, inside
the control domain under nested KVM.

A directly booted guest with --display std gets Linux's bochs-drm on the
PCI function 1234:1111, which reads the DISPI ID and the VRAM size through
BAR2 and sets a mode in the framebuffer (the vmm-display scenario prints
what it sees).  A firmware-booted VM (display = std by default) has
SeaBIOS run the VGA BIOS it finds as fw_cfg pci1234,1111.rom; SeaBIOS's
log (-v) says so, and the boot goes on to GRUB and the kernel.
"""

import re

from conftest import TESTDATA_MOUNT
from test_firmware import start_vmm_until, write_def
from test_vmm import POWEROFF, boot_args, booted, run_vmm, stop_vmms


def facts(out, prefix):
    return [line[len(prefix) + 1:] for line in out.splitlines()
            if line.startswith(prefix + " ")]


def test_direct_boot_guest_gets_bochs_drm(appliance):
    status, out = run_vmm(appliance, "-v " + boot_args("vmm-display", extra="--display std"),
                          timeout=240)
    booted(out)
    print("\n".join(line for line in out.splitlines()
                    if line.split(" ")[0] in ("DISPLAY-PCI", "DRM-CONNECTOR", "FB", "FB0",
                                              "DMESG")
                    or "vga:" in line))
    assert status == POWEROFF, out[-3000:]
    assert "BOCHS-LOAD=0" in out, out[-3000:]
    pci = facts(out, "DISPLAY-PCI")
    assert len(pci) == 1, out[-3000:]
    assert "0x1234:0x1111 sub=0x1af4:0x1100 rev=0x02 driver=bochs-drm" in pci[0], pci
    connectors = facts(out, "DRM-CONNECTOR")
    assert connectors and "connected" in connectors[0], out[-3000:]
    fb = facts(out, "FB")
    assert fb and re.search(r"\d+ bochs", fb[0]), out[-3000:]
    m = re.search(r"FB0 size=(\d+),(\d+) bpp=32", out)
    assert m and int(m.group(1)) >= 640 and int(m.group(2)) >= 480, out[-3000:]
    assert "vga: framebuffer at 0x" in out, out[-3000:]


def test_no_display_flag_means_no_vga(appliance):
    status, out = run_vmm(appliance, boot_args("vmm-display", extra="--display none"))
    booted(out)
    assert status == POWEROFF, out[-3000:]
    assert not facts(out, "DISPLAY-PCI"), out[-3000:]


def test_firmware_runs_the_vga_bios(appliance):
    conf = write_def(appliance, "fwvga", [TESTDATA_MOUNT + "/grub.img,ro"])
    out = start_vmm_until(appliance, conf, ["GUEST-BOOTED"])
    stop_vmms(appliance)
    assert "vga: VGA BIOS /usr/share/corral/vgabios-stdvga.bin" in out, out[-4000:]
    assert re.search(r"Running option rom at c000:", out), out[-4000:]
    assert "GRUB-MENU" in out, out[-3000:]
    assert re.search(r"GUEST-BOOTED cpus=1 mem_kb=\d+", out), out[-3000:]
