"""Issue 15: corral-vmm's AHCI controller as a Linux guest sees it, inside
the control domain under nested KVM: a SATA disk (bus=sata) that Linux's
ahci driver finds as /dev/sda and whose writes reach the image file, and
an ATAPI CD-ROM drive (--cdrom) that it finds as /dev/sr0 and reads an
ISO 9660 file system from."""

import hashlib
import re

import guest
from conftest import TESTDATA_MOUNT
from test_vmm import POWEROFF, boot_args, booted, run_vmm

DISK_MIB = 64


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
