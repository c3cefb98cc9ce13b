#!/bin/bash
# Pack the control domain's root file system into its initramfs.
#   pack-initramfs.sh ROOTFS OUT.img
# newc cpio, owned by root, in name order (the same tree packs to the same
# archive), xz with the CRC32 check the kernel's decompressor accepts.
# Links are stored as links: cpio -o never follows them (no -L), so a link
# to /bin/busybox is packed as the link, whatever the build machine has
# there.
set -euo pipefail
ROOTFS=$1
OUT=$2
cd "$ROOTFS"
find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --owner=0:0 --quiet |
    xz -9 --check=crc32 -T"$(nproc)" >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
