# corral-vmm test: what Linux makes of our PCI bus and virtio devices.
# Prints one line per fact for tests/integration/test_virtio.py to check.
for d in /sys/bus/pci/devices/*; do
    echo "PCI $(basename $d) $(cat $d/vendor):$(cat $d/device) irq=$(cat $d/irq)" \
         "driver=$(basename "$(readlink $d/driver)" 2>/dev/null)" \
         "msi=$(ls $d/msi_irqs 2>/dev/null | wc -l)"
done
for b in vda vdb; do
    q=/sys/block/$b/queue
    echo "DISK $b sectors=$(cat /sys/block/$b/size) serial=$(cat /sys/block/$b/serial)" \
         "cache=$(cat $q/write_cache | tr ' ' -) max_segments=$(cat $q/max_segments)" \
         "discard_max=$(cat $q/discard_max_bytes)"
done
# Traffic on both disks, then the interrupts it raised.
dd if=/dev/vda of=/dev/vdb bs=64k count=64 conv=fsync 2>/dev/null
echo "COPY=$?"
grep virtio /proc/interrupts | while read -r irq rest; do
    n=0
    for c in $rest; do case $c in *[!0-9]*) break;; *) n=$((n + c));; esac; done
    echo "IRQ $(echo $rest | awk '{print $NF}') count=$n kind=$(echo $rest | grep -o -E 'PCI-MSI|IO-APIC')"
done
