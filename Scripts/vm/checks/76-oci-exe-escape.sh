# CVE-2019-5736 on Debian's stock kernel. The container's /bin/sh is `#!/proc/self/exe`, so each
# `berth oci exec ... sh` re-executes what Berth ran in the container, while the attacker
# (Tests/Fixtures/exe-attacker.c, PID 1) holds /proc/PID/exe of every process it sees and writes
# into any it can reopen once that process exits. berth-init must run from its read-only overlay
# view or a sealed memfd (seen from the host during a long exec: `/berth-init` or
# `/memfd:berth-init`) and every Berth binary in the guest must be unchanged.
sums() { sha256sum /usr/local/bin/berth /usr/local/bin/berth-init /usr/local/bin/berth-monitor 2>&1; }
before=$(sums)
oci run --bundle /bundles/exe-attacker vmesc >/tmp/esc.out 2>/tmp/esc.err &
i=0
until oci state vmesc >/dev/null 2>&1 || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
oci_wait vmesc running
oci exec vmesc /bin/busybox sleep 3 >/dev/null 2>>/tmp/esc.exec &
sleep 1.5
exe=""
for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = berth-init ] && exe="$exe $(readlink "$p/exe")"
done
wait $!
i=0
while [ $i -lt 6 ]; do
    oci exec vmesc /bin/sh -c true >/dev/null 2>>/tmp/esc.exec
    i=$((i + 1))
done
wait
after=$(sums)
oci delete --force vmesc 2>>/tmp/esc.err
case "$exe" in " /berth-init"|" /memfd:berth-init"*) sealed=1 ;; *) sealed=0 ;; esac
if [ "$before" = "$after" ] && [ "$sealed" = 1 ]; then
    pass oci-exe-escape "berth-init ran as$exe; attacker: $(tail -1 /tmp/esc.out); binaries unchanged"
else
    fail oci-exe-escape "berth-init ran as '$exe'; $(tr '\n' ' ' < /tmp/esc.out) $(sort -u /tmp/esc.exec | head -2 | tr '\n' ' ')"
fi
