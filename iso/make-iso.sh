#!/bin/bash
# Assemble the hybrid ISO: GRUB for legacy BIOS (El Torito + MBR) and UEFI
# (an EFI system image, EFI/BOOT/BOOTX64.EFI), so the same file boots as a
# CD and when written to a USB stick with dd.
#   make-iso.sh ISO_ROOT OUTPUT.iso VERSION
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
root=$1 iso=$2 version=$3

mkdir -p "$root/boot/grub"
sed "s/@VERSION@/$version/g" "$HERE/grub.cfg.in" >"$root/boot/grub/grub.cfg"
echo "$version" >"$root/corral-version"

# Only the GRUB modules the menu needs, no locales/themes: a smaller ISO.
grub-mkrescue -o "$iso" "$root" \
    --install-modules="linux normal iso9660 part_msdos part_gpt fat serial terminal echo test all_video search search_label configfile" \
    --locales= --fonts= --themes= --compress=xz \
    -- -volid CORRAL >"$iso.log" 2>&1 || { cat "$iso.log"; exit 1; }
rm -f "$iso.log"
