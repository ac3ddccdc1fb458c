# Container isolation smoke (`berth oci run`, foreground): the program is PID 1 of its own PID
# namespace, ps (on the container's /proc) sees only the container's processes, and the UTS
# namespace carries the configured hostname while the guest's stays as it was.
guest_host=$(hostname)
oci run --bundle /bundles/isolation vmiso >/tmp/iso.out 2>/tmp/iso.err
rc=$?
procs=$(awk '$1 ~ /^[0-9]+$/ {print $1 ":" $2}' /tmp/iso.out | tr '\n' ' ')
nprocs=$(awk '$1 ~ /^[0-9]+$/' /tmp/iso.out | wc -l)
if [ "$rc" = 0 ] && grep -qx 'pid=1 hostname=vm-iso' /tmp/iso.out && [ "$nprocs" = 2 ] \
   && echo "$procs" | grep -q '^1:sh ' && echo "$procs" | grep -q ':ps ' && [ "$(hostname)" = "$guest_host" ]; then
    pass oci-isolation "$(grep '^pid=' /tmp/iso.out); ps sees only: $procs; guest hostname still $guest_host"
else
    fail oci-isolation "exit $rc: $(tr '\n' ' ' < /tmp/iso.out) $(tr '\n' ' ' < /tmp/iso.err)"
fi
