# Container isolation smoke (`berth oci run`, foreground): the program is PID 1 of its own PID
# namespace, ps (on the container's /proc) sees only the container's processes, the UTS
# namespace carries the configured hostname (the guest's stays as it was), the network namespace
# has only lo, the root is read-only, and the process runs in the container's own cgroup.
guest_host=$(hostname)
oci run --bundle /bundles/isolation vmiso >/tmp/iso.out 2>/tmp/iso.err
rc=$?
procs=$(awk '$1 ~ /^[0-9]+$/ {print $1 ":" $2}' /tmp/iso.out | tr '\n' ' ')
nprocs=$(awk '$1 ~ /^[0-9]+$/' /tmp/iso.out | wc -l)
if [ "$rc" = 0 ] && grep -qx 'pid=1 hostname=vm-iso' /tmp/iso.out && [ "$nprocs" = 2 ] \
   && echo "$procs" | grep -q '^1:sh ' && echo "$procs" | grep -q ':ps ' && [ "$(hostname)" = "$guest_host" ] \
   && grep -qx 'net=lo ' /tmp/iso.out && grep -qx 'rootfs=ro' /tmp/iso.out && grep -qx '0::/berth/vmiso' /tmp/iso.out \
   && grep -qx end /tmp/iso.out; then
    pass oci-isolation "$(grep '^pid=' /tmp/iso.out); ps sees only: $procs; guest hostname still $guest_host; interfaces: lo; rootfs read-only; cgroup 0::/berth/vmiso"
else
    fail oci-isolation "exit $rc: $(tr '\n' ' ' < /tmp/iso.out) $(tr '\n' ' ' < /tmp/iso.err)"
fi
