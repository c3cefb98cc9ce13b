"""Issue 15: corral-vmm's AHCI controller as a Linux guest sees it, inside
the control domain under nested KVM: a SATA disk (bus=sata) that Linux's
ahci driver finds as /dev/sda and whose writes reach the image file, and
an ATAPI CD-ROM drive (--cdrom) that it finds as /dev/sr0 and reads an
ISO 9660 file system from, whose medium the control socket changes while
the guest runs - and `corral vm cdrom` through corrald, as a user changes it.

The guests have the no-virtio initramfs (guest.NOVIRTIO_INITRD: ahci,
libata, sr_mod, e1000 and no virtio module at all), as an OS without virtio
drivers would, and say so (VIRTIO-MODULES present=0 loaded=0).  A CD that
boots only by El Torito (guest.ELTORITO_ISO: ISOLINUX, no MBR) boots from
the CD-ROM drive by SeaBIOS."""

import hashlib
import os
import re

import guest
from conftest import TESTDATA_MOUNT
from test_control import LOG, send, start_vmm, wait_vmm_end
from test_firmware import write_def
from test_vmm import POWEROFF, boot_args, booted, run_vmm, stop_vmms

DISK_MIB = 64
FW_LOG = "/tmp/fw-ahci.log"
NOVIRTIO_INITRD = "%s/%s" % (TESTDATA_MOUNT, guest.NOVIRTIO_INITRD)
NO_VIRTIO = "VIRTIO-MODULES present=0 loaded=0"


def test_no_virtio_initramfs_has_no_virtio_module(testdata_image):
    """The initramfs itself (on the build host): no virtio*.ko in it."""
    import gzip
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        image = os.path.join(d, "initrd")
        subprocess.run(["debugfs", "-R", "dump /%s %s" % (guest.NOVIRTIO_INITRD, image),
                        testdata_image], check=True, capture_output=True)
        with open(image, "rb") as f:
            names = subprocess.run(["cpio", "-t", "--quiet"], input=gzip.decompress(f.read()),
                                   capture_output=True, check=True).stdout.decode().split()
    modules = [os.path.basename(n) for n in names if n.endswith((".ko", ".ko.xz", ".ko.zst"))]
    assert any(m.startswith("ahci.") for m in modules), modules
    assert any(m.startswith("e1000.") for m in modules), modules
    assert not [m for m in modules if "virtio" in m], modules


def test_sata_disk_and_cdrom(appliance):
    appliance.out("rm -f /tmp/sata.img && truncate -s %dM /tmp/sata.img" % DISK_MIB)
    extra = "-v --disk /tmp/sata.img,bus=sata --cdrom %s/%s" % (TESTDATA_MOUNT, guest.TEST_CD_ISO)
    status, out = run_vmm(appliance, boot_args("vmm-ahci", extra=extra, initrd=NOVIRTIO_INITRD))
    booted(out)
    assert NO_VIRTIO in out, out[-3000:]
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
    # -v's counts for the disk (port 0; none for the drive): its writes
    # went through the ring, nothing failed or had to be run again
    m = re.search(r"corral-vmm: ahci port 0: commands (\d+), queued (\d+) \(joined \d+\), "
                  r"synchronous \d+, redone (\d+), failed (\d+)", out)
    assert m, out[-3000:]
    commands, queued, redone, failed = (int(g) for g in m.groups())
    assert commands >= queued > 0 and redone == 0 and failed == 0, m.group(0)
    assert "ahci port 1: commands" not in out, out[-3000:]


def test_cdrom_media_change_by_control_socket(appliance):
    """cdrom-eject and cdrom-insert while the guest runs: it sees the
    medium go (no medium) and come back (its file reads again)."""
    iso = "%s/%s" % (TESTDATA_MOUNT, guest.TEST_CD_ISO)
    sha = hashlib.sha256(guest.test_cd_content()).hexdigest()
    start_vmm(appliance, "vmm-ahci-media", extra="--cdrom " + iso, initrd=NOVIRTIO_INITRD)
    try:
        out = appliance.out("cat %s" % LOG)
        assert "CD-SHA1=" + sha in out and NO_VIRTIO in out, out[-3000:]
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
    appliance.out("rm -f %s; ( (vmm-timeout 600 corral-vmm --config %s -v </dev/null >%s 2>&1;"
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


def test_el_torito_only_cd_boots_by_firmware(appliance, testdata_image):
    """A CD with no MBR (bytes 510-511 are not 55 AA: no BIOS boots it as a
    disk) and an El Torito no-emulation boot record: SeaBIOS boots it from
    the CD-ROM drive, ISOLINUX loads the kernel and the no-virtio initramfs
    from it, and the guest finds its boot CD as /dev/sr0."""
    import subprocess
    with open(os.path.join(os.path.dirname(testdata_image), "content", guest.ELTORITO_ISO),
              "rb") as f:
        assert f.read(512)[510:512] != b"\x55\xaa"
    catalog = subprocess.run(["xorriso", "-indev", os.path.join(
        os.path.dirname(testdata_image), "content", guest.ELTORITO_ISO),
        "-report_el_torito", "plain"], capture_output=True, text=True).stdout
    assert re.search(r"El Torito boot img\s*:\s*1\s+BIOS\s+y\s+none", catalog), catalog
    start_firmware_vm(appliance, "fweltorito",
                      ["cdrom = %s/%s" % (TESTDATA_MOUNT, guest.ELTORITO_ISO)])
    out = wait_log(appliance, ["GUEST-DONE", "VMM-STATUS"], 540)
    stop_vmms(appliance)
    assert "Booting from DVD/CD" in out, out[-3000:]
    assert "ISOLINUX" in out, out[-3000:]
    assert re.search(r"GUEST-BOOTED cpus=1 mem_kb=\d+", out), out[-3000:]
    assert NO_VIRTIO in out, out[-3000:]
    assert "BOOT-CD isolinux=1" in out, out[-3000:]
    assert "GUEST-DONE status=0" in out, out[-3000:]


def test_vm_cdrom_through_corrald(appliance):
    """`corral vm cdrom` as a user runs it: a corrald VM with the test CD in
    its CD-ROM drive reads the CD's file from /dev/sr0; `vm cdrom NAME
    eject` takes the medium out (the guest sees none), `vm cdrom NAME
    insert ISO` puts it back (the file reads again).  A drive the VM lacks,
    an ISO that is not there and a VM that is not running get clear errors."""
    from test_corrald import KERNEL, corral_json, ensure_corrald, show, wait_for, wait_guest_up
    name = "cdvm"
    iso = "%s/%s" % (TESTDATA_MOUNT, guest.TEST_CD_ISO)
    sha = hashlib.sha256(guest.test_cd_content()).hexdigest()

    def log():
        return corral_json(appliance, "vm log %s" % name)[1]["log"]

    ensure_corrald(appliance)
    appliance.sh("corral vm kill %s --wait >/dev/null 2>&1; corral vm delete %s --yes "
                 "--delete-disks >/dev/null 2>&1" % (name, name))
    status, vm = corral_json(
        appliance, "vm create %s --memory 256M --kernel %s --initrd %s --set cdrom=%s "
        "--cmdline 'quiet corral.scenario=vmm-ahci-media'" % (name, KERNEL, NOVIRTIO_INITRD, iso))
    assert status == 0, vm
    try:
        assert vm["definition"]["cdroms"] == [{"path": iso, "empty": False}], vm
        status, err = corral_json(appliance, "vm cdrom %s eject" % name)
        assert status == 1 and err["error"]["code"] == "wrong-state", err
        assert "stopped" in err["error"]["message"], err
        status, vm = corral_json(appliance, "vm start %s" % name)
        assert status == 0 and vm["state"] == "running", vm
        wait_guest_up(appliance, name)
        text = log()
        assert "CD-SHA1=" + sha in text and NO_VIRTIO in text, text[-3000:]

        status, vm = corral_json(appliance, "vm cdrom %s eject" % name)
        assert status == 0 and vm["name"] == name, vm
        wait_for("the guest to see no medium", lambda: "CD-GONE" in log(), timeout=120)
        status, err = corral_json(appliance, "vm cdrom %s eject" % name)
        assert status == 1 and err["error"]["code"] == "wrong-state", err
        assert "empty" in err["error"]["message"], err
        status, err = corral_json(appliance, "vm cdrom %s insert %s --drive 1" % (name, iso))
        assert status == 1 and err["error"]["code"] == "not-found", err
        assert "no CD-ROM drive 1" in err["error"]["message"], err
        status, err = corral_json(appliance, "vm cdrom %s insert /nonexistent.iso" % name)
        assert status == 1 and err["error"]["code"] == "invalid", err
        assert "/nonexistent.iso" in err["error"]["message"], err
        status, err = corral_json(appliance, "vm cdrom nosuchvm eject")
        assert status == 1 and err["error"]["code"] == "not-found", err
        status, vm = corral_json(appliance, "vm cdrom %s insert %s" % (name, iso))
        assert status == 0 and vm["name"] == name, vm
        wait_for("the guest to power off", lambda: show(appliance, name)["state"] == "stopped",
                 timeout=240)
        text = log()
        assert "CD-SHA2=" + sha in text, text[-3000:]
        assert "GUEST-DONE status=0" in text, text[-3000:]
        status, err = corral_json(appliance, "vm cdrom %s insert %s" % (name, iso))
        assert status == 1 and err["error"]["code"] == "wrong-state", err
    finally:
        appliance.sh("corral vm kill %s --wait >/dev/null 2>&1; corral vm delete %s --yes "
                     "--delete-disks >/dev/null 2>&1" % (name, name))
