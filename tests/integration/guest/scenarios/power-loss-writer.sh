# Power-loss test (test_install.py): write numbered 4 KiB blocks into the
# first virtio disk, each flushed (fsync: a virtio-blk FLUSH) before its
# number is printed, until the power goes.  Block i holds BLOCK-i.
i=1
while [ $i -le 100000 ]; do
    printf 'BLOCK-%08d' "$i" | dd of=/dev/vda bs=4096 seek=$i conv=sync,fsync 2>/dev/null || exit 1
    echo "FLUSHED $i"
    i=$((i + 1))
done
