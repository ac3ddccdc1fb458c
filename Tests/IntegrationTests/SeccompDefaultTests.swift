import BerthSys
import Foundation
import Glibc
import Testing

/// Docker's default seccomp profile enforced on the real kernel: in every task container
/// (`berth run`), widened by `linuxParameters.capabilities.add`, and in `berth oci` bundles
/// using `berth oci seccomp-default` (runc and crun run the same bundles with the same answers).
/// A static probe prints `name=errno` (0: the call succeeded) for each call it makes.
@Suite(.serialized) struct SeccompDefaultTests {
    static let probeSource = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        #include <sched.h>
        #include <sys/syscall.h>
        static void report(const char *name, long r) { printf("%s=%d\\n", name, r < 0 ? errno : 0); }
        int main(void) {
            char line[256];
            FILE *f = fopen("/proc/self/status", "r");
            while (f && fgets(line, sizeof line, f)) if (strncmp(line, "Seccomp:", 8) == 0) printf("%s", line);
            report("keyctl", syscall(SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* session */, 0));
            report("userfaultfd", syscall(SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */));
            report("bpf", syscall(SYS_bpf, 0 /* MAP_CREATE */, 0L, 0));
            report("perf_event_open", syscall(SYS_perf_event_open, 0L, 0, -1, -1, 0));
            report("mount", syscall(SYS_mount, "none", "/no-such-dir", "tmpfs", 0L, 0L));
            report("kcmp", syscall(SYS_kcmp, getpid(), getpid(), 0 /* KCMP_FILE */, 1, 1));
            report("ptrace", syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 999999, 0L, 0L));
            report("clone3", syscall(435, 0L, 0L));
            report("nr1000", syscall(1000, 0L));
            report("unshare_uts", syscall(SYS_unshare, CLONE_NEWUTS));
            report("unshare_user", syscall(SYS_unshare, CLONE_NEWUSER));
            fflush(stdout);
            return 0;
        }
        """

    /// The probe built static into `dir/probe` with the host's gcc.
    static func buildProbe(_ dir: String) throws {
        try Files.makeDirectories(dir)
        try Files.writeAtomically(dir + "/probe.c", Array(probeSource.utf8))
        let cc = try TaskHarness.exec(["/usr/bin/gcc", "-static", "-O1", "-o", dir + "/probe", dir + "/probe.c"], timeout: 120)
        try #require(cc.status == 0, "gcc (Scripts/setup.sh --test installs it): \(cc.stderr)")
    }

    static func answers(_ output: String, prefix: String = "") -> [String: String] {
        var out: [String: String] = [:]
        for line in output.split(separator: "\n") {
            var l = Substring(line)
            if !prefix.isEmpty { guard l.hasPrefix(prefix) else { continue }; l = l.dropFirst(prefix.count) }
            if l.hasPrefix("Seccomp:") { out["Seccomp"] = l.dropFirst(8).trimmingCharacters(in: .whitespaces); continue }
            let kv = l.split(separator: "=", maxSplits: 1)
            if kv.count == 2 { out[String(kv[0])] = String(kv[1]) }
        }
        return out
    }

    static let eperm = "1", enosys = "38"

    /// What Docker's default profile denies whatever the capabilities (keyctl, userfaultfd), what
    /// it denies without CAP_SYS_ADMIN, and the ENOSYS answers (clone3's rule, numbers above the profile).
    static func expectDefault(_ a: [String: String], _ context: String) {
        #expect(a["Seccomp"] == "2", "\(context): \(a)")
        for name in ["keyctl", "userfaultfd", "bpf", "perf_event_open", "mount", "kcmp", "unshare_uts", "unshare_user"] {
            #expect(a[name] == eperm, "\(context): \(name) \(a[name] ?? "missing")")
        }
        #expect(a["ptrace"] == "3", "\(context): ptrace is allowed (ESRCH): \(a)")
        #expect(a["clone3"] == enosys && a["nr1000"] == enosys, "\(context): \(a)")
    }

    /// With CAP_SYS_ADMIN and CAP_SYS_PTRACE added: the widened calls reach the kernel.
    static func expectWidened(_ a: [String: String], _ context: String) {
        #expect(a["Seccomp"] == "2", "\(context): \(a)")
        #expect(a["keyctl"] == eperm && a["userfaultfd"] == eperm, "\(context): never in the profile: \(a)")
        #expect(a["mount"] == "2", "\(context): mount reaches the kernel (ENOENT): \(a)")
        #expect(a["perf_event_open"] == "14", "\(context): perf_event_open reaches the kernel (EFAULT): \(a)")
        #expect(a["kcmp"] == "0" && a["unshare_uts"] == "0", "\(context): \(a)")
        #expect(a["bpf"] != eperm && a["bpf"] != nil, "\(context): \(a)")
        #expect(a["clone3"] == "22", "\(context): clone3 reaches the kernel (EINVAL): \(a)")
        #expect(a["nr1000"] == enosys, "\(context): \(a)")
    }

    // MARK: task containers

    func runTask(_ h: TaskHarness, probeDir: String, container extra: String) throws -> [String: String] {
        let file = try h.write("""
            {"family": "seccomp-default", "volumes": [{"name": "probe", "host": {"sourcePath": "\(probeDir)"}}],
             "containerDefinitions": [{"name": "p", "image": "busybox:latest", "memory": 64, "essential": true,
               "command": ["/probe/probe"], "mountPoints": [{"sourceVolume": "probe", "containerPath": "/probe", "readOnly": true}]\(extra)}]}
            """)
        let r = try h.run(file, extra: ["--explain"], timeout: 90)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("# seccomp: docker-default profile sha256:"), "\(r.stdout)")
        try h.expectCleanedUp(r.taskId)
        return Self.answers(r.stdout, prefix: "p | ")
    }

    @Test func taskContainersRunUnderDockersDefaultProfile() throws {
        let h = try TaskHarness()
        try Self.buildProbe(h.root + "/probe")
        Self.expectDefault(try runTask(h, probeDir: h.root + "/probe", container: ""), "task, default capabilities")
    }

    @Test func capabilitiesAddWidensTheProfileInATask() throws {
        let h = try TaskHarness()
        try Self.buildProbe(h.root + "/probe")
        let a = try runTask(h, probeDir: h.root + "/probe",
                            container: #", "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN", "SYS_PTRACE"]}}"#)
        Self.expectWidened(a, "task, SYS_ADMIN + SYS_PTRACE")
    }

    @Test func aSeccompSecurityOptionIsRefusedAndNothingRuns() throws {
        let h = try TaskHarness()
        let file = try h.write("""
            {"family": "seccomp-unconfined", "containerDefinitions": [{"name": "p", "image": "busybox:latest", "memory": 64,
              "command": ["true"], "dockerSecurityOptions": ["seccomp=unconfined"]}]}
            """)
        let r = try h.run(file, timeout: 60)
        #expect(r.status != 0)
        #expect(r.stderr.contains("containerDefinitions[0].dockerSecurityOptions[0]") && r.stderr.contains("ECS has no seccomp setting"), "\(r.stderr)")
        try h.expectCleanedUp(r.taskId)
    }

    // MARK: berth oci bundles

    static func profileJSON(_ h: OCIHarness, _ args: [String]) throws -> [String: Any] {
        let r = try h.run(TaskHarness.berth, ["oci", "seccomp-default"] + args)
        try #require(r.status == 0, "\(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    static func probeBundle(_ h: OCIHarness, name: String, probe: String, seccomp: [String: Any]?, addCaps: [String]) throws -> String {
        try h.bundle(["/probe/probe"], name: name) { config in
            if let seccomp {
                var linux = config["linux"] as? [String: Any] ?? [:]
                linux["seccomp"] = seccomp
                config["linux"] = linux
            }
            var process = config["process"] as! [String: Any]
            var caps = process["capabilities"] as! [String: Any]
            for set in ["bounding", "effective", "permitted"] { caps[set] = (caps[set] as! [String]) + addCaps }
            process["capabilities"] = caps
            config["process"] = process
            var mounts = config["mounts"] as! [[String: Any]]
            mounts.append(["destination": "/probe", "type": "bind", "source": probe, "options": ["rbind", "ro"]])
            config["mounts"] = mounts
        }
    }

    /// crun or runc on the same bundle (each hides this hybrid host's cgroup2 mount first).
    func other(_ runtime: String, _ h: OCIHarness, _ bundle: String, _ id: String) throws -> OCIHarness.Result {
        try h.run("/usr/bin/unshare", ["-m", "sh", "-c",
            "umount /sys/fs/cgroup/unified 2>/dev/null; exec \(runtime) --root \(h.work)/\(runtime) run --bundle \(bundle) \(id)"])
    }

    /// runc answers as Berth does; Debian's crun 1.8 has no ENOSYS stub for numbers above the
    /// profile (EPERM there), everything else the same.
    func expectSameAsRuncAndCrun(_ h: OCIHarness, _ bundle: String, _ id: String, _ berth: String) throws {
        let runc = try other("runc", h, bundle, id + "-runc")
        #expect(runc.status == 0 && runc.stdout == berth, "runc: \(runc.stdout) \(runc.stderr)")
        let crun = try other("crun", h, bundle, id + "-crun")
        #expect(crun.status == 0 && crun.stdout == berth.replacingOccurrences(of: "nr1000=38", with: "nr1000=1"), "crun: \(crun.stdout) \(crun.stderr)")
    }

    @Test func ociBundlesWithTheDefaultProfileRuncAndCrunAgree() throws {
        let h = try OCIHarness("seccompdefault")
        defer { h.cleanUp() }
        let probe = h.work + "/probe"
        try Self.buildProbe(probe)
        let bundleCaps = ["--no-default-caps", "--cap", "AUDIT_WRITE", "--cap", "KILL", "--cap", "NET_BIND_SERVICE"]

        // No filter: the kernel itself allows keyctl and userfaultfd for root.
        let none = try h.oci(["run", "--bundle", try Self.probeBundle(h, name: "none", probe: probe, seccomp: nil, addCaps: []), h.id + "-none"])
        #expect(none.status == 0, "\(none.stderr)")
        let base = Self.answers(none.stdout)
        #expect(base["Seccomp"] == "0" && base["keyctl"] != Self.eperm && base["userfaultfd"] == "0" && base["nr1000"] == Self.enosys, "\(base)")

        let plain = try Self.probeBundle(h, name: "plain", probe: probe, seccomp: try Self.profileJSON(h, bundleCaps), addCaps: [])
        let r = try h.oci(["--explain", "run", "--bundle", plain, h.id])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("[seccomp] docker-default profile sha256:"), "\(r.stderr)")
        Self.expectDefault(Self.answers(r.stdout), "oci")
        try expectSameAsRuncAndCrun(h, plain, h.id, r.stdout)

        let admin = ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE"]
        let wide = try Self.probeBundle(h, name: "wide", probe: probe,
                                        seccomp: try Self.profileJSON(h, bundleCaps + ["--cap", "SYS_ADMIN", "--cap", "CAP_SYS_PTRACE"]), addCaps: admin)
        let w = try h.oci(["run", "--bundle", wide, h.id + "-wide"])
        #expect(w.status == 0, "\(w.stderr)")
        Self.expectWidened(Self.answers(w.stdout), "oci, SYS_ADMIN + SYS_PTRACE")
        try expectSameAsRuncAndCrun(h, wide, h.id + "-wide", w.stdout)
    }
}
