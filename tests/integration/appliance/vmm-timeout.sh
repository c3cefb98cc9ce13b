#!/bin/sh
# vmm-timeout SECONDS COMMAND...: run a corral-vmm command (directly or
# through env) for at most SECONDS.  At the limit the VMM first gets
# SIGUSR2 twice, 3 s apart, which prints its exit counters, where each
# vCPU thread is and where each disk's and NIC's rings stand into the
# test's log, so that a guest that hung says where (and two samples say
# whether its vCPUs still exit); SIGKILL follows 2 s later.  The status is the command's (137 when
# killed), as timeout -s KILL gave it.  conftest installs it in each
# appliance as /usr/bin/vmm-timeout: vmm-timeout 180 corral-vmm ...
limit=$1
shift
"$@" &
vmm=$!
( sleep "$limit"; kill -USR2 "$vmm" && sleep 3 && kill -USR2 "$vmm" && sleep 2 &&
  kill -KILL "$vmm" ) >/dev/null 2>&1 &
watchdog=$!
wait "$vmm"
status=$?
kill "$watchdog" 2>/dev/null
exit "$status"
