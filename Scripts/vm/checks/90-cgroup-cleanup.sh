# After all the checks above, no group is left below /sys/fs/cgroup/berth.
left=$(find /sys/fs/cgroup/berth -mindepth 1 -type d 2>/dev/null)
if [ -z "$left" ]; then
    pass cgroup-cleanup "no groups left below /sys/fs/cgroup/berth"
else
    fail cgroup-cleanup "left behind: $(echo $left)"
fi
