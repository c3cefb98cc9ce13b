"""Issue 4: corral-vmm's control socket (--control PATH), run inside the
control domain under nested KVM, driven with corral-vmm --control-send.

The guest (scenario vmm-counter) prints `COUNT n` every 0.2 s: its work.
Pause must stop it (no new COUNT lines over 3 s), resume must continue it;
two console readers see the same lines with none lost; shutdown presses
the ACPI power button and the guest powers off (status 0); bad requests
get an error reply and leave the VM alone; stop ends the VMM with 5.
"""

import re
import time

from test_vmm import INITRD, POWEROFF, boot_args

SOCK = "/tmp/ctl-test.sock"
LOG = "/tmp/ctl-test.log"
READER = "/tmp/ctl-reader%d.log"
STOPPED = 5


def send(appliance, *cmds):
    """(exit status, reply lines) of corral-vmm --control-send."""
    status, out = appliance.sh("corral-vmm --control-send %s %s"
                               % (SOCK, " ".join("'%s'" % c for c in cmds)))
    return status, out.strip().splitlines()


def start_vmm(appliance, scenario, extra="", initrd=INITRD):
    appliance.out("rm -f %s %s; ( (corral-vmm -v --control %s %s </dev/null >%s 2>&1;"
                  " echo VMM-STATUS=$? >>%s) & )"
                  % (LOG, SOCK, SOCK, boot_args(scenario, extra=extra, initrd=initrd), LOG, LOG))
    out = appliance.out("for i in $(seq 150); do grep -q GUEST-WAITING %s && break; "
                        "sleep 1; done; cat %s" % (LOG, LOG), timeout=180)
    assert "GUEST-WAITING" in out, out[-3000:]


def wait_vmm_end(appliance):
    out = appliance.out("for i in $(seq 90); do grep -q VMM-STATUS %s && break; "
                        "sleep 1; done; cat %s" % (LOG, LOG), timeout=120)
    m = re.search(r"VMM-STATUS=(\d+)", out)
    assert m, "the VMM did not end:\n" + out[-3000:]
    return int(m.group(1)), out


def counts(text):
    return [int(n) for n in re.findall(r"^COUNT (\d+)\s*$", text, re.M)]


def last_count(appliance, path):
    c = counts(appliance.out("cat %s" % path))
    assert c, "no COUNT lines in %s" % path
    return c[-1]


def state(appliance):
    status, lines = send(appliance, "status")
    assert status == 0 and lines[0].startswith("ok {"), lines
    return re.search(r'"state":"([a-z-]+)"', lines[0]).group(1)


def test_pause_resume_console_readers_and_shutdown(appliance):
    start_vmm(appliance, "vmm-counter")
    try:
        assert appliance.out("stat -c %%a %s" % SOCK).strip() == "600"
        for i in (1, 2):
            appliance.out("( corral-vmm --control-send %s console </dev/null >%s 2>&1 & )"
                          % (SOCK, READER % i))
        time.sleep(3)
        assert state(appliance) == "running"

        # pause: the guest's work stops
        status, lines = send(appliance, "pause")
        assert status == 0 and '"state":"paused"' in lines[0], lines
        assert state(appliance) == "paused"
        time.sleep(1)  # what was on its way out is out
        before = last_count(appliance, READER % 1)
        time.sleep(3)
        assert last_count(appliance, READER % 1) == before, "the guest ran while paused"
        assert send(appliance, "pause")[1][0].startswith("error wrong-state")

        # resume: it goes on from where it was
        status, lines = send(appliance, "resume")
        assert status == 0 and '"state":"running"' in lines[0], lines
        time.sleep(3)
        after = last_count(appliance, READER % 1)
        assert after > before + 3, (before, after)
        assert send(appliance, "resume")[1][0].startswith("error wrong-state")

        # bad requests: an error reply each, the VM untouched
        status, lines = send(appliance, "reboot")
        assert status == 1 and lines[-1].startswith("error unknown-command"), lines
        status, lines = send(appliance, "x" * 300)
        assert status == 1 and lines[-1].startswith("error too-long"), lines
        status, lines = send(appliance, "pause now")
        assert status == 1 and lines[-1].startswith("error bad-request"), lines
        assert state(appliance) == "running"

        # the round trip a client sees: 10 pause/resume pairs, one connection
        t = appliance.out("time corral-vmm --control-send %s %s >/dev/null"
                          % (SOCK, "pause resume " * 10))
        m = re.search(r"real\s+(\d+)m\s*([\d.]+)s", t)
        if m:
            ms = (int(m.group(1)) * 60 + float(m.group(2))) * 1000 / 10
            print("pause+resume round trip: %.1f ms (nested KVM under TCG)" % ms)

        # shutdown: the ACPI power button, the guest powers off
        status, lines = send(appliance, "shutdown")
        assert status == 0 and lines[0] == "ok shutting-down", lines
        vmm_status, out = wait_vmm_end(appliance)
        assert "GUEST-POWER-BUTTON" in out and "GUEST-DONE status=0" in out, out[-2000:]
        assert vmm_status == POWEROFF, out[-2000:]
        assert appliance.sh("test -e %s" % SOCK)[0] != 0, "socket left behind"

        # both readers saw the same lines, none missing
        r1 = counts(appliance.out("cat %s" % (READER % 1)))
        r2 = counts(appliance.out("cat %s" % (READER % 2)))
        assert r1 and r2
        for r in (r1, r2):
            assert r == list(range(r[0], r[0] + len(r))), "a reader lost lines"
        common = sorted(set(r1) & set(r2))
        assert len(common) > 20 and common[-1] == max(r1) == max(r2), (r1[-3:], r2[-3:])
    finally:
        appliance.sh("kill -9 $(pidof corral-vmm) 2>/dev/null; rm -f %s" % SOCK)


def test_stop_ends_the_vmm_at_once(appliance):
    start_vmm(appliance, "vmm-wait")
    try:
        status, lines = send(appliance, "stop")
        assert status == 0 and lines[0] == "ok stopping", lines
        vmm_status, out = wait_vmm_end(appliance)
        assert vmm_status == STOPPED, out[-2000:]
        assert "GUEST-DONE" not in out
        status, _ = send(appliance, "status")
        assert status == 2  # nobody there any more
    finally:
        appliance.sh("kill -9 $(pidof corral-vmm) 2>/dev/null; rm -f %s" % SOCK)
