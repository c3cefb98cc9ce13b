"""The web client's VM list with 50 VMs defined (issue 17): how long from
opening the page (a fresh load, already logged in) until all 50 rows are
shown, in Debian's headless Chromium (tests/web/browser.py).

Measured twice: against the appliance's corral-web (booted under QEMU,
50 VMs defined with `corral vm create`, reached through QEMU's forward of
port 443) when the ISO has it, and against the stand-in server on this
machine (tests/web/standin.py), which shows what the pages cost by
themselves.  The time is the page's own clock (performance.now(): from
the start of the navigation), median of --rounds loads."""

import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "web"))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "integration"))

import browser  # noqa: E402
import flows  # noqa: E402
import standin  # noqa: E402
from qemu import uses_kvm  # noqa: E402

VMS = 50
PASSWORD = "web-bench-Pw1"


def list_load_ms(b, url, rounds):
    """Median ms from navigation start to the 50th row of the VM list."""
    times = []
    for _ in range(rounds):
        b.do("goto", url="about:blank")
        b.do("goto", url=url + "#/vms")
        b.do("wait", selector="#vm-list tbody tr:nth-child(%d)" % VMS, timeout=120000)
        times.append(b.do("eval", expr="performance.now()"))
    return statistics.median(times)


def measure(url, log, rounds):
    """Logs in with a fresh browser and times the VM list."""
    b = browser.Browser(log)
    try:
        assert flows.login(b, url, PASSWORD) is None
        return list_load_ms(b, url, rounds)
    finally:
        b.close()


def bench_standin(args, tmpdir):
    import subprocess
    root = os.path.join(tmpdir, "web")
    subprocess.run([os.path.join(flows.ROOT, "web", "install-pages.sh"), browser.NODE_MODULES, root], check=True)
    server = standin.serve(root, password=PASSWORD, vms=VMS)
    try:
        return measure("https://127.0.0.1:%d/" % server.server_port,
                       os.path.join(tmpdir, "browser-standin.log"), args.rounds)
    finally:
        server.shutdown()


def bench_appliance(args, image, tmpdir):
    from conftest import TESTDATA_MOUNT
    from qemu import Machine
    m = Machine("bench-web", memory_mib=3072, disks=[image])
    m.start()
    try:
        m.wait_ready()
        if m.sh("command -v corral-web")[0] != 0:
            return None
        m.out("mkdir -p %s && mount -t ext4 $(findfs LABEL=CORRAL-TEST) %s" % (TESTDATA_MOUNT, TESTDATA_MOUNT))
        m.out("echo 'root:%s' | chpasswd" % PASSWORD)
        m.out("i=0; while [ $i -lt %d ]; do corral vm create bench$i --kernel %s/vmlinuz >/dev/null"
              " || break; i=$((i+1)); done; corral vm list | wc -l" % (VMS, TESTDATA_MOUNT), timeout=600)
        return measure("https://127.0.0.1:%d/" % m.https_port,
                       os.path.join(tmpdir, "browser-appliance.log"), args.rounds)
    finally:
        m.stop()


def bench(args, image, table):
    import tempfile
    why = browser.missing()
    if why:
        table("Web client", [("VM list, 50 VMs", "not measured", why)])
        return
    with tempfile.TemporaryDirectory(prefix="corral-bench-web-") as tmpdir:
        local = bench_standin(args, tmpdir)
        appliance = bench_appliance(args, image, tmpdir)
    rows = [("VM list, 50 VMs: appliance (QEMU)",
             "%.0f ms" % appliance if appliance is not None else "not measured",
             "<= 2000 ms" if appliance is not None else "the ISO has no corral-web"),
            ("VM list, 50 VMs: stand-in server", "%.0f ms" % local, "<= 500 ms")]
    table("Web client: page load", rows,
          note="navigation start to the 50th row, headless Chromium, median of %d; "
               "the appliance under QEMU %s" % (args.rounds, "KVM" if uses_kvm() else "TCG"))
