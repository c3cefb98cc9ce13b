#!/bin/bash
# GRUB for disks that corral-install prepares.  The control domain has no
# grub-install, so the images are made here, with the build machine's
# grub-mkimage, and corral-install only places them (see
# initramfs/installer/biosboot.h and docs/install.md):
#
#   boot.img     legacy BIOS: the MBR's code (patched with the core's LBA)
#   core.img     legacy BIOS: written to the start of the BIOS boot partition
#   bootx64.efi  UEFI: EFI/BOOT/BOOTX64.EFI on the ESP (the removable path)
#
# Both load grub/grub.cfg from the ESP: "(,gpt2)/grub" is partition 2 of
# the disk the BIOS booted from; "/grub" is the partition the EFI image
# was loaded from.  Every module the menu needs is built in, so nothing is
# read from a modules directory.
#   make-grub-images.sh DEST_DIR
set -euo pipefail
dest=$1
modules="part_gpt fat normal linux configfile echo test serial terminal loadenv password_pbkdf2
         search search_label sleep reboot halt boot minicmd"
mkdir -p "$dest"
grub-mkimage -O i386-pc -o "$dest/core.img" -p '(,gpt2)/grub' biosdisk $modules
cp /usr/lib/grub/i386-pc/boot.img "$dest/boot.img"
grub-mkimage -O x86_64-efi -o "$dest/bootx64.efi" -p /grub $modules efi_gop all_video
# The BIOS boot partition is 1 MiB; the core has to fit (with room to spare).
size=$(stat -c %s "$dest/core.img")
[ "$size" -lt $((512 * 1024)) ] || { echo "core.img is $size bytes: too big for the BIOS boot partition" >&2; exit 1; }
