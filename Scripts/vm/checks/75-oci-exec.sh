# `berth oci exec` into a running container: the new process joins its PID, UTS and network
# namespaces and its cgroup (on v2: berth/<id>'s cgroup.procs), sees the container's PID 1, and
# its exit code comes back; `berth oci delete --force` then removes the container and its group.
g=/sys/fs/cgroup/berth/vmexec
oci run --detach --bundle /bundles/sleeper vmexec >/dev/null 2>/tmp/ex.err
oci_wait vmexec running
oci exec vmexec sh -c 'echo "host=$(hostname) pid1=$(cat /proc/1/comm) net=$(ls /sys/class/net | tr "\n" " ")"; cat /proc/self/cgroup; exit 7' >/tmp/ex.out 2>>/tmp/ex.err
erc=$?
oci delete --force vmexec 2>>/tmp/ex.err
drc=$?
if [ "$erc" = 7 ] && grep -qx 'host=vm-exec pid1=sleep net=lo ' /tmp/ex.out && grep -qx '0::/berth/vmexec' /tmp/ex.out \
   && [ "$drc" = 0 ] && [ ! -d $g ] && [ ! -d /run/berth/vmexec ]; then
    pass oci-exec "$(head -1 /tmp/ex.out); cgroup $(tail -1 /tmp/ex.out); exit code 7 returned; delete --force removed it"
else
    fail oci-exec "exec exit $erc, delete exit $drc: $(tr '\n' ' ' < /tmp/ex.out) $(tr '\n' ' ' < /tmp/ex.err)"
fi
