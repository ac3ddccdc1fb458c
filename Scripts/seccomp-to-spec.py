#!/usr/bin/env python3
"""Put a seccomp profile into an OCI bundle's config.json as linux.seccomp (Scripts/bench-oci.sh).

    seccomp-to-spec.py PROFILE CONFIG_JSON

PROFILE is a runtime-spec linux.seccomp object, a config.json holding one, or a profile in
Docker's format (moby profiles/seccomp/default.json: `archMap`, rules with `includes`/`excludes`).
The Docker format is converted as dockerd does (moby profiles/seccomp/seccomp_linux.go): the
architectures of this machine's archMap entry, and only the rules whose includes/excludes match
this architecture, this kernel and Docker's default capability set.
"""
import json
import platform
import sys

DOCKER_DEFAULT_CAPS = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
    "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}
GOARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
SCMP_NATIVE = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64"}.get(GOARCH)


def kernel_version(text):
    return tuple(int(x) for x in text.split("-")[0].split(".")[:2])


def is_docker_format(p):
    return "archMap" in p or any("includes" in r or "excludes" in r or "name" in r for r in p.get("syscalls", []))


def from_docker(p, caps=DOCKER_DEFAULT_CAPS, kernel=None):
    kernel = kernel or kernel_version(platform.release())
    out = {"defaultAction": p["defaultAction"]}
    for key in ("defaultErrnoRet", "flags", "listenerPath", "listenerMetadata"):
        if key in p:
            out[key] = p[key]
    for m in p.get("archMap") or []:
        if m["architecture"] == SCMP_NATIVE:
            out["architectures"] = [SCMP_NATIVE] + (m.get("subArchitectures") or [])
    if "architectures" not in out and p.get("architectures"):
        out["architectures"] = p["architectures"]
    rules = []
    for r in p.get("syscalls", []):
        inc, exc = r.get("includes") or {}, r.get("excludes") or {}
        if GOARCH in (exc.get("arches") or []) or any(c in caps for c in exc.get("caps") or []):
            continue
        if exc.get("minKernel") and kernel >= kernel_version(exc["minKernel"]):
            continue
        if inc.get("arches") and GOARCH not in inc["arches"]:
            continue
        if inc.get("caps") and not all(c in caps for c in inc["caps"]):
            continue
        if inc.get("minKernel") and kernel < kernel_version(inc["minKernel"]):
            continue
        rule = {"names": r.get("names") or [r["name"]], "action": r["action"]}
        for key in ("args", "errnoRet"):
            if r.get(key):
                rule[key] = r[key]
        rules.append(rule)
    out["syscalls"] = rules
    return out


def main(profile_path, config_path):
    profile = json.load(open(profile_path))
    if "linux" in profile:
        profile = profile["linux"]["seccomp"]
    if is_docker_format(profile):
        profile = from_docker(profile)
    config = json.load(open(config_path))
    config.setdefault("linux", {})["seccomp"] = profile
    json.dump(config, open(config_path, "w"), indent=2)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: seccomp-to-spec.py PROFILE CONFIG_JSON")
    main(sys.argv[1], sys.argv[2])
