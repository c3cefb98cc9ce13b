"""Issue 2: the ISO boots (CD and USB stick, BIOS and UEFI) into the control
domain, which has KVM, a bridged network with DHCP, SSH and a clear status."""

import re
import subprocess

import pytest

from conftest import wait_for
from qemu import Machine


def test_banner_shows_version_network_kvm_and_state(appliance):
    log = appliance.log_text()
    assert re.search(r"Corral \d+\.\d+\.\d+ - server virtualization", log)
    assert "KVM:      available (AMD-V, /dev/kvm)" in log or "KVM:      available (Intel VT-x" in log
    assert "State:    live: running from RAM, nothing is kept" in log


def test_kvm_device_exists_under_nested_svm(appliance):
    out = appliance.out("ls -l /dev/kvm; lsmod")
    assert "/dev/kvm" in out
    assert re.search(r"^kvm_(amd|intel)\b", out, re.M)


def test_bridge_gets_a_dhcp_address(appliance):
    def address():
        out = appliance.out("ip -4 -o addr show dev br0")
        m = re.search(r"inet (\d+\.\d+\.\d+\.\d+)/", out)
        return m and m.group(1)
    addr = wait_for(address, timeout=60)
    assert addr and addr.startswith("10.0.2."), "br0 has no DHCP address"
    assert "br0" in appliance.out("ls /sys/class/net/eth0/master/ -d && readlink /sys/class/net/eth0/master")
    assert appliance.out("cat /run/corral/status/network").startswith(addr + "/24 on br0 (dhcp)")


def test_ssh_with_a_key_installed_through_the_serial_console(appliance, ssh_key):
    with open(ssh_key + ".pub") as f:
        pub = f.read().strip()
    appliance.out("echo '%s' >> /root/.ssh/authorized_keys" % pub)
    r = appliance.ssh(ssh_key, "cat /etc/corral-release; id -u")
    assert r.returncode == 0, r.stderr
    assert "CORRAL_VERSION=" in r.stdout and r.stdout.strip().endswith("0")


def test_password_login_is_impossible_without_a_root_password(appliance):
    # The shipped shadow entry is '*': no password matches it.
    assert appliance.out("grep '^root:' /etc/shadow").startswith("root:*:")


def test_release_file_lists_pinned_inputs(appliance):
    rel = appliance.out("cat /etc/corral-release")
    for key in ("CORRAL_VERSION", "KERNEL", "BUSYBOX", "DROPBEAR", "NCURSES", "SEABIOS"):
        assert key + "=" in rel


def test_logs_are_kept_in_a_bounded_memory_ring(appliance):
    out = appliance.out("logread | tail -n 50")
    assert "corral: " in out or "corral:" in out


def test_modules_autoload_by_modalias(appliance):
    # virtio_net appears only after virtio_pci made the virtio devices.
    out = appliance.out("lsmod")
    for mod in ("virtio_pci", "virtio_net", "virtio_blk", "bridge"):
        assert re.search(r"^%s\b" % mod, out, re.M), mod


def test_control_domain_memory_after_boot(appliance):
    out = appliance.out("free -k | awk '/^Mem:/ {print $3}'")
    used_mib = int(out.strip().splitlines()[-1]) / 1024
    print("\ncontrol domain RAM in use after boot: %.0f MiB" % used_mib)
    assert used_mib < 512  # sanity bound; the target is checked by the benchmark


@pytest.mark.parametrize("firmware,media", [("uefi", "cd"), ("bios", "usb"), ("uefi", "usb")])
def test_boots_as_cd_and_usb_stick_by_bios_and_uefi(firmware, media):
    with Machine("boot-%s-%s" % (firmware, media), firmware=firmware, media=media,
                 memory_mib=1024) as m:
        m.wait_ready()
        assert "available" in m.out("cat /run/corral/status/kvm")


def test_boot_without_a_nic_says_so():
    with Machine("boot-no-nic", nic=False, memory_mib=1024) as m:
        m.wait_ready()
        assert "Network:  no network interface found" in m.log_text()
        assert m.out("cat /sys/class/net/br0/operstate")  # br0 exists for VMs


def test_boot_with_512_mib_of_ram():
    with Machine("boot-512m", memory_mib=512) as m:
        m.wait_ready()
        assert re.search(r"Memory:   \d+ MiB total", m.log_text())


def test_hot_plugged_usb_stick_gets_its_driver(appliance, tmp_path):
    """A FAT stick, as most are: usb_storage loads by modalias, and the
    stick mounts without naming its file system (issue 20 item 4: `mount`
    failed with "Invalid argument" until vfat happened to be loaded)."""
    stick = tmp_path / "stick.img"
    stick.write_bytes(b"\0" * (40 << 20))
    note = tmp_path / "note.txt"
    note.write_text("from the stick\n")
    subprocess.run(["mformat", "-i", str(stick), "-F", "::"], check=True)
    subprocess.run(["mcopy", "-i", str(stick), str(note), "::NOTE.TXT"], check=True)
    assert appliance.out("lsmod | grep -c '^usb_storage' || true").strip() == "0"
    appliance.monitor("drive_add 0 if=none,id=hotstick,format=raw,file=%s" % stick)
    appliance.monitor("device_add usb-storage,bus=xhci.0,drive=hotstick,id=hotstick")
    try:
        found = wait_for(lambda: "usb_storage" in appliance.out("lsmod")
                         and appliance.sh("ls /sys/block | grep -q '^sd'")[0] == 0, timeout=60)
        assert found, "no usb_storage driver or disk after hot plug"
        disk = appliance.out("ls /sys/block | grep '^sd' | head -1").strip()
        status, out = appliance.sh("mkdir -p /mnt/stick && mount -o ro /dev/%s /mnt/stick && "
                                   "cat /mnt/stick/NOTE.TXT; umount /mnt/stick" % disk)
        assert status == 0 and "from the stick" in out, out
    finally:
        appliance.monitor("device_del hotstick")


def test_cpu_without_virtualization_is_reported():
    m = Machine("boot-no-svm", memory_mib=1024)
    m.cpu_model = "EPYC,-svm"
    with m:
        m.wait_ready()
        assert ("KVM:      not available: this CPU has no hardware virtualization"
                in m.log_text())
