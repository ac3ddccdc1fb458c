# Container CPU quota: a busy loop under linux.resources.cpu quota 50000 / period 100000 gets
# about half a CPU, measured from the container's own cgroup (cpu.stat usage_usec) over 3 s of
# wall time (/proc/uptime). 30-70 % accepted: the guest runs under TCG on a shared host.
g=/sys/fs/cgroup/berth/vmcpu
oci run --detach --bundle /bundles/cpu-half vmcpu >/tmp/cpu.out 2>/tmp/cpu.err
oci_wait vmcpu running
sleep 0.5
usage() { sed -n 's/^usage_usec //p' $g/cpu.stat; }
uptime_cs() { sed 's/^\([0-9]*\)\.\([0-9]*\) .*/\1\2/' /proc/uptime; }
u0=$(usage) t0=$(uptime_cs)
sleep 3
u1=$(usage) t1=$(uptime_cs)
cpumax=$(cat $g/cpu.max 2>/dev/null)
throttled=$(sed -n 's/^nr_throttled //p' $g/cpu.stat)
if [ -n "$u0" ] && [ -n "$u1" ] && [ "$t1" -gt "$t0" ]; then
    pct=$(( (u1 - u0) * 100 / ((t1 - t0) * 10000) ))
    if [ "$pct" -ge 30 ] && [ "$pct" -le 70 ] && [ "$cpumax" = "50000 100000" ]; then
        pass oci-cpu-quota "${pct}% of one CPU (cpu.stat usage_usec $((u1 - u0)) over $(( (t1 - t0) * 10 )) ms) under cpu.max '$cpumax'; nr_throttled $throttled"
    else
        fail oci-cpu-quota "${pct}% of one CPU under cpu.max '$cpumax' (30-70% accepted); nr_throttled $throttled"
    fi
else
    fail oci-cpu-quota "no usage from $g/cpu.stat: $(tr '\n' ' ' < /tmp/cpu.err)"
fi
oci delete --force vmcpu 2>>/tmp/cpu.err
