# corral-vmm test: write a known pattern 1 MiB into the first virtio disk,
# flush it, and print its checksum; /init then powers off.
seq 1 100000 > /tmp/pattern
dd if=/tmp/pattern of=/dev/vda bs=4096 seek=256 conv=fsync 2>/dev/null || exit 1
blockdev --flushbufs /dev/vda
echo "PATTERN-BYTES=$(wc -c < /tmp/pattern) PATTERN-SHA=$(sha256sum < /tmp/pattern | cut -d' ' -f1)"
