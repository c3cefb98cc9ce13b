"""The remote console's cost, measured as a user reaches it (issue 14).

In the nested test host, corrald runs two VMs booted from the test-data
disk's kernel: one with `display = std` whose guest draws a Linux text
console on bochs-drm (scenario screen-echo, 1024x768 unless the guest picks
otherwise) and one with `display = none`.  The guests' text cursor is off
(vt.global_cursor_default=0): its blinking would make the screen change
five times a second, and the figure asked for is a static screen's.  The RFB client is on this
machine and reaches the screen through `corral vm vnc` and `ssh -L`, the
documented path.

- Idle CPU of the VMM process (utime + stime from /proc/PID/stat over a
  window), for the VM without a display, the VM with a display and no
  viewer, and with a viewer keeping an incremental update request pending
  all the time (what a VNC viewer does on a static screen).
- A full-screen update: latency from the request to its last byte, and
  full updates per second back to back, for Raw and Zlib.
- Bytes on the wire per full update, per encoding.

The appliance itself runs under QEMU's TCG here, so absolute times are
inflated many times over; the CPU figures are shares of the appliance's
own (emulated) CPU.
"""

import os
import statistics
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

from qemu import Machine  # noqa: E402
from rfb_client import ENC_DESKTOP_SIZE, ENC_RAW, ENC_ZLIB, RfbClient  # noqa: E402
from test_rfb import ssh_tunnel, connect  # noqa: E402

TEST_MOUNT = "/mnt/test"
RELAY_PORT = 5900
CPU_WINDOW_S = 20
UPDATES = 10


class CountingClient(RfbClient):
    """Keeps no pixels (decoding them in Python would measure Python); the
    bytes it reads are counted by RfbClient."""

    def _pixels(self, x, y, w, h, data):
        pass


def cpu_ticks(m, pid):
    fields = m.out("cat /proc/%d/stat" % pid).strip().splitlines()[-1].split(")")[-1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)


def cpu_share(m, pid, during=None):
    hz = int(m.out("getconf CLK_TCK 2>/dev/null || echo 100").strip().splitlines()[-1])
    before, t0 = cpu_ticks(m, pid), time.monotonic()
    if during:
        during(CPU_WINDOW_S)
    else:
        time.sleep(CPU_WINDOW_S)
    after, t1 = cpu_ticks(m, pid), time.monotonic()
    return 100.0 * (after - before) / hz / (t1 - t0)


def vmm_pid(m, name):
    out = m.out("corral --json vm show %s" % name)
    import json
    return json.loads(out.strip().splitlines()[-1])["pid"]


def start_vm(m, name, display):
    m.out("corral vm create %s --memory 256M --kernel %s/vmlinuz --initrd %s/initrd.img "
          "--cmdline 'console=ttyS0 vt.global_cursor_default=0 corral.scenario=screen-echo' "
          "--set display=%s "
          "&& corral vm start %s" % (name, TEST_MOUNT, TEST_MOUNT, display, name))
    for _ in range(300):
        if "GUEST-WAITING" in m.out("corral vm log %s | tail -5" % name):
            return vmm_pid(m, name)
        time.sleep(2)
    raise RuntimeError("%s did not boot:\n%s" % (name, m.out("corral vm log %s" % name)))


def viewer_loop(client):
    """A viewer on a static screen: always one incremental request out."""
    def run(seconds):
        end = time.monotonic() + seconds
        client.sock.settimeout(0.5)
        client.request_update(incremental=True)
        while time.monotonic() < end:
            try:
                if client.read_message() == 0:
                    client.request_update(incremental=True)
            except OSError:
                pass
        client.sock.settimeout(30)
    return run


def full_updates(client, encoding):
    client.set_encodings([encoding, ENC_DESKTOP_SIZE])
    client.request_update(incremental=False)
    client.wait_update(timeout=60)  # the first one may carry the size
    times, sizes = [], []
    for _ in range(UPDATES):
        before, t0 = client.bytes_read, time.monotonic()
        client.request_update(incremental=False)
        client.wait_update(timeout=60)
        times.append(time.monotonic() - t0)
        sizes.append(client.bytes_read - before)
    return statistics.median(times), statistics.median(sizes)


def bench(args, testdata_image, table, ssh_key):
    m = Machine("bench-display", memory_mib=3072, disks=[testdata_image])
    with m:
        m.wait_ready()
        m.out("mkdir -p %s && mount -t ext4 $(findfs LABEL=CORRAL-TEST) %s"
              % (TEST_MOUNT, TEST_MOUNT))
        m.out("(corrald </dev/null >/tmp/corrald.log 2>&1 &)")
        time.sleep(2)
        plain = start_vm(m, "plain", "none")
        shown = start_vm(m, "shown", "std")
        cpu_plain = cpu_share(m, plain)
        cpu_alone = cpu_share(m, shown)
        m.out("(corral vm vnc shown --listen 127.0.0.1:%d </dev/null >/tmp/relay.log 2>&1 &)"
              % RELAY_PORT)
        tunnel, port = ssh_tunnel(m, ssh_key, RELAY_PORT)
        try:
            c = connect(port)
            c.__class__ = CountingClient
            c.set_encodings([ENC_RAW, ENC_DESKTOP_SIZE])
            c.request_update(incremental=False)
            c.wait_update(timeout=60)
            size = "%dx%d" % (c.width, c.height)
            cpu_viewed = cpu_share(m, shown, during=viewer_loop(c))
            raw_t, raw_b = full_updates(c, ENC_RAW)
            zlib_t, zlib_b = full_updates(c, ENC_ZLIB)
            c.close()
        finally:
            tunnel.terminate()
            tunnel.wait()
    rows = [
        ("VMM CPU, VM without a display", "%.2f %%" % cpu_plain, ""),
        ("VMM CPU, display, no viewer", "%.2f %%" % cpu_alone, ""),
        ("VMM CPU, display, viewer on a static screen", "%.2f %%" % cpu_viewed,
         "< 1 %% above no display (%.2f %% above)" % (cpu_viewed - cpu_plain)),
        ("full update %s, Raw: latency" % size, "%.0f ms" % (raw_t * 1000), ""),
        ("full update %s, Raw: per second" % size, "%.1f" % (1 / raw_t), ""),
        ("full update %s, Raw: bytes" % size, "{:,}".format(int(raw_b)), ""),
        ("full update %s, Zlib: latency" % size, "%.0f ms" % (zlib_t * 1000), ""),
        ("full update %s, Zlib: per second" % size, "%.1f" % (1 / zlib_t), ""),
        ("full update %s, Zlib: bytes" % size, "{:,}".format(int(zlib_b)), ""),
    ]
    table("Remote console (corral vm vnc through ssh -L; the appliance under TCG)", rows,
          "CPU: the VMM process's utime+stime over %d s; updates: median of %d"
          % (CPU_WINDOW_S, UPDATES))
