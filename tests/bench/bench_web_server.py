"""corral-web's own figures (`./build.sh bench web-server`): API requests
per second for `vm list` with 50 VMs defined, and the server's memory idle
and with 10 serial consoles open.

The requests-per-second and idle figures come from corrald and corral-web
(the static binaries of out/bin) run here on loopback, against a state
directory of 50 stopped VMs, so that they measure the server and not
QEMU's user network.  The consoles need a running VM: they are measured in
the appliance (QEMU, nested KVM), one test guest with 10 WebSocket viewers
of its console, through the forward of port 443.
"""

import base64
import crypt
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.join(ROOT, "out", "bin")
PASSWORD = "bench-web-Pw1"
INSECURE = ssl.create_default_context()
INSECURE.check_hostname = False
INSECURE.verify_mode = ssl.CERT_NONE


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Client:
    def __init__(self, port):
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=INSECURE, timeout=30)
        self.cookie = None

    def request(self, method, path, body=None):
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        data = r.read()
        return r, data

    def login(self):
        r, _ = self.request("POST", "/api/login", json.dumps({"password": PASSWORD}).encode())
        assert r.status == 200, r.status
        self.cookie = r.getheader("Set-Cookie").split(";")[0]


def requests_per_second(port, seconds, clients):
    counts = [0] * clients

    def run(i):
        c = Client(port)
        c.login()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _ = c.request("GET", "/api/cmd/vm.list")
            assert r.status == 200
            counts[i] += 1
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(counts) / seconds


def local_figures(seconds):
    work = tempfile.mkdtemp(prefix="corral-bench-web-")
    procs = []
    try:
        state, run = os.path.join(work, "state"), os.path.join(work, "run")
        os.makedirs(os.path.join(state, "images"))
        os.makedirs(run)
        kernel = os.path.join(state, "images", "vmlinuz")
        with open(kernel, "wb") as f:
            f.write(b"\0" * 4096)
        shadow = os.path.join(work, "shadow")
        with open(shadow, "w") as f:
            f.write("root:%s:19000:0:99999:7:::\n" % crypt.crypt(PASSWORD, crypt.mksalt(crypt.METHOD_SHA512)))
        sock = os.path.join(run, "corrald.sock")
        procs.append(subprocess.Popen([os.path.join(BIN, "corrald"), "--state-dir", state,
                                       "--run-dir", run, "--socket", sock],
                                      stderr=subprocess.DEVNULL))
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        for i in range(50):
            subprocess.run([os.path.join(BIN, "corral"), "--socket", sock, "vm", "create",
                            "bench%02d" % i, "--memory", "128M", "--kernel", kernel],
                           check=True, stdout=subprocess.DEVNULL)
        port = free_port()
        web = subprocess.Popen([os.path.join(BIN, "corral-web"), "--root", work,
                                "--state-dir", os.path.join(work, "web"), "--run-dir",
                                os.path.join(work, "webrun"), "--listen", "127.0.0.1",
                                "--https-port", str(port), "--http-port", "0",
                                "--socket", sock, "--shadow", shadow],
                               stderr=subprocess.DEVNULL)
        procs.append(web)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.5)
        idle = rss_kib(web.pid)
        one = requests_per_second(port, seconds, 1)
        four = requests_per_second(port, seconds, 4)
        busy = rss_kib(web.pid)
        return one, four, idle, busy
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


def open_console(port, cookie, name):
    raw = socket.create_connection(("127.0.0.1", port), timeout=60)
    tls = INSECURE.wrap_socket(raw)
    key = base64.b64encode(os.urandom(16)).decode()
    tls.sendall(("GET /ws/console/%s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: https://127.0.0.1:%d\r\n"
                 "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                 "Sec-WebSocket-Version: 13\r\nCookie: %s\r\n\r\n"
                 % (name, port, port, key, cookie)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = tls.recv(4096)
        if not chunk:
            break
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return tls


def appliance_console_figures(testdata_image):
    from qemu import Machine
    kernel, initrd = "/mnt/test/vmlinuz", "/mnt/test/initrd.img"
    m = Machine("bench-web", firmware="bios", media="cd", memory_mib=3072, disks=[testdata_image])
    m.start()
    try:
        m.wait_ready()
        m.out("mkdir -p /mnt/test && mount -t ext4 $(findfs LABEL=CORRAL-TEST) /mnt/test")
        m.out("echo 'root:%s' | chpasswd" % PASSWORD)
        m.out("corral vm create bw1 --memory 256M --kernel %s --initrd %s "
              "--cmdline 'quiet corral.scenario=vmm-wait' && corral vm start bw1" % (kernel, initrd))
        c = Client(m.https_port)
        for _ in range(120):
            try:
                c.login()
                break
            except (OSError, http.client.HTTPException, AssertionError):
                c = Client(m.https_port)
                time.sleep(2)
        pid = int(m.out("pidof corral-web").split()[0])

        def rss():
            return int(m.out("awk '/^VmRSS/ {print $2}' /proc/%d/status" % pid).split()[-1])
        idle = rss()
        consoles = [open_console(m.https_port, c.cookie, "bw1") for _ in range(10)]
        time.sleep(5)
        with_consoles = rss()
        threads = int(m.out("ls /proc/%d/task | wc -l" % pid).split()[-1])
        for t in consoles:
            t.close()
        return idle, with_consoles, threads
    finally:
        m.stop()


def bench(args, testdata_image, table):
    seconds = 5
    one, four, idle, busy = local_figures(seconds)
    table("Web server, here on loopback (corral-web + corrald from out/bin, 50 VMs)", [
        ("vm list requests/s, 1 client", "%.0f" % one, ""),
        ("vm list requests/s, 4 clients", "%.0f" % four, ""),
        ("corral-web RSS idle", "%.1f MiB" % (idle / 1024.0), ""),
        ("corral-web RSS after the requests", "%.1f MiB" % (busy / 1024.0), ""),
    ], note="HTTPS keep-alive, GET /api/cmd/vm.list for %d s each; %d cores" % (seconds, os.cpu_count()))
    idle, with_consoles, threads = appliance_console_figures(testdata_image)
    table("Web server in the appliance (QEMU, nested KVM)", [
        ("corral-web RSS idle (logged in)", "%.1f MiB" % (idle / 1024.0), ""),
        ("corral-web RSS, 10 consoles open", "%.1f MiB" % (with_consoles / 1024.0), ""),
        ("corral-web threads, 10 consoles open", "%d" % threads, ""),
    ], note="10 WebSocket viewers of one running test guest's serial console")
