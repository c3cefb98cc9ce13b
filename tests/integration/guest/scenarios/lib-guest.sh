# Not a scenario: functions the scenarios source (. /scenarios/lib-guest.sh).

# The arguments on the kernel command line: arg NAME -> corral.NAME's value.
arg() { sed -n "s/.*corral\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

# wait_block DEV...: until each /dev/DEV is there, 10 s at the most.
wait_block() {
    local i d ok
    for i in $(seq 1 100); do
        ok=1
        for d in "$@"; do [ -b "/dev/$d" ] || ok=0; done
        [ $ok = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

# The virtio modules this guest has and has loaded (guests with the
# no-virtio initramfs, guest.NOVIRTIO_INITRD, must say 0 and 0).
virtio_report() {
    echo "VIRTIO-MODULES present=$(find /lib/modules -name 'virtio*' | wc -l)" \
         "loaded=$(grep -c '^virtio' /proc/modules)"
}

# net_static_up IP HOST: eth0 up with IP/24, until HOST answers a ping
# (30 s at the most).
net_static_up() {
    ip link set lo up
    ip link set eth0 up
    ip addr add "$1/24" dev eth0
    local i=0
    until ping -c 1 -W 2 "$2" >/dev/null; do
        i=$((i + 1)); [ $i -ge 15 ] && { echo "BENCH: $2 unreachable"; return 1; }
    done
}
