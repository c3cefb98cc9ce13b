# Not a scenario: the guest's answer to its ACPI power button, as acpid's
# would be.  /init runs power_button_default in the background for every
# scenario: a press powers the guest off.  A scenario that waits for the
# button itself calls wait_power_button, which claims it first: it prints
# GUEST-WAITING button=DEV, blocks until one key event arrives (a struct
# input_event is 24 bytes on x86-64), prints GUEST-POWER-BUTTON and returns
# (1 when the guest has no power button).

power_button_device() {
    for d in /sys/class/input/event*; do
        if [ "$(cat "$d/device/name" 2>/dev/null)" = "Power Button" ]; then
            echo "/dev/input/${d##*/}"
            return
        fi
    done
}

wait_power_button() {
    touch /tmp/power-button-claimed
    dev=$(power_button_device)
    echo "GUEST-WAITING button=${dev:-none}"
    [ -n "$dev" ] || return 1
    dd if="$dev" of=/dev/null bs=24 count=1 2>/dev/null
    echo "GUEST-POWER-BUTTON"
}

power_button_default() {
    dev=$(power_button_device)
    [ -n "$dev" ] || return 0
    dd if="$dev" of=/dev/null bs=24 count=1 2>/dev/null
    [ -e /tmp/power-button-claimed ] && return 0
    echo "GUEST-POWER-BUTTON default action: powering off"
    sync
    poweroff -f
}
