"""A stand-in for corral-web, for developing and testing the pages without
an appliance: it speaks the web API contract (docs/web-api.md; the
brief's web-api-contract) over HTTPS with a self-signed certificate, and
keeps a small in-memory host (VMs, images, a console that prints a marker
and echoes what is typed).  It is not the product: the browser tests also
run against the real corral-web in the appliance (tests/integration/
test_web_browser.py).

    python3 standin.py --root DIR [--port N] [--password PW] [--vms N]
"""

import argparse
import base64
import hashlib
import json
import os
import re
import secrets
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

MARKER = "CORRAL-STANDIN-CONSOLE-READY"
IMAGES = "/var/lib/corral/images"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
         ".png": "image/png", ".svg": "image/svg+xml", ".json": "application/json"}
ERROR_STATUS = {"not-found": 404, "exists": 409, "wrong-state": 409, "invalid": 400,
                "unknown-command": 404, "bad-request": 400}


class Fail(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class Host:
    """The in-memory host: what corrald and the image directory would hold."""

    def __init__(self, vm_count=0):
        self.lock = threading.Lock()
        self.vms = {}
        self.images = {"vmlinuz": 9 << 20, "initrd.img": 3 << 20}
        self.consoles = {}        # name -> list of bytes chunks (the log)
        self.viewers = {}         # name -> set of sockets
        self.screens = {}         # name -> set of sockets (RFB)
        self.started = time.time()
        for i in range(vm_count):
            self.create({"name": "vm%02d" % i, "config": ["memory=256M", "kernel=/var/lib/corral/images/vmlinuz"]})

    def vm_summary(self, vm):
        running = vm["state"] in ("running", "paused")
        return {k: vm[k] for k in ("name", "state", "memory_mib", "cpus", "autostart", "restart", "display")} | {
            "pid": 4242 if running else None, "started_at": int(vm["started_at"]) if running else 0,
            "uptime_s": int(time.time() - vm["started_at"]) if running else 0, "restarts": 0,
            "last_stop": vm["last_stop"]}

    def vm(self, args):
        name = args.get("name")
        if name not in self.vms:
            raise Fail("not-found", "no VM called '%s'" % name)
        return self.vms[name]

    def apply(self, vm, config):
        d = vm["definition"]
        lists = {}
        for item in config:
            if "=" not in item:
                raise Fail("invalid", "config: '%s' is not KEY=VALUE" % item)
            key, value = item.split("=", 1)
            if key == "memory":
                m = re.fullmatch(r"(\d+)([MG]?)", value)
                if not m or int(m.group(1)) * (1024 if m.group(2) == "G" else 1) < 16:
                    raise Fail("invalid", "memory: '%s' is not a size of at least 16 MiB" % value)
                vm["memory_mib"] = int(m.group(1)) * (1024 if m.group(2) == "G" else 1)
            elif key == "cpus":
                if not value.isdigit() or not 1 <= int(value) <= 64:
                    raise Fail("invalid", "cpus: '%s' is not 1 to 64" % value)
                vm["cpus"] = int(value)
            elif key == "autostart":
                vm["autostart"] = value == "yes"
            elif key == "restart":
                vm["restart"] = value
            elif key in ("disk", "nic", "cdrom"):
                lists.setdefault(key, []).append(value)
            elif key in ("kernel", "initrd", "cmdline", "boot", "display", "stop_timeout", "firmware"):
                d[key] = value
            else:
                raise Fail("invalid", "%s: unknown key" % key)
        for key, values in lists.items():
            if key == "disk":
                d["disks"] = [{"path": v.split(",")[0], "readonly": ",ro" in v, "bus": "sata" if "bus=sata" in v else "virtio"} for v in values]
            elif key == "nic":
                d["nics"] = [{"bridge": re.search(r"bridge=([^,]*)", v).group(1) if "bridge=" in v else "br0",
                              "mac": "52:54:00:00:00:%02x" % i, "tap": "", "model": "e1000" if "e1000" in v else "virtio"}
                             for i, v in enumerate(values)]
            else:
                d["cdroms"] = [{"path": v, "empty": v == "none"} for v in values]
        vm["display"] = d.get("display", "std" if d.get("boot") == "firmware" else "none") == "std"

    def create(self, args):
        name = args.get("name", "")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9-]{0,31}", name):
            raise Fail("invalid", "name: '%s' is not 1-32 letters, digits or -" % name)
        if name in self.vms:
            raise Fail("exists", "a VM called '%s' exists already" % name)
        vm = {"name": name, "state": "stopped", "memory_mib": 256, "cpus": 1, "autostart": False,
              "restart": "on-failure", "display": False, "started_at": 0, "last_stop": None,
              "definition": {"uuid": "00000000-0000-4000-8000-%012x" % len(self.vms), "boot": "kernel",
                             "kernel": "", "initrd": "", "cmdline": "", "disks": [], "cdroms": [],
                             "nics": [{"bridge": "br0", "mac": "52:54:00:00:00:01", "tap": "", "model": "virtio"}],
                             "display": "none", "stop_timeout": 60}}
        self.apply(vm, args.get("config", []))
        if vm["definition"].get("boot", "kernel") == "kernel" and not vm["definition"]["kernel"]:
            raise Fail("invalid", "kernel: missing (needed for boot = kernel)")
        if args.get("disk_size"):
            vm["definition"]["disks"].insert(0, {"path": "/var/lib/corral/vms/%s/root.img" % name,
                                                 "readonly": False, "bus": "virtio"})
        self.vms[name] = vm
        self.consoles[name] = []
        return self.show(vm)

    def show(self, vm):
        d = dict(vm["definition"])
        d["display"] = "std" if vm["display"] else "none"
        return self.vm_summary(vm) | {"definition": d}

    def state(self, vm, allowed, new, why):
        if vm["state"] not in allowed:
            raise Fail("wrong-state", "%s is %s: cannot %s" % (vm["name"], vm["state"], why))
        vm["state"] = new

    def start(self, vm):
        self.state(vm, ("stopped", "failed"), "running", "start it")
        vm["started_at"] = time.time()
        self.console_out(vm["name"], ("\r\nLinux version 6.1 (stand-in)\r\n%s\r\n# " % MARKER).encode())

    def stop(self, vm, end):
        self.state(vm, ("running", "paused", "stopping", "restarting"), "stopped", "stop it")
        vm["last_stop"] = {"reason": "stopped by request: guest powered off" if end == "poweroff" else "forced off",
                           "end": end, "code": 0, "at": int(time.time())}
        for s in list(self.viewers.get(vm["name"], ())) + list(self.screens.get(vm["name"], ())):
            ws_close(s)

    def console_out(self, name, data):
        self.consoles[name].append(data)
        for s in list(self.viewers.get(name, ())):
            try:
                ws_send(s, data)
            except OSError:
                self.viewers[name].discard(s)

    def command(self, cmd, args):
        with self.lock:
            return self._command(cmd, args)

    def _command(self, cmd, a):
        if cmd == "host.info":
            running = sum(v["state"] in ("running", "paused") for v in self.vms.values())
            return {"version": "0.1.0-standin", "hostname": "standin", "uptime_s": int(time.time() - self.started),
                    "cpus": 2, "cpu_model": "Stand-in CPU", "memory_total_mib": 4096, "memory_available_mib": 3000,
                    "memory_reserve_mib": 512, "memory_committed_mib": 256 * running,
                    "memory_free_for_vms_mib": 3000 - 512 - 256 * running, "kvm": True,
                    "vms": len(self.vms), "vms_running": running,
                    "addresses": [{"ifname": "br0", "address": "10.0.2.15/24"}]}
        if cmd == "vm.list":
            return {"vms": [self.vm_summary(self.vms[n]) for n in sorted(self.vms)]}
        if cmd == "vm.create":
            return self.create(a)
        if cmd == "image.list":
            return {"dir": IMAGES, "images": [{"name": n, "size_bytes": s, "kind": kind_of(n), "path": "%s/%s" % (IMAGES, n)}
                                              for n, s in sorted(self.images.items())]}
        if cmd == "image.delete":
            if a.get("name") not in self.images:
                raise Fail("not-found", "no image called '%s'" % a.get("name"))
            del self.images[a["name"]]
            return {"name": a["name"]}
        if cmd == "image.import":
            raise Fail("io-error", "the stand-in cannot fetch %s: no network here" % a.get("url"))
        if cmd in ("host.reboot", "host.shutdown"):
            raise Fail("unknown-command", "the stand-in does not %s" % cmd.split(".")[1])
        vm = self.vm(a)
        if cmd == "vm.show":
            return self.show(vm)
        if cmd == "vm.edit":
            self.apply(vm, a.get("config", []))
            return self.show(vm)
        if cmd == "vm.start":
            self.start(vm)
        elif cmd == "vm.stop":
            self.stop(vm, "poweroff")
        elif cmd == "vm.kill":
            self.stop(vm, "forced")
        elif cmd == "vm.pause":
            self.state(vm, ("running",), "paused", "pause it")
        elif cmd == "vm.resume":
            self.state(vm, ("paused",), "running", "resume it")
        elif cmd == "vm.restart":
            vm["state"] = "stopped"
            self.start(vm)
        elif cmd == "vm.delete":
            self.state(vm, ("stopped", "failed"), "stopped", "delete it (stop it first)")
            del self.vms[vm["name"]]
            return {"name": vm["name"], "deleted_files": ["/var/lib/corral/vms/%s/vm.conf" % vm["name"]]}
        elif cmd == "vm.log":
            text = b"".join(self.consoles[vm["name"]])[-int(a.get("bytes", 65536)):]
            return {"name": vm["name"], "path": "/var/lib/corral/vms/%s/console.log" % vm["name"],
                    "log": text.decode("utf-8", "replace")}
        else:
            raise Fail("unknown-command", "no command '%s'" % cmd)
        return self.show(vm)


def kind_of(name):
    return "iso" if name.endswith(".iso") else "kernel" if "vmlinuz" in name else \
        "initrd" if "initrd" in name else "disk"


def ws_send(sock, data, opcode=2):
    head = bytes([0x80 | opcode])
    n = len(data)
    head += bytes([n]) if n < 126 else bytes([126]) + struct.pack(">H", n) if n < 65536 else bytes([127]) + struct.pack(">Q", n)
    sock.sendall(head + data)


def ws_close(sock):
    try:
        ws_send(sock, b"\x03\xe8", opcode=8)
    except OSError:
        pass


def ws_frames(rfile):
    """Yields (opcode, payload) of the client's (masked) frames."""
    while True:
        head = rfile.read(2)
        if len(head) < 2:
            return
        opcode, n = head[0] & 0x0F, head[1] & 0x7F
        if n == 126:
            n = struct.unpack(">H", rfile.read(2))[0]
        elif n == 127:
            n = struct.unpack(">Q", rfile.read(8))[0]
        mask = rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(rfile.read(n)))
        yield opcode, data


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "corral-web-standin"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    # --- plumbing -----------------------------------------------------------
    def reply(self, status, body, headers=()):
        data = json.dumps(body).encode() if not isinstance(body, bytes) else body
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        if not isinstance(body, bytes):
            self.send_header("Content-Type", "application/json")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message, headers=()):
        self.reply(status, {"error": {"code": code, "message": message}}, headers)

    def session(self):
        cookie = self.headers.get("Cookie", "")
        m = re.search(r"corral_session=([A-Za-z0-9_-]+)", cookie)
        return self.server.sessions.get(m.group(1)) if m else None

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        if n > 1 << 20:
            raise Fail("too-large", "request body over 1 MiB")
        raw = self.rfile.read(n)
        try:
            return json.loads(raw or b"{}")
        except ValueError:
            raise Fail("bad-request", "the body is not JSON")

    def guarded(self, change):
        """The session's CSRF token, after checking session and token; None
        when the reply (401/403) has been sent."""
        s = self.session()
        if not s:
            self.error(401, "denied", "log in first")
            return None
        if change and self.headers.get("X-CSRF-Token") != s:
            self.error(403, "csrf", "missing or wrong X-CSRF-Token")
            return None
        return s

    # --- routes ---------------------------------------------------------------
    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/":
            return self.static("index.html")
        if url.path.startswith("/static/"):
            return self.static(url.path.lstrip("/"))
        if url.path == "/api/session":
            s = self.session()
            return self.reply(200, {"user": "root", "csrf": s}) if s else self.error(401, "denied", "not logged in")
        if url.path.startswith("/ws/console/"):
            return self.console(url.path[len("/ws/console/"):])
        if url.path.startswith("/ws/vnc/"):
            return self.screen(url.path[len("/ws/vnc/"):])
        if not self.guarded(False):
            return None
        if url.path == "/api/host/history":
            return self.reply(200, self.server.history())
        if url.path == "/api/logs":
            lines = [l for l in self.server.syslog if q.get("q", "") in l][-int(q.get("lines", "200")):]
            return self.reply(200, {"lines": lines})
        if url.path.startswith("/api/cmd/"):
            return self.run_command(url.path[len("/api/cmd/"):], q)
        return self.error(404, "not-found", "no such page")

    def do_POST(self):
        url = urlparse(self.path)
        try:
            body = self.body()
        except Fail as e:
            return self.error(400, e.code, str(e))
        if url.path == "/api/login":
            return self.login(body)
        if url.path == "/api/logout":
            self.server.sessions.pop(self.session() or "", None)
            return self.reply(200, {})
        if not self.guarded(True):
            return None
        if url.path.startswith("/api/cmd/"):
            return self.run_command(url.path[len("/api/cmd/"):], body)
        return self.error(404, "not-found", "no such route")

    def do_PUT(self):
        url = urlparse(self.path)
        if not url.path.startswith("/api/images/"):
            return self.error(404, "not-found", "no such route")
        if not self.guarded(True):
            return None
        name = url.path[len("/api/images/"):]
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}", name):
            return self.error(400, "invalid", "image name: letters, digits, . _ - only")
        n = int(self.headers.get("Content-Length", "-1"))
        if n < 0:
            return self.error(411, "invalid", "Content-Length needed")
        got = 0
        while got < n:
            chunk = self.rfile.read(min(1 << 16, n - got))
            if not chunk:
                return None     # aborted: nothing is kept
            got += len(chunk)
            time.sleep(self.server.upload_delay)
        with self.server.host.lock:
            if name in self.server.host.images:
                return self.error(409, "exists", "an image called '%s' exists already" % name)
            self.server.host.images[name] = n
        return self.reply(200, {"ok": True, "data": {"name": name, "size_bytes": n}})

    def login(self, body):
        if not self.server.password:
            return self.error(409, "no-password", "root has no password yet: set one on the console "
                              "(Security, Root password) or with passwd over SSH, then log in.")
        if body.get("password") != self.server.password:
            self.server.syslog.append("corral-web: login refused for %s" % self.client_address[0])
            return self.error(401, "denied", "the password is not root's.")
        token = secrets.token_urlsafe(24)
        self.server.sessions[token] = token
        self.server.syslog.append("corral-web: root logged in from %s" % self.client_address[0])
        return self.reply(200, {"user": "root", "csrf": token},
                          [("Set-Cookie", "corral_session=%s; HttpOnly; Secure; SameSite=Strict; Path=/; Max-Age=3600" % token)])

    def run_command(self, cmd, args):
        try:
            data = self.server.host.command(cmd, args)
        except Fail as e:
            return self.reply(ERROR_STATUS.get(e.code, 500), {"ok": False, "error": {"code": e.code, "message": str(e)}})
        self.server.syslog.append("corral-web: %s %s" % (cmd, args.get("name", "")))
        return self.reply(200, {"ok": True, "data": data})

    def static(self, rel):
        path = os.path.realpath(os.path.join(self.server.root, rel))
        if not path.startswith(self.server.root + os.sep) or not os.path.isfile(path):
            return self.error(404, "not-found", "no such file")
        with open(path, "rb") as f:
            data = f.read()
        self.reply(200, data, [("Content-Type", TYPES.get(os.path.splitext(path)[1], "application/octet-stream"))])

    def running_vm(self, name):
        """True when name runs, else the refusal has been sent."""
        if not self.session():
            self.error(401, "denied", "log in first")
            return False
        with self.server.host.lock:
            vm = self.server.host.vms.get(name)
            if not vm or vm["state"] not in ("running", "paused"):
                self.error(409, "wrong-state", "%s is not running" % name)
                return False
        return True

    def upgrade(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()

    def screen(self, name):
        """A VM's screen: RFB 3.8, no security, a 64x48 framebuffer of one
        colour sent whole in answer to every message after the init."""
        if not self.running_vm(name):
            return
        self.upgrade()
        sock, frames = self.connection, ws_frames(self.rfile)
        w, h = 64, 48
        ws_send(sock, b"RFB 003.008\n")
        next(frames)                                    # the client's version
        ws_send(sock, b"\x01\x01")                      # one security type: None
        next(frames)                                    # its choice
        ws_send(sock, struct.pack(">I", 0))             # security result: OK
        next(frames)                                    # ClientInit
        pixel_format = struct.pack(">BBBBHHHBBB3x", 32, 24, 0, 1, 255, 255, 255, 16, 8, 0)
        ws_send(sock, struct.pack(">HH", w, h) + pixel_format + struct.pack(">I", len(name)) + name.encode())
        update = struct.pack(">BxHHHHHi", 0, 1, 0, 0, w, h, 0) + b"\x40\x80\x20\x00" * (w * h)
        screens = self.server.host.screens.setdefault(name, set())
        screens.add(sock)
        try:
            for opcode, _ in frames:
                if opcode == 8:
                    break
                ws_send(sock, update)
        finally:
            screens.discard(sock)
        self.close_connection = True

    def console(self, name):
        if not self.running_vm(name):
            return
        host = self.server.host
        self.upgrade()
        sock = self.connection
        with host.lock:
            ws_send(sock, b"".join(host.consoles[name])[-4096:])
            host.viewers.setdefault(name, set()).add(sock)
        try:
            for opcode, data in ws_frames(self.rfile):
                if opcode == 8:
                    break
                if opcode in (1, 2):    # a guest shell that echoes, CR as CRLF
                    with host.lock:
                        host.console_out(name, data.replace(b"\r", b"\r\n"))
        finally:
            with host.lock:
                host.viewers.get(name, set()).discard(sock)
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr, root, password, vms):
        super().__init__(addr, Handler)
        self.root = os.path.realpath(root)
        self.password = password
        self.sessions = {}
        self.host = Host(vms)
        self.verbose = False
        self.upload_delay = 0     # seconds per 64 KiB read: a slow link, to abort on
        self.syslog = ["kernel: Linux version 6.1 (stand-in)", "corrald: started"]
        self.samples = []

    def history(self):
        now = int(time.time())
        # an hour of made-up samples, as the server's sampler would keep them
        samples = [{"t": t, "cpu_pct": 20 + 15 * ((t // 60) % 4), "mem_used": (1200 + (t // 30) % 400) << 20,
                    "mem_total": 4096 << 20, "storage_used": 12 << 30, "storage_total": 40 << 30}
                   for t in range(now - 3600, now + 1, 10)]
        return {"interval_s": 10, "samples": samples}


def self_signed(dirname):
    cert, key = os.path.join(dirname, "cert.pem"), os.path.join(dirname, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-days", "2", "-subj", "/CN=corral-standin", "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def serve(root, port=0, password="standin-pw", vms=0):
    """Starts the stand-in in a thread; returns the server (.server_port)."""
    server = Server(("127.0.0.1", port), root, password, vms)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as d:
        ctx.load_cert_chain(*self_signed(d))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", required=True)
    p.add_argument("--port", type=int, default=8443)
    p.add_argument("--password", default="standin-pw")
    p.add_argument("--vms", type=int, default=3)
    a = p.parse_args()
    server = serve(a.root, a.port, a.password, a.vms)
    server.verbose = True
    print("https://127.0.0.1:%d/ (password %s)" % (server.server_port, a.password), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
