# corral-vmm test (issue 15): CD-ROM media changes from the control socket.
# The drive starts with the test ISO: read its file, say GUEST-WAITING,
# then wait for the host to eject the medium (reading /dev/sr0 fails) and
# to insert it again (the file reads again).  /init then powers off.
for i in $(seq 1 100); do
    [ -b /dev/sr0 ] && break
    sleep 0.1
done
mkdir -p /mnt/cd
cd_sha() {
    mount -t iso9660 -o ro /dev/sr0 /mnt/cd 2>/dev/null || return 1
    sha256sum < /mnt/cd/hello.txt | cut -d' ' -f1
    umount /mnt/cd
}
echo "CD-SHA1=$(cd_sha)"
echo "GUEST-WAITING"
for i in $(seq 1 300); do
    dd if=/dev/sr0 of=/dev/null bs=2048 count=1 2>/dev/null || break
    sleep 0.2
done
echo "CD-GONE"
for i in $(seq 1 300); do
    dd if=/dev/sr0 of=/dev/null bs=2048 count=1 2>/dev/null && break
    sleep 0.2
done
echo "CD-SHA2=$(cd_sha)"
