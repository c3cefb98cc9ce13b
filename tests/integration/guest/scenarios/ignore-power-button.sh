# corrald test: a guest that ignores its power button (as one without acpid
# would), so that only a forced stop ends it: it claims the button from
# /init's default action (wait-power-button.sh) and never answers it.
touch /tmp/power-button-claimed
echo "GUEST-WAITING"
sleep 600
