"""The control domain's own tools behave as a person at the console (or a
script of ours) expects.  They run here on the build machine: the rootfs's
BusyBox is static, so it runs as it would in the appliance.

Run by `./build.sh test` after the ISO is built."""

import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUSYBOX = os.path.join(ROOT, "out", "rootfs", "bin", "busybox")


@pytest.fixture(scope="module")
def busybox():
    assert os.path.isfile(BUSYBOX), "no %s: build the ISO first (./build.sh iso)" % BUSYBOX
    return BUSYBOX


def awk(busybox, program):
    r = subprocess.run([busybox, "awk", program], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_awk_system_runs_the_command_and_returns_its_status(busybox):
    # Built without FEATURE_ALLOW_EXEC, system() returned 0 and ran nothing.
    assert awk(busybox, 'BEGIN { r = system("echo ran; exit 3"); print "status " r }') \
        == "ran\nstatus 3\n"


def test_awk_reads_a_commands_output_through_getline(busybox):
    assert awk(busybox, 'BEGIN { "echo one; echo two" | getline x; print x }') == "one\n"
