"""Shared fixtures for the integration tests.

`appliance` is one booted Corral (the ISO as a CD, SeaBIOS, 3 GiB, 2 vCPUs
on KVM and 1 under TCG (see qemu.default_cpus), a NIC on QEMU's restricted
user network with SSH forwarded to loopback, and a test-data disk labelled
CORRAL-TEST mounted at /mnt/test).  It is shared
by every test that does not change the appliance's state; tests that
install, reboot or break things boot their own `Machine`.

The test-data disk carries the guest kernel (the one the ISO ships) and a
guest initramfs made here from the ISO's own BusyBox and modules (see
guest.py), so guests under corral-vmm need nothing from outside.
"""

import os
import subprocess
import time

import pytest

import guest
from qemu import DEBIAN_QEMU, OUT, ConsoleTimeout, Machine

TESTDATA_MOUNT = "/mnt/test"


@pytest.fixture(scope="session")
def testdata_image(tmp_path_factory):
    """An ext4 image labelled CORRAL-TEST with the guest kernel and initramfs."""
    work = tmp_path_factory.mktemp("testdata")
    content = work / "content"
    content.mkdir()
    guest.populate(str(content))
    image = work / "testdata.img"
    subprocess.run(["mke2fs", "-q", "-t", "ext4", "-L", "CORRAL-TEST", "-d", str(content),
                    str(image), "512M"], check=True)
    return str(image)


def boot_appliance(name, testdata_image, qemu=DEBIAN_QEMU):
    """An appliance booted to its shell with the test-data disk mounted."""
    m = Machine(name, firmware="bios", media="cd", memory_mib=3072,
                disks=[testdata_image], qemu=qemu)
    m.start()
    try:
        m.wait_ready()
        m.out("mkdir -p %s && mount -t ext4 $(findfs LABEL=CORRAL-TEST) %s"
              % (TESTDATA_MOUNT, TESTDATA_MOUNT))
        # The tests' time limit for a VMM, as a command (guest.VMM_TIMEOUT_SCRIPT).
        m.out("install -m 755 %s/%s /usr/bin/vmm-timeout"
              % (TESTDATA_MOUNT, guest.VMM_TIMEOUT_SCRIPT))
    except BaseException:
        m.stop()
        raise
    return m


class AppliancePool:
    """The shared appliance, booted on first use.  Nested KVM under TCG can
    wedge the appliance's own kernel (both its CPUs busy, no panic, no
    output); when it stops answering, the test that was using it fails as it
    should, and the next test gets a freshly booted appliance instead of
    failing in its turn."""

    def __init__(self, testdata_image, name="appliance", qemu=DEBIAN_QEMU):
        self.testdata_image = testdata_image
        self.name = name
        self.qemu = qemu
        self.machine = None
        self.boots = 0

    def _boot(self):
        self.boots += 1
        name = self.name if self.boots == 1 else "%s-%d" % (self.name, self.boots)
        self.machine = boot_appliance(name, self.testdata_image, self.qemu)

    def _answers(self):
        try:
            return self.machine.sh("true", timeout=90)[0] == 0
        except ConsoleTimeout:
            return False

    def get(self):
        if self.machine is not None and not self._answers():
            print("\n[appliance] stopped answering on its console (log: %s); "
                  "booting a fresh one for the next tests" % self.machine.log_path)
            self.machine.stop()
            self.machine = None
        if self.machine is None:
            self._boot()
        return self.machine

    def stop(self):
        if self.machine is not None:
            self.machine.stop()


@pytest.fixture(scope="session")
def appliance_pool(testdata_image):
    pool = AppliancePool(testdata_image)
    yield pool
    pool.stop()


@pytest.fixture
def appliance(appliance_pool):
    return appliance_pool.get()


@pytest.fixture(scope="session")
def ssh_key(tmp_path_factory):
    d = tmp_path_factory.mktemp("ssh")
    key = d / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return str(key)


def wait_for(predicate, timeout, interval=1.0):
    """Poll predicate() until it returns a true value or timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def copy_of_testdata(testdata_image, name):
    """A private copy of the test-data disk, for a machine that runs beside
    the shared appliance: QEMU locks an image against a second writer."""
    copy = "%s.%s" % (testdata_image, name)
    subprocess.run(["cp", "--sparse=always", testdata_image, copy], check=True)
    return copy


def scratch_disk(tmp_path, name="disk.img", size="20G"):
    path = os.path.join(str(tmp_path), name)
    subprocess.run(["truncate", "-s", size, path], check=True)
    return path


__all__ = ["OUT", "Machine", "TESTDATA_MOUNT", "wait_for", "scratch_disk", "copy_of_testdata"]
