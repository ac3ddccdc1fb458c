# Container pids limit: a fork bomb under linux.resources.pids.limit 20 stops at the limit
# (pids.events max moves, pids.current <= 20) while the guest can still fork; then
# `berth oci delete --force` kills it all and removes its cgroup and state.
g=/sys/fs/cgroup/berth/vmpids
oci run --detach --bundle /bundles/pids-bomb vmpids >/dev/null 2>/tmp/pids.err
oci_wait vmpids running
sleep 3
current=$(cat $g/pids.current 2>/dev/null) hits=$(sed -n 's/^max //p' $g/pids.events 2>/dev/null)
guest_ok=no
sh -c 'for i in 1 2 3 4 5; do busybox true & done; wait' && guest_ok=yes
oci delete --force vmpids 2>>/tmp/pids.err
drc=$?
if [ "${hits:-0}" -gt 0 ] && [ -n "$current" ] && [ "$current" -le 20 ] && [ "$guest_ok" = yes ] \
   && [ "$drc" = 0 ] && [ ! -d $g ] && [ ! -d /run/berth/vmpids ]; then
    pass oci-pids-limit "pids.current $current <= 20, limit hit $hits times, guest still forks; deleted, cgroup removed"
else
    fail oci-pids-limit "pids.current ${current:-?}, hits ${hits:-?}, guest forks: $guest_ok, delete exit $drc: $(grep -v "can't fork" /tmp/pids.err | tr '\n' ' ')"
fi
