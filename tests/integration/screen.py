"""Reading a VM's screen as a user would: `corral vm screenshot` in the
appliance, the PNG fetched over SSH, and OCR (Debian's tesseract-ocr).

Every screenshot a test takes is kept under out/test-screens/ (named by
test and moment), so a failure can be looked at and the docs can show a
real screen."""

import os
import re
import subprocess
import tempfile
import time

from qemu import OUT

SCREENS = os.path.join(OUT, "test-screens")


def authorize(machine, ssh_key):
    with open(ssh_key + ".pub") as f:
        key = f.read().strip()
    machine.out("mkdir -p /root/.ssh && grep -qF '%s' /root/.ssh/authorized_keys 2>/dev/null"
                " || echo '%s' >> /root/.ssh/authorized_keys" % (key, key))


def fetch(machine, ssh_key, path):
    """The bytes of a file in the appliance, over SSH."""
    r = subprocess.run(
        ["ssh", "-i", ssh_key, "-p", str(machine.ssh_port), "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "LogLevel=ERROR", "root@127.0.0.1", "cat " + path],
        capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r.stdout


def screenshot(machine, ssh_key, vm, label):
    """`corral vm screenshot VM`; returns the PNG's bytes (also kept)."""
    status, out = machine.sh("corral vm screenshot %s /tmp/screen-%s.png" % (vm, vm))
    assert status == 0, out
    png = fetch(machine, ssh_key, "/tmp/screen-%s.png" % vm)
    assert png.startswith(b"\x89PNG\r\n\x1a\n"), png[:16]
    os.makedirs(SCREENS, exist_ok=True)
    with open(os.path.join(SCREENS, "%s-%s.png" % (vm, label)), "wb") as f:
        f.write(png)
    return png


def ocr(png):
    """Tesseract's reading of a PNG, with runs of blanks made one space.
    Text modes are small (8x16 cells), so the image is scaled 2x first."""
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "in.png")
        with open(src, "wb") as f:
            f.write(png)
        try:
            from PIL import Image
            img = Image.open(src)
            img.convert("RGB").resize((img.width * 2, img.height * 2)).save(src)
        except ImportError:
            pass
        r = subprocess.run(["tesseract", src, "stdout"], capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode(errors="replace")
    return re.sub(r"\s+", " ", r.stdout.decode(errors="replace"))


def wait_for_text(machine, ssh_key, vm, pattern, timeout=600, interval=5, label=None):
    """Screenshots until OCR finds pattern (a regex, case-insensitive);
    returns the text.  On timeout the last reading is in the error."""
    deadline = time.monotonic() + timeout
    text, n = "", 0
    while True:
        n += 1
        text = ocr(screenshot(machine, ssh_key, vm, "%s-%02d" % (label or "wait", n)))
        if re.search(pattern, text, re.I):
            return text
        if time.monotonic() > deadline:
            raise AssertionError("%s: %r not on the screen after %d s; last read: %r"
                                 % (vm, pattern, timeout, text[-600:]))
        time.sleep(interval)
