"""Issue 15: corral-vmm's AHCI controller as a Linux guest sees it, inside
the control domain under nested KVM: a SATA disk (bus=sata) that Linux's
ahci driver finds as /dev/sda and whose writes reach the image file, and
an ATAPI CD-ROM drive (--cdrom) that it finds as /dev/sr0 and reads an
ISO 9660 file system from, whose medium the control socket changes while
the guest runs."""

import hashlib
import re

import guest
from conftest import TESTDATA_MOUNT
from test_control import LOG, send, start_vmm, wait_vmm_end
from test_firmware import write_def
from test_vmm import POWEROFF, boot_args, booted, run_vmm, stop_vmms

DISK_MIB = 64
FW_LOG = "/tmp/fw-ahci.log"


def test_sata_disk_and_cdrom(appliance):
    appliance.out("rm -f /tmp/sata.img && truncate -s %dM /tmp/sata.img" % DISK_MIB)
    extra = "--disk /tmp/sata.img,bus=sata --cdrom %s/%s" % (TESTDATA_MOUNT, guest.TEST_CD_ISO)
    status, out = run_vmm(appliance, boot_args("vmm-ahci", extra=extra))
    booted(out)
    assert "AHCI-DEVICES sda=1 sr0=1" in out, out[-3000:]
    assert "SDA-MODEL=Corral SATA disk" in out, out[-3000:]
    assert "SDA-SECTORS=%d" % (DISK_MIB << 11) in out, out[-3000:]
    m = re.search(r"PATTERN-BYTES=(\d+) PATTERN-SHA=([0-9a-f]{64})", out)
    assert m, out[-3000:]
    n, sha = int(m.group(1)), m.group(2)
    host_sha = appliance.out("dd if=/tmp/sata.img bs=4096 skip=256 2>/dev/null | head -c %d "
                             "| sha256sum" % n).split()[0]
    assert host_sha == sha
    assert "CD-SHA=" + hashlib.sha256(guest.test_cd_content()).hexdigest() in out, out[-3000:]
    assert "GUEST-DONE status=0" in out, out[-3000:]
    assert status == POWEROFF


def test_cdrom_media_change_by_control_socket(appliance):
    """cdrom-eject and cdrom-insert while the guest runs: it sees the
    medium go (no medium) and come back (its file reads again)."""
    iso = "%s/%s" % (TESTDATA_MOUNT, guest.TEST_CD_ISO)
    sha = hashlib.sha256(guest.test_cd_content()).hexdigest()
    start_vmm(appliance, "vmm-ahci-media", extra="--cdrom " + iso)
    try:
        assert "CD-SHA1=" + sha in appliance.out("cat %s" % LOG)
        assert send(appliance, "cdrom-eject 0") == (0, ["ok ejected"])
        out = appliance.out("for i in $(seq 60); do grep -q CD-GONE %s && break; sleep 1; "
                            "done; cat %s" % (LOG, LOG), timeout=90)
        assert "CD-GONE" in out, out[-3000:]
        status, lines = send(appliance, "cdrom-eject 0")
        assert status != 0 and lines[0].startswith("error wrong-state"), lines
        status, lines = send(appliance, "cdrom-insert 1 " + iso)
        assert status != 0 and lines[0].startswith("error no-device"), lines
        status, lines = send(appliance, "cdrom-insert 0 /nonexistent.iso")
        assert status != 0 and lines[0].startswith("error bad-request"), lines
        assert send(appliance, "cdrom-insert 0 " + iso) == (0, ["ok inserted"])
    finally:
        status, out = wait_vmm_end(appliance)
    assert "CD-SHA2=" + sha in out, out[-3000:]
    assert status == POWEROFF, out[-3000:]


def start_firmware_vm(appliance, name, lines, memory=256):
    """A firmware-booted VM from a definition of lines, in the background."""
    conf = write_def(appliance, name, [], memory=memory)
    appliance.out("printf '%s\\n' >> %s" % ("\\n".join(lines), conf))
    appliance.out("rm -f %s; ( (timeout -s KILL 600 corral-vmm --config %s -v </dev/null >%s 2>&1;"
                  " echo VMM-STATUS=$? >>%s) & )" % (FW_LOG, conf, FW_LOG, FW_LOG))


def wait_log(appliance, patterns, seconds):
    grep = " ".join("-e '%s'" % p for p in patterns)
    return appliance.out("for i in $(seq %d); do grep -q %s %s && break; sleep 1; done; cat %s"
                         % (seconds, grep, FW_LOG, FW_LOG), timeout=seconds + 60)


def test_seabios_boots_a_sata_disk(appliance):
    """SeaBIOS's own AHCI driver reads GRUB and the kernel from a SATA disk
    (its boot order names the AHCI port)."""
    start_firmware_vm(appliance, "fwsata", ["disk = %s/grub.img,ro,bus=sata" % TESTDATA_MOUNT])
    out = wait_log(appliance, ["GUEST-WAITING", "VMM-STATUS"], 540)
    stop_vmms(appliance)
    assert "/pci@i0cf8/sata@" in out or "ahci port 0: disk" in out, out[-3000:]
    assert "Booting from Hard Disk" in out, out[-3000:]
    assert "GRUB-MENU" in out and "GUEST-WAITING" in out, out[-3000:]


def test_seabios_boots_an_el_torito_cd_before_a_blank_disk(appliance):
    """An install layout: a blank SATA disk and Corral's ISO in the CD-ROM
    drive; the CD has an El Torito boot record, so it goes first and
    SeaBIOS boots it: GRUB's menu, read from the CD through SeaBIOS's
    ATAPI driver, is on the console."""
    start_firmware_vm(appliance, "fwcd", ["disk = %s/blank.img,ro,bus=sata" % TESTDATA_MOUNT,
                                          "cdrom = %s/corral.iso" % TESTDATA_MOUNT],
                      memory=1024)
    out = wait_log(appliance, ["Booting from DVD/CD", "VMM-STATUS"], 300)
    out = wait_log(appliance, ["Boot failed", "VMM-STATUS", "GNU GRUB"], 240)
    stop_vmms(appliance, grace=120)
    assert "disk 0 has no boot sector" in out, out[-3000:]
    assert "Booting from DVD/CD" in out, out[-3000:]
    assert "Boot failed" not in out, out[-3000:]
    assert "GNU GRUB" in out, out[-3000:]
