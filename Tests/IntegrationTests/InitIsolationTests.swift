import BerthInit
import BerthRuntime
import BerthSys
import CBerth
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// What a process started by `berth-init` sees of the host, checked from inside.
@Suite(.serialized) struct InitIsolationTests {
    @Test func createRunsProgramAsPID1InItsOwnNamespaces() throws {
        try InitHarness.requireRoot()
        let (s, out) = try InitHarness.script(
            "echo pid=$$; hostname; ls /work >/dev/null 2>&1 && echo work-visible || echo work-hidden; ps -o pid,comm; true")
        #expect(s.lines.first?.hasPrefix("pid ") == true)
        #expect(s.lines.contains("ready"))
        let lines = InitHarness.lines(out)
        #expect(Array(lines.prefix(3)) == ["pid=1", "berth-test", "work-hidden"], "stdout: \(out) stderr: \(s.stderr)")
        // ps sees only the container: sh as PID 1 and ps itself.
        let ps = Array(lines.dropFirst(3))
        #expect(ps.count == 3 && ps[1] == "1 sh" && ps[2].hasSuffix(" ps"), "ps: \(out)")
        #expect(InitHarness.hostMountsMentioning("berth-init").isEmpty)
    }

    @Test func onlyContainerMountsAreVisible() throws {
        try InitHarness.requireRoot()
        let (s, out) = try InitHarness.script("cut -d' ' -f2 /proc/mounts")
        let points = Set(InitHarness.lines(out))
        #expect(points.contains("/") && points.contains("/proc") && points.contains("/dev/pts") && points.contains("/sys"), "\(out) \(s.stderr)")
        let allowed = ["/", "/proc", "/dev", "/sys"]
        let stray = points.filter { p in !allowed.contains { p == $0 || p.hasPrefix($0 == "/" ? "/dev/" : $0 + "/") } }
        #expect(stray.isEmpty, "host mounts leaked into the container: \(stray)")
        #expect(!points.contains { $0.hasPrefix("/work") || $0.hasPrefix("/tmp") || $0.hasPrefix("/run") })
    }

    @Test func maskedAndReadonlyPaths() throws {
        try InitHarness.requireRoot()
        let (s, out) = try InitHarness.script("""
            echo keys=$(cat /proc/keys | wc -c)
            echo timer_list=$(cat /proc/timer_list | wc -c)
            echo firmware=$(ls -A /sys/firmware | wc -l)
            echo acpi=$(ls -A /proc/acpi | wc -l)
            echo x > /proc/sys/kernel/domainname 2>/dev/null && echo sys-writable || echo sys-readonly
            echo x > /sys/firmware/f 2>/dev/null && echo mask-writable || echo mask-readonly
            """)
        #expect(InitHarness.lines(out) == ["keys=0", "timer_list=0", "firmware=0", "acpi=0", "sys-readonly", "mask-readonly"],
                "\(out) \(s.stderr)")
    }

    @Test func devicesInDevTmpfs() throws {
        try InitHarness.requireRoot()
        let (s, out) = try InitHarness.script("""
            for d in null zero full random urandom tty; do stat -c '%n %t:%T %a %F' /dev/$d; done
            readlink /dev/ptmx; readlink /dev/fd; readlink /dev/stdin
            head -c 4 /dev/zero | wc -c
            [ /proc/self/fd/0 -ef /dev/null ] && echo stdin-container-null
            """)
        #expect(InitHarness.lines(out) == [
            "/dev/null 1:3 666 character special file", "/dev/zero 1:5 666 character special file",
            "/dev/full 1:7 666 character special file", "/dev/random 1:8 666 character special file",
            "/dev/urandom 1:9 666 character special file", "/dev/tty 5:0 666 character special file",
            "pts/ptmx", "/proc/self/fd", "/proc/self/fd/0", "4", "stdin-container-null",
        ], "\(out) \(s.stderr)")
    }

    @Test func dockerDefaultCapabilitiesWithAddAndDrop() throws {
        try InitHarness.requireRoot()
        let (s1, out1) = try InitHarness.script("grep -E '^Cap(Eff|Prm|Bnd|Inh|Amb)' /proc/self/status")
        let d = try InitHarness.capHex(Capabilities.dockerDefault)
        #expect(InitHarness.lines(out1) == ["CapInh: 0000000000000000", "CapPrm: \(d)", "CapEff: \(d)", "CapBnd: \(d)",
                                             "CapAmb: 0000000000000000"], "\(out1) \(s1.stderr)")
        #expect(d == "00000000a80425fb")

        // ECS style: names without CAP_; add NET_ADMIN and SYS_ADMIN, drop CHOWN.
        let custom = Capabilities.dockerDefault.filter { $0 != "CAP_CHOWN" }.map { String($0.dropFirst(4)) } + ["NET_ADMIN", "SYS_ADMIN"]
        let (s2, out2) = try InitHarness.script("grep -E '^Cap(Eff|Bnd)' /proc/self/status; chown 1:1 /tmp && echo chown-ok || echo chown-denied") {
            $0.process!.capabilities = .init(bounding: custom, effective: custom, permitted: custom)
        }
        let c = try InitHarness.capHex(custom)
        #expect(InitHarness.lines(out2).prefix(2) == ["CapEff: \(c)", "CapBnd: \(c)"], "\(out2) \(s2.stderr)")
        #expect(InitHarness.lines(out2).last == "chown-denied")
    }

    @Test func readonlyRootfsRefusesWrites() throws {
        try InitHarness.requireRoot()
        let (s, out) = try InitHarness.script("touch /newfile 2>/dev/null && echo rw || echo ro; touch /dev/shm/ok && echo shm-rw") {
            $0.root!.readonly = true
        }
        #expect(InitHarness.lines(out) == ["ro", "shm-rw"], "\(out) \(s.stderr)")
    }

    @Test func userByNameFromTheRootfsPasswd() throws {
        try InitHarness.requireRoot()
        let (s, out) = try InitHarness.script("id -u; id -g; id -G; echo $HOME; grep CapEff /proc/self/status") {
            $0.process!.user = .init(username: "app")
        }
        #expect(InitHarness.lines(out) == ["1000", "1000", "1000 50", "/home/app", "CapEff: 0000000000000000"], "\(out) \(s.stderr)")

        let (s2, out2) = try InitHarness.script("id -u; id -g; id -G") {
            $0.process!.user = .init(additionalGids: [7], username: "1000:staff")
        }
        #expect(InitHarness.lines(out2) == ["1000", "50", "50 7"], "\(out2) \(s2.stderr)")
    }

    @Test func unknownUserIsAnErrorOnTheSyncPipe() throws {
        try InitHarness.requireRoot()
        let (s, _) = try InitHarness.scriptAllowingError("true") { $0.process!.user = .init(username: "nosuch") }
        #expect(s.error?.contains("unable to find user nosuch") == true, "\(s.lines)")
    }

    @Test func rlimitsAndOOMScoreApplied() throws {
        try InitHarness.requireRoot()
        let (s, out) = try InitHarness.script("ulimit -n; ulimit -Hn; ulimit -c; cat /proc/self/oom_score_adj") {
            $0.process!.rlimits = [.init(type: "RLIMIT_NOFILE", soft: 123, hard: 456), .init(type: "core", soft: 0, hard: 0)]
            $0.process!.oomScoreAdj = 500
        }
        #expect(InitHarness.lines(out) == ["123", "456", "0", "500"], "\(out) \(s.stderr)")
    }

    @Test func sysctlsInOwnNamespaces() throws {
        try InitHarness.requireRoot()
        let (s, out) = try InitHarness.script("cat /proc/sys/net/ipv4/ip_unprivileged_port_start /proc/sys/kernel/shmmni") {
            $0.linux!.sysctl = ["net.ipv4.ip_unprivileged_port_start": "80", "kernel.shmmni": "1234"]
        }
        #expect(InitHarness.lines(out) == ["80", "1234"], "\(out) \(s.stderr)")
        #expect(try Files.read("/proc/sys/net/ipv4/ip_unprivileged_port_start") != "80\n")

        let (bad, _) = try InitHarness.scriptAllowingError("true") { $0.linux!.sysctl = ["kernel.pid_max": "100"] }
        #expect(bad.error?.contains("kernel.pid_max") == true, "\(bad.lines)")
    }

    /// rootfs/evil -> / and rootfs/evil2 -> ../../../..: mounts "through" them land in the rootfs.
    @Test func symlinkDestinationsStayInsideTheRootfs() throws {
        try InitHarness.requireRoot()
        let tag = "berth-evil-\(getpid())-\(berth_monotonic_ns() % 1_000_000)"
        var rootfs = ""
        let (s, out) = try InitHarness.script("grep -E '/tmp/\(tag)' /proc/mounts | cut -d' ' -f2; cat /etc/\(tag)-file",
            modify: { spec in
                spec.mounts! += [
                    .init(destination: "/evil/tmp/\(tag)", type: "tmpfs", source: "tmpfs", options: ["size=1m"]),
                    .init(destination: "/evil2/tmp/\(tag)-b", type: "bind", source: "srcfile", options: ["rbind", "ro"]),
                    .init(destination: "/evil/etc/\(tag)-file", type: "bind", source: "srcfile", options: ["bind", "ro"]),
                ]
            },
            prepare: { bundle in
                rootfs = bundle + "/rootfs"
                try #require(symlink("/", rootfs + "/evil") == 0)
                try #require(symlink("../../../../../../..", rootfs + "/evil2") == 0)
                try Files.writeAtomically(bundle + "/srcfile", Array("inside\n".utf8))
            })
        #expect(InitHarness.lines(out) == ["/tmp/\(tag)", "/tmp/\(tag)-b", "inside"], "\(out) \(s.stderr)")
        // Nothing was created or mounted on the host.
        #expect(!Files.exists("/tmp/\(tag)") && !Files.exists("/tmp/\(tag)-b") && !Files.exists("/etc/\(tag)-file"))
        #expect(!rootfs.isEmpty)
        // No host mount names the tag or the test's rootfs (other suites may mount their own
        // things meanwhile, so the host's mount count is not compared).
        let after = try Files.read("/proc/self/mountinfo")
        #expect(!after.contains(tag) && !after.contains(rootfs))
    }

    @Test func noMountNamespaceIsRefused() throws {
        try InitHarness.requireRoot()
        let (s, _) = try InitHarness.scriptAllowingError("true") {
            $0.linux!.namespaces = [.init(type: "pid"), .init(type: "uts")]
        }
        #expect(s.error?.contains("mount namespace") == true, "\(s.lines)")
        #expect(s.pid == nil && s.initStatus != 0)
    }
}

extension InitIsolationTests {
    /// The container is placed in its own pids cgroup (under berth/); /sys/fs/cgroup shows only that
    /// cgroup, read-only, with or without a cgroup namespace.
    @Test func cgroupPlacementAndReadOnlyCgroupMount() throws {
        try InitHarness.requireRoot()
        let dir = "/sys/fs/cgroup/pids/berth/init-test-\(getpid())"
        try Files.makeDirectories(dir)
        defer { _ = rmdir(dir) }
        try Files.write(dir + "/pids.max", "77")
        let script = """
            grep ':pids:' /proc/self/cgroup | cut -d: -f3
            touch /sys/fs/cgroup/pids/x 2>/dev/null && echo cgroup-rw || echo cgroup-ro
            cat /sys/fs/cgroup/pids/pids.max
            ls /sys/fs/cgroup/pids | grep -c init-test
            """
        for withNamespace in [true, false] {
            // As the monitor's spawn does on v1: the single-threaded process that execs init
            // moves itself through `tasks`.
            let join = ["/bin/sh", "-c", "echo 0 > \(dir)/tasks && exec \"$@\"", "sh"]
            let (s, out) = try InitHarness.script(script, wrapper: join) {
                if withNamespace { $0.linux!.namespaces!.append(.init(type: "cgroup")) }
            }
            let own = withNamespace ? "/" : "/berth/init-test-\(getpid())"
            #expect(InitHarness.lines(out) == [own, "cgroup-ro", "77", "0"], "cgroupns \(withNamespace): \(out) \(s.stderr)")
        }
    }
}

extension InitIsolationTests {
    /// A read-only /dev tmpfs still gets its device nodes (remounted ro after mknod); the
    /// domainname is set in the new uts namespace; a mount's propagation option is applied.
    @Test func readOnlyDevDomainnameAndMountPropagation() throws {
        try InitHarness.requireRoot()
        let (s, out) = try InitHarness.script("""
            grep ' /dev ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1
            stat -c '%t:%T' /dev/null
            touch /dev/x 2>/dev/null && echo dev-rw || echo dev-ro
            cat /proc/sys/kernel/domainname
            grep ' /data ' /proc/self/mountinfo | grep -o unbindable
            """) {
            let devIndex = $0.mounts!.firstIndex { $0.destination == "/dev" }!
            $0.mounts![devIndex].options! += ["ro"]
            $0.domainname = "example.internal"
            $0.mounts!.append(.init(destination: "/data", type: "bind", source: "/tmp", options: ["rbind", "runbindable"]))
        }
        #expect(InitHarness.lines(out) == ["ro", "1:3", "dev-ro", "example.internal", "unbindable"], "\(out) \(s.stderr)")
    }
}

extension InitIsolationTests {
    /// This host is cgroup v1/hybrid; the v2 path is exercised by starting init in a private
    /// mount namespace whose /sys/fs/cgroup is the (otherwise empty) unified hierarchy.
    @Test func cgroupMountOnACgroupV2Host() throws {
        try InitHarness.requireRoot()
        var hostType = 0
        var hostFlags = 0
        try #require(berth_statfs("/sys/fs/cgroup", &hostType, &hostFlags) == 0)
        let wrapper = ["/usr/bin/unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
                       "mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec \"$@\"", "wrapper"]
        let (s, out) = try InitHarness.script("""
            grep ' /sys/fs/cgroup ' /proc/mounts | cut -d' ' -f3,4 | cut -d, -f1
            grep -c '^0::/$' /proc/self/cgroup
            test -f /sys/fs/cgroup/cgroup.procs && echo has-procs
            """, wrapper: wrapper) {
            $0.linux!.namespaces!.append(.init(type: "cgroup"))
        }
        #expect(InitHarness.lines(out) == ["cgroup2 ro", "1", "has-procs"], "\(out) \(s.stderr)")
        // The wrapper's cgroup2 mount stayed in its own mount namespace.
        var type = 0
        var flags = 0
        #expect(berth_statfs("/sys/fs/cgroup", &type, &flags) == 0 && type == hostType)
    }
}
