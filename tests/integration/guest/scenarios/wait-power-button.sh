# Not a scenario: sourced by the scenarios that wait for the ACPI power
# button, as acpid would.  Finds the "Power Button" input device (the
# button driver's), prints GUEST-WAITING button=DEV, then blocks until one
# key event arrives (a struct input_event is 24 bytes on x86-64) and prints
# GUEST-POWER-BUTTON.  Returns 1 when the guest has no power button.
wait_power_button() {
    dev=
    for d in /sys/class/input/event*; do
        [ "$(cat "$d/device/name" 2>/dev/null)" = "Power Button" ] && dev=/dev/input/${d##*/}
    done
    echo "GUEST-WAITING button=${dev:-none}"
    [ -n "$dev" ] || return 1
    dd if="$dev" of=/dev/null bs=24 count=1 2>/dev/null
    echo "GUEST-POWER-BUTTON"
}
