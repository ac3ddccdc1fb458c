import BerthSys
import Foundation
import Glibc
import Testing

/// `linux.seccomp` enforced from inside real containers (`berth oci`), compared with crun.
@Suite(.serialized) struct SeccompOCITests {
    static func withSeccomp(_ profile: [String: Any]) -> (inout [String: Any]) -> Void {
        { config in
            var linux = config["linux"] as? [String: Any] ?? [:]
            linux["seccomp"] = profile
            config["linux"] = linux
        }
    }

    nonisolated(unsafe) static let denyMkdir: [String: Any] = [
        "defaultAction": "SCMP_ACT_ALLOW",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            ["names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 122],
            ["names": ["rmdir", "unlinkat", "no_such_syscall_anywhere"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1],
        ],
    ]

    static let script = """
        grep Seccomp: /proc/self/status
        mkdir /dev/shm/d 2>&1; echo "mkdir $?"
        rmdir /dev/shm 2>&1 | sed 's/.*: //'
        echo hello > /dev/shm/f && cat /dev/shm/f
        """

    @Test func aDeniedCallReturnsTheConfiguredErrnoAndTheRestWorks() throws {
        let h = try OCIHarness("seccompdeny")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", Self.script], edit: Self.withSeccomp(Self.denyMkdir))
        let r = try h.oci(["--explain", "run", "--bundle", bundle, h.id])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == """
            Seccomp:\t2
            mkdir: can't create directory '/dev/shm/d': Disk quota exceeded
            mkdir 1
            Operation not permitted
            hello

            """, "\(r.stdout)")
        #expect(r.stderr.contains("[seccomp] profile sha256:") && r.stderr.contains("4 rules, compiled"), "\(r.stderr)")
        #expect(r.stderr.contains("linux.seccomp.syscalls[1]: no_such_syscall_anywhere is unknown to libseccomp"), "\(r.stderr)")

        // The second start of the same profile does not compile it again.
        let again = try h.oci(["--explain", "run", "--bundle", bundle, h.id + "-2"])
        #expect(again.status == 0 && again.stdout == r.stdout, "\(again.stderr)")
        #expect(again.stderr.contains("4 rules, from the cache"), "\(again.stderr)")

        // crun, same bundle, same answers (it hides this hybrid host's cgroup2 mount first).
        let crun = try h.run("/usr/bin/unshare", ["-m", "sh", "-c",
            "umount /sys/fs/cgroup/unified 2>/dev/null; exec crun --root \(h.work)/crun run --bundle \(bundle) \(h.id)-crun"])
        #expect(crun.status == 0, "crun: \(crun.stderr)")
        #expect(crun.stdout == r.stdout)
    }

    /// The filter also holds for `berth oci exec` into the container.
    @Test func execRunsUnderTheContainersFilter() throws {
        let h = try OCIHarness("seccompexec")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sleep", "30"], edit: Self.withSeccomp(Self.denyMkdir))
        let created = try h.oci(["run", "--detach", "--bundle", bundle, h.id])
        try #require(created.status == 0, "\(created.stderr)")
        let r = try h.oci(["exec", h.id, "sh", "-c", "grep Seccomp: /proc/self/status; mkdir /dev/shm/e 2>&1"])
        #expect(r.stdout.contains("Seccomp:\t2") && r.stdout.contains("Disk quota exceeded"), "\(r.stdout) \(r.stderr)")
    }

    /// A static probe that prints `nr:errno` for each syscall number it is given.
    static func probe(_ h: OCIHarness) throws -> String {
        let dir = h.work + "/probe"
        try Files.makeDirectories(dir)
        try Files.writeAtomically(dir + "/probe.c", Array("""
            #include <errno.h>
            #include <stdio.h>
            #include <stdlib.h>
            #include <unistd.h>
            #include <sys/syscall.h>
            int main(int argc, char **argv) {
                for (int i = 1; i < argc; i++) {
                    long nr = atol(argv[i]);
                    long r = syscall(nr, -1L, 0L, 0L, 0L, 0L, 0L);
                    printf("%ld:%d\\n", nr, r < 0 ? errno : 0);
                }
                return 0;
            }
            """.utf8))
        let cc = try h.run("/usr/bin/gcc", ["-static", "-O1", "-o", dir + "/probe", dir + "/probe.c"])
        try #require(cc.status == 0, "gcc (Scripts/setup.sh --test installs it): \(cc.stderr)")
        return dir
    }

    /// defaultAction ERRNO with an allowlist: an allowed call works, an unlisted one gets EPERM,
    /// one numbered above every call of the profile (clone3 435, 1000) ENOSYS, so libc can fall back.
    @Test func anAllowlistDeniesTheRestAndAnswersNewerCallsWithENOSYS() throws {
        // x86_64 numbers: getpid 39, getppid 110, mkdir 83.
        let (getpid, getppid, mkdir) = (39, 110, 83)
        let h = try OCIHarness("seccompallow")
        defer { h.cleanUp() }
        let probe = try Self.probe(h)
        let allow = ["execve", "brk", "arch_prctl", "set_tid_address", "set_robust_list", "rseq", "prlimit64", "readlink",
                     "readlinkat", "getrandom", "mprotect", "mmap", "munmap", "fstat", "newfstatat", "write", "exit_group",
                     "exit", "uname", "ioctl", "getpid", "rt_sigaction", "rt_sigprocmask", "sigaltstack", "futex", "getuid",
                     "openat", "close", "read", "lseek", "statx"]
        let profile: [String: Any] = [
            "defaultAction": "SCMP_ACT_ERRNO",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [["names": allow, "action": "SCMP_ACT_ALLOW"]],
        ]
        let bundle = try h.bundle(["/run/probe", "\(getpid)", "\(getppid)", "\(mkdir)", "435", "1000"]) { config in
            Self.withSeccomp(profile)(&config)
            var mounts = config["mounts"] as! [[String: Any]]
            mounts.append(["destination": "/run", "type": "bind", "source": probe, "options": ["rbind", "ro"]])
            config["mounts"] = mounts
        }
        let r = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "\(getpid):0\n\(getppid):1\n\(mkdir):1\n435:38\n1000:38\n", "\(r.stdout)")
    }

    /// A profile the compiler refuses: create fails naming the field, nothing is left behind.
    @Test func aRefusedProfileFailsCreateWithTheFieldNamed() throws {
        let h = try OCIHarness("seccompbad")
        defer { h.cleanUp() }
        let profile: [String: Any] = [
            "defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_NEW_LISTENER"],
            "syscalls": [["names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"]],
        ]
        let bundle = try h.bundle(["true"], edit: Self.withSeccomp(profile))
        let r = try h.oci(["create", "--bundle", bundle, h.id])
        #expect(r.status != 0)
        #expect(r.stderr.contains("linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported"), "\(r.stderr)")
        #expect(r.stderr.contains("linux.seccomp.flags[0]: unknown or unsupported flag \"SECCOMP_FILTER_FLAG_NEW_LISTENER\""), "\(r.stderr)")
        #expect(try h.leftovers(h.id).isEmpty)
        #expect(!Files.exists(h.root + "/.seccomp"))
    }
}
