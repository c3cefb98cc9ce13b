"""The build scripts themselves: they touch nothing of the build machine
outside their own tree and cache, and a failing step says which one and why.

Run by `./build.sh test` with the integration tests (pytest); no QEMU here.
The rootfs scripts run with every mount of the machine read-only except
their output directory, so that a write through a link (the old
`chmod 0755 init`, which followed init -> /bin/busybox to the build
machine's own file) fails the test instead of changing the host.
"""

import os
import subprocess
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# In a mount namespace: the whole file tree bound again under a new root,
# every mount there read-only (but /proc, /sys, /dev), the writable directory
# bound back read-write, then the command chrooted into it.  A new root is
# needed because a chroot's own root directory cannot be remounted (it is
# not a mount point): the same steps work on a host and in fresh-machine.
# The writable directory becomes a private mount first, so that nothing
# mounted under it is seen outside the namespace even where unshare could
# not make every mount private (see run_with_machine_read_only).
READ_ONLY_RUN = textwrap.dedent(r'''
    set -euo pipefail
    w=$1; shift
    mount --bind "$w" "$w"
    mount --make-rprivate "$w"
    new=$(mktemp -d "$w/.root.XXXXXX")
    mount --rbind / "$new"
    findmnt -rn -o TARGET -R "$new" | while read -r m; do
        m=$(printf '%b' "$m")
        case ${m#"$new"} in /proc | /proc/* | /sys | /sys/* | /dev | /dev/*) continue ;; esac
        mount -o remount,bind,ro "$m"
    done
    mount --bind "$w" "$new$w"
    cd "$new$w"
    exec chroot "$new" /bin/bash -c 'cd "$0" && exec "$@"' "$w" "$@"
''')


def run_with_machine_read_only(writable, argv, env=None):
    # unshare makes every mount private by default, which needs / to be a
    # mount point; in a chroot (fresh-machine's) it is not, and unshare
    # refuses.  There the chroot's mounts keep their propagation (private in
    # fresh-machine's own namespace) and READ_ONLY_RUN's private bind of the
    # writable directory keeps its mounts in.
    for propagation in ("private", "unchanged"):
        unshare = ["unshare", "--mount", "--propagation", propagation]
        if os.geteuid() != 0:
            unshare.append("--map-root-user")
        r = subprocess.run(unshare + ["bash", "-c", READ_ONLY_RUN, "ro-run", writable] + argv,
                           env=env, capture_output=True, text=True, timeout=300)
        if not (r.returncode != 0 and "cannot change root filesystem propagation" in r.stderr):
            return r
    return r


def write_exe(path, text="#!/bin/sh\nexit 0\n"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def fake_deb(work, package, directory, files):
    """A .deb holding files (1 KiB of zeros each) in directory."""
    deb_tree = os.path.join(work, package + "-deb")
    os.makedirs(os.path.join(deb_tree, "DEBIAN"))
    os.makedirs(os.path.join(deb_tree, directory))
    with open(os.path.join(deb_tree, "DEBIAN", "control"), "w") as f:
        f.write("Package: %s\nVersion: 1.0\nArchitecture: all\n"
                "Maintainer: test <test@example.invalid>\nDescription: test stand-in\n"
                % package)
    for name in files:
        with open(os.path.join(deb_tree, directory, name), "wb") as f:
            f.write(b"\0" * 1024)
    deb = os.path.join(work, package + ".deb")
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", deb_tree, deb], check=True,
                   capture_output=True)
    return deb


def fake_inputs(work):
    """Stand-ins for what build.sh builds and fetches: make-rootfs.sh only
    copies them, so any executable file will do."""
    env = dict(os.environ)
    bb = os.path.join(work, "busybox")
    write_exe(os.path.join(bb, "busybox"))
    with open(os.path.join(bb, "applets.txt"), "w") as f:
        f.write("\n".join(["init", "sh", "ls", "mount", "ip", "mdev", "udhcpc"]) + "\n")
    write_exe(os.path.join(work, "dropbear", "dropbearmulti"))
    write_exe(os.path.join(work, "util-linux", "sfdisk"))
    for p in ("mke2fs", "e2fsck", "tune2fs"):
        write_exe(os.path.join(work, "e2fsprogs", p))
    with open(os.path.join(work, "e2fsprogs", "mke2fs.conf"), "w") as f:
        f.write("[defaults]\n")
    write_exe(os.path.join(work, "dosfstools", "mkfs.fat"))
    write_exe(os.path.join(work, "ebtables", "ebtables"))
    with open(os.path.join(work, "ebtables", "ethertypes"), "w") as f:
        f.write("IPv4 0800 ip ip4\n")
    write_exe(os.path.join(work, "bin", "corral"))
    deb = fake_deb(work, "seabios", "usr/share/seabios",
                   ("bios-256k.bin", "vgabios-stdvga.bin"))  # the BIOS and the VGA BIOS
    ovmf = fake_deb(work, "ovmf", "usr/share/OVMF",
                    ("OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd", "OVMF_CODE.fd"))
    cas = fake_deb(work, "ca-certificates", "usr/share/ca-certificates/mozilla",
                   ("B_Root.crt", "A_Root.crt"))
    env.update(BUSYBOX_DIR=bb, DROPBEAR_DIR=os.path.join(work, "dropbear"),
               UTIL_LINUX_DIR=os.path.join(work, "util-linux"),
               E2FSPROGS_DIR=os.path.join(work, "e2fsprogs"),
               DOSFSTOOLS_DIR=os.path.join(work, "dosfstools"),
               EBTABLES_DIR=os.path.join(work, "ebtables"),
               CORRAL_BIN=os.path.join(work, "bin"), SEABIOS_DEB=deb, OVMF_DEB=ovmf,
               CA_CERTIFICATES_DEB=cas)
    return env


@pytest.fixture
def work(tmp_path):
    # Outside /tmp's own mount if it has one: the writable directory is bound
    # back by itself, whatever file system it is on.
    return str(tmp_path)


def test_the_read_only_run_really_refuses_writes_outside(work):
    """The harness itself: without this, the tests below could not fail."""
    outside = os.path.join(ROOT, "tests", "build")
    r = run_with_machine_read_only(work, ["touch", os.path.join(outside, ".probe")])
    assert r.returncode != 0 and "Read-only file system" in r.stderr, r.stderr
    assert not os.path.exists(os.path.join(outside, ".probe"))
    r = run_with_machine_read_only(work, ["touch", os.path.join(work, "inside")])
    assert r.returncode == 0, r.stderr


def test_rootfs_is_assembled_and_packed_without_following_its_links(work):
    env = fake_inputs(work)
    dest = os.path.join(work, "rootfs")
    r = run_with_machine_read_only(work, [os.path.join(ROOT, "initramfs", "make-rootfs.sh"), dest],
                                   env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    # The links point at the control domain's paths, not at anything here.
    assert os.readlink(os.path.join(dest, "init")) == "/bin/busybox"
    assert os.readlink(os.path.join(dest, "bin", "ls")) == "/bin/busybox"
    assert os.readlink(os.path.join(dest, "sbin", "mdev")) == "/bin/busybox"
    assert os.stat(os.path.join(dest, "etc", "init.d", "rcS")).st_mode & 0o777 == 0o755
    assert os.stat(os.path.join(dest, "etc", "shadow")).st_mode & 0o777 == 0o600
    assert not os.path.exists(dest + ".seabios")
    # the CA bundle https imports trust: every certificate of the package
    assert os.path.getsize(os.path.join(dest, "etc", "ssl", "certs",
                                        "ca-certificates.crt")) == 2 * 1024
    assert not os.path.exists(dest + ".ca")
    # OVMF's code and variables template where vm.conf's defaults say, and
    # only those two of the package's files
    assert sorted(os.listdir(os.path.join(dest, "usr", "share", "OVMF"))) == \
        ["OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"]
    assert not os.path.exists(dest + ".ovmf")

    img = os.path.join(work, "initrd.img")
    r = run_with_machine_read_only(work, [os.path.join(ROOT, "initramfs", "pack-initramfs.sh"),
                                          dest, img])
    assert r.returncode == 0, r.stdout + r.stderr
    listing = subprocess.run("xz -dc %s | cpio -t -v --quiet" % img, shell=True,
                             capture_output=True, text=True, check=True).stdout
    init = [line for line in listing.splitlines() if line.endswith(" init -> /bin/busybox")]
    assert init and init[0].startswith("l"), listing[:2000]


def fake_bin(work, failing_apt_get):
    """A PATH where dpkg-query finds nothing installed and apt-get fails."""
    d = os.path.join(work, "fakebin")
    write_exe(os.path.join(d, "dpkg-query"), "#!/bin/sh\nexit 1\n")
    write_exe(os.path.join(d, "apt-get"),
              "#!/bin/sh\necho 'E: %s' >&2\nexit 100\n" % failing_apt_get)
    env = dict(os.environ)
    env["PATH"] = d + ":" + env["PATH"]
    return env


def test_a_failing_step_is_named_with_its_command_and_status(work):
    # apt-get fails deep inside functions (as_root < apt_update_once <
    # install_packages < cmd_deps): without set -E, bash's ERR trap never
    # fired there and the build stopped without a word.
    env = fake_bin(work, "simulated mirror failure")
    r = subprocess.run([os.path.join(ROOT, "build.sh"), "deps"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 100, (r.returncode, r.stdout, r.stderr)
    assert "E: simulated mirror failure" in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith('build.sh: step "dependencies: build" failed:'), r.stderr
    assert "exited with status 100" in last and "in apt_update_once" in last, last
    # Reported once, by the main shell, not again by every subshell.
    assert r.stderr.count('failed:') == 1, r.stderr


def test_an_unknown_command_is_refused_with_a_reason():
    r = subprocess.run([os.path.join(ROOT, "build.sh"), "isoo"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1
    assert "unknown command 'isoo'" in r.stderr
