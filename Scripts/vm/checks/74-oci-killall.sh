# Container kill-all: the container's shell double-forks a daemon then execs its main process;
# `berth oci kill --all ID KILL` kills both (cgroup.procs empty), the container is stopped with
# 137 (not OOM), and `berth oci delete` removes its cgroup.
g=/sys/fs/cgroup/berth/vmdaemon
oci run --detach --bundle /bundles/daemon vmdaemon >/dev/null 2>/tmp/kd.err
i=0
while [ "$(cat $g/cgroup.procs 2>/dev/null | wc -l)" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
before=$(cat $g/cgroup.procs 2>/dev/null | wc -l)
oci kill --all vmdaemon KILL 2>>/tmp/kd.err
krc=$?
i=0
while [ -n "$(cat $g/cgroup.procs 2>/dev/null)" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
after=$(cat $g/cgroup.procs 2>/dev/null | wc -l)
oci_wait vmdaemon stopped
oci state vmdaemon >/tmp/kd.json 2>>/tmp/kd.err
alive=""
for p in /proc/[0-9]*; do
    if grep -qE 'sleep.123[46]' "$p/cmdline" 2>/dev/null && ! grep -q '^State:.*Z' "$p/status" 2>/dev/null; then
        alive="$alive ${p#/proc/}"
    fi
done
oci delete vmdaemon 2>>/tmp/kd.err
drc=$?
if [ "$before" -ge 2 ] && [ "$krc" = 0 ] && [ "$after" = 0 ] && [ -z "$alive" ] \
   && [ "$(json exitCode </tmp/kd.json)" = 137 ] && [ "$(json oomKilled </tmp/kd.json)" = false ] \
   && [ "$drc" = 0 ] && [ ! -d $g ]; then
    pass oci-killall-daemon "$before processes in cgroup.procs, 0 after kill --all; state exit 137, not OOM; deleted, cgroup removed"
else
    fail oci-killall-daemon "procs before $before after $after, kill exit $krc, delete exit $drc, alive:${alive:- none}: $(cat /tmp/kd.json) $(tr '\n' ' ' < /tmp/kd.err)"
fi
