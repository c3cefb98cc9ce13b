# corral-vmm test: the std VGA as Linux sees it (tests/integration/test_display.py).
# bochs-drm binds to 1234:1111, reads the DISPI ID and VRAM size through
# BAR2, sets a mode and gets a framebuffer console.
modprobe bochs 2>/dev/null
echo "BOCHS-LOAD=$?"
for d in /sys/bus/pci/devices/*; do
    [ "$(cat $d/class)" = 0x030000 ] || continue
    echo "DISPLAY-PCI $(basename $d) $(cat $d/vendor):$(cat $d/device)" \
         "sub=$(cat $d/subsystem_vendor):$(cat $d/subsystem_device)" \
         "rev=$(cat $d/revision) driver=$(basename "$(readlink $d/driver)" 2>/dev/null)"
done
for c in /sys/class/drm/card*-*; do
    [ -e "$c/status" ] && echo "DRM-CONNECTOR $(basename $c) $(cat $c/status) modes=$(head -1 $c/modes)"
done
echo "FB $(cat /proc/fb | tr '\n' ' ')"
[ -e /sys/class/graphics/fb0/virtual_size ] &&
    echo "FB0 size=$(cat /sys/class/graphics/fb0/virtual_size) bpp=$(cat /sys/class/graphics/fb0/bits_per_pixel)"
dmesg | grep -i -E 'bochs|fbcon' | head -8 | sed 's/^/DMESG /'
# With a framebuffer: 64 white lines at the top through /dev/fb0 (DRM's
# fbdev copies them into VRAM, the guest's writes to BAR0 that KVM's dirty
# log sees), then wait for the test to stop the VM and look at its screen.
# One write of all 64 lines: Linux 6.1's fbdev loses the damage of a write
# that ends exactly at the end of a line within it (the width comes out
# negative), so tr's small writes would leave the last part of each line
# unshown.
if [ -e /dev/fb0 ]; then
    dd if=/dev/zero bs=4096 count=64 2>/dev/null | tr '\000' '\377' > /tmp/white
    dd if=/tmp/white of=/dev/fb0 bs=262144 count=1 2>/dev/null
    echo "FB-WRITE=$?"
    sleep 1
    echo DISPLAY-READY
    sleep 1000
fi
