# cpu.max "50000 100000": a busy loop gets about half a CPU. The tolerance is wide (30-70 %)
# because the guest runs under TCG emulation on a shared host, where time slices are coarse.
berth cgroup run --cpus 0.5 -- busybox timeout 3 busybox sh -c 'while :; do :; done' 2>/tmp/cpu.txt
usage=$(sed -n 's/^berth: cpu usage ns: \([0-9]*\) wall ns: \([0-9]*\)$/\1 \2/p' /tmp/cpu.txt)
set -- $usage
if [ -n "${1:-}" ] && [ "${2:-0}" -gt 0 ]; then
    pct=$(( $1 * 100 / $2 ))
    if [ "$pct" -ge 30 ] && [ "$pct" -le 70 ]; then
        pass cgroup-cpu-quota "${pct}% of one CPU under a 0.5 CPU quota (30-70% accepted under TCG); $(grep throttled /tmp/cpu.txt | sed 's/.*throttled/throttled/')"
    else
        fail cgroup-cpu-quota "${pct}% of one CPU under a 0.5 CPU quota: $(tr '\n' ' ' < /tmp/cpu.txt)"
    fi
else
    fail cgroup-cpu-quota "no usage reported: $(tr '\n' ' ' < /tmp/cpu.txt)"
fi
