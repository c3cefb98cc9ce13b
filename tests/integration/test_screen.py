"""Issue 14: a screen for every guest, tried as a user would.

Each test runs VMs through corrald in the shared appliance and reads their
screens the user's way: `corral vm screenshot` (a PNG, fetched over SSH)
read by OCR (tesseract), and keys pressed with `corral vm sendkey`.

- Debian's installer (mini.iso, see debian_installer.py) boots with no edit
  at its menu: the menu is on the screen, Enter picks the default entry,
  and the installer's first dialog, "Select a language", appears.
- SeaBIOS's banner, from the VGA BIOS's text mode.
- GRUB's menu (Corral's own ISO).
- A Linux text console (bochs-drm + fbcon, direct kernel boot with
  display = std) echoes keys typed with sendkey.
"""

import time

import pytest

import screen
from rfb_client import ENC_DESKTOP_SIZE, ENC_RAW, ENC_ZLIB
from test_rfb import connect, ssh_tunnel
from conftest import TESTDATA_MOUNT
from test_corrald import KERNEL, INITRD, corral_json, host, show, wait_for  # noqa: F401


VIEWER_PORT = 5902


def start_vm(machine, made, name, args):
    """`vm create NAME ARGS` and `vm start`, then until the VMM has its
    screen socket up (a moment after `vm start` answers: a screenshot
    taken at once can find no socket); a VM that stopped instead fails
    with its log."""
    status, vm = corral_json(machine, "vm create %s %s" % (name, args))
    assert status == 0, vm
    made.append(name)
    status, vm = corral_json(machine, "vm start %s" % name)
    assert status == 0, vm
    deadline = time.monotonic() + 60
    while machine.sh("test -S /run/corral/vms/%s/vnc.sock" % name)[0] != 0:
        state = show(machine, name)["state"]
        if state != "running" or time.monotonic() > deadline:
            raise AssertionError("%s has no screen (%s):\n%s" % (
                name, state, console_log(machine, name)[-3000:]))
        time.sleep(1)
    return vm


def console_log(machine, name):
    """The VM's console log; "" until its first byte (the file does not
    exist before that: with a VGA, SeaBIOS runs the VGA BIOS first)."""
    return corral_json(machine, "vm log %s --bytes 524288" % name)[1].get("log", "")


@pytest.fixture
def screen_host(host, ssh_key):
    machine, made = host
    screen.authorize(machine, ssh_key)
    return machine, made, ssh_key


def test_debian_installer_shows_its_menu_and_first_dialog(screen_host):
    machine, made, key = screen_host
    start_vm(machine, made, "di", "--memory 1G --disk 2G --iso %s/mini.iso" % TESTDATA_MOUNT)
    vm = show(machine, "di")
    assert vm["definition"]["boot"] == "firmware"
    human = machine.out("corral vm show di")
    assert "corral vm vnc di" in human, human  # how to reach the screen

    text = screen.wait_for_text(machine, key, "di", r"installer menu", timeout=900,
                                label="menu")
    # (the highlighted "Install" reads badly in inverse video)
    assert "Advanced options" in text, text
    machine.out("corral vm sendkey di ret")
    text = screen.wait_for_text(machine, key, "di", r"Select a language", timeout=900,
                                label="language")
    assert "Albanian" in text and "Esperanto" in text, text  # the list (English is inverse)


def test_seabios_banner_is_on_the_screen(screen_host):
    """A GRUB disk whose GRUB writes only to the serial port and whose
    kernel has console=ttyS0: the text screen keeps what SeaBIOS wrote."""
    machine, made, key = screen_host
    start_vm(machine, made, "bios1", "--memory 256M --firmware --attach %s/grub.img,ro"
             % TESTDATA_MOUNT)
    wait_for("the guest to boot", lambda: "GUEST-BOOTED" in console_log(machine, "bios1"),
             timeout=600, interval=5)
    text = screen.wait_for_text(machine, key, "bios1", r"SeaBIOS \(version", timeout=120,
                                label="banner")
    assert "Booting from Hard Disk" in text, text


def test_grub_menu_is_on_the_screen(screen_host):
    """Corral's ISO: GRUB's menu with a 5 s timeout.  A key pressed while
    the firmware still runs waits in the BIOS keyboard buffer; GRUB reads it
    and stops the countdown, so the menu stays to be read."""
    machine, made, key = screen_host
    start_vm(machine, made, "grub1", "--memory 512M --iso %s/corral.iso" % TESTDATA_MOUNT)
    # Started as the other tests start daemons (a subshell, no terminal):
    # a bare & job ending would take the serial shell with it.
    machine.out("(sh -c 'echo $$ > /tmp/grub1-keys.pid; for i in $(seq 300); do "
                "corral vm sendkey grub1 up; sleep 2; done' </dev/null >/dev/null 2>&1 &)")
    try:
        # The entries, not the title: GRUB draws the menu through the BIOS,
        # a cell at a time, slowly under nested TCG.
        text = screen.wait_for_text(machine, key, "grub1", r"serial console", timeout=900,
                                    label="menu")
    finally:
        machine.sh("kill $(cat /tmp/grub1-keys.pid)")
    assert "Corral" in text and "serial console" in text, text


def typed_area(c):
    """The pixels where "helloWorld" goes after "Type here: " (fbcon's
    8x16 font, first row)."""
    return [row[11 * 8:21 * 8] for row in c.pixels[:16]]


def test_linux_console_echoes_typed_keys(screen_host):
    """Keys typed with sendkey reach the guest's tty (it echoes them on
    its screen); a viewer waiting with an incremental update request gets
    an update that carries the change."""
    machine, made, key = screen_host
    start_vm(machine, made, "tty1", "--memory 256M --kernel %s --initrd %s "
             "--cmdline 'console=ttyS0 corral.scenario=screen-echo' --set display=std"
             % (KERNEL, INITRD))
    wait_for("the guest's prompt", lambda: "GUEST-WAITING" in console_log(machine, "tty1"),
             timeout=600, interval=5)
    assert "GUEST-SCREEN fb=bochs-drmdrmfb" in console_log(machine, "tty1")
    machine.out("(corral vm vnc tty1 --listen 127.0.0.1:%d </dev/null >/tmp/tty1-relay.log "
                "2>&1 &)" % VIEWER_PORT)
    tunnel, port = ssh_tunnel(machine, key, VIEWER_PORT)
    try:
        viewer = connect(port)
        viewer.set_encodings([ENC_ZLIB, ENC_RAW, ENC_DESKTOP_SIZE])
        viewer.request_update(incremental=False)
        viewer.wait_update(timeout=60)
        before = typed_area(viewer)
        machine.out("corral vm sendkey tty1 h e l l o shift-w o r l d")
        deadline = time.monotonic() + 120
        while typed_area(viewer) == before:  # the cursor's blinks come too
            assert time.monotonic() < deadline, "no update showed the typed text"
            viewer.request_update(incremental=True)
            viewer.wait_update(timeout=60)
        viewer.close()
    finally:
        tunnel.terminate()
        tunnel.wait()
        machine.sh("pkill -f 'corral vm vnc tty1'")
    screen.wait_for_text(machine, key, "tty1", r"Type here: helloWorld", timeout=120,
                         label="typed")
    machine.out("corral vm sendkey tty1 ret")
    wait_for("the typed line on the serial console",
             lambda: "GUEST-TYPED helloWorld" in console_log(machine, "tty1"),
             timeout=120, interval=2)
