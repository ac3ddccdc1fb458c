# After the container checks: no container is left in /run/berth, no group below
# /sys/fs/cgroup/berth, and no mount mentions berth.
left=$(oci list --quiet 2>&1)
groups=$(find /sys/fs/cgroup/berth -mindepth 1 -type d 2>/dev/null)
mounts=$(grep berth /proc/self/mountinfo)
if [ -z "$left" ] && [ -z "$groups" ] && [ -z "$mounts" ]; then
    pass oci-cleanup "no containers in /run/berth, no groups below /sys/fs/cgroup/berth, no berth mounts"
else
    fail oci-cleanup "containers: $(echo $left); groups: $(echo $groups); mounts: $(echo "$mounts" | awk '{print $5}' | tr '\n' ' ')"
fi
