"""Issue 18: the console is locked.  `corral.shell` on the kernel command
line gives a shell on the console only while no root password is set; once
one is, the console UI (which asks for it) comes up instead.  (The boot
menu's lock is tested on an installed disk: test_install.py.)"""

import os

from qemu import OUT, READY_RE, Machine

ISO_ROOT = os.path.join(OUT, "iso-root")


def test_corral_shell_works_only_without_a_root_password():
    # The live system's kernel booted directly, so that corral.shell is on
    # its command line without a keystroke at the boot menu.
    m = Machine("lock-corral-shell", firmware="bios", media=None, shell=False,
                extra_args=["-kernel", os.path.join(ISO_ROOT, "boot/vmlinuz"),
                            "-initrd", os.path.join(ISO_ROOT, "boot/initrd.img"),
                            "-append", "console=tty0 console=ttyS0,115200n8 quiet corral.shell"])
    m.start()
    try:
        m.expect(READY_RE, timeout=600, what="the ready banner")
        # No password: the console is a shell, not the console UI.
        m._prepare_shell()
        assert "corral.shell" in m.out("cat /proc/cmdline")
        assert m.out("grep '^root:' /etc/shadow").startswith("root:*:")
        assert "corral.shell ignored" not in m.log_text()
        m.out("echo 'root:Lock-Pass-5' | chpasswd")
        # The console starts again (init respawns it): now it refuses.
        m.child.sendline("exit")
        m.expect(r"corral.shell ignored: a root password is set", timeout=120,
                 what="the console to refuse corral.shell")
        # The console UI's home screen, its Command shell behind the password.
        m.ui_shell(password="Lock-Pass-5")
        assert m.out("id -u").strip() == "0"
    finally:
        m.stop()
