# Container OOM: dd's 200 MiB buffer under linux.resources.memory.limit 64 MiB is OOM-killed and
# `berth oci state` says stopped, exit 137, oomKilled true. A container killed with
# `berth oci kill ID KILL` under the same limit is stopped with 137 but not reported as OOM.
oci create --bundle /bundles/mem-oom vmoom >/tmp/oom.out 2>/tmp/oom.err && oci start vmoom 2>>/tmp/oom.err
oci_wait vmoom stopped 300
oci state vmoom >/tmp/oom.json 2>>/tmp/oom.err
st=$(json status </tmp/oom.json) code=$(json exitCode </tmp/oom.json) oom=$(json oomKilled </tmp/oom.json)
events=$(tr '\n' ' ' < /sys/fs/cgroup/berth/vmoom/memory.events 2>/dev/null)
if [ "$st" = stopped ] && [ "$code" = 137 ] && [ "$oom" = true ]; then
    pass oci-memory-oom "state: status $st, exitCode $code, oomKilled $oom; memory.events: $events"
else
    fail oci-memory-oom "state: $(cat /tmp/oom.json) $(tr '\n' ' ' < /tmp/oom.err)"
fi
oci delete vmoom 2>>/tmp/oom.err

oci run --detach --bundle /bundles/mem-sleep vmkill >/tmp/kill.out 2>/tmp/kill.err
oci_wait vmkill running
memmax=$(cat /sys/fs/cgroup/berth/vmkill/memory.max 2>/dev/null)
oci kill vmkill KILL 2>>/tmp/kill.err
oci_wait vmkill stopped
oci state vmkill >/tmp/kill.json 2>>/tmp/kill.err
st=$(json status </tmp/kill.json) code=$(json exitCode </tmp/kill.json) oom=$(json oomKilled </tmp/kill.json)
if [ "$st" = stopped ] && [ "$code" = 137 ] && [ "$oom" = false ] && [ "$memmax" = 67108864 ]; then
    pass oci-kill-not-oom "memory.max $memmax; after kill KILL state: status $st, exitCode $code, oomKilled $oom"
else
    fail oci-kill-not-oom "memory.max ${memmax:-?}, state: $(cat /tmp/kill.json) $(tr '\n' ' ' < /tmp/kill.err)"
fi
oci delete vmkill 2>>/tmp/kill.err
