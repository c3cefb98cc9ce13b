"""Issue 14: the remote console - corral-vmm's RFB server (--vnc), reached
as a user would: corrald starts the VMM with RUN/vms/NAME/vnc.sock, `corral
vm vnc` relays it to a loopback port in the appliance, and the test's RFB
client (rfb_client.py) comes in through `ssh -L` from the test host.

The VGA device is not on this branch yet, so the screen is 0 x 0: the tests
check the protocol end to end (handshake, ServerInit with the VM's name,
an update request answered, QEMU's extended key event announced, hostile
clients dropped while the VM and the other clients carry on) and the CLI's
answers and errors.  Screenshots and OCR of a real screen come with the
display tests.
"""

import socket
import subprocess
import time

import pytest

import qemu
from rfb_client import ENC_DESKTOP_SIZE, ENC_QEMU_EXT_KEY, ENC_RAW, ENC_ZLIB, RfbClient, RfbError
from test_corrald import corral_json, create_guest, ensure_corrald, show, wait_guest_up

VM = "screen1"
RELAY_PORT = 5900


@pytest.fixture
def host(appliance):
    ensure_corrald(appliance)
    made = []
    yield appliance, made
    appliance.sh("kill $(cat /tmp/vnc-relay.pid 2>/dev/null) 2>/dev/null; "
                 "rm -f /tmp/vnc-relay.pid")
    for name in made:
        appliance.sh("corral vm kill %s --wait >/dev/null 2>&1; "
                     "corral vm delete %s --yes --delete-disks >/dev/null 2>&1" % (name, name))


def ssh_tunnel(machine, key, remote_port):
    """`ssh -L` from here to the appliance's loopback port, as a user's
    workstation would; returns (process, local port)."""
    with open(key + ".pub") as f:
        machine.out("grep -qF '%s' /root/.ssh/authorized_keys 2>/dev/null || "
                    "echo '%s' >> /root/.ssh/authorized_keys" % ((f.read().strip(),) * 2))
    local = qemu.free_port()
    proc = subprocess.Popen(
        ["ssh", "-i", key, "-p", str(machine.ssh_port), "-N", "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "ExitOnForwardFailure=yes", "-o", "LogLevel=ERROR",
         "-L", "%d:127.0.0.1:%d" % (local, remote_port), "root@127.0.0.1"])
    return proc, local


def connect(port, timeout=60):
    """An RFB client through the tunnel, once the whole path answers."""
    deadline = time.monotonic() + timeout
    while True:
        c = None
        try:
            c = RfbClient.connect("127.0.0.1", port)
            c.handshake()
            return c
        except (OSError, RfbError):
            if c:
                c.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def vmm_log(machine, name):
    return machine.out("cat /run/corral/vms/%s/vmm.log" % name)


def test_rfb_server_through_corral_vm_vnc_and_ssh(host, ssh_key):
    machine, made = host
    create_guest(machine, made, VM, extra="--set display=std")
    status, vm = corral_json(machine, "vm start %s" % VM)
    assert status == 0, vm
    wait_guest_up(machine, VM)
    vm = show(machine, VM)
    assert vm["definition"]["display"] == "std"
    sock = "/run/corral/vms/%s/vnc.sock" % VM
    assert machine.out("stat -c %%a %s" % sock).strip() == "600"
    assert "corral vm vnc %s" % VM in machine.out("corral vm show %s" % VM)

    # Anything but loopback is refused: the screen has no password.
    status, out = machine.sh("corral vm vnc %s --listen 0.0.0.0:5901" % VM)
    assert status == 1 and "not a loopback address" in out, out

    # In a subshell, as the other tests start daemons: not a job of the
    # console's interactive shell.
    machine.out("(corral vm vnc %s --listen 127.0.0.1:%d </dev/null >/tmp/vnc-relay.log 2>&1 & "
                "echo $! >/tmp/vnc-relay.pid)" % (VM, RELAY_PORT))
    time.sleep(1)
    relay_says = machine.out("cat /tmp/vnc-relay.log")
    assert "ssh -L %d:127.0.0.1:%d" % (RELAY_PORT, RELAY_PORT) in relay_says, relay_says
    tunnel, port = ssh_tunnel(machine, ssh_key, RELAY_PORT)
    try:
        check_protocol(machine, port)
    finally:
        tunnel.terminate()
        tunnel.wait()


def check_protocol(machine, port):
    # A viewer: ServerInit names the VM; the screen is the VGA's power-on
    # text mode (80x25 cells of 9x16: 720x400; this guest never loads a
    # display driver); a full update request is answered; the extension is
    # announced; input is taken without harm.
    c = connect(port)
    assert c.name == VM
    assert (c.width, c.height) == (720, 400)
    assert c.server_version == b"RFB 003.008\n"
    c.set_encodings([ENC_ZLIB, ENC_RAW, ENC_DESKTOP_SIZE, ENC_QEMU_EXT_KEY])
    t0 = time.monotonic()
    c.request_update(incremental=False)
    c.wait_update(timeout=30)
    print("full update answered in %.0f ms" % ((time.monotonic() - t0) * 1000))
    assert c.ext_key
    c.key_qnum(0x1C)
    c.key_sym(0xFF0D)
    c.pointer(10, 10, 1)
    c.cut_text(b"clipboard text is skipped")

    # A second viewer at once, speaking 3.3.
    c33 = RfbClient.connect("127.0.0.1", port)
    c33.handshake(version=b"RFB 003.003\n")
    assert c33.name == VM

    # Hostile clients: dropped with a reason in the VM's log; the VM and
    # the other viewers carry on.
    bad = socket.create_connection(("127.0.0.1", port), timeout=30)
    bad.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_to_end(bad) == b"RFB 003.008\n"
    unknown = connect(port)
    unknown.send(b"\x07" + b"\x00" * 16)
    with pytest.raises((RfbError, OSError)):
        for _ in range(10):
            unknown.read_message()
    deadline = time.monotonic() + 30
    while "unknown client message type 7" not in vmm_log(machine, VM):
        assert time.monotonic() < deadline, vmm_log(machine, VM)
        time.sleep(1)
    log = vmm_log(machine, VM)
    assert "client dropped: not an RFB client" in log, log

    c.request_update(incremental=False)
    c.wait_update(timeout=30)
    c33.send(b"\x03\x00" + b"\x00" * 8)
    c33.wait_update(timeout=30)
    assert show(machine, VM)["state"] == "running"
    c.close()
    c33.close()


def read_to_end(s):
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            return data
        data += chunk


def test_cli_screen_commands_say_what_is_wrong(host):
    machine, made = host
    create_guest(machine, made, VM, extra="--set display=std")
    create_guest(machine, made, "noscreen1")  # direct kernel boot: no display

    status, out = machine.sh("corral vm screenshot %s /tmp/s.png" % VM)
    assert status == 1 and "not running" in out, out
    status, out = machine.sh("corral vm screenshot noscreen1 /tmp/s.png")
    assert status == 1 and "has no display" in out, out
    status, out = machine.sh("corral vm sendkey %s ctrl-alt-bogus" % VM)
    assert status == 1 and "unknown key 'ctrl-alt-bogus'" in out and "ctrl-alt-del" in out, out
    status, out = machine.sh("corral vm sendkey %s" % VM)
    assert status == 2, out

    # Right after the start, before the VMM has opened its screen's socket:
    # the screenshot waits for it rather than failing.  The VGA's power-on
    # text mode is a 720x400 picture to take.
    status, out = machine.sh("corral vm start %s >/dev/null && corral vm screenshot %s /tmp/s.png"
                             % (VM, VM))
    assert status == 0 and "720x400" in out, out
    wait_guest_up(machine, VM)
    # Not ctrl-alt-del: with the i8042's keyboard behind the screen it
    # reaches the guest, which reboots and closes the screen mid-send.
    status, out = machine.sh("corral vm sendkey %s ctrl-alt-f1 ret f2 a" % VM)
    assert status == 0 and "sent 6 keys" in out, out
    assert "keysyms" not in out  # the extended key event was used
    status, out = corral_json(machine, "vm sendkey %s spc" % VM)
    assert status == 0 and out["keys"] == 1, out
    assert show(machine, VM)["state"] == "running"


def test_vmm_refuses_vnc_without_a_display(appliance):
    status, out = appliance.sh(
        "corral-vmm --kernel /mnt/test/vmlinuz --display none --vnc /tmp/none.sock 2>&1")
    assert status == 3 and "has no display" in out, out
    assert appliance.sh("test -e /tmp/none.sock")[0] != 0
