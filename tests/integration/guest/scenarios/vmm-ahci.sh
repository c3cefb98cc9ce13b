# corral-vmm test (issue 15): the SATA disk on the AHCI controller is
# /dev/sda - write a known pattern 1 MiB into it, flush, print its
# checksum - and the CD-ROM drive is /dev/sr0 - mount the test ISO and
# print the checksum of its file.  /init then powers off.
# Run with the no-virtio initramfs (guest.NOVIRTIO_INITRD): none to see.
. /scenarios/lib-guest.sh
virtio_report
wait_block sda sr0
echo "AHCI-DEVICES sda=$([ -b /dev/sda ] && echo 1 || echo 0) sr0=$([ -b /dev/sr0 ] && echo 1 || echo 0)"
echo "SDA-MODEL=$(cat /sys/block/sda/device/model 2>/dev/null)"
echo "SDA-SECTORS=$(cat /sys/block/sda/size 2>/dev/null)"
seq 1 100000 > /tmp/pattern
dd if=/tmp/pattern of=/dev/sda bs=4096 seek=256 conv=fsync 2>/dev/null || exit 1
blockdev --flushbufs /dev/sda
echo "PATTERN-BYTES=$(wc -c < /tmp/pattern) PATTERN-SHA=$(sha256sum < /tmp/pattern | cut -d' ' -f1)"
mkdir -p /mnt/cd
mount -t iso9660 -o ro /dev/sr0 /mnt/cd || exit 2
echo "CD-SHA=$(sha256sum < /mnt/cd/hello.txt | cut -d' ' -f1)"
umount /mnt/cd
