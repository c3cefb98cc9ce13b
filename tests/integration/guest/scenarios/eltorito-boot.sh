# corral-vmm test (issue 15): this guest came from a CD that boots only by
# El Torito (SeaBIOS, ISOLINUX; no MBR) with the no-virtio initramfs: say
# which virtio modules it has (none) and that its boot CD is /dev/sr0.
. /scenarios/lib-guest.sh
virtio_report
wait_block sr0
mkdir -p /mnt/cd
mount -t iso9660 -o ro /dev/sr0 /mnt/cd || exit 2
echo "BOOT-CD isolinux=$([ -f /mnt/cd/isolinux/isolinux.cfg ] && echo 1 || echo 0)"
umount /mnt/cd
