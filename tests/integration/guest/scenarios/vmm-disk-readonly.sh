# corral-vmm test: the first disk is read-only; a write must fail.
echo "RO-FLAG=$(cat /sys/block/vda/ro)"
dd if=/dev/zero of=/dev/vda bs=4096 count=1 oflag=direct conv=fsync 2>/dev/null
echo "RO-DD=$?"
echo "RO-READ=$(dd if=/dev/vda bs=4096 count=1 2>/dev/null | wc -c)"
