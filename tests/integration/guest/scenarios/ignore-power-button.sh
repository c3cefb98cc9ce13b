# corrald test: a guest that ignores its power button (as one without acpid
# would), so that only a forced stop ends it.
echo "GUEST-WAITING"
sleep 600
