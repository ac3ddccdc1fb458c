# linux.seccomp on the v2 guest's kernel: the filter is installed (Seccomp: 2 = filter mode) and
# a denied syscall returns the profile's errno (mkdir -> 122, EDQUOT) while the rest works.
oci run --bundle /bundles/seccomp vmseccomp >/tmp/sec.out 2>/tmp/sec.err
rc=$?
if [ "$rc" = 0 ] && grep -qx 'Seccomp:2' /tmp/sec.out && grep -q "can't create directory '/dev/d': Disk quota exceeded" /tmp/sec.out \
   && grep -qx mkdir=1 /tmp/sec.out && grep -qx write=ok /tmp/sec.out && [ ! -d /sys/fs/cgroup/berth/vmseccomp ]; then
    pass oci-seccomp "$(grep '^Seccomp' /tmp/sec.out), mkdir: $(grep "can't create" /tmp/sec.out | sed 's/.*: //')"
else
    fail oci-seccomp "exit $rc: $(tr '\n' ' ' < /tmp/sec.out) $(tr '\n' ' ' < /tmp/sec.err)"
fi
