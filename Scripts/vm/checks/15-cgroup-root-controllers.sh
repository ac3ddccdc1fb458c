# On a pure v2 host whose root does not delegate the controllers yet, berth enables them in
# /sys/fs/cgroup/cgroup.subtree_control (the one file outside berth/ it may write, and only on
# pure v2). guest-init enabled them at boot: take them away while no group uses them, then check
# that `berth cgroup run` puts them back and says so in its trace.
echo "-cpu -memory -pids -cpuset" > /sys/fs/cgroup/cgroup.subtree_control 2>/tmp/root.err
before=$(cat /sys/fs/cgroup/cgroup.subtree_control)
berth cgroup run --explain --memory 32m -- true 2>/tmp/root.txt
rc=$?
after=$(cat /sys/fs/cgroup/cgroup.subtree_control)
if [ "$rc" = 0 ] && [ -z "$before" ] && grep -qF "write +cpu +memory +pids > /sys/fs/cgroup/cgroup.subtree_control" /tmp/root.txt \
   && echo "$after" | grep -q memory; then
    pass cgroup-root-controllers "root subtree_control was '${before}', berth enabled: $after"
else
    fail cgroup-root-controllers "exit $rc, before '$before' ($(cat /tmp/root.err)), after '$after': $(tr '\n' ' ' < /tmp/root.txt)"
fi
echo "+cpu +memory +pids +cpuset" > /sys/fs/cgroup/cgroup.subtree_control
