"""Issue 17: the web client in a real browser against the appliance.

Debian's Chromium, headless, driven by playwright-core (pinned in
web/package-lock.json; tests/web/browser.py) reaches corral-web through
QEMU's forward of the appliance's port 443 (Machine.https_port): log in
(a wrong password refused, the right one accepted), create a VM from the
test kernel and initramfs with the wizard, start it, see its marker in the
in-browser serial console, type into it, stop and delete it; upload an ISO
and see it listed.  Screenshots of each page go to out/test-screens/web-
appliance-*.png.  Every API route refuses a request without a session.

The test sets a root password for the web login and puts the appliance's
/etc/shadow back afterwards (the appliance is shared with other tests).
The same flows run against a stand-in server in tests/web/test_pages.py.
"""

import json
import os
import ssl
import sys
import time
import urllib.error
import urllib.request

import pytest

from conftest import TESTDATA_MOUNT, wait_for
from test_corrald import ensure_corrald

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "web"))
import browser  # noqa: E402
import flows  # noqa: E402

PASSWORD = "web-test-Pw1"
KERNEL = TESTDATA_MOUNT + "/vmlinuz"
INITRD = TESTDATA_MOUNT + "/initrd.img"

pytestmark = pytest.mark.skipif(browser.missing() is not None, reason=browser.missing() or "")

INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE    # the appliance's self-signed certificate


def http(url, method="GET", data=None, headers=None):
    """(status, body) of one HTTPS request, errors included."""
    req = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, context=INSECURE, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


@pytest.fixture(scope="module")
def web(appliance_pool):
    """(machine, base URL) with corral-web answering and a root password."""
    m = appliance_pool.get()
    if m.sh("command -v corral-web")[0] != 0:
        pytest.skip("this appliance has no corral-web (the server branch is not in this build)")
    ensure_corrald(m)
    m.out("cp -p /etc/shadow /tmp/shadow.before-web && echo 'root:%s' | chpasswd" % PASSWORD)
    url = "https://127.0.0.1:%d/" % m.https_port
    try:
        if not wait_for(lambda: http(url)[0] == 200, 120):
            pytest.fail("corral-web does not answer on 443: %s" % m.out("ps; tail -n 20 /var/log/messages"))
        yield m, url
    finally:
        m.sh("cp -p /tmp/shadow.before-web /etc/shadow")


@pytest.fixture(scope="module")
def b(tmp_path_factory):
    br = browser.Browser(str(tmp_path_factory.mktemp("browser") / "browser.log"))
    yield br
    br.close()


def login_cookie(url):
    """The session cookie and CSRF token of an API login."""
    req = urllib.request.Request(url + "api/login", method="POST", data=json.dumps({"password": PASSWORD}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, context=INSECURE, timeout=30) as r:
        cookie = r.headers["Set-Cookie"].split(";")[0]
        return cookie, json.loads(r.read())["csrf"]


API_ROUTES = [("GET", "api/session"), ("GET", "api/cmd/vm.list"), ("GET", "api/cmd/host.info"),
              ("GET", "api/host/history"), ("GET", "api/logs?q=x"), ("POST", "api/cmd/vm.start"),
              ("POST", "api/cmd/vm.create"), ("POST", "api/cmd/image.delete"),
              ("PUT", "api/images/x.iso"), ("POST", "api/logout"), ("GET", "ws/console/x"),
              ("GET", "ws/vnc/x")]


def test_every_api_route_refuses_without_a_session(web):
    """401/403 without a session.  A route this corral-web does not have
    at all (404 with a session too) is no leak; it is listed, and the page
    that needs it shows the error."""
    _, url = web
    cookie, csrf = login_cookie(url)
    missing = []
    for method, path in API_ROUTES:
        body = b"{}" if method != "GET" else None
        status, reply = http(url + path, method, body, {"Content-Type": "application/json"})
        if status == 404:
            with_session, _ = http(url + path, method, body, {"Content-Type": "application/json",
                                                             "Cookie": cookie, "X-CSRF-Token": csrf})
            if with_session == 404:
                missing.append("%s /%s" % (method, path))
                continue
        assert status in (401, 403), "%s /%s answered %s without a session: %r" % (method, path, status, reply[:200])
    if missing:
        print("routes this corral-web does not have (yet): %s" % ", ".join(missing))


def test_login_refuses_a_wrong_password_and_takes_the_right_one(web, b):
    _, url = web
    error = flows.login(b, url, "not-" + PASSWORD)
    assert error and "Wrong password" in error, error
    flows.screenshot(b, "appliance-login-refused")
    assert flows.login(b, url, PASSWORD) is None
    flows.go(b, url, "host")
    facts = b.do("wait", selector="#host-info dl")
    assert "KVM" in facts and "yes" in facts, facts
    flows.screenshot(b, "appliance-host")


def test_vm_from_kernel_console_typing_stop_delete(web, b):
    m, url = web
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


def needs_route(url, method, path):
    """Skips the test when this corral-web has no such route at all."""
    cookie, csrf = login_cookie(url)
    status, _ = http(url + path, method, b"" if method != "GET" else None,
                     {"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Length": "0"})
    if status == 404:
        pytest.skip("this corral-web has no %s /%s yet" % (method, path))


def test_upload_an_iso_and_see_it_listed(web, b, tmp_path):
    m, url = web
    needs_route(url, "GET", "api/cmd/image.list")
    needs_route(url, "PUT", "api/images/.invalid-name")   # 400 where the route exists
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


def test_logs_page_finds_the_login(web, b):
    _, url = web
    needs_route(url, "GET", "api/logs?lines=1")
    assert "root logged in" in flows.search_logs(b, url, "logged in")
    flows.screenshot(b, "appliance-logs")
