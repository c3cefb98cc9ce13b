# corral-vmm test: the input devices Linux finds (PS/2 keyboard and mouse
# on the i8042, the virtio-input tablet), one line per device for
# tests/integration/test_input.py to check.
sleep 2 # psmouse probes the AUX port asynchronously
awk '
/^I:/ { bus = $2 }
/^N:/ { sub(/^N: Name=/, ""); gsub(/"/, ""); name = $0 }
/^H:/ { sub(/^H: Handlers=/, ""); handlers = $0 }
/^B: ABS=/ { abs = substr($2, 5) }
/^$/ { if (name != "") printf "INPUT name=[%s] abs=%s handlers=[%s] %s\n", name, abs, handlers, bus;
       name = ""; abs = "-"; handlers = "" }
' /proc/bus/input/devices
for d in /sys/bus/serio/devices/*; do
    [ -e "$d" ] && echo "SERIO $(basename $d) desc=[$(cat $d/description)] driver=$(basename "$(readlink $d/driver)" 2>/dev/null)"
done
grep -E 'i8042|virtio' /proc/interrupts | while read -r irq rest; do
    n=0
    for c in $rest; do case $c in *[!0-9]*) break;; *) n=$((n + c));; esac; done
    echo "IRQ ${irq%:} count=$n name=$(echo $rest | awk '{print $NF}')"
done
dmesg | grep -i -E 'psmouse|i8042|serio|virtio_input|input:' | sed 's/^/DMESG /'
