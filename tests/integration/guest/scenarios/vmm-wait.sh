# corral-vmm test: stay up until the VMM asks the guest to shut down.
echo "GUEST-WAITING"
sleep 600
