"""Issue 14: the input devices a Linux guest finds, inside the control
domain under nested KVM: the AT keyboard and the PS/2 IntelliMouse on the
i8042 (IRQ 1 and IRQ 12) on every VM, and the virtio-input tablet on a VM
with a display; Ctrl-Alt-Del reaching the guest through the keyboard."""

import re

from test_vmm import POWEROFF, boot_args, booted, run_vmm


def inputs(out):
    """name -> the INPUT line the input-devices scenario printed."""
    found = {}
    for line in out.splitlines():
        m = re.match(r"INPUT name=\[([^\]]*)\] (.*)", line)
        if m:
            found[m.group(1)] = m.group(2)
    return found


def run_input_scenario(appliance, display):
    status, out = run_vmm(appliance, boot_args("input-devices",
                                               extra="--display %s" % display))
    booted(out)
    assert status == POWEROFF, out[-3000:]
    return out


def test_display_vm_has_keyboard_mouse_and_tablet(appliance):
    out = run_input_scenario(appliance, "std")
    found = inputs(out)
    assert "AT Translated Set 2 keyboard" in found, out[-3000:]
    mice = [n for n in found if "PS/2" in n]
    assert mice, "no PS/2 mouse:\n" + out[-3000:]
    assert any("ImPS/2" in n for n in mice), mice  # the wheel knock worked
    assert "Corral Tablet" in found, out[-3000:]
    tablet = found["Corral Tablet"]
    # ABS bitmap: ABS_X and ABS_Y (bits 0 and 1)
    assert re.search(r"abs=3\b", tablet), tablet
    assert "mouse" in tablet or "event" in tablet, tablet
    irqs = {m.group(1): int(m.group(2)) for m in
            re.finditer(r"^IRQ (\d+) count=(\d+) name=i8042", out, re.M)}
    assert irqs.get("1", 0) > 0 and irqs.get("12", 0) > 0, irqs  # both lines work
    serio = [l for l in out.splitlines() if l.startswith("SERIO ")]
    assert any("i8042 AUX" in l and "driver=psmouse" in l for l in serio), serio
    assert any("i8042 KBD" in l and "driver=atkbd" in l for l in serio), serio


def test_vm_without_display_has_ps2_only(appliance):
    out = run_input_scenario(appliance, "none")
    found = inputs(out)
    assert "AT Translated Set 2 keyboard" in found, out[-3000:]
    assert any("ImPS/2" in n for n in found), found
    assert "Corral Tablet" not in found, found


def test_ctrl_alt_del_through_the_keyboard(appliance):
    """A guest without ACPI gets Ctrl-Alt-Del on SIGTERM: the kernel's
    keyboard handler (ctrl_alt_del) restarts it, and corral-vmm, asked to
    shut down, takes that reset as the end of the shutdown (status 0).
    This is the qnum -> set 2 -> translated set 1 path the remote
    console's keys take."""
    args = boot_args("input-wait", cmdline="acpi=off", extra="--display std")
    status, out = appliance.sh(
        "( corral-vmm %s </dev/null >/tmp/cad.log 2>&1 & pid=$!; "
        "for i in $(seq 1 180); do grep -q GUEST-WAITING /tmp/cad.log && break; sleep 1; done; "
        "kill -TERM $pid; wait $pid; echo EXIT=$? )" % args, timeout=300)
    log = appliance.out("cat /tmp/cad.log")
    booted(log)
    assert "GUEST-WAITING keyboard" in log, log[-3000:]
    assert "reboot: Restarting system" in log, log[-3000:]
    m = re.search(r"EXIT=(\d+)", out)
    assert m and int(m.group(1)) == POWEROFF, (out, log[-3000:])
