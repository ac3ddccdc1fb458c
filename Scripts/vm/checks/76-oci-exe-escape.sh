# CVE-2019-5736 on Debian's stock kernel, where executing `/proc/self/exe` from inside a container
# reaches the binary that started the process: the container's /bin/sh is `#!/proc/self/exe`, so
# each `berth oci exec ... sh` re-executes what Berth ran in the container, while the attacker
# (Tests/Fixtures/exe-attacker.c, PID 1) holds /proc/PID/exe of every process it sees and writes
# into any it can reopen once that process exits. berth-init runs from a sealed memfd, so every
# Berth binary in the guest must be unchanged.
sums() { sha256sum /usr/local/bin/berth /usr/local/bin/berth-init /usr/local/bin/berth-monitor 2>&1; }
before=$(sums)
oci run --detach --bundle /bundles/exe-attacker vmesc >/dev/null 2>/tmp/esc.err
oci_wait vmesc running
i=0
while [ $i -lt 12 ]; do
    oci exec vmesc /bin/sh -c true >/dev/null 2>>/tmp/esc.exec
    i=$((i + 1))
    sleep 0.5
done
oci_wait vmesc stopped 200
after=$(sums)
oci delete --force vmesc 2>>/tmp/esc.err
if [ "$before" = "$after" ]; then
    pass oci-exe-escape "12 execs of a #!/proc/self/exe sh beside the attacker; berth, berth-init and berth-monitor unchanged"
else
    fail oci-exe-escape "a Berth binary changed: $(echo "$after" | tr '\n' ' ') $(tail -2 /tmp/esc.exec | tr '\n' ' ')"
fi
