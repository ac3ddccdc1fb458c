# pids.max 20: a fork bomb is contained, the guest stays responsive and the group is removed.
berth cgroup run --pids 20 -- busybox sh -c 'b() { b | b & }; b; sleep 3' 2>/tmp/pids.txt >/dev/null
rc=$?
hits=$(sed -n 's/.*pids limit hit \([0-9]*\) times.*/\1/p' /tmp/pids.txt)
peak=$(sed -n 's/^berth: pids peak: \([0-9]*\).*/\1/p' /tmp/pids.txt)
if [ "${hits:-0}" -gt 0 ] && { [ -z "$peak" ] || [ "$peak" -le 20 ]; } && busybox true; then
    pass cgroup-pids-limit "limit hit $hits times, pids peak ${peak:-n/a} <= 20, exit $rc"
else
    fail cgroup-pids-limit "exit $rc: $(grep -v "can't fork" /tmp/pids.txt | tr '\n' ' ')"
fi
