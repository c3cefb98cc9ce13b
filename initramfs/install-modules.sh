#!/bin/bash
# Copy the curated kernel modules and their dependencies into the rootfs
# and run depmod for it.
#   install-modules.sh KERNEL_TREE KERNEL_RELEASE MODULE_LIST ROOTFS
set -euo pipefail
tree=$1 krel=$2 list=$3 rootfs=$4
src=$tree/lib/modules/$krel
dst=$rootfs/lib/modules/$krel

# The .deb carries no modules.dep: make one for the whole tree first.
[ -f "$src/modules.dep" ] || depmod -b "$tree" "$krel"

mkdir -p "$dst"
missing=""
for mod in $(grep -v '^#' "$list" | grep -v '^[[:space:]]*$'); do
    # --show-depends prints "insmod /path/dep.ko" for the module and every
    # dependency, in load order; built-in modules print "builtin NAME".
    out=$(modprobe -d "$tree" -S "$krel" --show-depends "$mod" 2>/dev/null) ||
        { missing="$missing $mod"; continue; }
    echo "$out" | awk '$1 == "insmod" {print $2}' | while read -r ko; do
        rel=${ko#"$tree/lib/modules/$krel/"}
        mkdir -p "$dst/$(dirname "$rel")"
        cp -u "$ko" "$dst/$rel"
    done
done
[ -z "$missing" ] || { echo "install-modules: not in $krel:$missing" >&2; exit 1; }
cp "$src/modules.order" "$src/modules.builtin" "$src/modules.builtin.modinfo" "$dst/" 2>/dev/null || true
depmod -b "$rootfs" "$krel"
echo "    $(find "$dst" -name '*.ko' | wc -l) modules, $(du -sh "$dst" | cut -f1)"
