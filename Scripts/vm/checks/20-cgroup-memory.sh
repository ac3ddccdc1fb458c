# memory.max: a 200 MiB allocation (dd's buffer) under a 64 MiB limit is OOM-killed and reported as
# OOM (memory.events oom_kill moved and the command died of SIGKILL); a plain kill -9 is not.
berth cgroup run --memory 64m -- busybox dd if=/dev/zero of=/dev/null bs=200M count=1 2>/tmp/mem.txt
rc=$?
if [ "$rc" = 137 ] && [ "$(field 'OOM killed' /tmp/mem.txt)" = yes ]; then
    pass cgroup-memory-oom "exit $rc, OOM killed: yes, $(grep 'memory peak' /tmp/mem.txt | sed 's/^berth: //')"
else
    fail cgroup-memory-oom "exit $rc: $(tr '\n' ' ' < /tmp/mem.txt)"
fi
berth cgroup run --memory 64m -- busybox sh -c 'kill -9 $$' 2>/tmp/kill9.txt
rc=$?
if [ "$rc" = 137 ] && [ "$(field 'OOM killed' /tmp/kill9.txt)" = no ]; then
    pass cgroup-kill9-not-oom "exit $rc, OOM killed: no"
else
    fail cgroup-kill9-not-oom "exit $rc: $(tr '\n' ' ' < /tmp/kill9.txt)"
fi
