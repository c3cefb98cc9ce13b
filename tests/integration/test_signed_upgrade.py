"""Issue 18: nothing is installed without proof.  `corral-install --upgrade`
checks ISO.sig (the ISO's sha256 and an Ed25519 signature by the release
key baked into the control domain; ./build.sh iso signs, here with the
test key) before it touches anything: an unsigned, changed or forged ISO
is refused with nothing changed.  A well signed ISO passes the check (on
this live appliance the upgrade then stops, as nothing is installed; the
upgrade itself is test_install.py's)."""

import hashlib

from qemu import iso_path

ISO = "/tmp/upgrade-test.iso"


def host_signature():
    with open(iso_path() + ".sig") as f:
        return f.read()


def put_signature(m, text):
    m.out("rm -f %s.sig; printf '%%s\\n' %s >%s.sig"
          % (ISO, " ".join("'%s'" % line for line in text.splitlines()), ISO))


def upgrade(m):
    return m.sh("corral-install --upgrade %s 2>&1" % ISO, timeout=300)


def refused(m, message):
    status, out = upgrade(m)
    assert status == 2, out
    assert message in out and "nothing was changed" in out, out
    assert "mount the new ISO" not in out, out  # no step was started


def test_upgrade_refuses_unsigned_changed_or_forged_isos(appliance):
    m = appliance
    signature = host_signature()
    sha = [l for l in signature.splitlines() if l.startswith("sha256=")][0][7:]
    with open(iso_path(), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == sha
    # The ISO the appliance booted from, read back from its CD drive.
    m.out("dd if=/dev/sr0 of=%s bs=1M 2>/dev/null" % ISO, timeout=300)
    try:
        assert m.out("sha256sum %s" % ISO).split()[0] == sha
        assert len(m.out("cat /usr/share/corral/release-key.pub").strip()) == 64

        refused(m, "%s is not signed: no %s.sig beside it" % (ISO, ISO))
        put_signature(m, "sha256=%s\nkey=whatever" % sha)
        refused(m, "is not a signature file: a line that is neither sha256= nor ed25519=")

        # Signed as built: the check passes (then the live system has no
        # installed slot to write to).
        put_signature(m, signature)
        status, out = upgrade(m)
        assert "signature good (this system's release key)" in out, out
        assert status == 1 and "Corral is not installed here" in out, out

        # A forged signature: the right digest, a signature by no key of ours.
        sig_line = [l for l in signature.splitlines() if l.startswith("ed25519=")][0]
        forged = sig_line[:-1] + ("0" if sig_line[-1] != "0" else "1")
        put_signature(m, signature.replace(sig_line, forged))
        refused(m, "the signature of %s is not from this system's release key" % ISO)

        # The ISO changed after signing (one byte more at its end).
        put_signature(m, signature)
        m.out("printf x >>%s" % ISO)
        refused(m, "%s does not match its signature" % ISO)
    finally:
        m.out("rm -f %s %s.sig" % (ISO, ISO))
