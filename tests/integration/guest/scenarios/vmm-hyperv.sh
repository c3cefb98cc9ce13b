# corral-vmm test (issue 16): which hypervisor Linux finds in CPUID, and
# what it does with it.  With hyperv = on, leaves 0x40000000.. say
# "Microsoft Hv" and Linux logs "Hypervisor detected: Microsoft Hyper-V";
# by default it finds KVM.
. /scenarios/lib-guest.sh
echo "HV-DETECTED=$(dmesg | sed -n 's/.*Hypervisor detected: //p' | head -1)"
echo "HV-FEATURES=$(dmesg | sed -n 's/.*Hyper-V: privilege flags low \(0x[0-9a-f]*\).*/\1/p' | head -1)"
echo "HV-CLOCKSOURCE=$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
