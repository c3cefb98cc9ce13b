# corral-vmm test: stay up (with no power button to wait for: acpi=off)
# until the VMM's Ctrl-Alt-Del reboots the guest through its keyboard.
echo "GUEST-WAITING keyboard"
sleep 600
