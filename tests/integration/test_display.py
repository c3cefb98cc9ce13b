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


DUMP = "/tmp/screen.ppm"
SOCK = "/tmp/vga-test.sock"
LOG = "/tmp/vga-test.log"
STOPPED = 5


def screen_dump(machine):
    """(width, height, colour bytes that are not 0) of the PPM the VMM
    wrote at its end (CORRAL_VMM_SCREEN_DUMP)."""
    header = machine.out("head -2 %s | tr '\\n' ' '" % DUMP).split()
    assert header and header[0] == "P6", header
    lit = machine.out("tail -c +$(( $(head -3 %s | wc -c) + 1 )) %s | tr -d '\\000' | wc -c"
                      % (DUMP, DUMP))
    return int(header[1]), int(header[2]), int(lit.strip().splitlines()[-1])


def facts(out, prefix):
    return [line[len(prefix) + 1:] for line in out.splitlines()
            if line.startswith(prefix + " ")]


def test_direct_boot_guest_gets_bochs_drm(appliance):
    """bochs-drm drives the device; the guest writes 64 white lines through
    /dev/fb0 and waits; the VM is stopped (control socket, status 5: no
    guest shutdown, which would blank the screen) and its last picture,
    dumped through the refresh a remote console uses, shows them."""
    appliance.out("rm -f %s %s" % (DUMP, LOG))
    appliance.out("( (vmm-timeout 300 env CORRAL_VMM_SCREEN_DUMP=%s corral-vmm -v "
                  "--control %s %s </dev/null >%s 2>&1; echo VMM-STATUS=$? >>%s) & )"
                  % (DUMP, SOCK, boot_args("vmm-display", extra="--display std"), LOG, LOG))
    out = appliance.out("for i in $(seq 240); do grep -q -e DISPLAY-READY -e VMM-STATUS %s && "
                        "break; sleep 1; done; cat %s" % (LOG, LOG), timeout=300)
    appliance.out("corral-vmm --control-send %s stop" % SOCK)
    out = appliance.out("for i in $(seq 60); do grep -q VMM-STATUS %s && break; sleep 1; done; "
                        "cat %s" % (LOG, LOG), timeout=120)
    booted(out)
    print("\n".join(line for line in out.splitlines()
                    if line.split(" ")[0] in ("DISPLAY-PCI", "DRM-CONNECTOR", "FB", "FB0",
                                              "DMESG")
                    or "vga:" in line))
    assert "VMM-STATUS=%d" % STOPPED in out, out[-3000:]
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
    assert "FB-WRITE=0" in out, out[-3000:]
    width, height, lit = screen_dump(appliance)
    print("screen dump: %dx%d, %d colour bytes not 0" % (width, height, lit))
    assert (width, height) == (int(m.group(1)), int(m.group(2)))
    # 64 white lines, less fbcon's cursor (8x16, top left) if it is on
    white = 64 * width * 3
    assert white - 8 * 16 * 3 <= lit <= white, (lit, white)


def test_no_display_flag_means_no_vga(appliance):
    status, out = run_vmm(appliance, boot_args("vmm-display", extra="--display none"))
    booted(out)
    assert status == POWEROFF, out[-3000:]
    assert not facts(out, "DISPLAY-PCI"), out[-3000:]


def test_firmware_runs_the_vga_bios(appliance):
    conf = write_def(appliance, "fwvga", [TESTDATA_MOUNT + "/grub.img,ro"])
    appliance.out("rm -f " + DUMP)
    # The screen is dumped when the VMM ends by itself: stop it only once
    # the guest listens for the power button (GRUB boots the
    # acpi-power-button scenario), else a press before that is lost and
    # stop_vmms has to kill it (seen once under load: no dump).
    out = start_vmm_until(appliance, conf, ["GUEST-WAITING"],
                          env="CORRAL_VMM_SCREEN_DUMP=" + DUMP)
    stop_vmms(appliance)
    assert "vga: VGA BIOS /usr/share/corral/vgabios-stdvga.bin" in out, out[-4000:]
    assert re.search(r"Running option rom at c000:", out), out[-4000:]
    assert "GRUB-MENU" in out, out[-3000:]
    assert re.search(r"GUEST-BOOTED cpus=1 mem_kb=\d+", out), out[-3000:]
    # The kernel's VGA text console (vgacon) over what SeaBIOS and GRUB
    # left: 80x25 cells of 9x16 dots, drawn from the font the VGA BIOS
    # loaded into plane 2.
    width, height, lit = screen_dump(appliance)
    print("screen dump: %dx%d, %d colour bytes not 0" % (width, height, lit))
    assert (width, height) == (720, 400)
    assert lit > 500
