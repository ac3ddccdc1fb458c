# linux.devices on cgroup v2: the nodes are made with their type, numbers, mode and owner; the
# eBPF device program allows the listed kmsg (c 1:11, refused under the default list in
# 77-oci-devices.sh) and still refuses a mknod'ed tty1 (c 4:1) that no rule names.
oci run --bundle /bundles/linux-devices vmlinuxdev >/tmp/ldev.out 2>/tmp/ldev.err
rc=$?
if [ "$rc" = 0 ] && grep -qx 'stat=/dev/kmsg2 character special file 1:b 666 0:0' /tmp/ldev.out \
   && grep -qx 'stat=/dev/mynull character special file 1:3 620 1000:5' /tmp/ldev.out \
   && grep -qx 'stat=/dev/fifo fifo 0:0 666 0:0' /tmp/ldev.out && grep -qx kmsg2=opened /tmp/ldev.out \
   && grep -qx mknod=ok /tmp/ldev.out && grep -q '^tty1=refused .*Operation not permitted' /tmp/ldev.out \
   && grep -qx fifo=via-fifo /tmp/ldev.out && [ ! -d /sys/fs/cgroup/berth/vmlinuxdev ]; then
    pass oci-linux-devices "nodes with mode/owner, listed kmsg2: $(grep '^kmsg2=' /tmp/ldev.out), unlisted: $(grep '^tty1=' /tmp/ldev.out)"
else
    fail oci-linux-devices "exit $rc: $(tr '\n' ' ' < /tmp/ldev.out) $(tr '\n' ' ' < /tmp/ldev.err)"
fi
