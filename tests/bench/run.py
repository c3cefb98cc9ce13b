#!/usr/bin/env python3
"""Corral's benchmarks (`./build.sh bench`): every figure is measured here,
on this machine, and printed as a table with how it was measured.

    ./build.sh bench                 all benchmarks
    ./build.sh bench appliance       only the appliance figures
    ./build.sh bench net boot        guest networking and VM exits; firmware boot
    ./build.sh bench devices         virtio against SATA + e1000 (disk, NIC, exits)
    ./build.sh bench disk            fio in the guest: corral-vmm against QEMU q35
    ./build.sh bench soak            how long the nested guest lives under disk load,
                                     corral-vmm against QEMU (only when named)
    ./build.sh bench web             the web client: VM list page load, 50 VMs
    ./build.sh bench jail            the VMM jailed against jail = no
    ./build.sh bench seccomp         the jail's filter: ns added per system call
    ./build.sh bench --rounds 5      more rounds (the median is shown)
    ./build.sh bench disk --pairs 5  rounds until each job has 5 paired with QEMU's
    ./build.sh bench --clean-build   also time a clean build with an empty cache

Benchmarks are not tests: they print figures and never fail on a target;
the targets are printed beside the figures.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, HERE)

from qemu import Machine, accel_args, iso_path  # noqa: E402

BENCHMARKS = {}
# Run only when named: diagnostics that measure the test machine's nested
# emulation more than Corral, and take half an hour or more.
BY_NAME_ONLY = set()


def benchmark(name, by_name_only=False):
    def register(fn):
        BENCHMARKS[name] = fn
        if by_name_only:
            BY_NAME_ONLY.add(name)
        return fn
    return register


def table(title, rows, note=None):
    print("\n" + title)
    width = max(len(r[0]) for r in rows)
    print("  %-*s  %14s  %s" % (width, "figure", "value", "target"))
    for name, value, target in rows:
        print("  %-*s  %14s  %s" % (width, name, value, target or ""))
    if note:
        print("  (" + note + ")")


def mib(nbytes):
    return "%.1f MiB" % (nbytes / 1048576.0)


@benchmark("appliance")
def bench_appliance(args):
    iso = iso_path()
    initrd = os.path.join(ROOT, "out", "iso-root", "boot", "initrd.img")
    kernel = os.path.join(ROOT, "out", "iso-root", "boot", "vmlinuz")
    boots, used = [], []
    for i in range(args.rounds):
        with Machine("bench-boot-%d" % i, memory_mib=2048) as m:
            m.wait_ready()
            boots.append(m.boot_seconds)
            # Settle, then read what the control domain itself uses.
            m.out("sleep 5")
            kib = int(m.out("free -k | awk '/^Mem:/ {print $3}'").strip().splitlines()[-1])
            used.append(kib / 1024.0)
    accel = " ".join(accel_args())
    table("Appliance (ISO %s)" % os.path.basename(iso), [
        ("ISO size", mib(os.path.getsize(iso)), "<= 60 MiB"),
        ("kernel size", mib(os.path.getsize(kernel)), ""),
        ("initramfs size (xz)", mib(os.path.getsize(initrd)), ""),
        ("QEMU start to ready banner", "%.1f s" % statistics.median(boots), ""),
        ("control domain RAM used after boot", "%.0f MiB" % statistics.median(used), "< 64 MiB"),
    ], note="median of %d boots, SeaBIOS, CD, 2 vCPUs, 2 GiB; QEMU %s" % (args.rounds, accel))


def with_testdata(run):
    """Run run(image) with the integration tests' test-data disk (guest
    kernel, guest initramfs, grub.img: see tests/integration/guest.py)."""
    import guest
    with tempfile.TemporaryDirectory(prefix="corral-testdata-") as work:
        content = os.path.join(work, "content")
        os.makedirs(content)
        guest.populate(content)
        image = os.path.join(work, "testdata.img")
        subprocess.run(["mke2fs", "-q", "-t", "ext4", "-L", "CORRAL-TEST", "-d", content,
                        image, "512M"], check=True)
        run(image)


@benchmark("vmm")
def bench_vmm_against_qemu(args):
    import bench_vmm
    with_testdata(lambda image: bench_vmm.bench(args, image, table))


@benchmark("net")
def bench_net(args):
    import bench_net
    with_testdata(lambda image: bench_net.bench(args, image, table))


@benchmark("devices")
def bench_devices(args):
    import bench_devices
    with_testdata(lambda image: bench_devices.bench(args, image, table))


@benchmark("disk")
def bench_disk(args):
    import bench_disk
    with_testdata(lambda image: bench_disk.bench(args, image, table))


@benchmark("soak", by_name_only=True)
def bench_soak(args):
    import bench_soak
    with_testdata(lambda image: bench_soak.bench(args, image, table))


@benchmark("jail")
def bench_jail(args):
    import bench_jail
    with_testdata(lambda image: bench_jail.bench(args, image, table))


@benchmark("seccomp")
def bench_seccomp(args):
    """The jail's only per-call cost, on this machine's own CPU: the seccomp
    filter corral-vmm installs, timed by tests/bench/seccomp_cost.c."""
    subprocess.run(["make", "-s", "-C", ROOT, "seccomp-cost"], check=True)
    rounds = max(args.rounds, 15)
    out = subprocess.run([os.path.join(ROOT, "out", "test-bin", "seccomp-cost"), str(rounds)],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    rows = []
    for line in out[1:]:
        name, plain, jailed, added = line.split("\t")
        rows.append(("%s, %s -> %s ns" % (name, plain, jailed), "+%s ns" % added, ""))
    table("seccomp filter of a jailed corral-vmm (" + out[0] + ")", rows,
          "per guest I/O: multiply by the calls per operation; bench devices and net "
          "print the VM exits per MiB that reach corral-vmm, one KVM_RUN each")


@benchmark("boot")
def bench_firmware_boot(args):
    import bench_boot
    with_testdata(lambda image: bench_boot.bench(args, image, table))


@benchmark("web-server")
def bench_web_server(args):
    import bench_web_server
    with_testdata(lambda image: bench_web_server.bench(args, image, table))


@benchmark("display")
def bench_display(args):
    import bench_display
    with tempfile.TemporaryDirectory(prefix="corral-key-") as d:
        key = os.path.join(d, "id_ed25519")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key], check=True)
        with_testdata(lambda image: bench_display.bench(args, image, table, key))


@benchmark("web")
def bench_web(args):
    import bench_web
    with_testdata(lambda image: bench_web.bench(args, image, table))


@benchmark("clean-build")
def bench_clean_build(args):
    if not args.clean_build:
        return
    with tempfile.TemporaryDirectory(prefix="corral-clean-") as tmp:
        env = dict(os.environ, CORRAL_CACHE=os.path.join(tmp, "cache"))
        clone = os.path.join(tmp, "src")
        subprocess.run(["git", "clone", "-q", ROOT, clone], check=True)
        t0 = time.monotonic()
        subprocess.run(["./build.sh", "iso"], cwd=clone, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        seconds = time.monotonic() - t0
    table("Clean build", [("clean build (empty cache, fresh clone)", "%.0f s" % seconds,
                           "<= 15 min")],
          note="%d cores; downloads from Debian's archive included" % os.cpu_count())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("only", nargs="*", help="benchmarks to run: %s" % ", ".join(BENCHMARKS))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pairs", type=int, default=0,
                   help="bench disk: go on past --rounds until every job has this many rounds "
                        "paired with QEMU's (at most 3x as many rounds)")
    p.add_argument("--clean-build", action="store_true")
    args = p.parse_args()
    for name in args.only or [n for n in BENCHMARKS if n not in BY_NAME_ONLY]:
        if name not in BENCHMARKS:
            p.error("unknown benchmark %s" % name)
        BENCHMARKS[name](args)


if __name__ == "__main__":
    main()
