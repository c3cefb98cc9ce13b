"""Issue 3: corral-vmm's PCI bus and virtio devices as a Linux guest sees
them, inside the control domain under nested KVM: the host bridge and one
virtio-blk function per disk, MSI-X with a vector per queue (and INTx
through the IOAPIC when the guest turns MSI off), serials, the limits the
device advertises, and I/O across two disks."""

import re

import pytest

from test_vmm import POWEROFF, boot_args, booted, run_vmm

SECTORS = 64 * 1024 * 1024 // 512


def run_two_disks(appliance, cmdline=""):
    appliance.out("rm -f /tmp/va.img /tmp/vb.img && truncate -s 64M /tmp/vb.img && "
                  "dd if=/dev/urandom of=/tmp/va.img bs=1M count=64 2>/dev/null")
    status, out = run_vmm(appliance, boot_args("vmm-virtio-devices", cpus=2, cmdline=cmdline,
                                               extra="--disk /tmp/va.img --disk /tmp/vb.img"))
    booted(out)
    assert status == POWEROFF, out[-2000:]
    return out


def facts(out, prefix):
    return [line.split()[1:] for line in out.splitlines() if line.startswith(prefix + " ")]


@pytest.mark.parametrize("msi", [True, False], ids=["msix", "intx"])
def test_virtio_blk_devices_and_interrupts(appliance, msi):
    out = run_two_disks(appliance, "" if msi else "pci=nomsi")
    pci = {f[0]: " ".join(f[1:]) for f in facts(out, "PCI")}
    # the i440FX chipset: host bridge, PIIX3 ISA bridge, PIIX4 PM (i440fx.h)
    assert pci["0000:00:00.0"].startswith("0x8086:0x1237"), pci
    assert pci["0000:00:01.0"].startswith("0x8086:0x7000"), pci
    assert pci["0000:00:01.3"].startswith("0x8086:0x7113"), pci
    for slot in ("0000:00:02.0", "0000:00:03.0"):
        assert pci[slot].startswith("0x1af4:0x1042"), pci
        assert "driver=virtio-pci" in pci[slot], pci
        assert ("msi=2" if msi else "msi=0") in pci[slot], pci

    disks = {f[0]: " ".join(f[1:]) for f in facts(out, "DISK")}
    assert "sectors=%d serial=va.img cache=write-back max_segments=254" % SECTORS in disks["vda"]
    assert "serial=vb.img" in disks["vdb"]
    assert int(re.search(r"discard_max=(\d+)", disks["vda"]).group(1)) > 0
    assert "COPY=0" in out, out[-2000:]

    irqs = facts(out, "IRQ")
    kind = "PCI-MSI" if msi else "IO-APIC"
    assert irqs and all(i[-1] == "kind=" + kind for i in irqs), irqs
    busy = [i for i in irqs if int(i[1].split("=")[1]) > 0]
    assert len(busy) >= 2, irqs  # both disks interrupted the guest
    # The 4 MiB the guest copied from vda to vdb reached vdb's image.
    n = 64 * 65536
    assert (appliance.out("cmp -n %d /tmp/va.img /tmp/vb.img && echo same" % n).strip()
            .endswith("same"))


LIMIT_BPS = 4 << 20
LIMIT_IOPS = 50


def disk_rates(appliance, limits, env=""):
    """Run the vmm-disk-rate scenario on a fresh 64 MiB disk with the given
    --disk options; returns {phase: rate} in bytes/s (write, read) and
    ops/s (ops), as the guest measured them."""
    appliance.out("rm -f /tmp/rate.img && truncate -s 64M /tmp/rate.img")
    status, out = run_vmm(appliance, boot_args("vmm-disk-rate",
                                               extra="--disk /tmp/rate.img" + limits),
                          env=env)
    booted(out)
    assert "GUEST-DONE status=0" in out, out[-3000:]
    assert status == POWEROFF, out[-2000:]
    rates = {}
    for phase, amount, seconds in re.findall(
            r"RATE-(\w+) (?:bytes|ops)=(\d+) seconds=([0-9.]+)", out):
        rates[phase.lower()] = int(amount) / max(float(seconds), 0.01)
    assert set(rates) == {"write", "read", "ops"}, out[-3000:]
    print("disk%s: write %.2f MiB/s, read %.2f MiB/s, %.0f 4 KiB writes/s"
          % (limits or " unlimited", rates["write"] / 2**20, rates["read"] / 2**20,
             rates["ops"]))
    return rates


@pytest.mark.parametrize("env", ["", "CORRAL_VMM_SLOW_IO=1"], ids=["fast-io", "slow-io"])
def test_rate_limited_disk_stays_within_10_percent(appliance, env):
    # Unlimited first: the limits below must be what slows the guest down.
    free = disk_rates(appliance, "", env)
    assert free["write"] > 2 * LIMIT_BPS and free["read"] > 2 * LIMIT_BPS, free
    assert free["ops"] > 2 * LIMIT_IOPS, free
    limited = disk_rates(appliance, ",bps=4M,iops=%d" % LIMIT_IOPS, env)
    for phase, limit in (("write", LIMIT_BPS), ("read", LIMIT_BPS), ("ops", LIMIT_IOPS)):
        assert abs(limited[phase] - limit) <= 0.10 * limit, (phase, limited[phase], limit)
