#!/usr/bin/env bash
# Start latency of `berth oci` against crun and runc on the same busybox /bin/true bundle
# (namespaces pid, net, ipc, uts, mount; memory, cpu and pids limits).
#   Scripts/bench-oci.sh [-n RUNS] [--no-build] [--seccomp FILE|default] [--baseline PATH]
#                                   (BERTH_BIN=PATH: bench that build: a berth-oci, or a berth
#                                    binary, which is then run as `berth oci`)
# Berth is run as a user would give it to podman or containerd as `--runtime`: the `berth-oci`
# executable (the same code as `berth oci`, without Foundation). --baseline PATH adds another
# build (berth-oci or berth, berth-monitor and berth-init beside it) to the alternation and
# reports berth/baseline paired: an A/B of two builds in the same run.
# --seccomp puts a seccomp profile into the bundle as linux.seccomp for all three runtimes. FILE is
# a runtime-spec linux.seccomp object, a config.json holding one, or a profile in Docker's format
# (moby profiles/seccomp/default.json: archMap, includes/excludes), which is converted as dockerd
# does for this architecture, this kernel and Docker's default capabilities. `default` takes
# `berth oci seccomp-default` (Docker's default profile).
# Release build; runs alternate berth, crun, runc (A B C A B C ...) so drift in host load hits all
# three alike. Every runtime is wrapped the same way: crun refuses this hybrid host's non-empty
# cgroup2 mount, so each run happens in a private mount namespace without /sys/fs/cgroup/unified
# (runtime-notes §4), made by a small C helper compiled here (one process, no shell: `unshare -m sh
# -c 'umount ...; exec RT'` cost three execs per run). The helper alone (running /bin/true) is
# timed in the same alternation and reported, as is the load average. Reports medians, the paired
# median ratio berth/crun and the monitor's RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

runs=30
build=1
seccomp=""
baseline=""
while [ $# -gt 0 ]; do
    case "$1" in
        -n) runs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --seccomp) seccomp="${2:?--seccomp FILE|default}"; shift 2 ;;
        --baseline) baseline="${2:?--baseline PATH}"; shift 2 ;;
        *) echo "usage: $0 [-n RUNS] [--no-build] [--seccomp FILE|default] [--baseline PATH]" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "bench-oci: run as root" >&2; exit 1; }

if [ "$build" = 1 ]; then
    swift build -c release --product berth-monitor >/dev/null
    swift build -c release --product berth-init >/dev/null
    swift build -c release --product berth-oci >/dev/null
fi
# BERTH_BIN=/path/to/berth (berth-monitor and berth-init beside it) compares another build, e.g. a
# saved baseline.
berth="${BERTH_BIN:-$(swift build -c release --show-bin-path)/berth-oci}"
# command_of PATH: how to run that build's OCI runtime (berth-oci, or `berth oci`).
command_of() { case "$(basename "$1")" in berth-oci) echo "$1" ;; *) echo "$1 oci" ;; esac; }
berth_cmd=$(command_of "$berth")
base_cmd=""
[ -n "$baseline" ] && base_cmd=$(command_of "$baseline")
for exe in "$berth" "$(dirname "$berth")/berth-monitor" "$(dirname "$berth")/berth-init" \
           ${baseline:+"$baseline" "$(dirname "$baseline")/berth-monitor" "$(dirname "$baseline")/berth-init"}; do
    [ -x "$exe" ] || { echo "bench-oci: $exe is missing: build first (berth-oci or berth, berth-monitor and berth-init side by side)" >&2; exit 1; }
done

# State roots on tmpfs under /run, where runc, crun and berth keep them by default.
work=$(mktemp -d /run/berth-bench-oci.XXXXXX)
cleanup() {
    for rt in berth base crun runc; do
        for id in $(ls "$work/state-$rt" 2>/dev/null); do
            case $rt in
                berth) $berth_cmd --root "$work/state-berth" delete --force "$id" >/dev/null 2>&1 || true ;;
                base) $base_cmd --root "$work/state-base" delete --force "$id" >/dev/null 2>&1 || true ;;
                *) wrap $rt --root "$work/state-$rt" delete --force "$id" >/dev/null 2>&1 || true ;;
            esac
        done
    done
    rm -rf "$work"
}
trap cleanup EXIT

Scripts/make-busybox-bundle.sh --bundle "$work/bundle" >/dev/null
bundle="$work/bundle"
if [ -n "$seccomp" ]; then
    if [ "$seccomp" = default ]; then
        $berth_cmd seccomp-default > "$work/seccomp.json" 2>/dev/null || {
            echo "bench-oci: this berth has no \`oci seccomp-default\`; pass --seccomp FILE (e.g. moby's profiles/seccomp/default.json)" >&2
            exit 1
        }
    else
        cp "$seccomp" "$work/seccomp.json"
    fi
    Scripts/seccomp-to-spec.py "$work/seccomp.json" "$bundle/config.json"
fi
# The same cgroup limits for all three: each runtime creates the groups and writes the limits.
python3 - "$bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["linux"]["resources"] = {
    "memory": {"limit": 128 * 1024 * 1024},
    "cpu": {"shares": 512, "quota": 50000, "period": 100000},
    "pids": {"limit": 64},
}
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY

# nswrap CMD [';' CMD]...: each CMD in turn (stopping at the first failure) in one private mount
# namespace without the hybrid cgroup2 mount; the same for every runtime.
cat > "$work/nswrap.c" <<'C'
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (unshare(CLONE_NEWNS) != 0) { perror("unshare"); return 125; }
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) { perror("mount"); return 125; }
    umount2("/sys/fs/cgroup/unified", 0);
    int start = 1;
    for (int i = 1; i <= argc; i++) {
        if (i < argc && strcmp(argv[i], ";") != 0) continue;
        argv[i] = NULL;
        if (i == argc && start == 1) { execvp(argv[1], argv + 1); perror(argv[1]); return 127; }
        pid_t pid = fork();
        if (pid == 0) { execvp(argv[start], argv + start); perror(argv[start]); _exit(127); }
        int status;
        if (pid < 0 || waitpid(pid, &status, 0) < 0) return 125;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        start = i + 1;
    }
    return 0;
}
C
"${CC:-cc}" -O2 -o "$work/nswrap" "$work/nswrap.c"

# wrap RUNTIME ARGS...: the same private mount namespace for every runtime.
wrap() {
    local rt="$1"; shift
    case "$rt" in berth) "$work/nswrap" $berth_cmd "$@" ;; base) "$work/nswrap" $base_cmd "$@" ;; *) "$work/nswrap" "$rt" "$@" ;; esac
}

run_case() {   # run_case RUNTIME ID
    case "$1" in
        wrap) "$work/nswrap" /bin/true ;;
        *) wrap "$1" --root "$work/state-$1" run --bundle "$bundle" "$2" </dev/null >/dev/null ;;
    esac
}
lifecycle_case() {   # create + start + delete -f, in one wrapper
    local rt="$1" id="$2"
    local -a exe
    case "$rt" in
        wrap) "$work/nswrap" /bin/true ';' /bin/true ';' /bin/true; return ;;
        berth) read -ra exe <<< "$berth_cmd" ;;
        base) read -ra exe <<< "$base_cmd" ;;
        *) exe=("$rt") ;;
    esac
    "$work/nswrap" "${exe[@]}" --root "$work/state-$rt" create --bundle "$bundle" "$id" ';' \
        "${exe[@]}" --root "$work/state-$rt" start "$id" ';' \
        "${exe[@]}" --root "$work/state-$rt" delete --force "$id" </dev/null >/dev/null
}

now() { date +%s%N; }
results="$work/results.tsv"
: > "$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
runtimes="berth${baseline:+ base} crun runc"
for case in run lifecycle; do
    for rt in $runtimes; do "${case}_case" "$rt" "warm-$case-$rt" || { echo "bench-oci: $rt $case failed" >&2; exit 1; }; done
    for i in $(seq 1 "$runs"); do
        for rt in $runtimes wrap; do
            t0=$(now)
            "${case}_case" "$rt" "b$i-$case-$rt"
            t1=$(now)
            printf '%s\t%s\t%s\t%s\n' "$case" "$rt" "$i" "$(( (t1 - t0) / 1000 ))" >> "$results"
        done
    done
done

# Resident memory of one monitor (a container sleeping in the background).
$berth_cmd --root "$work/state-berth" run --detach --bundle "$bundle" rss >/dev/null 2>&1 </dev/null || true
$berth_cmd --root "$work/state-berth" delete --force rss >/dev/null 2>&1 || true
python3 - "$bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["process"]["args"] = ["sleep", "30"]
json.dump(c, open(sys.argv[1], "w"))
PY
$berth_cmd --root "$work/state-berth" run --detach --bundle "$bundle" rss </dev/null >/dev/null
monitor=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["monitorPid"])' "$work/state-berth/rss/state.json")
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$monitor/status")
$berth_cmd --root "$work/state-berth" delete --force rss

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
profile="no seccomp profile"
[ -n "$seccomp" ] && profile="linux.seccomp: $(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["linux"]["seccomp"]; print(s["defaultAction"], len(s.get("syscalls", [])), "rules,", sum(len(r["names"]) for r in s.get("syscalls", [])), "names")' "$bundle/config.json")"
Scripts/bench-table.py "$results" \
    "berth: $berth_cmd${baseline:+; baseline: $base_cmd}; n=$runs alternating runs per runtime; wall time in ms; $profile; load average $load_before before, $load_after after; $(crun --version | head -1); $(runc --version | head -1)"
echo
echo "berth-monitor resident memory with one container running: $rss kB"
