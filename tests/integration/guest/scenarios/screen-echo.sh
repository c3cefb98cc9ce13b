# Issue 14: a Linux text console on the VM's screen.  bochs-drm takes the
# display and fbcon draws tty1 on it; the scenario then reads one line
# typed on tty1's keyboard (the tty echoes it on the screen as it comes)
# and prints it on the serial console, and the guest powers off.
modprobe bochs || { echo "GUEST: no bochs-drm"; exit 1; }
for i in $(seq 50); do [ -e /dev/fb0 ] && break; usleep 100000; done
echo "GUEST-SCREEN fb=$(cat /sys/class/graphics/fb0/name 2>/dev/null)"
chvt 1
printf 'Type here: ' >/dev/tty1
echo "GUEST-WAITING"
read -r line </dev/tty1
echo "GUEST-TYPED $line"
