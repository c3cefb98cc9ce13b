# corral-vmm test: the guest's "work" - a counter printed every 0.2 s -
# for pause and resume through the control socket; ends at a press of the
# ACPI power button (as in acpi-power-button.sh), and init powers off.
dev=
for d in /sys/class/input/event*; do
    [ "$(cat "$d/device/name" 2>/dev/null)" = "Power Button" ] && dev=/dev/input/${d##*/}
done
( i=0; while :; do i=$((i + 1)); echo "COUNT $i"; usleep 200000; done ) &
counter=$!
echo "GUEST-WAITING button=${dev:-none}"
[ -n "$dev" ] || exit 1
dd if="$dev" of=/dev/null bs=24 count=1 2>/dev/null
kill $counter
echo "GUEST-POWER-BUTTON"
