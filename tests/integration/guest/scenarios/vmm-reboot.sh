# corral-vmm test: the guest reboots (through the i8042, or by triple fault
# when the command line says reboot=t).
reboot -f
sleep 30
