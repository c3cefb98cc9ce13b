# Issue 17: the serial console in a browser.  Prints GUEST-READY, reads one
# line typed on the serial console (the tty echoes it as it comes) and
# prints it back as GUEST-TYPED LINE, then stays up until its power button.
echo "GUEST-READY"
read -r line </dev/console
echo "GUEST-TYPED $line"
. /scenarios/wait-power-button.sh
wait_power_button
