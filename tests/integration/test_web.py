"""Issue 17: corral-web, the web client's server, in the appliance, through
QEMU's forward of its port 443 (Machine.https_port), with Python's
http.client and ssl only.

Log in with a wrong password (refused) and the right one; every API route
(the list comes from the server's one table: `corral-web --routes`, the
static binary runs here too) refuses a request without a session; a change
without the CSRF token is refused; create, start, stop and delete a VM
through the API; two viewers of a VM's serial console over WebSockets see
the same output and either can type; upload an image (and an aborted upload leaves nothing);
the certificate the server presents is the one whose fingerprint the
console shows.

The test sets a root password for the login and puts the appliance's
/etc/shadow back afterwards (the appliance is shared with other tests).
"""

import base64
import hashlib
import http.client
import json
import os
import socket
import ssl
import struct
import subprocess
import time

import pytest

from conftest import TESTDATA_MOUNT, wait_for
from qemu import OUT
from test_corrald import ensure_corrald

PASSWORD = "web-api-Pw1"
KERNEL = TESTDATA_MOUNT + "/vmlinuz"
INITRD = TESTDATA_MOUNT + "/initrd.img"
CORRAL_WEB = os.path.join(OUT, "bin", "corral-web")

INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE  # self-signed: checked by fingerprint below


class Api:
    """One HTTPS client of the appliance's corral-web, with its session."""

    def __init__(self, port):
        self.port = port
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, csrf=True, cookie=True):
        conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=INSECURE, timeout=60)
        h = dict(headers or {})
        if cookie and self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            try:
                parsed = json.loads(data) if data else None
            except ValueError:
                parsed = None
            return r.status, parsed, r
        finally:
            conn.close()

    def login(self, password):
        status, body, r = self.request("POST", "/api/login", {"password": password},
                                       csrf=False, cookie=False)
        if status == 200:
            self.cookie = r.getheader("Set-Cookie").split(";")[0]
            self.csrf = body["csrf"]
        return status, body, r

    def cmd(self, name, args=None):
        status, body, _ = self.request("POST", "/api/cmd/" + name, args or {})
        return status, body


@pytest.fixture(scope="module")
def web(appliance_pool):
    """(machine, Api) with corral-web answering and a root password set."""
    m = appliance_pool.get()
    if m.sh("command -v corral-web")[0] != 0:
        pytest.fail("the appliance has no corral-web")
    ensure_corrald(m)
    m.out("cp -p /etc/shadow /tmp/shadow.before-web-api && echo 'root:%s' | chpasswd" % PASSWORD)
    api = Api(m.https_port)

    def answers():
        try:
            return api.request("GET", "/api/session")[0] == 401
        except (OSError, http.client.HTTPException):
            return False
    try:
        if not wait_for(answers, 180):
            pytest.fail("corral-web does not answer on 443:\n%s"
                        % m.out("ps; logread | grep corral-web | tail -20"))
        yield m, api
    finally:
        m.sh("cp -p /tmp/shadow.before-web-api /etc/shadow")


def test_certificate_is_the_one_the_console_shows(web):
    m, _ = web
    with socket.create_connection(("127.0.0.1", m.https_port), timeout=30) as raw:
        with INSECURE.wrap_socket(raw) as tls:
            der = tls.getpeercert(binary_form=True)
    seen = hashlib.sha256(der).hexdigest().upper()
    seen = ":".join(seen[i:i + 2] for i in range(0, len(seen), 2))
    shown = m.out("cat /var/lib/corral/web/fingerprint").strip()
    assert shown == seen, (shown, seen)
    # the console's banner and home screen read that file (console-ui ui_home.c)
    assert m.sh("grep -q 'BEGIN CERTIFICATE' /var/lib/corral/web/cert.pem")[0] == 0
    assert m.out("stat -c %a /var/lib/corral/web/key.pem").strip() == "600"


def test_plain_http_on_port_80_redirects_to_https(web):
    """Port 80 only redirects: a 301 to the same path on https at the host
    the browser named, and never the API's answers in clear text."""
    m, _ = web
    request = r"GET /vms/web1?tab=log HTTP/1.0\r\nHost: corral.example:80\r\n\r\n"
    lines = m.out("printf '%s' | nc 127.0.0.1 80" % request).replace("\r", "").split("\n")
    assert lines[0].startswith("HTTP/1.1 301"), lines
    assert "Location: https://corral.example/vms/web1?tab=log" in lines, lines
    api = m.out(r"printf 'GET /api/cmd/vm.list HTTP/1.0\r\n\r\n' | nc 127.0.0.1 80")
    assert api.startswith("HTTP/1.1 301") and '"ok"' not in api, api


def test_login_wrong_then_right(web):
    m, api = web
    anon = Api(api.port)
    status, body, _ = anon.login("not-" + PASSWORD)
    assert status == 401 and body["error"]["code"] == "denied", body
    status, body, _ = anon.request("POST", "/api/login", b"{not json", csrf=False)
    assert status == 400, body
    # rate limiting: the fifth failure in a row makes the next try wait
    for _ in range(4):
        assert anon.login("not-" + PASSWORD)[0] == 401
    status, body, r = anon.login(PASSWORD)
    assert status == 429 and body["error"]["code"] == "rate-limited", body
    wait = int(r.getheader("Retry-After"))
    assert 0 < wait <= 5, wait
    time.sleep(wait + 1)
    status, body, r = api.login(PASSWORD)
    assert status == 200 and body["user"] == "root" and len(body["csrf"]) == 64, body
    cookie = r.getheader("Set-Cookie")
    for attr in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/", "Max-Age="):
        assert attr in cookie, cookie
    status, body, _ = api.request("GET", "/api/session")
    assert status == 200 and body["csrf"] == api.csrf, body
    assert "corral-web" in m.out("logread | grep 'login from' | tail -5")


def test_every_route_refuses_without_a_session(web):
    _, api = web
    routes = subprocess.run([CORRAL_WEB, "--routes"], check=True, capture_output=True,
                            text=True).stdout.split("\n")
    routes = [r.split(" ", 1) for r in routes if r]
    assert len(routes) > 20, routes
    anon = Api(api.port)
    for method, path in routes:
        if path == "/api/login":
            continue
        status, body, _ = anon.request(method, path.replace("/X", "/x"),
                                       b"{}" if method != "GET" else None)
        assert status == 401, "%s %s answered %s without a session: %r" % (method, path, status, body)
    # a forged session id is no session either
    anon.cookie = "corral_session=" + "0" * 64
    assert anon.request("GET", "/api/cmd/vm.list")[0] == 401


def test_changes_need_the_csrf_token(web):
    _, api = web
    if not api.cookie:
        api.login(PASSWORD)
    status, body, _ = api.request("POST", "/api/cmd/vm.start", {"name": "x"}, csrf=False)
    assert status == 403 and body["error"]["code"] == "csrf", body
    status, body, _ = api.request("POST", "/api/cmd/vm.start", {"name": "x"},
                                  headers={"X-CSRF-Token": "f" * 64}, csrf=False)
    assert status == 403, body
    status, body, _ = api.request("GET", "/api/cmd/vm.start?name=x")
    assert status == 405, body
    status, body, _ = api.request("POST", "/api/cmd/vm.show", b"x" * 70000)
    assert status == 413, body


def wait_state(api, name, state, timeout):
    def reached():
        status, body = api.cmd("vm.show", {"name": name})
        return status == 200 and body["data"]["state"] == state
    assert wait_for(reached, timeout, 2), api.cmd("vm.show", {"name": name})


def test_vm_create_start_stop_delete(web):
    m, api = web
    if not api.cookie:
        api.login(PASSWORD)
    name = "webapi1"
    m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))
    try:
        status, body = api.cmd("vm.create", {"name": name, "config": [
            "memory=256M", "kernel=" + KERNEL, "initrd=" + INITRD,
            "cmdline=quiet corral.scenario=vmm-wait"]})
        assert status == 200 and body["data"]["state"] == "stopped", body
        status, body = api.cmd("vm.create", {"name": name, "config": []})
        assert status == 409 and body["error"]["code"] == "exists", body
        status, body = api.cmd("vm.start", {"name": name})
        assert status == 200, body
        wait_state(api, name, "running", 120)

        def guest_up():
            status, body, _ = api.request("GET", "/api/cmd/vm.log?name=%s&bytes=65536" % name)
            return status == 200 and "GUEST-WAITING" in body["data"]["log"]
        assert wait_for(guest_up, 300, 3), m.out("corral vm log %s | tail -20" % name)
        status, body, _ = api.request("GET", "/api/cmd/vm.list")
        assert any(v["name"] == name and v["state"] == "running" for v in body["data"]["vms"])
        status, body = api.cmd("vm.stop", {"name": name})
        assert status == 200, body
        wait_state(api, name, "stopped", 240)
        status, body = api.cmd("vm.delete", {"name": name, "delete_disks": True})
        assert status == 200, body
        status, body, _ = api.request("GET", "/api/cmd/vm.show?name=" + name)
        assert status == 404, body
        assert "vm.start from" in m.out("logread | grep corral-web | tail -40")
    finally:
        m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))


class Viewer:
    """A WebSocket client of /ws/console/<vm> (RFC 6455, just enough)."""

    def __init__(self, api, path):
        raw = socket.create_connection(("127.0.0.1", api.port), timeout=60)
        self.tls = INSECURE.wrap_socket(raw)
        key = base64.b64encode(os.urandom(16)).decode()
        origin = "https://127.0.0.1:%d" % api.port
        self.tls.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: %s\r\n"
                          "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                          "Cookie: %s\r\n\r\n" % (path, api.port, origin, key, api.cookie)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.tls.recv(4096)
            assert chunk, "the server closed the upgrade: %r" % self.buf
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.text = b""

    def _frame(self):
        """One whole frame from buf, or None."""
        b = self.buf
        if len(b) < 2:
            return None
        n, at = b[1] & 0x7f, 2
        if n == 126:
            if len(b) < 4:
                return None
            n, at = struct.unpack(">H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, at = struct.unpack(">Q", b[2:10])[0], 10
        if len(b) < at + n:
            return None
        self.buf = b[at + n:]
        return b[0] & 0x0f, b[at:at + n]

    def wait_for(self, marker, timeout):
        deadline = time.monotonic() + timeout
        while marker.encode() not in self.text:
            frame = self._frame()
            if frame:
                opcode, payload = frame
                assert opcode != 8, "closed: %r (seen: %r)" % (payload, self.text[-500:])
                self.text += payload
                continue
            assert time.monotonic() < deadline, "no %r in %r" % (marker, self.text[-500:])
            self.tls.settimeout(max(1, deadline - time.monotonic()))
            try:
                chunk = self.tls.recv(65536)
            except socket.timeout:
                continue
            assert chunk, "the server closed: %r" % self.text[-500:]
            self.buf += chunk

    def send(self, data):
        mask = os.urandom(4)
        masked = bytes(c ^ mask[i % 4] for i, c in enumerate(data))
        self.tls.sendall(bytes([0x82, 0x80 | len(data)]) + mask + masked)

    def close(self):
        self.tls.close()


def test_console_viewers_share_the_output(web):
    m, api = web
    if not api.cookie:
        api.login(PASSWORD)
    name = "webapi2"
    m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))
    viewers = []
    try:
        status, body = api.cmd("vm.create", {"name": name, "config": [
            "memory=256M", "kernel=" + KERNEL, "initrd=" + INITRD,
            "cmdline=quiet corral.scenario=serial-echo"]})
        assert status == 200, body
        assert api.cmd("vm.start", {"name": name})[0] == 200
        # attach at once: the guest prints its marker seconds later
        viewers = [Viewer(api, "/ws/console/" + name) for _ in range(2)]
        for v in viewers:
            v.wait_for("GUEST-READY", 300)
        viewers[0].send(b"typed-in-one-viewer\r")
        for v in viewers:
            v.wait_for("GUEST-TYPED typed-in-one-viewer", 120)
        # another site's page cannot open it with the cookie
        raw = socket.create_connection(("127.0.0.1", api.port), timeout=30)
        tls = INSECURE.wrap_socket(raw)
        tls.sendall(("GET /ws/console/%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     "Origin: https://evil.example\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                     "Sec-WebSocket-Version: 13\r\nCookie: %s\r\n\r\n"
                     % (name, api.port, base64.b64encode(os.urandom(16)).decode(),
                        api.cookie)).encode())
        try:
            answer = tls.recv(4096)
        except OSError:  # closed without an answer: refused too
            answer = b""
        assert not answer.startswith(b"HTTP/1.1 101"), answer
        tls.close()
    finally:
        for v in viewers:
            v.close()
        m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))


def test_screen_over_websocket_speaks_rfb(web):
    m, api = web
    if not api.cookie:
        api.login(PASSWORD)
    name = "webapi3"
    m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))
    try:
        status, body = api.cmd("vm.create", {"name": name, "config": [
            "memory=256M", "kernel=" + KERNEL, "initrd=" + INITRD, "display=std",
            "cmdline=quiet corral.scenario=vmm-wait"]})
        assert status == 200, body
        assert api.cmd("vm.start", {"name": name})[0] == 200
        # At once, as a user clicking "Screen" right after "Start": the VMM
        # makes its RFB socket seconds after corrald reports running, and
        # the bridge waits for it (corrald's not-ready) rather than closing.
        screen = Viewer(api, "/ws/vnc/" + name)
        try:
            screen.wait_for("RFB 003.008", 60)  # the VMM's RFB greeting, through corrald's fd
        finally:
            screen.close()
    finally:
        m.sh("corral vm kill %s --wait; corral vm delete %s --yes --delete-disks" % (name, name))


def test_upload_an_image_and_an_aborted_one(web):
    m, api = web
    if not api.cookie:
        api.login(PASSWORD)
    data = os.urandom(3 << 20)
    name = "webapi-upload.iso"
    m.sh("rm -f /var/lib/corral/images/%s*" % name)
    try:
        status, body, _ = api.request("PUT", "/api/images/" + name, data)
        assert status == 200 and body["data"]["size_bytes"] == len(data), body
        status, body, _ = api.request("GET", "/api/cmd/image.list")
        listed = {i["name"]: i for i in body["data"]["images"]}
        assert listed[name]["size_bytes"] == len(data) and listed[name]["kind"] == "iso", listed
        digest = m.out("sha256sum /var/lib/corral/images/%s" % name).split()[0]
        assert digest == hashlib.sha256(data).hexdigest()
        status, body, _ = api.request("PUT", "/api/images/" + name, data)
        assert status == 409, body
        # civetweb decodes and folds the path before routing: this one is
        # no API path any more, and its PUT on static files is refused
        status, body, _ = api.request("PUT", "/api/images/..%2f..%2fetc%2fpasswd", data)
        assert status in (400, 401, 404), body
        status, body, _ = api.request("PUT", "/api/images/.hidden", data)
        assert status == 400 and body["error"]["code"] == "invalid", body
        assert m.out("ls -a /var/lib/corral/images/").split().count(name) == 1
        # aborted half way: nothing under the name, no temporary file left
        raw = socket.create_connection(("127.0.0.1", m.https_port), timeout=30)
        tls = INSECURE.wrap_socket(raw)
        tls.sendall(("PUT /api/images/webapi-half.iso HTTP/1.1\r\nHost: x\r\nCookie: %s\r\n"
                     "X-CSRF-Token: %s\r\nContent-Length: %d\r\n\r\n"
                     % (api.cookie, api.csrf, 8 << 20)).encode() + data[:1 << 20])
        time.sleep(2)
        tls.close()
        assert wait_for(lambda: m.out("ls /var/lib/corral/images/").find("webapi-half") < 0, 30), \
            m.out("ls -la /var/lib/corral/images/")
        status, body = api.cmd("image.delete", {"name": name})
        assert status == 200, body
        # import: the CLI's code, run by the server; a wrong checksum keeps nothing
        status, body = api.cmd("image.import", {"url": "http://127.0.0.1:1/x.iso",
                                                "sha256": "0" * 64, "name": "webapi-imp.iso"})
        assert status >= 400 and body["ok"] is False, body
        status, body = api.cmd("image.import", {"url": "file:///etc/shadow", "sha256": "0" * 64})
        assert status == 400 and body["error"]["code"] == "invalid", body
        assert "webapi-imp" not in m.out("ls -a /var/lib/corral/images/")
    finally:
        m.sh("rm -f /var/lib/corral/images/webapi-*")


def test_history_and_logs(web):
    _, api = web
    if not api.cookie:
        api.login(PASSWORD)
    status, body, _ = api.request("GET", "/api/host/history")
    assert status == 200 and body["interval_s"] == 10 and body["samples"], body
    s = body["samples"][-1]
    assert s["mem_total"] > s["mem_used"] > 0 and s["storage_total"] > 0, s
    status, body, _ = api.request("GET", "/api/logs?q=corral-web&lines=5")
    assert status == 200 and 0 < len(body["lines"]) <= 5, body
    assert all("corral-web" in line for line in body["lines"]), body


def test_a_stuck_corrald_gets_a_502_in_bounded_time(web):
    """Issue 18: corral-web gives up on a corrald that does not answer (here
    stopped by SIGSTOP) after 30 s with the reason, as the CLI does, and
    answers again once corrald does."""
    m, api = web
    if not api.cookie:
        api.login(PASSWORD)
    pid = int(m.out("cat /run/corral/corrald.pid").strip().splitlines()[-1])
    m.out("kill -STOP %d" % pid)
    try:
        start = time.monotonic()
        status, body = api.cmd("vm.list")
        took = time.monotonic() - start
    finally:
        m.out("kill -CONT %d" % pid)
    assert status == 502 and body["error"]["code"] == "io-error", body
    assert body["error"]["message"].startswith("corrald did not answer in 30 s"), body
    assert 29 <= took <= 50, took
    assert api.cmd("vm.list")[0] == 200
