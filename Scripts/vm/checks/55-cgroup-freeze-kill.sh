# Kill-all without cgroup.kill (the pre-5.14 path, and v1's): `berth cgroup kill --freeze` freezes
# the group, SIGKILLs every pid (a double-forked daemon too), thaws. The command dies of SIGKILL,
# is not reported as OOM, and its group is removed.
g=/sys/fs/cgroup/berth/vmfreeze
berth cgroup run --cgroup berth/vmfreeze -- busybox sh -c '(busybox sleep 1235 &); exec busybox sleep 1236' 2>/tmp/fz.txt &
bg=$!
i=0
while [ "$(cat $g/cgroup.procs 2>/dev/null | wc -l)" -lt 2 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
berth cgroup kill --freeze --explain berth/vmfreeze 2>/tmp/fzk.txt
krc=$?
wait $bg
rc=$?
alive=""
for p in /proc/[0-9]*; do
    if grep -qE 'sleep.123[56]' "$p/cmdline" 2>/dev/null && ! grep -q '^State:.*Z' "$p/status" 2>/dev/null; then
        alive="$alive ${p#/proc/}"
    fi
done
if [ "$krc" = 0 ] && [ "$rc" = 137 ] && [ -z "$alive" ] && [ ! -d $g ] \
   && grep -qF "write 1 > $g/cgroup.freeze" /tmp/fzk.txt && grep -qF "write 0 > $g/cgroup.freeze" /tmp/fzk.txt \
   && ! grep -q cgroup.kill /tmp/fzk.txt && [ "$(field 'OOM killed' /tmp/fz.txt)" = no ]; then
    pass cgroup-freeze-kill "$(grep -c 'kill -9' /tmp/fzk.txt) processes killed while frozen; command exit $rc; group removed"
else
    fail cgroup-freeze-kill "kill exit $krc, run exit $rc, alive:${alive:- none}: $(tr '\n' ' ' < /tmp/fzk.txt) $(tr '\n' ' ' < /tmp/fz.txt)"
fi
