# corral-vmm test (issue 15): CD-ROM media changes from the control socket.
# The drive starts with the test ISO: read its file, say GUEST-WAITING,
# then wait for the host to eject the medium (reading /dev/sr0 fails) and
# to insert it again (the file reads again).  /init then powers off.
# Run with the no-virtio initramfs (guest.NOVIRTIO_INITRD): none to see.
. /scenarios/lib-guest.sh
virtio_report
wait_block sr0
# Linux locks the tray (PREVENT MEDIUM REMOVAL) whenever /dev/sr0 is open,
# and the loops below open it every 0.2 s: an eject landing then would be
# refused ("the guest locked the tray").  Like a desktop that lets the
# eject button work, leave it unlocked.
echo 0 > /proc/sys/dev/cdrom/lock
echo "CD-LOCK=$(cat /proc/sys/dev/cdrom/lock)"
mkdir -p /mnt/cd
cd_sha() {
    mount -t iso9660 -o ro /dev/sr0 /mnt/cd 2>/dev/null || return 1
    sha256sum < /mnt/cd/hello.txt | cut -d' ' -f1
    umount /mnt/cd
}
echo "CD-SHA1=$(cd_sha)"
echo "GUEST-WAITING"
for i in $(seq 1 1500); do
    dd if=/dev/sr0 of=/dev/null bs=2048 count=1 2>/dev/null || break
    sleep 0.2
done
echo "CD-GONE"
for i in $(seq 1 1500); do
    dd if=/dev/sr0 of=/dev/null bs=2048 count=1 2>/dev/null && break
    sleep 0.2
done
echo "CD-SHA2=$(cd_sha)"
