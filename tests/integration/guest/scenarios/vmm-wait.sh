# corral-vmm/corrald test: stay up until the VMM asks the guest to shut
# down (its ACPI power button), then return so that /init powers off.
. /scenarios/wait-power-button.sh
wait_power_button
