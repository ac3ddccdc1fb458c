@testable import BerthInit
@testable import BerthRuntime
import BerthCgroups
import BerthSys
import Foundation
import Testing

/// SpecValidator: every rejected field is named by its JSON path; a valid spec yields the plan.
@Suite struct SpecValidatorTests {
    /// A bundle directory with an empty rootfs/ (removed by the caller).
    static func makeBundle() throws -> String {
        let dir = "/tmp/berth-spec-test-\(getpid())-\(UUID().uuidString)"
        try Files.makeDirectories(dir + "/rootfs")
        return dir
    }

    static func spec(_ edit: (inout Spec) -> Void = { _ in }) -> Spec {
        var spec = Spec(
            process: Spec.Process(args: ["/bin/true"], env: ["PATH=/bin"],
                                  capabilities: .init(bounding: ["CAP_KILL"], effective: ["CAP_KILL"])),
            root: Spec.Root(path: "rootfs"),
            hostname: "h",
            mounts: [Spec.Mount(destination: "/proc", type: "proc", source: "proc")],
            linux: Spec.Linux(namespaces: [.init(type: "pid"), .init(type: "uts"), .init(type: "mount")]))
        edit(&spec)
        return spec
    }

    /// The issues create would report for `spec` (empty if valid).
    func issues(_ spec: Spec, bundle: String, id: String = "c1") -> [SpecIssue] {
        do {
            _ = try SpecValidator.validate(spec, bundle: bundle, id: id)
            return []
        } catch {
            if case .invalidSpec(let issues) = error { return issues }
            Issue.record("unexpected error \(error)")
            return []
        }
    }

    @Test func validSpecGivesAbsoluteRootfsDefaultCgroupAndLimits() throws {
        let bundle = try Self.makeBundle()
        defer { try? Files.removeTree(bundle) }
        let spec = Self.spec {
            $0.linux?.resources = .init(memory: .init(limit: 64 << 20), cpu: .init(shares: 512, quota: 50_000, period: 100_000), pids: .init(limit: 100))
        }
        let plan = try SpecValidator.validate(spec, bundle: bundle, id: "web-1")
        #expect(plan.rootfs == bundle + "/rootfs")
        #expect(plan.spec.root?.path == bundle + "/rootfs")
        #expect(plan.cgroup.relative == "berth/web-1")
        #expect(plan.resources == CgroupResources(memoryLimit: 64 << 20, cpuShares: 512, cpuQuota: 50_000, cpuPeriod: 100_000, pidsLimit: 100,
                                                  devices: DeviceRule.effective([])))
    }

    @Test func deviceRulesAreHonouredAfterDenyAllAndBeforeTheDefaults() throws {
        let bundle = try Self.makeBundle()
        defer { try? Files.removeTree(bundle) }
        let spec = Self.spec {
            $0.linux?.resources = .init(devices: [.init(allow: false, access: "rwm"), .init(allow: true, type: "c", major: 1, minor: 11, access: "w"),
                                                  .init(allow: true, type: "b", major: 8, minor: nil)])
        }
        let plan = try SpecValidator.validate(spec, bundle: bundle, id: "dev")
        #expect(plan.resources.devices == [.denyAll, DeviceRule(allow: true, type: .char, major: 1, minor: 11, access: "w"),
                                           DeviceRule(allow: true, type: .block, major: 8)] + DeviceRule.defaults)
        // No rules at all: still deny-all plus the defaults, never "no policy".
        #expect(try SpecValidator.validate(Self.spec(), bundle: bundle, id: "dev").resources.devices == [.denyAll] + DeviceRule.defaults)
        // A task container's spec (Docker's list) does not get the defaults twice.
        let task = Self.spec { $0.linux?.resources = .init(devices: Spec.DeviceCgroup.dockerDefaults) }
        #expect(try SpecValidator.validate(task, bundle: bundle, id: "dev").resources.devices == DeviceRule.dockerDefault)
    }

    @Test func badDeviceRulesAndLinuxDevicesAreRefusedByField() throws {
        let bundle = try Self.makeBundle()
        defer { try? Files.removeTree(bundle) }
        let spec = Self.spec {
            $0.linux?.resources = .init(devices: [.init(allow: true, type: "x"), .init(allow: true, type: "c", access: "rx"),
                                                  .init(allow: true, type: "c", major: -1, minor: 1 << 40)])
            $0.linux?.devices = [.init(path: "/dev/sda", type: "b", major: 8, minor: 0)]
        }
        let found = issues(spec, bundle: bundle).map(\.description)
        #expect(found.contains { $0.hasPrefix("linux.resources.devices[0].type: \"x\" is not a device type") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("linux.resources.devices[1].access: \"rx\"") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("linux.resources.devices[2].major: -1 is out of range") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("linux.resources.devices[2].minor: 1099511627776 is out of range") }, "\(found)")
    }

    @Test func linuxDevicesAreCheckedByFieldAndAllowedAfterDenyAll() throws {
        let bundle = try Self.makeBundle()
        defer { try? Files.removeTree(bundle) }
        let bad = Self.spec {
            $0.linux?.devices = [.init(path: "dev/rel", type: "c", major: 1, minor: 3), .init(path: "/dev/../etc/x", type: "c", major: 1, minor: 3),
                                 .init(path: "/dev/q", type: "x", major: 1, minor: 3), .init(path: "/dev/nomajor", type: "b", major: nil, minor: 0),
                                 .init(path: "/dev/big", type: "c", major: 4096, minor: 0, fileMode: 0o4755, uid: nil, gid: nil),
                                 .init(path: "/dev/fifo", type: "p", major: 3, minor: nil), .init(path: "/dev/q/", type: "c", major: 1, minor: 5),
                                 .init(path: "/", type: "c", major: 1, minor: 5)]
        }
        let found = issues(bad, bundle: bundle).map(\.description)
        for prefix in ["linux.devices[0].path: \"dev/rel\" is not an absolute path", "linux.devices[1].path: \"/dev/../etc/x\" must not contain ..",
                       "linux.devices[2].type: \"x\" is not a device type (c, u, b or p)", "linux.devices[3].major: is required for type \"b\"",
                       "linux.devices[4].major: 4096 is out of range 0...4095", "linux.devices[4].fileMode: 2541 (0o4755) has bits beyond",
                       "linux.devices[5].major: 3 is meaningless for a fifo", "linux.devices[6].path: \"/dev/q\" is already linux.devices[2].path",
                       "linux.devices[7].path: \"/\" must name a file below the root"] {
            #expect(found.contains { $0.hasPrefix(prefix) }, "\(prefix): \(found)")
        }
        let boundDev = Self.spec {
            $0.mounts?.append(.init(destination: "/dev", type: "bind", source: "/dev", options: ["rbind"]))
            $0.linux?.devices = [.init(path: "/dev/x", type: "c", major: 1, minor: 3)]
        }
        #expect(issues(boundDev, bundle: bundle).map(\.description).contains { $0.hasPrefix("linux.devices: cannot create device nodes: mounts[1] bind-mounts /dev") })

        // Each c/u/b node gets an rwm rule right after deny-all (the spec's own rules may narrow
        // it); a fifo needs none.
        let good = Self.spec {
            $0.linux?.devices = [.init(path: "/dev/mynull", type: "c", major: 1, minor: 3, fileMode: 0o620, uid: 1000, gid: 5),
                                 .init(path: "/dev/sub/tun", type: "u", major: 10, minor: 200), .init(path: "/dev/loop9", type: "b", major: 7, minor: 9),
                                 .init(path: "/dev/fifo", type: "p")]
            $0.linux?.resources = .init(devices: [.init(allow: false, type: "c", major: 10, minor: 200, access: "w")])
        }
        let plan = try SpecValidator.validate(good, bundle: bundle, id: "devs")
        #expect(plan.resources.devices == [DeviceRule.denyAll, DeviceRule(allow: true, type: .char, major: 1, minor: 3),
                                           DeviceRule(allow: true, type: .char, major: 10, minor: 200), DeviceRule(allow: true, type: .block, major: 7, minor: 9),
                                           DeviceRule(allow: false, type: .char, major: 10, minor: 200, access: "w")] + DeviceRule.defaults)
    }

    @Test func cgroupsPathAbsoluteRelativeAndRefusals() throws {
        let bundle = try Self.makeBundle()
        defer { try? Files.removeTree(bundle) }
        let cases: [(String?, String)] = [
            (nil, "berth/c1"), ("", "berth/c1"), ("/berth/task-1/web", "berth/task-1/web"), ("berth/task-1/web", "berth/task-1/web"),
            ("/system.slice/x", "system.slice/x"), ("//a//b/", "a/b"), ("a/b", "berth/a/b"), ("c", "berth/c"),
        ]
        for (raw, expected) in cases {
            let plan = try SpecValidator.validate(Self.spec { $0.linux?.cgroupsPath = raw }, bundle: bundle, id: "c1")
            #expect(plan.cgroup.relative == expected, "\(raw ?? "nil")")
        }
        for bad in ["berth/../x", "/a/./b", "berth", "/berth", "/", "machine.slice:berth:x"] {
            let found = issues(Self.spec { $0.linux?.cgroupsPath = bad }, bundle: bundle)
            #expect(found.map(\.path) == ["linux.cgroupsPath"], "\(bad): \(found)")
        }
        let systemd = issues(Self.spec { $0.linux?.cgroupsPath = "system.slice:berth:x" }, bundle: bundle).map(\.description)
        #expect(systemd.first?.contains("systemd cgroup driver") == true, "\(systemd)")
    }

    @Test func everyProblemIsNamedByItsField() throws {
        let bundle = try Self.makeBundle()
        defer { try? Files.removeTree(bundle) }
        let cases: [(String, (inout Spec) -> Void)] = [
            ("root", { $0.root = nil }),
            ("root.path", { $0.root = Spec.Root(path: "missing-rootfs") }),
            ("process", { $0.process = nil }),
            ("process.args", { $0.process?.args = [] }),
            ("process.args[0]", { $0.process?.args = [""] }),
            ("process.cwd", { $0.process?.cwd = "relative" }),
            ("process.terminal", { $0.process?.terminal = true }),
            ("process.env[1]", { $0.process?.env = ["A=1", "NOEQUALS"] }),
            ("process.user.umask", { $0.process?.user.umask = 0o1000 }),
            ("process.oomScoreAdj", { $0.process?.oomScoreAdj = 1001 }),
            ("process.capabilities.bounding[1]", { $0.process?.capabilities?.bounding = ["CAP_KILL", "CAP_FOO"] }),
            ("process.capabilities.ambient[0]", { $0.process?.capabilities?.ambient = ["NOT_A_CAP"] }),
            ("process.rlimits[0].type", { $0.process?.rlimits = [.init(type: "RLIMIT_BOGUS", soft: 1, hard: 1)] }),
            ("process.rlimits[0]", { $0.process?.rlimits = [.init(type: "RLIMIT_NOFILE", soft: 10, hard: 5)] }),
            ("hostname", { $0.linux?.namespaces = [.init(type: "mount")] }),
            ("linux.namespaces[1].type", { $0.linux?.namespaces = [.init(type: "pid"), .init(type: "bogus"), .init(type: "uts")] }),
            ("linux.namespaces[1].type", { $0.linux?.namespaces = [.init(type: "uts"), .init(type: "uts")] }),
            ("linux.namespaces[0].path", { $0.linux?.namespaces = [.init(type: "uts", path: "/nonexistent/ns")] }),
            ("mounts[0].destination", { $0.mounts = [.init(destination: "proc", type: "proc", source: "proc")] }),
            ("mounts[0].destination", { $0.mounts = [.init(destination: "/a/../b", type: "tmpfs")] }),
            ("mounts[0].source", { $0.mounts = [.init(destination: "/data", type: "bind", source: "/nonexistent-src", options: ["rbind"])] }),
            ("mounts[0].type", { $0.mounts = [.init(destination: "/data")] }),
            ("linux.maskedPaths[0]", { $0.linux?.maskedPaths = ["proc/kcore"] }),
            ("linux.rootfsPropagation", { $0.linux?.rootfsPropagation = "sideways" }),
            ("linux.resources.memory.limit", { $0.linux?.resources = .init(memory: .init(limit: -5)) }),
            ("linux.resources.memory.limit", { $0.linux?.resources = .init(memory: .init(limit: 100)) }),
            ("linux.resources.memory.reservation", { $0.linux?.resources = .init(memory: .init(reservation: -2)) }),
            ("linux.resources.memory.swap", { $0.linux?.resources = .init(memory: .init(limit: 1 << 30, swap: 2 << 30)) }),
            ("linux.resources.cpu.shares", { $0.linux?.resources = .init(cpu: .init(shares: 1)) }),
            ("linux.resources.cpu.quota", { $0.linux?.resources = .init(cpu: .init(quota: 10)) }),
            ("linux.resources.cpu.period", { $0.linux?.resources = .init(cpu: .init(period: 5_000_000)) }),
            ("linux.resources.pids.limit", { $0.linux?.resources = .init(pids: .init(limit: -3)) }),
            ("linux.sysctl", { $0.linux?.sysctl = ["net.ipv4.ip_forward": "1"] }),
        ]
        for (path, edit) in cases {
            let found = issues(Self.spec(edit), bundle: bundle)
            #expect(found.map(\.path) == [path], "expected one issue at \(path), got \(found)")
        }
    }

    @Test func allProblemsAreReportedTogether() throws {
        let bundle = try Self.makeBundle()
        defer { try? Files.removeTree(bundle) }
        let found = issues(Self.spec {
            $0.process?.args = []
            $0.process?.capabilities?.bounding = ["CAP_FOO"]
            $0.linux?.resources = .init(pids: .init(limit: -9))
        }, bundle: bundle)
        #expect(found.map(\.path) == ["process.args", "process.capabilities.bounding[0]", "linux.resources.pids.limit"])
        let text = RuntimeError.invalidSpec(found).description
        #expect(text.contains("process.capabilities.bounding[0]: unknown capability \"CAP_FOO\""))
    }

    @Test func containerIDs() {
        for good in ["a", "web-1", "A.b_c-9", String(repeating: "x", count: 128)] {
            #expect((try? ContainerID.validate(good)) != nil, "\(good)")
        }
        for bad in ["", "-a", ".hidden", "a/b", "a b", "ä", String(repeating: "x", count: 129), "..", "a\n"] {
            #expect(throws: RuntimeError.invalidID(bad)) { try ContainerID.validate(bad) }
        }
    }
}
