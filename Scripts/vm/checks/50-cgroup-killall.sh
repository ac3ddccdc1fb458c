# Kill-all: the command double-forks a daemon and exits; removing the group (cgroup.kill) must kill
# the daemon too, though it is no longer a child of anything Berth knows.
berth cgroup run -- busybox sh -c '(busybox sleep 1234 &); echo started' >/tmp/daemon.out 2>/tmp/daemon.txt
rc=$?
alive=""
for p in /proc/[0-9]*; do
    if grep -q 'sleep.1234' "$p/cmdline" 2>/dev/null && ! grep -q '^State:.*Z' "$p/status" 2>/dev/null; then
        alive="$alive ${p#/proc/}"
    fi
done
if [ "$rc" = 0 ] && grep -q started /tmp/daemon.out && [ -z "$alive" ]; then
    pass cgroup-killall-daemon "double-forked daemon killed when the group was removed"
else
    fail cgroup-killall-daemon "exit $rc, still alive:${alive:- none}: $(tr '\n' ' ' < /tmp/daemon.txt)"
fi
