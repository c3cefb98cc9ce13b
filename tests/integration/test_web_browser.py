"""Issue 17: the web client in a real browser against the appliance.

Debian's Chromium, headless, driven by playwright-core (pinned in
web/package-lock.json; tests/web/browser.py) reaches corral-web through
QEMU's forward of the appliance's port 443 (Machine.https_port): log in
(a wrong password refused, the right one accepted), create a VM from the
test kernel and initramfs with the wizard, start it, see its marker in the
in-browser serial console, type into it, stop and delete it; see a VM's
screen (noVNC) and type on its keyboard; upload an ISO and see it listed; search the system log.  Screenshots of each page go to
out/test-screens/web-appliance-*.png.

The appliance, its root password (put back afterwards) and corral-web are
test_web.py's `web` fixture, whose tests cover the API itself (every route
refused without a session among them).
The same flows run against a stand-in server in tests/web/test_pages.py.
"""

import os
import sys

import pytest

from conftest import TESTDATA_MOUNT, wait_for
from test_web import PASSWORD, web  # noqa: F401 (the fixture: corral-web answering, a root password)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web"))
import browser  # noqa: E402
import flows  # noqa: E402

KERNEL = TESTDATA_MOUNT + "/vmlinuz"
INITRD = TESTDATA_MOUNT + "/initrd.img"

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")


@pytest.fixture(scope="module")
def site(web):  # noqa: F811
    """(machine, the web client's URL)."""
    m, _ = web
    return m, "https://127.0.0.1:%d/" % m.https_port


@pytest.fixture(scope="module")
def b(tmp_path_factory, site):
    """A browser logged in to the appliance (each test may run alone)."""
    br = browser.Browser(str(tmp_path_factory.mktemp("browser") / "browser.log"))
    assert flows.login(br, site[1], PASSWORD) is None
    yield br
    br.close()


def test_login_refuses_a_wrong_password_and_takes_the_right_one(site, b):
    b.do("click", selector="#logout")
    b.do("wait", selector="#password")
    _, url = site
    error = flows.login(b, url, "not-" + PASSWORD)
    assert error and "Wrong password" in error, error
    flows.screenshot(b, "appliance-login-refused")
    assert flows.login(b, url, PASSWORD) is None
    flows.go(b, url, "host")
    facts = b.do("wait", selector="#host-info dl")
    assert "KVM" in facts and "yes" in facts, facts
    flows.screenshot(b, "appliance-host")


def test_vm_from_kernel_console_typing_stop_delete(site, b):
    m, url = site
    name = "webui1"
    m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))
    try:
        info = flows.create_vm(b, url, name, KERNEL, INITRD, "quiet corral.scenario=serial-echo")
        assert "stopped" in info and KERNEL in info, info
        flows.go(b, url, "vms")
        flows.wait_vm_state(b, name, "stopped")
        flows.vm_action(b, url, name, "start", confirmed=False)
        # Attach at once: the guest prints its marker a few seconds later.
        flows.open_console(b, url, name)
        flows.wait_console(b, "GUEST-READY", timeout=300)
        b.do("click", selector="#terminal")
        b.do("type", text="typed-in-the-browser\r", delay=50)
        flows.wait_console(b, "GUEST-TYPED typed-in-the-browser", timeout=120)
        flows.screenshot(b, "appliance-console")
        flows.go(b, url, "vm/" + name)
        b.do("wait", selector="#vm-log", text="GUEST-TYPED", timeout=60000)
        flows.screenshot(b, "appliance-vm")
        flows.go(b, url, "vms")
        flows.screenshot(b, "appliance-vms")
        flows.vm_action(b, url, name, "stop")
        flows.wait_vm_state(b, name, "stopped", timeout=240)
        flows.vm_action(b, url, name, "delete")
        b.do("waitgone", selector='#vm-list tr[data-vm="%s"]' % name, timeout=60000)
        assert m.sh("corral vm show %s" % name)[0] != 0, "the VM is still defined"
    finally:
        m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))


def test_screen_of_a_vm_with_a_display(site, b):
    """noVNC over /ws/vnc: the guest draws a text console on bochs-drm."""
    m, url = site
    name = "webui2"
    m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))
    try:
        flows.create_vm(b, url, name, KERNEL, INITRD, "quiet corral.scenario=screen-echo", display="std")
        flows.vm_action(b, url, name, "start", confirmed=False)
        flows.wait_vm_state(b, name, "running", timeout=60)
        width, height = flows.screen_size(b, url, name)
        assert width >= 640 and height >= 400, (width, height)
        log = "corral vm log %s | grep -c '%%s'" % name
        assert wait_for(lambda: m.sh(log % "GUEST-WAITING")[0] == 0, 300), m.out("corral vm log " + name)
        # Typed on the screen's keyboard: the guest reads it on tty1 and
        # prints it on its serial console.
        b.do("click", selector="#screen canvas")
        b.do("type", text="vnc-typed\n", delay=80)
        assert wait_for(lambda: m.sh(log % "GUEST-TYPED vnc-typed")[0] == 0, 120), m.out("corral vm log " + name)
        flows.screenshot(b, "appliance-screen")
        # The scenario powers the guest off once it has the line.
        flows.go(b, url, "vms")
        flows.wait_vm_state(b, name, "stopped", timeout=120)
    finally:
        m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))


def test_upload_an_iso_and_see_it_listed(site, b, tmp_path):
    m, url = site
    iso = tmp_path / "webui-upload.iso"
    iso.write_bytes(os.urandom(4 << 20))
    try:
        assert "uploaded" in flows.upload(b, url, str(iso), "webui-upload.iso")
        row = b.do("wait", selector='#image-list tr[data-image="webui-upload.iso"]')
        assert "4.0 MiB" in row, row
        flows.screenshot(b, "appliance-images")
        b.do("click", selector='#image-list tr[data-image="webui-upload.iso"] button')
        flows.confirm(b)
        b.do("waitgone", selector='#image-list tr[data-image="webui-upload.iso"]', timeout=60000)
    finally:
        m.sh("rm -f /var/lib/corral/images/webui-upload.iso")


def test_logs_page_finds_the_login(site, b):
    _, url = site
    assert "root logged in" in flows.search_logs(b, url, "logged in")
    flows.screenshot(b, "appliance-logs")
