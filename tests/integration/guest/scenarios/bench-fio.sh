# Benchmark: fio on the first virtio disk (tests/bench/bench_disk.py): 1 MiB
# sequential and 4 KiB random reads and writes at iodepth 1 and 32, O_DIRECT
# through io_uring, RUNTIME seconds each; one "FIO rw depth <terse line>"
# per job.  The benchmark also runs it in the control domain on the image
# file itself (FIO, DEV, SIZE set), as the host's reference.
#
# In a guest, each job also gets the counts that do not depend on timing,
# the same for any VMM: "COUNTS rw depth <requests> <merged> <interrupts>",
# the disk's requests completed and merged by the guest's block layer
# (/sys/block/vda/stat) and its virtio request-queue interrupts
# (/proc/interrupts, every queue and CPU) during the job.  "JOB-START rw
# depth" before each job lets the benchmark read the host's KVM exit count
# as the job starts and, at its COUNTS line, as it ends.
FIO=${FIO:-fio}
DEV=${DEV:-/dev/vda}
RUNTIME=${RUNTIME:-5}
disk=${DEV#/dev/}

# "requests merged interrupts" so far (0 0 0 outside a guest).
counts() {
    [ -r /sys/block/$disk/stat ] || { echo "0 0 0"; return; }
    set -- $(cat /sys/block/$disk/stat)
    requests=$(($1 + $5))
    merged=$(($2 + $6))
    irqs=$(grep -E 'virtio[0-9]+-req\.' /proc/interrupts |
           awk '{ for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i } END { print s + 0 }')
    echo "$requests $merged $irqs"
}

# Where the guest kernel's text landed (KASLR moves it every boot), so that
# a hung run's exit addresses (the benchmark's RUN-EXITS) can be named from
# the appliance's kallsyms (the same kernel): "GUEST-TEXT <address of _text>".
[ -r /sys/block/$disk/stat ] &&
    echo "GUEST-TEXT $(awk '$3 == "_text" { print $1; exit }' /proc/kallsyms)"

for job in read:1M write:1M randread:4k randwrite:4k; do
    rw=${job%%:*}
    bs=${job#*:}
    for depth in 1 32; do
        before=$(counts)
        echo "JOB-START $rw $depth"
        line=$($FIO --name=bench --filename="$DEV" ${SIZE:+--size=$SIZE} --rw=$rw --bs=$bs \
               --iodepth=$depth --ioengine=io_uring --direct=1 --thread --time_based \
               --runtime=$RUNTIME --minimal 2>&1 | tail -n 1)
        after=$(counts)
        echo "FIO $rw $depth $line"
        set -- $before $after
        echo "COUNTS $rw $depth $(($4 - $1)) $(($5 - $2)) $(($6 - $3))"
    done
done
