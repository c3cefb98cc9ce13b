"""Issue 7: corral-install.  Install from the live ISO to a blank 20 GiB disk
by BIOS (interactively, from the serial shell) and by UEFI (unattended,
from an answer file), boot from the disk with no ISO attached, and check
that the state is kept; the refusals leave their disks unchanged.

The BIOS scenario goes on to an upgrade into boot slot b (booted once, then
confirmed) and a broken upgrade into slot a that is rolled back; the UEFI
scenario checks the firmware boot entry and then cuts the power (QEMU
killed) while corrald saves a VM definition and a guest flushes blocks to
its disk: after the reboot the data partition mounts, the definition is
old or new, never torn, and every block the guest had flushed is there.

Boots are expensive under TCG, so each scenario is one test that walks
through its boots in order (BIOS: live, disk, disk again, upgraded, broken
slot, rolled back; UEFI: live with the answer file, disk, disk after the
power loss), and the refusal checks share the BIOS live boot.
"""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import time

import pexpect

from conftest import TESTDATA_MOUNT, scratch_disk, copy_of_testdata, wait_for
from qemu import OUT, OVMF_CODE, OVMF_VARS, Machine, iso_path

ISO_ROOT = os.path.join(OUT, "iso-root")
STEP_START_RE = re.compile(r"corral-install: \[(\d+)/\d+\] (.+?)\r?$", re.M)
STEP_DONE_RE = re.compile(r"corral-install: \[(\d+)/\d+\] ok \(([\d.]+) s\)")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def partition_start(image, number):
    out = subprocess.run(["sgdisk", "-i", str(number), image], capture_output=True,
                         text=True, check=True).stdout
    return int(re.search(r"First sector: (\d+)", out).group(1)) * 512


def check_disk_image(image):
    """The GPT verifies, the data file system is clean, slot a is there."""
    r = subprocess.run(["sgdisk", "--verify", image], capture_output=True, text=True)
    assert r.returncode == 0 and "No problems found" in r.stdout, r.stdout + r.stderr
    data = "%s?offset=%d" % (image, partition_start(image, 3))
    r = subprocess.run(["e2fsck", "-fn", data], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "CORRAL-DATA" in r.stdout
    esp = "%s@@%d" % (image, partition_start(image, 2))
    r = subprocess.run(["mdir", "-b", "-i", esp, "::/a", "::/grub", "::/EFI/BOOT"],
                       capture_output=True, text=True, env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    assert r.returncode == 0, r.stderr
    for name in ("/a/vmlinuz", "/a/initrd.img", "/grub/grub.cfg", "/grub/grubenv",
                 "/EFI/BOOT/BOOTX64.EFI"):
        assert name.lower() in r.stdout.lower(), r.stdout


def install_steps(output):
    """[(number, name, seconds)] of the install's progress lines."""
    names = {int(m.group(1)): m.group(2) for m in STEP_START_RE.finditer(output)
             if not m.group(2).startswith("ok (")}
    return [(int(m.group(1)), names.get(int(m.group(1)), "?"), float(m.group(2)))
            for m in STEP_DONE_RE.finditer(output)]


def print_steps(label, steps):
    print("\n%s install steps:" % label)
    for number, name, seconds in steps:
        print("  %2d. %-66s %5.1f s" % (number, name, seconds))


def shutdown(m, timeout=120):
    """A clean poweroff (the data partition is unmounted); QEMU then exits."""
    m.child.sendline("poweroff")
    m.expect(pexpect.EOF, timeout=timeout, what="QEMU to exit after poweroff")
    m.stop()


def boot_from_disk(name, firmware, disk, *more_disks, root_password=None):
    # root_password: the one set on the disk, typed when the console UI asks.
    m = Machine(name, firmware=firmware, media=None, disks=[(disk, {"boot": True})] + list(more_disks),
                root_password=root_password)
    m.start()
    m.wait_ready(timeout=600)
    return m


def public_key(ssh_key):
    with open(ssh_key + ".pub") as f:
        return f.read().strip()


def wait_for_ssh(m, ssh_key, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        r = m.ssh(ssh_key, "hostname")
        if r.returncode == 0 or time.monotonic() > deadline:
            return r
        time.sleep(3)


def refusal(m, command, message):
    status, out = m.sh(command + " 2>&1")
    assert status == 2, "%s exited %d:\n%s" % (command, status, out)
    assert message in out, out
    assert "nothing was changed" in out, out


def test_bios_install_refusals_persistence_and_upgrade(tmp_path, ssh_key):
    target = scratch_disk(tmp_path, "target.img", "20G")
    tiny = scratch_disk(tmp_path, "tiny.img", "1G")
    used = scratch_disk(tmp_path, "used.img", "5G")
    subprocess.run(["sgdisk", "-n", "1:1M:+100M", "-c", "1:old-data", used], check=True,
                   capture_output=True)
    before = {p: sha256(p) for p in (tiny, used)}

    # Live, from the ISO as a USB stick (sda: the boot medium).
    live = Machine("install-bios-live", firmware="bios", media="usb", memory_mib=2048,
                   disks=[target, tiny, used])
    live.start()
    try:
        live.wait_ready()
        listing = live.out("corral-install --list")
        assert re.search(r"vda +20\.0 GiB +virtio", listing), listing
        assert "it holds the Corral medium the system booted from" in listing
        assert "it is too small (1.0 GiB; Corral needs at least 4.0 GiB)" in listing
        assert "1 partition(s)" in listing
        disks = {d["name"]: d for d in json.loads(live.out("corral-install --list --json"))["disks"]}
        assert disks["vda"]["usable"] and disks["vda"]["refusal"] is None
        assert disks["sda"]["refusal"] == "it holds the Corral medium the system booted from"
        assert not disks["vdb"]["usable"] and disks["vdc"]["partitions"] == 1

        refusal(live, "corral-install --disk sda", "it holds the Corral medium the system booted from")
        refusal(live, "corral-install --disk vdb", "it is too small (1.0 GiB")
        refusal(live, "corral-install --disk vdc", "vdc has 1 partition(s)")
        refusal(live, "corral-install --disk vdc --confirm vda", "confirm with --confirm vdc")
        # Interactive: the disk name typed again is the confirmation.
        status, out = live.sh("printf 'vdc\\nvdx\\n' | corral-install 2>&1")
        assert status == 2 and "Type the disk name again to confirm" in out, out
        assert "Not confirmed; nothing was changed." in out

        # Nobody could log in to what would be installed: refused.
        refusal(live, "corral-install --disk vda", "the installed system would have no way to log in")
        refusal(live, "printf 'disk = vda\\n' >/tmp/nologin.conf; corral-install --answer /tmp/nologin.conf",
                "root_password_hash or ssh_key: one is required")
        status, out = live.sh("printf 'vda\\nyes\\n\\n' | corral-install 2>&1")
        assert status == 2 and "No password and no SSH key: nobody could log in; nothing was changed." in out, out
        status, out = live.sh("printf 'vda\\nyes\\nLive-Pass-1\\nLive-Pass-2\\n' | corral-install 2>&1")
        assert status == 2 and "the two passwords differ" in out and "nothing was changed" in out, out
        assert live.out("grep '^root:' /etc/shadow").startswith("root:*:")

        # Settings made in the live session.
        live.out("echo '%s' >> /root/.ssh/authorized_keys" % public_key(ssh_key))
        live.out("echo 'hostname = corral-bios' >> /var/lib/corral/system.conf")
        host_key = live.out("sha256sum /var/lib/corral/ssh/dropbear_ed25519_host_key").split()[0]

        # The root password is asked for (an SSH key alone would do too) and
        # set in the live session, which the install carries over.
        t0 = time.monotonic()
        status, out = live.sh("printf 'vda\\nyes\\nLive-Pass-1\\nLive-Pass-1\\n' | corral-install 2>&1",
                              timeout=900)
        took = time.monotonic() - t0
        assert status == 0, out
        assert "Root password (empty: SSH key login only):" in out, out
        assert "it locks the boot menu of the system this live session installs" in out, out
        live_root = live.out("grep '^root:' /etc/shadow").strip()
        assert live_root.startswith("root:$")
        steps = install_steps(out)
        assert [s[0] for s in steps] == list(range(1, 12)), out
        print_steps("BIOS (interactive)", steps)
        print("  corral-install as a whole, under TCG: %.1f s" % took)
        assert "installation complete" in out
        shutdown(live)
    finally:
        live.stop()

    assert {p: sha256(p) for p in (tiny, used)} == before, "a refused disk was changed"
    check_disk_image(target)
    live_menu_lock = esp_file(target, "/grub/password.cfg")
    assert "password_pbkdf2 root grub.pbkdf2.sha512.10000." in live_menu_lock

    # First boot from the disk, no ISO: what the live session set is there.
    m = boot_from_disk("install-bios-disk1", "bios", target, root_password="Live-Pass-1")
    try:
        print("[install-bios-disk1] boot from disk to ready: %.1f s" % m.boot_seconds)
        assert m.out("cat /run/corral/status/state").startswith("installed: state kept on /dev/vda3")
        assert "corral.slot=a" in m.out("cat /proc/cmdline")
        assert m.out("grep '^root:' /etc/shadow").strip() == live_root
        assert m.out("hostname").strip() == "corral-bios"
        assert m.out("sha256sum /var/lib/corral/ssh/dropbear_ed25519_host_key").split()[0] == host_key
        r = wait_for_ssh(m, ssh_key)
        assert r.returncode == 0 and r.stdout.strip() == "corral-bios", r.stderr
        # New state: a file, a VM definition, a new root password.
        m.out("echo kept > /var/lib/corral/images/marker.txt")
        m.out("mkdir -p /var/lib/corral/vms/web1 && printf 'name = web1\\nmemory = 256M\\n' > "
              "/var/lib/corral/vms/web1/vm.conf")
        m.out("echo 'root:Disk-Pass-2' | chpasswd")
        new_root = m.out("grep '^root:' /etc/shadow").strip()
        assert new_root != live_root
        # What the console UI runs after chpasswd: the boot menu follows.
        assert "the boot menu is locked with the root password (grub/password.cfg on /dev/vda2)" in \
            m.out("echo Disk-Pass-2 | corral-install --boot-password")
        shutdown(m)
    finally:
        m.stop()
    menu_lock = esp_file(target, "/grub/password.cfg")
    assert "password_pbkdf2 root grub.pbkdf2.sha512.10000." in menu_lock and menu_lock != live_menu_lock

    # Second boot: the state written on the disk is kept.  The ISO rides
    # along as a read-only disk, the "new version" for the upgrade below.
    m = boot_from_disk("install-bios-disk2", "bios", target, (iso_path(), {"readonly": True}),
                       root_password="Disk-Pass-2")
    try:
        assert m.out("cat /var/lib/corral/images/marker.txt").strip() == "kept"
        assert "memory = 256M" in m.out("cat /var/lib/corral/vms/web1/vm.conf")
        assert m.out("grep '^root:' /etc/shadow").strip() == new_root
        assert m.out("sha256sum /var/lib/corral/ssh/dropbear_ed25519_host_key").split()[0] == host_key
        upgrade(m, "b")
        shutdown(m)
    finally:
        m.stop()
    check_disk_image(target)
    upgrade_and_rollback(target)


def upgrade(m, new_slot):
    """corral-install --upgrade from an ISO file on the data partition, with
    the signature ./build.sh wrote beside it (test_signed_upgrade.py)."""
    m.out("dd if=/dev/vdb of=/var/lib/corral/images/new.iso bs=1M 2>/dev/null")
    with open(iso_path() + ".sig") as f:
        lines = f.read().splitlines()
    m.out("printf '%%s\\n' %s >/var/lib/corral/images/new.iso.sig"
          % " ".join("'%s'" % line for line in lines))
    status, out = m.sh("corral-install --upgrade /var/lib/corral/images/new.iso 2>&1", timeout=300)
    assert status == 0, out
    assert "signature good (this system's release key)" in out, out
    assert "writing the new system into boot slot %s" % new_slot in out, out
    assert "all 5 steps done" in out, out


def upgrade_and_rollback(target):
    """The upgraded slot boots once and, having reached the ready state,
    becomes the default; a slot that never gets there is rolled back."""
    iso = (iso_path(), {"readonly": True})
    m = boot_from_disk("install-bios-upgraded", "bios", target, iso, root_password="Disk-Pass-2")
    try:
        assert "corral.slot=b" in m.out("cat /proc/cmdline")
        assert "boot slot b is the default already" in m.out("corral-install --boot-ok")
        # The next upgrade goes to slot a; break it before it is tried.
        upgrade(m, "a")
        m.out("mkdir -p /mnt/esp && mount /dev/vda2 /mnt/esp && : > /mnt/esp/a/initrd.img && umount /mnt/esp")
        shutdown(m)
    finally:
        m.stop()
    m = Machine("install-bios-broken-slot", firmware="bios", media=None,
                disks=[(target, {"boot": True})])
    m.start()
    try:
        m.expect(r"Kernel panic - not syncing", timeout=300, what="slot a (emptied initramfs) to fail")
    finally:
        m.stop()  # the power cycle a hung server gets
    m = boot_from_disk("install-bios-rolled-back", "bios", target, root_password="Disk-Pass-2")
    try:
        assert "corral.slot=b" in m.out("cat /proc/cmdline")
        shutdown(m)
    finally:
        m.stop()


def answer_disk(tmp_path, text):
    """A FAT file system holding answer.conf, labelled CORRAL-ANS (FAT labels
    have at most 11 characters; other file systems use CORRAL-ANSWER)."""
    conf = tmp_path / "answer.conf"
    conf.write_text(text)
    image = str(tmp_path / "answer.img")
    subprocess.run(["mkfs.fat", "-C", "-n", "CORRAL-ANS", image, "16384"], check=True,
                   capture_output=True)
    subprocess.run(["mcopy", "-i", image, str(conf), "::answer.conf"], check=True)
    return image


def last_flushed(m):
    out = m.out("grep -o 'FLUSHED [0-9]*' /tmp/power-loss.out | tail -n 1").split()
    return int(out[1]) if len(out) == 2 else 0


def cut_power_while_writing(m):
    """A VM definition saved over and over by corrald (atomic writes) and a
    guest writing and flushing numbered blocks to its disk on the data
    partition; then QEMU is killed: the power goes.  Returns both versions
    of the definition and how many blocks the guest reported flushed."""
    m.out("mkdir -p %s && mount -t ext4 -o ro $(findfs LABEL=CORRAL-TEST) %s"
          % (TESTDATA_MOUNT, TESTDATA_MOUNT))
    m.out("(corrald >>/tmp/corrald.log 2>&1 &)")
    assert wait_for(lambda: m.sh("test -S /run/corral/corrald.sock")[0] == 0, timeout=60)
    m.out("corral vm create cfg --memory 64M --kernel %s/vmlinuz" % TESTDATA_MOUNT)
    conf = "/var/lib/corral/vms/cfg/vm.conf"
    m.out("corral vm edit cfg memory=128M")
    bigger = m.out("cat " + conf)
    m.out("corral vm edit cfg memory=64M")
    smaller = m.out("cat " + conf)
    assert bigger != smaller
    m.out("(while :; do corral vm edit cfg memory=128M; corral vm edit cfg memory=64M; "
          "done >/dev/null 2>&1 &)")
    m.out("mkdir -p /var/lib/corral/vms/pl && truncate -s 64M /var/lib/corral/vms/pl/disk.img")
    m.out("(corral-vmm --kernel {t}/vmlinuz --initrd {t}/initrd.img --cpus 1 --memory 128 "
          "--cmdline 'quiet corral.scenario=power-loss-writer' "
          "--disk /var/lib/corral/vms/pl/disk.img </dev/null >/tmp/power-loss.out 2>&1 &)"
          .format(t=TESTDATA_MOUNT))
    assert wait_for(lambda: last_flushed(m) >= 20, timeout=400, interval=3), \
        m.out("tail -n 20 /tmp/power-loss.out")
    flushed = last_flushed(m)
    m.child.terminate(force=True)
    m.stop()
    return (bigger, smaller), flushed


def check_after_power_loss(m, versions, flushed):
    assert m.out("cat /run/corral/status/state").startswith("installed:")
    conf = m.out("cat /var/lib/corral/vms/cfg/vm.conf")
    assert conf in versions, "vm.conf is torn:\n" + conf
    bad = m.out("i=1; bad=0; while [ $i -le %d ]; do "
                "b=$(dd if=/var/lib/corral/vms/pl/disk.img bs=4096 skip=$i count=1 2>/dev/null "
                "| head -c 14); [ \"$b\" = \"$(printf 'BLOCK-%%08d' $i)\" ] || bad=$((bad+1)); "
                "i=$((i+1)); done; echo bad=$bad" % flushed)
    assert "bad=0" in bad, "blocks the guest had flushed are missing: %s" % bad
    print("power loss: %d flushed guest blocks and vm.conf intact" % flushed)


def test_uefi_unattended_install_from_an_answer_file(tmp_path, ssh_key, testdata_image):
    target = scratch_disk(tmp_path, "target.img", "20G")
    password_hash = subprocess.run(["openssl", "passwd", "-6", "-salt", "corralsalt", "Answer-Pass-3"],
                                   capture_output=True, text=True, check=True).stdout.strip()
    answers = answer_disk(tmp_path, "# unattended install\n"
                          "disk = largest\n"
                          "root_password_hash = %s\n"
                          "ssh_key = %s\n"
                          "hostname = corral-auto\n"
                          # any system.conf key; "off" is read as no
                          "ssh_password_login = off\n"
                          "console = serial\n"
                          "reboot = yes\n" % (password_hash, public_key(ssh_key)))
    answers_before = sha256(answers)
    # The ISO's kernel booted directly (by OVMF), so that corral.answer= is
    # on the command line without a keystroke at the boot menu; the ISO is
    # attached as the medium the system is copied from.
    # One copy of OVMF's variables for both machines, so that the boot
    # entry the install writes is the one the disk boot then uses.
    # (firmware="bios" only means Machine adds no firmware of its own.)
    ovmf_vars = str(tmp_path / "OVMF_VARS.fd")
    shutil.copy(OVMF_VARS, ovmf_vars)
    ovmf = ["-drive", "if=pflash,format=raw,unit=0,readonly=on,file=%s" % OVMF_CODE,
            "-drive", "if=pflash,format=raw,unit=1,file=%s" % ovmf_vars]
    live = Machine("install-uefi-answer", firmware="bios", media=None, memory_mib=2048,
                   disks=[target, answers],
                   extra_args=ovmf + ["-drive", "file=%s,media=cdrom,readonly=on,if=none,id=cd0" % iso_path(),
                               "-device", "ide-cd,drive=cd0",
                               "-kernel", os.path.join(ISO_ROOT, "boot/vmlinuz"),
                               "-initrd", os.path.join(ISO_ROOT, "boot/initrd.img"),
                               "-append", "console=tty0 console=ttyS0,115200n8 quiet "
                                          "corral.answer=/answer.conf"])
    live.start()
    try:
        live.expect(r"corral-install: unattended install from /run/corral/answer-media/answer.conf",
                    timeout=600, what="the unattended install to start")
        live.expect(r'UEFI boot entry Boot([0-9A-F]{4}) "Corral" written, first in BootOrder',
                    timeout=900, what="the UEFI boot entry")
        entry = int(live.child.match.group(1), 16)
        live.expect(r"installation complete", timeout=900, what="the unattended install to finish")
        steps = install_steps(live.log_text().replace("\r", "") + "\n")
        assert [s[0] for s in steps] == list(range(1, 12))
        print_steps("UEFI (answer file)", steps)
        live.expect(pexpect.EOF, timeout=300,
                    what="the reboot the answer file asks for")
    finally:
        live.stop()
    assert sha256(answers) == answers_before
    check_disk_image(target)

    # The answer disk stays attached: an installed system ignores it.
    m = Machine("install-uefi-disk", firmware="bios", media=None, extra_args=ovmf,
                disks=[(target, {"boot": True}), answers,
                       copy_of_testdata(testdata_image, "install-uefi")],
                root_password="Answer-Pass-3")
    m.start()
    try:
        m.wait_ready(timeout=600)
        # The firmware started the entry the install wrote.
        m.out("mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null || true")
        raw = base64.b64decode(m.out("base64 /sys/firmware/efi/efivars/BootCurrent-%s"
                                     % "8be4df61-93ca-11d2-aa0d-00e098032b8c"))
        assert len(raw) == 6 and raw[4] | raw[5] << 8 == entry, (raw, entry)
        print("[install-uefi-disk] boot from disk to ready: %.1f s" % m.boot_seconds)
        assert m.out("cat /run/corral/status/state").startswith("installed:")
        cmdline = m.out("cat /proc/cmdline")
        # console = serial: the serial entry is the default.
        assert "corral.slot=a console=tty0 console=ttyS0,115200n8" in cmdline, cmdline
        assert "corral.answer" not in cmdline
        assert m.out("grep '^root:' /etc/shadow").split(":")[1] == password_hash
        assert m.out("hostname").strip() == "corral-auto"
        # The answer's system.conf key reached the installed system, and the
        # ssh script read it through corral-sysconf.
        assert "ssh_password_login = off" in m.out("cat /var/lib/corral/system.conf")
        assert m.out("corral-sysconf get ssh_password_login").strip() == "no"
        assert " -s" in m.out("ps | grep '[d]ropbear'")
        r = wait_for_ssh(m, ssh_key)
        assert r.returncode == 0 and r.stdout.strip() == "corral-auto", r.stderr
        # Booted from the disk, the answer file is not acted on again.
        assert "unattended install" not in m.log_text()
        versions, flushed = cut_power_while_writing(m)
    finally:
        m.stop()

    m = Machine("install-uefi-after-power-loss", firmware="bios", media=None, extra_args=ovmf,
                disks=[(target, {"boot": True})], root_password="Answer-Pass-3")
    m.start()
    try:
        m.wait_ready(timeout=600)
        check_after_power_loss(m, versions, flushed)
        shutdown(m)
    finally:
        m.stop()
    check_disk_image(target)


def test_iso_with_a_baked_in_answer_file_installs_without_a_keystroke(tmp_path):
    """What `./build.sh iso --answer FILE` makes: the answer file at
    /corral/answer.conf on the ISO (made here the same way, with
    iso/make-iso.sh on a copy of the ISO tree).  Booted by its normal menu
    entry, it installs with no keystroke."""
    root = str(tmp_path / "iso-root")
    shutil.copytree(ISO_ROOT, root, ignore=shutil.ignore_patterns("corral"))
    os.makedirs(os.path.join(root, "corral"))
    with open(os.path.join(root, "corral", "answer.conf"), "w") as f:
        f.write("disk = vda\nhostname = baked\nroot_password_hash = %s\n"
                "boot_password_pbkdf2 = %s\n" % (crypt_hash(BAKED_PASSWORD), grub_pbkdf2(BAKED_PASSWORD)))
    iso = str(tmp_path / "unattended.iso")
    with open(os.path.join(os.path.dirname(OUT), "VERSION")) as f:
        version = f.read().strip()
    subprocess.run([os.path.join(os.path.dirname(OUT), "iso", "make-iso.sh"), root, iso, version],
                   check=True)
    target = scratch_disk(tmp_path, "target.img", "20G")
    m = Machine("install-baked-answer", firmware="bios", media="cd", iso=iso, disks=[target])
    m.start()
    try:
        m.expect(r"corral-install: unattended install from /run/corral/medium/corral/answer.conf",
                 timeout=600, what="the unattended install to start")
        m.expect(r"installation complete", timeout=600, what="the install to finish")
        assert len(install_steps(m.log_text().replace("\r", "") + "\n")) == 11
    finally:
        m.stop()
    check_disk_image(target)
    cfg = esp_file(target, "/grub/password.cfg")
    assert 'set superusers="root"\npassword_pbkdf2 root grub.pbkdf2.sha512.10000.' in cfg, cfg
    boot_through_the_locked_menu(target, BAKED_PASSWORD)


BAKED_PASSWORD = "Baked-Pass-4"


def crypt_hash(password):
    return subprocess.run(["openssl", "passwd", "-6", "-salt", "corralsalt", password],
                          capture_output=True, text=True, check=True).stdout.strip()


def grub_pbkdf2(password, salt=bytes(range(64))):
    """GRUB's password_pbkdf2 form, as grub-mkpasswd-pbkdf2 prints it."""
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, 10000, 64)
    return "grub.pbkdf2.sha512.10000.%s.%s" % (salt.hex().upper(), digest.hex().upper())


def esp_file(image, path):
    r = subprocess.run(["mtype", "-i", "%s@@%d" % (image, partition_start(image, 2)), "::" + path],
                       capture_output=True, text=True, env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    assert r.returncode == 0, r.stderr
    return r.stdout


def grub_editor_to_linux_line(m):
    """In GRUB's entry editor (drawn on the serial console, read as a
    screen): moves the cursor down to the line that starts the kernel."""
    for _ in range(4):
        m._read_until_quiet(quiet=1)
        if "linux /" in m.screen.display[m.screen.cursor.y]:
            return
        m.keys("\x0e")  # Ctrl-N: next line
    raise AssertionError("no linux line in GRUB's editor:\n" + m.screen_text())


def boot_through_the_locked_menu(target, password):
    """The installed boot menu is locked: editing an entry asks for a user
    and the root password, and a wrong one is refused; the entries still
    boot without it.  With the password, an edited entry adds corral.shell,
    which the console then ignores, since a root password is set."""
    m = Machine("install-locked-menu", firmware="bios", media=None,
                disks=[(target, {"boot": True})], root_password=password)
    m.start()
    try:
        m.expect(r"Corral \(slot a\)", timeout=300, what="GRUB's menu")
        m.keys("e")
        m.expect(r"Enter username:", timeout=30, what="GRUB to ask who edits the entry")
        m.keys(list("root") + ["\r"])
        m.expect(r"Enter password:", timeout=30)
        m.keys(list("not-the-password") + ["\r"])
        m.expect(r"access denied", timeout=60, what="GRUB to refuse the wrong password")
        m.expect(r"Corral \(slot a\)", timeout=60, what="GRUB's menu again")
        m.keys("e")
        m.expect(r"Enter username:", timeout=60, what="GRUB to ask again")
        m.keys(list("root") + ["\r"])
        m.expect(r"Enter password:", timeout=30)
        m.keys(list(password) + ["\r"])
        m.expect(r"Ctrl-x", timeout=60, what="GRUB's entry editor")
        grub_editor_to_linux_line(m)
        m.keys(["\x05"] + list(" corral.shell") + ["\x18"])  # Ctrl-E: line end; Ctrl-X: boot
        m.expect(r"corral.shell ignored: a root password is set", timeout=600,
                 what="the console to refuse corral.shell")
        m.ui_shell()  # the console UI, which asks for the password
        assert "corral.shell" in m.out("cat /proc/cmdline")
    finally:
        m.stop()
