# corral-vmm test: the guest's "work" - a counter printed every 0.2 s -
# for pause and resume through the control socket; ends at a press of the
# ACPI power button, and init powers off.  The button is claimed through
# wait_power_button: a private reader of the device raced /init's default
# answer, which could power off before this printed GUEST-DONE.
( i=0; while :; do i=$((i + 1)); echo "COUNT $i"; usleep 200000; done ) &
counter=$!
. /scenarios/wait-power-button.sh
wait_power_button
status=$?
kill $counter
exit $status
