# corral-vmm test: wait for a press of the ACPI power button (an input
# event from the "Power Button" device, as acpid would), then let init
# power off - through ACPI S5 when ACPI works.
# The entropy device too (one boot for both, to keep the tests short):
# Linux picks virtio-rng as the hardware RNG and reads from it.
echo "RNG current=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)" \
     "bytes=$(dd if=/dev/hwrng bs=64 count=4 2>/dev/null | wc -c)"
dmesg | grep -i -E "acpi.*(error|warn|S5|sleep|power)|button" | sed 's/^/DMESG /' | head -20
# The tables the kernel found (the FADT among them), to tell whose tables a
# firmware handed over when ACPI does not come up.
dmesg | grep -E "ACPI: (RSDP|XSDT|RSDT|FACP|DSDT|FACS|APIC) " | sed 's/^/DMESG /' | head -10
. /scenarios/wait-power-button.sh
wait_power_button
