# The v2 files and values (from the --explain trace): controllers enabled in the task group's
# subtree_control, memory.max, memory.low, memory.swap.max (swap alone: 96m - 64m), cpu.weight (1024 shares -> 100 with the runc 1.3.2 /
# crun 1.23 formula), cpu.max, pids.max; the command starts inside berth/vmtask/web; the parent
# task group stays until removed with `berth cgroup remove`.
g=/sys/fs/cgroup/berth/vmtask
berth cgroup run --explain --cgroup berth/vmtask/web --memory 64m --memory-reservation 16m --memory-swap 96m \
    --cpu-shares 1024 --cpus 0.5 --pids 30 -- cat /proc/self/cgroup >/tmp/v2.out 2>/tmp/v2.txt
rc=$?
missing=""
for want in "write +cpu +memory +pids > $g/cgroup.subtree_control" \
            "write 67108864 > $g/web/memory.max" "write 16777216 > $g/web/memory.low" \
            "write 100 > $g/web/cpu.weight" "write 50000 100000 > $g/web/cpu.max" \
            "write 30 > $g/web/pids.max" "write 33554432 > $g/web/memory.swap.max" "rmdir $g/web"; do
    grep -qF "berth: [cgroup] $want" /tmp/v2.txt || missing="$missing [$want]"
done
if [ "$rc" = 0 ] && [ -z "$missing" ] && grep -qx '0::/berth/vmtask/web' /tmp/v2.out && [ -d $g ] && [ ! -d $g/web ]; then
    pass cgroup-v2-files "subtree_control, memory.max, memory.low, memory.swap.max, cpu.weight 100, cpu.max, pids.max written; ran in $(cat /tmp/v2.out)"
else
    fail cgroup-v2-files "exit $rc, missing:${missing:- none}, cgroup: $(cat /tmp/v2.out)"
fi
if berth cgroup remove berth/vmtask 2>/tmp/rm.txt && [ ! -d $g ]; then
    pass cgroup-remove-task-group "berth/vmtask removed"
else
    fail cgroup-remove-task-group "$(cat /tmp/rm.txt)"
fi
