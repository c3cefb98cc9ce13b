# corral-vmm test: virtio-blk with a queue per vCPU and many requests in
# flight.  32 writers at once, each putting the same 4 MiB pattern at its
# own offset of /dev/vda with O_DIRECT (32 requests in flight), a flush,
# then 32 readers at once comparing what comes back.  Prints the queues
# the guest drives and the sha256 the whole 128 MiB disk must now have.
echo "QUEUES n=$(ls -d /sys/block/vda/mq/* | wc -l)"
dd if=/dev/urandom of=/tmp/pat bs=64k count=64 2>/dev/null || exit 1
i=0
while [ $i -lt 32 ]; do
    dd if=/tmp/pat of=/dev/vda bs=64k seek=$((i * 64)) oflag=direct 2>/dev/null ||
        echo "WRITE-BAD part=$i" &
    i=$((i + 1))
done
wait
blockdev --flushbufs /dev/vda
i=0
while [ $i -lt 32 ]; do
    dd if=/dev/vda bs=64k skip=$((i * 64)) count=64 iflag=direct 2>/dev/null |
        cmp -s - /tmp/pat || echo "READ-BAD part=$i" &
    i=$((i + 1))
done
wait
i=0
sum=$(while [ $i -lt 32 ]; do cat /tmp/pat; i=$((i + 1)); done | sha256sum | cut -d' ' -f1)
echo "PARALLEL-DONE sha256=$sum"
