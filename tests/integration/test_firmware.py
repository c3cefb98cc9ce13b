"""Issue 5: firmware boot (SeaBIOS) in corral-vmm, inside the control domain
under nested KVM.

The test-data disk (guest.py) carries grub.img - GRUB's boot.img in the MBR,
core.img behind it and an ext2 partition with the guest kernel and
initramfs; GRUB prints GRUB-MENU on the serial console and boots the kernel
- blank.img (no boot loader) and corral.iso (the appliance's own ISO).

A 1-vCPU guest each time: the nested host's rare panic comes with 2-vCPU
guests (see test_vmm.py); should it show anyway, the test says so.
"""

import re

from conftest import TESTDATA_MOUNT
from test_vmm import stop_vmms

BIOS = "/usr/share/corral/bios.bin"
LOG = "/tmp/fw-test.log"
POWEROFF, VMM_ERROR, NO_BOOT = 0, 3, 4


def write_def(machine, name, disks, memory=256):
    lines = ["name = %s" % name, "boot = firmware", "firmware = %s" % BIOS,
             "memory = %d" % memory] + ["disk = %s" % d for d in disks]
    machine.out("printf '%s\\n' > /tmp/%s.conf" % ("\\n".join(lines), name))
    return "/tmp/%s.conf" % name


def run_vmm(machine, args, timeout):
    status, _ = machine.sh("vmm-timeout %d corral-vmm %s </dev/null >%s 2>&1"
                           % (timeout, args, LOG), timeout=timeout + 30)
    out = machine.out("cat %s" % LOG)
    if machine.host_panicked():
        print("note: the nested host kernel panicked (known nesting bug)")
    return status, out


def test_grub_disk_boots_through_seabios_with_acpi(appliance):
    """SeaBIOS, GRUB, the kernel; the guest waits for its ACPI power button
    (acpi-power-button scenario).  The ACPI tables went through fw_cfg
    (acpi_loader.c): SIGTERM presses the button and the guest's poweroff
    goes through ACPI S5."""
    conf = write_def(appliance, "fwgrub", [TESTDATA_MOUNT + "/grub.img,ro"])
    appliance.out("rm -f %s; ( (vmm-timeout 600 corral-vmm --config %s -v </dev/null >%s 2>&1;"
                  " echo VMM-STATUS=$? >>%s) & )" % (LOG, conf, LOG, LOG))
    out = appliance.out("for i in $(seq 540); do grep -q -e GUEST-WAITING -e VMM-STATUS %s && break;"
                        " sleep 1; done; cat %s" % (LOG, LOG), timeout=600)
    assert "SeaBIOS" in out, out[-3000:]
    assert "Booting from Hard Disk" in out, out[-3000:]
    assert "GRUB-MENU" in out, out[-3000:]
    assert re.search(r"GUEST-BOOTED cpus=1 mem_kb=\d+", out), out[-3000:]
    assert "GUEST-WAITING button=/dev/input/event" in out, out[-3000:]
    appliance.out("kill -TERM $(pidof corral-vmm)")
    out = appliance.out("for i in $(seq 90); do grep -q VMM-STATUS %s && break; sleep 1; done; "
                        "cat %s" % (LOG, LOG), timeout=120)
    if appliance.host_panicked():
        print("note: the nested host kernel panicked (known nesting bug)")
    assert "GUEST-POWER-BUTTON" in out, out[-3000:]
    assert "guest entered ACPI S5" in out, out[-3000:]
    assert "VMM-STATUS=%d" % POWEROFF in out, out[-2000:]


def test_blank_first_disk_does_not_hide_a_bootable_one(appliance):
    """SeaBIOS tries only the first hard disk of its order: a blank disk
    first in the definition (the install-from-ISO layout) must not hide the
    bootable disk behind it."""
    conf = write_def(appliance, "fwblankfirst", [TESTDATA_MOUNT + "/blank.img,ro",
                                                 TESTDATA_MOUNT + "/grub.img,ro"])
    appliance.out("rm -f %s; ( (vmm-timeout 600 corral-vmm --config %s -v </dev/null >%s 2>&1;"
                  " echo VMM-STATUS=$? >>%s) & )" % (LOG, conf, LOG, LOG))
    out = appliance.out("for i in $(seq 540); do grep -q -e GUEST-WAITING -e VMM-STATUS %s && break;"
                        " sleep 1; done; cat %s" % (LOG, LOG), timeout=600)
    stop_vmms(appliance)
    assert "disk 0 has no boot sector" in out, out[-3000:]
    assert "GRUB-MENU" in out and "GUEST-WAITING" in out, out[-3000:]


def test_disk_without_boot_loader_gives_no_boot_status(appliance):
    conf = write_def(appliance, "fwblank", [TESTDATA_MOUNT + "/blank.img,ro"] * 2)
    status, out = run_vmm(appliance, "--config %s" % conf, timeout=300)
    assert status == NO_BOOT, out[-2000:]
    assert "No bootable device" in out  # the firmware's own words, on the console
    assert "the firmware found no bootable device" in out


def test_missing_firmware_is_a_clear_error(appliance):
    appliance.out("printf 'name = fwmiss\\nboot = firmware\\nfirmware = /nonexistent/bios.bin\\n'"
                  " > /tmp/fwmiss.conf")
    status, out = run_vmm(appliance, "--config /tmp/fwmiss.conf", timeout=60)
    assert status == VMM_ERROR
    assert "/nonexistent/bios.bin" in out


def test_corral_iso_boots_inside_corral(appliance):
    """Corral's ISO as a read-only disk: GRUB from its hybrid MBR, then the
    appliance's own kernel, to its ready banner."""
    conf = write_def(appliance, "fwiso", [TESTDATA_MOUNT + "/corral.iso,ro"], memory=1024)
    appliance.out("rm -f %s; ( (vmm-timeout 900 corral-vmm --config %s </dev/null >%s 2>&1) & )"
                  % (LOG, conf, LOG))
    out = appliance.out("for i in $(seq 840); do grep -q 'Corral is ready on ttyS0' %s && break; "
                        "sleep 1; done; cat %s" % (LOG, LOG), timeout=900)
    stop_vmms(appliance, grace=120)  # the nested Corral powers off by its button
    assert "SeaBIOS" in out, out[-3000:]
    assert "Corral is ready on ttyS0" in out, out[-3000:]


def start_vmm_until(machine, conf, markers, timeout=540, env=""):
    """Start corral-vmm -v on conf in the background and return its log
    once a line matches one of markers (or the VMM ended); the VMM keeps
    running (stop_vmms ends it).  env: "NAME=VALUE ..." for corral-vmm."""
    machine.out("rm -f %s; ( (vmm-timeout %d env %s corral-vmm --config %s -v </dev/null"
                " >%s 2>&1; echo VMM-STATUS=$? >>%s) & )"
                % (LOG, timeout + 60, env, conf, LOG, LOG))
    grep = " ".join("-e %s" % m for m in list(markers) + ["VMM-STATUS"])
    return machine.out("for i in $(seq %d); do grep -q %s %s && break; sleep 1; done; cat %s"
                       % (timeout, grep, LOG, LOG), timeout=timeout + 60)
