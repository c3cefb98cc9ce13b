#!/bin/bash
# Assemble the control domain's root file system (it becomes the initramfs).
#   make-rootfs.sh DEST
# Environment (set by build.sh): BUSYBOX_DIR, DROPBEAR_DIR, CORRAL_BIN
# (our static binaries), SEABIOS_DEB, OVMF_DEB, CA_CERTIFICATES_DEB, and the disk tools corral-install
# runs: UTIL_LINUX_DIR (sfdisk), E2FSPROGS_DIR (mke2fs, e2fsck, tune2fs),
# DOSFSTOOLS_DIR (mkfs.fat); EBTABLES_DIR (ebtables, the bridge guard).
#
# Nothing outside DEST is read or changed through the links made here: they
# point at paths of the control domain (/bin/busybox), which on the build
# machine may be missing or be the build machine's own files.  So links are
# tested with -L, never followed, and modes are set on regular files only
# (tests/build/test_build_scripts.py runs this with the rest of the machine
# read-only).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=$1

rm -rf "$DEST"
mkdir -p "$DEST"
cp -a "$HERE/rootfs/." "$DEST/"
cd "$DEST"
mkdir -p bin sbin usr/bin usr/sbin usr/libexec/corral usr/share/corral lib \
    proc sys dev run tmp root var/lib/corral var/log etc/dropbear mnt media \
    var/empty
chmod 1777 tmp
chmod 700 root

# BusyBox and one link per applet it was built with.
install -m 0755 "$BUSYBOX_DIR/busybox" bin/busybox
while read -r applet; do
    case "$applet" in
    init | halt | poweroff | reboot | mdev | modprobe | insmod | rmmod | lsmod | \
        syslogd | klogd | getty | hwclock | switch_root | pivot_root | \
        losetup | blockdev | fdisk | findfs | blkid | ip | brctl | ifconfig | \
        route | udhcpc | udhcpc6 | ntpd | arping | sysctl | vconfig | mkswap | \
        swapon | swapoff | chroot | setserial) dir=sbin ;;
    *) dir=bin ;;
    esac
    [ -e "$dir/$applet" ] || [ -L "$dir/$applet" ] || ln -s /bin/busybox "$dir/$applet"
done <"$BUSYBOX_DIR/applets.txt"
ln -sf /bin/busybox init

# dropbear (multi-call): server, client, key generator, scp.
install -m 0755 "$DROPBEAR_DIR/dropbearmulti" usr/sbin/dropbearmulti
for p in dropbear dropbearkey; do ln -sf dropbearmulti "usr/sbin/$p"; done
for p in dbclient scp ssh; do ln -sf ../sbin/dropbearmulti "usr/bin/$p"; done

# Disk tools for corral-install (static, musl).
install -m 0755 "$UTIL_LINUX_DIR/sfdisk" usr/sbin/sfdisk
install -m 0755 "$E2FSPROGS_DIR/mke2fs" "$E2FSPROGS_DIR/e2fsck" "$E2FSPROGS_DIR/tune2fs" usr/sbin/
install -m 0644 "$E2FSPROGS_DIR/mke2fs.conf" etc/mke2fs.conf
ln -sf mke2fs usr/sbin/mkfs.ext4
ln -sf e2fsck usr/sbin/fsck.ext4
install -m 0755 "$DOSFSTOOLS_DIR/mkfs.fat" usr/sbin/mkfs.fat
ln -sf mkfs.fat usr/sbin/mkfs.vfat
install -m 0755 "$EBTABLES_DIR/ebtables" usr/sbin/ebtables
install -m 0644 "$EBTABLES_DIR/ethertypes" etc/ethertypes

# The web client's pages go here (web/ of the source tree, when built).
mkdir -p usr/share/corral/web

# Our own binaries, as far as they exist yet.
for b in "$CORRAL_BIN"/*; do
    [ -x "$b" ] && install -m 0755 "$b" usr/bin/
done

# SeaBIOS for firmware-booted guests (corral-vmm's boot = firmware).
tmp=$DEST.seabios
rm -rf "$tmp"
dpkg-deb -x "$SEABIOS_DEB" "$tmp"
install -m 0644 "$tmp/usr/share/seabios/bios-256k.bin" usr/share/corral/bios.bin
# The VGA BIOS SeaBIOS runs for the display device (corral-vmm's display = std).
install -m 0644 "$tmp/usr/share/seabios/vgabios-stdvga.bin" usr/share/corral/vgabios-stdvga.bin
rm -rf "$tmp"

# The certificate authorities https imports trust (corral image import,
# hypervisor/cli/tls_client.h): Debian's Mozilla bundle, one PEM file where
# Debian's update-ca-certificates puts it.
tmp=$DEST.ca
rm -rf "$tmp"
dpkg-deb -x "$CA_CERTIFICATES_DEB" "$tmp"
mkdir -p etc/ssl/certs
cat $(ls "$tmp"/usr/share/ca-certificates/mozilla/*.crt | LC_ALL=C sort) \
    >etc/ssl/certs/ca-certificates.crt
[ -s etc/ssl/certs/ca-certificates.crt ] || { echo "make-rootfs: no CA certificates" >&2; exit 1; }
chmod 0644 etc/ssl/certs/ca-certificates.crt
rm -rf "$tmp"

# OVMF for UEFI guests (boot = uefi), where Debian puts it: the code, and
# the variables template corrald copies to each VM's nvram.fd.
tmp=$DEST.ovmf
rm -rf "$tmp"
dpkg-deb -x "$OVMF_DEB" "$tmp"
mkdir -p usr/share/OVMF
for f in OVMF_CODE_4M.fd OVMF_VARS_4M.fd; do
    install -m 0644 "$tmp/usr/share/OVMF/$f" "usr/share/OVMF/$f"
done
rm -rf "$tmp"

# Scripts of the overlay: regular files only (chmod would follow a link).
find etc/init.d usr/libexec/corral usr/share/udhcpc/default.script -type f -exec chmod 0755 {} +
chmod 0600 etc/shadow
