# Benchmark: fio on the first virtio disk (tests/bench/bench_disk.py): 1 MiB
# sequential and 4 KiB random reads and writes at iodepth 1 and 32, O_DIRECT
# through io_uring, RUNTIME seconds each; one "FIO rw depth <terse line>"
# per job.  The benchmark also runs it in the control domain on the image
# file itself (FIO, DEV, SIZE set), as the host's reference.
FIO=${FIO:-fio}
DEV=${DEV:-/dev/vda}
RUNTIME=${RUNTIME:-5}
for job in read:1M write:1M randread:4k randwrite:4k; do
    rw=${job%%:*}
    bs=${job#*:}
    for depth in 1 32; do
        line=$($FIO --name=bench --filename="$DEV" ${SIZE:+--size=$SIZE} --rw=$rw --bs=$bs \
               --iodepth=$depth --ioengine=io_uring --direct=1 --thread --time_based \
               --runtime=$RUNTIME --minimal 2>&1 | tail -n 1)
        echo "FIO $rw $depth $line"
    done
done
