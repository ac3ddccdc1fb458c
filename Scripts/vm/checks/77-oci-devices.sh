# Device policy on cgroup v2 (an eBPF BPF_CGROUP_DEVICE program on the container's cgroup): a
# container with CAP_MKNOD can make a node for kmsg (c 1:11) but not open it, while /dev/null and
# /dev/urandom work; with a spec rule allowing c 1:11 w the same open succeeds.
oci run --bundle /bundles/devices vmdev >/tmp/dev.out 2>/tmp/dev.err
rc=$?
oci run --bundle /bundles/devices-allowed vmdev2 >/tmp/dev2.out 2>/tmp/dev2.err
rc2=$?
if [ "$rc" = 0 ] && grep -qx mknod=ok /tmp/dev.out && grep -q "^kmsg=refused .*Operation not permitted" /tmp/dev.out \
   && grep -qx null=ok /tmp/dev.out && grep -qx urandom=ok /tmp/dev.out \
   && [ "$rc2" = 0 ] && grep -qx kmsg=opened /tmp/dev2.out && grep -qx null=ok /tmp/dev2.out \
   && [ ! -d /sys/fs/cgroup/berth/vmdev ] && [ ! -d /sys/fs/cgroup/berth/vmdev2 ]; then
    pass oci-devices "default list: $(grep '^kmsg=' /tmp/dev.out), null and urandom work; with an allow rule for c 1:11 w: $(grep '^kmsg=' /tmp/dev2.out)"
else
    fail oci-devices "exit $rc: $(tr '\n' ' ' < /tmp/dev.out) $(tr '\n' ' ' < /tmp/dev.err) | allowed: exit $rc2: $(tr '\n' ' ' < /tmp/dev2.out) $(tr '\n' ' ' < /tmp/dev2.err)"
fi
