# Benchmark: the disk benchmark's four iodepth-32 fio jobs on the first
# virtio disk (tests/bench/bench_soak.py), 5 s each as there, cycled
# corral.soak_cycles times (15 by default: 300 s of load), to see how long
# a nested guest lives under that load with each VMM.  "SOAK-JOB cycle rw
# uptime" before each job, "SOAK-END uptime" after the last: the guest's
# uptime says how many seconds of load it took before a crash.
cycles=$(sed -n 's/.*corral\.soak_cycles=\([0-9]*\).*/\1/p' /proc/cmdline)
cycles=${cycles:-15}
i=0
while [ $i -lt $cycles ]; do
    for job in read:1M randread:4k write:1M randwrite:4k; do
        rw=${job%%:*}
        bs=${job#*:}
        echo "SOAK-JOB $i $rw $(cut -d' ' -f1 /proc/uptime)"
        fio --name=soak --filename=/dev/vda --rw=$rw --bs=$bs --iodepth=32 \
            --ioengine=io_uring --direct=1 --thread --time_based --runtime=5 \
            --minimal >/dev/null 2>&1
    done
    i=$((i + 1))
done
echo "SOAK-END $(cut -d' ' -f1 /proc/uptime)"
