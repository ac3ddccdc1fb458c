import BerthECS
import BerthImages
import BerthInit
import BerthRuntime
import Testing
@testable import BerthTasks

/// Parse and validate a task definition as `berth run` does.
func definition(_ json: String) throws -> TaskDefinitionInput {
    let report = ECSValidation.validateTaskDefinition(bytes: Array(json.utf8))
    #expect(report.errors.isEmpty, "\(report.errors)")
    return try #require(report.definition)
}

func build(_ json: String, image: ImageConfig = ImageConfig(Env: ["PATH=/bin", "FROM_IMAGE=1"], Cmd: ["/bin/sh"]),
           index: Int = 0, files: [String: String] = [:], override: ContainerOverride? = nil,
           initBinary: String? = nil) throws -> ContainerPrep {
    // Overrides reach the builder applied to the definition, as HostTaskEngine applies them.
    let registered = try definition(json)
    let task = override.map { registered.applying(TaskOverride(containerOverrides: [$0])) } ?? registered
    var b = SpecBuilder(task: task, layout: TaskLayout(taskId: "abc123"), initBinary: initBinary)
    b.readFile = { path in
        guard let text = files[path] else { throw ImageError("no such file \(path)") }
        return text
    }
    return try b.build(index: index, image: image, lowerDirs: ["/layers/x"])
}

func td(_ container: String, task: String = "") -> String {
    """
    {"family": "f", \(task) "containerDefinitions": [\(container)]}
    """
}

@Suite struct SpecBuilderTests {
    @Test func commandAndEntryPointFollowDockerSemantics() throws {
        let image = ImageConfig(Entrypoint: ["/entry"], Cmd: ["default"])
        #expect(try build(td(#"{"name": "a", "image": "x", "memory": 64}"#), image: image).plan.spec.process?.args == ["/entry", "default"])
        #expect(try build(td(#"{"name": "a", "image": "x", "memory": 64, "command": ["run"]}"#), image: image).plan.spec.process?.args == ["/entry", "run"])
        // entryPoint replaces ENTRYPOINT and drops the image CMD.
        #expect(try build(td(#"{"name": "a", "image": "x", "memory": 64, "entryPoint": ["/bin/sh", "-c"]}"#), image: image).plan.spec.process?.args == ["/bin/sh", "-c"])
        #expect(try build(td(#"{"name": "a", "image": "x", "memory": 64, "entryPoint": ["/e"], "command": ["c"]}"#), image: image).plan.spec.process?.args == ["/e", "c"])
        let o = ContainerOverride(name: "a", command: ["over"])
        #expect(try build(td(#"{"name": "a", "image": "x", "memory": 64, "command": ["run"]}"#), image: image, override: o).plan.spec.process?.args == ["/entry", "over"])
        #expect(throws: TranslationError.self) { try build(td(#"{"name": "a", "image": "x", "memory": 64}"#), image: ImageConfig()) }
    }

    /// The host's variables (ECS_CONTAINER_METADATA_URI_V4, ...) come after the image's and
    /// before the definition's own, so a definition that sets one keeps its value.
    @Test func hostEnvironmentGivesWayToTheDefinition() throws {
        let registered = try definition(td(#"{"name": "a", "image": "x", "memory": 64, "environment": [{"name": "ECS_CONTAINER_METADATA_URI", "value": "mine"}]}"#))
        var b = SpecBuilder(task: registered, layout: TaskLayout(taskId: "abc123"))
        b.extraEnvironment = ["a": [("ECS_CONTAINER_METADATA_URI_V4", "http://169.254.170.2/v4/x"), ("ECS_CONTAINER_METADATA_URI", "http://169.254.170.2/v3/x"),
                                    ("FROM_IMAGE", "host")], "other": [("OTHER", "1")]]
        let env = try b.build(index: 0, image: ImageConfig(Env: ["PATH=/bin", "FROM_IMAGE=1"], Cmd: ["/bin/sh"]), lowerDirs: ["/l"]).plan.spec.process?.env ?? []
        #expect(env.contains("ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2/v4/x"))
        #expect(env.contains("ECS_CONTAINER_METADATA_URI=mine"))
        #expect(env.contains("FROM_IMAGE=host"))
        #expect(!env.contains { $0.hasPrefix("OTHER=") })
    }

    @Test func environmentLayersImageFilesDefinitionOverrides() throws {
        let json = td(#"""
            {"name": "a", "image": "x", "memory": 64,
             "environmentFiles": [{"value": "/etc/app.env", "type": "s3"}],
             "environment": [{"name": "B", "value": "from-td"}, {"name": "C", "value": "td"}]}
            """#)
        let env = try build(json, files: ["/etc/app.env": "# comment\nA=from-file\nB=from-file\n\n"],
                            override: ContainerOverride(name: "a", environment: [KeyValuePair(name: "C", value: "override")])).plan.spec.process?.env ?? []
        #expect(env.contains("FROM_IMAGE=1"))
        #expect(env.contains("A=from-file"))
        #expect(env.contains("B=from-td"))
        #expect(env.contains("C=override"))
        #expect(env.contains("PATH=/bin"))
        #expect(env.contains { $0.hasPrefix("HOSTNAME=") })
    }

    @Test func s3EnvironmentFileIsRefusedWithItsPath() throws {
        let json = td(#"{"name": "a", "image": "x", "memory": 64, "environmentFiles": [{"value": "arn:aws:s3:::bucket/app.env", "type": "s3"}]}"#)
        #expect { try build(json) } throws: { ($0 as? TranslationError)?.path == "containerDefinitions[0].environmentFiles[0].value" }
    }

    @Test func userForms() throws {
        func user(_ u: String) throws -> Spec.User { try #require(try build(td(#"{"name": "a", "image": "x", "memory": 64, "user": "\#(u)"}"#)).plan.spec.process?.user) }
        #expect(try user("1000") == Spec.User(uid: 1000, gid: 0))
        #expect(try user("1000:50") == Spec.User(uid: 1000, gid: 50))
        #expect(try user("app").username == "app")
        #expect(try user("app:staff").username == "app:staff")
    }

    @Test func resourcesCapabilitiesUlimitsAndCgroup() throws {
        let json = td(#"""
            {"name": "web", "image": "x", "cpu": 0, "memory": 128, "memoryReservation": 64,
             "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 2048}],
             "linuxParameters": {"capabilities": {"add": ["NET_ADMIN"], "drop": ["MKNOD", "NET_RAW"]}}}
            """#)
        let spec = try build(json).plan.spec
        #expect(spec.linux?.resources?.cpu?.shares == 2)  // ECS agent: 0/1/unset → 2 shares
        #expect(spec.linux?.resources?.memory?.limit == 128 << 20)
        #expect(spec.linux?.resources?.memory?.reservation == 64 << 20)
        #expect(spec.linux?.cgroupsPath == "berth/task-abc123/web")
        let caps = spec.process?.capabilities?.bounding ?? []
        #expect(caps.contains("CAP_NET_ADMIN") && !caps.contains("CAP_MKNOD") && !caps.contains("CAP_NET_RAW"))
        #expect(caps.count == 14 + 1 - 2)
        #expect(spec.process?.rlimits == [Spec.Rlimit(type: "RLIMIT_NOFILE", soft: 1024, hard: 2048)])
        #expect(TaskHost.taskResources(cpuUnits: 512, memoryMiB: 1024) == .init(memoryLimit: 1 << 30, cpuQuota: 50_000, cpuPeriod: 100_000))
    }

    @Test func networkModesAndNamespaces() throws {
        func ns(_ mode: String) throws -> [Spec.Namespace] {
            try build(td(#"{"name": "a", "image": "x", "memory": 64}"#, task: #""networkMode": "\#(mode)","#)).plan.spec.linux?.namespaces ?? []
        }
        #expect(try ns("awsvpc").contains(Spec.Namespace(type: "network", path: "/run/berth/netns/task-abc123")))
        #expect(try ns("bridge").contains { $0.type == "network" && $0.path != nil })
        #expect(try !ns("host").contains { $0.type == "network" })
        let hostPid = try build(td(#"{"name": "a", "image": "x", "memory": 64}"#, task: #""pidMode": "host","#)).plan.spec.linux?.namespaces ?? []
        #expect(!hostPid.contains { $0.type == "pid" })
    }

    @Test func volumesTmpfsShmReadonlyRootAndEtcFiles() throws {
        let json = """
            {"family": "f", "volumes": [{"name": "scratch"}, {"name": "hostdir", "host": {"sourcePath": "/srv/data"}}],
             "containerDefinitions": [
              {"name": "a", "image": "x", "memory": 64, "readonlyRootFilesystem": true,
               "mountPoints": [{"sourceVolume": "scratch", "containerPath": "/scratch"},
                               {"sourceVolume": "hostdir", "containerPath": "/data", "readOnly": true}],
               "extraHosts": [{"hostname": "db.local", "ipAddress": "10.0.0.5"}],
               "dnsServers": ["10.0.0.2"], "dnsSearchDomains": ["corp.example"],
               "linuxParameters": {"sharedMemorySize": 128, "tmpfs": [{"containerPath": "/run/app", "size": 32}]}},
              {"name": "b", "image": "x", "memory": 64, "volumesFrom": [{"sourceContainer": "a", "readOnly": true}]}]}
            """
        let a = try build(json)
        let mounts = a.plan.spec.mounts ?? []
        #expect(a.plan.spec.root?.readonly == true)
        #expect(mounts.contains(Spec.Mount(destination: "/scratch", type: "bind", source: "/var/lib/berth/tasks/abc123/volumes/scratch", options: ["rbind", "rw"])))
        #expect(mounts.contains(Spec.Mount(destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "ro"])))
        #expect(mounts.contains { $0.destination == "/run/app" && $0.type == "tmpfs" && $0.options?.contains("size=32m") == true })
        #expect(mounts.contains { $0.destination == "/dev/shm" && $0.options?.contains("size=131072k") == true })
        #expect(a.directories == ["/var/lib/berth/tasks/abc123/volumes/scratch"])
        #expect(a.files["/run/berth/tasks/abc123/a/etc/hosts"]?.contains("10.0.0.5\tdb.local") == true)
        #expect(a.files["/run/berth/tasks/abc123/a/etc/resolv.conf"] == "nameserver 10.0.0.2\nsearch corp.example\n")
        let b = try build(json, index: 1)
        #expect(b.plan.spec.mounts?.contains(Spec.Mount(destination: "/scratch", type: "bind", source: "/var/lib/berth/tasks/abc123/volumes/scratch", options: ["rbind", "ro"])) == true)
    }

    @Test func hostSourcePathIsMountedCleaned() throws {
        let json = """
            {"family": "f", "volumes": [{"name": "h", "host": {"sourcePath": "/srv/app/../data/."}}],
             "containerDefinitions": [{"name": "a", "image": "x", "memory": 64,
               "mountPoints": [{"sourceVolume": "h", "containerPath": "/data"}]}]}
            """
        let mounts = try build(json).plan.spec.mounts ?? []
        #expect(mounts.contains(Spec.Mount(destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "rw"])))
    }

    @Test func lifecycleFieldsAndDefaults() throws {
        let json = td(#"""
            {"name": "a", "image": "x", "memory": 64, "essential": false, "stopTimeout": 7, "startTimeout": 9,
             "healthCheck": {"command": ["CMD-SHELL", "wget -q localhost || exit 1"]},
             "restartPolicy": {"enabled": true, "ignoredExitCodes": [0, 2]}},
            {"name": "main", "image": "x", "memory": 64}
            """#)
        let p = try build(json).plan
        #expect(!p.essential && p.stopTimeout == 7 && p.startTimeout == 9)
        #expect(p.healthCheck == HealthCheckPlan(args: ["/bin/sh", "-c", "wget -q localhost || exit 1"], interval: 30, timeout: 5, retries: 3, startPeriod: 0))
        #expect(p.restartPolicy == RestartPolicyPlan(enabled: true, ignoredExitCodes: [0, 2], restartAttemptPeriod: 300))
        #expect(try build(td(#"{"name": "a", "image": "x", "memory": 64}"#)).plan.stopTimeout == 30)
    }

    @Test func initProcessPrependsTheReaperAndMountsIt() throws {
        let json = td(#"{"name": "a", "image": "x", "memory": 64, "command": ["app"], "linuxParameters": {"initProcessEnabled": true}}"#)
        let prep = try build(json, initBinary: "/usr/lib/berth/berth-reaper")
        let spec = prep.plan.spec
        #expect(spec.process?.args == ["/dev/.berth-reaper", "--", "app"])
        // The container gets the task's own read-only copy, never the file every task runs.
        let copy = "/run/berth/tasks/abc123/a/berth-reaper"
        #expect(prep.copies == [copy: "/usr/lib/berth/berth-reaper"])
        #expect(spec.mounts?.contains(Spec.Mount(destination: "/dev/.berth-reaper", type: "bind", source: copy, options: ["bind", "ro"])) == true)
        #expect(spec.mounts?.contains { $0.source == "/usr/lib/berth/berth-reaper" } == false)
        #expect(throws: TranslationError.self) { try build(json) }
    }
}

@Suite struct AdoptionTests {
    @Test func adoptedTaskPicksUpRunningContainersAndTheirLaterExit() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior(runFor: 20, exitCodes: [4]), "side": Behavior()])
        let plan = [container("app"), container("side", essential: false, stopTimeout: 1)]
        let first = machine(plan, rt, clock)
        let record = drive(first, clock, for: 5)
        #expect(record.lastStatus == .running)
        // The agent crashed; a new machine adopts from the record and the runtime.
        let second = machine(plan, rt, clock)
        second.adopt(record)
        #expect(second.snapshot().container("app")?.lastStatus == .running)
        let s = drive(second, clock)
        #expect(rt.startCount("app") == 1, "an adopted container is not started again")
        #expect(s.container("app")?.exitCode == 4)
        #expect(s.stopCode == .essentialContainerExited)
        #expect(s.createdAt == record.createdAt)
    }

    @Test func vanishedContainerIsReportedStopped() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["app": Behavior()])
        let first = machine([container("app")], rt, clock)
        let record = drive(first, clock, for: 2)
        let empty = FakeRuntime(clock: clock, [:])
        let second = machine([container("app")], empty, clock)
        second.adopt(record)
        let s = drive(second, clock)
        #expect(s.container("app")?.reason?.hasPrefix("ContainerVanishedError") == true)
        #expect(s.lastStatus == .stopped)
    }

    /// linuxParameters.devices: the host node's type, numbers, mode and owner at containerPath
    /// (or hostPath), and cgroup rules narrowing the runtime's rwm node rule to the permissions.
    @Test func linuxDevicesBecomeNodesAndRules() throws {
        let json = td(#"""
            {"name": "a", "image": "x", "memory": 64, "linuxParameters": {"devices": [
              {"hostPath": "/dev/kmsg", "containerPath": "/dev/k", "permissions": ["write"]},
              {"hostPath": "/dev/net/tun", "permissions": ["read", "mknod"]}]}}
            """#)
        var b = SpecBuilder(task: try definition(json), layout: TaskLayout(taskId: "abc123"))
        b.statHost = { path in
            switch path {
            case "/dev/kmsg": HostNode(type: "c", major: 1, minor: 11, mode: 0o644)
            case "/dev/net/tun": HostNode(type: "c", major: 10, minor: 200, mode: 0o666, uid: 0, gid: 5)
            default: nil
            }
        }
        let spec = try b.build(index: 0, image: ImageConfig(Cmd: ["/bin/sh"])).plan.spec
        #expect(spec.linux?.devices == [Spec.Device(path: "/dev/k", type: "c", major: 1, minor: 11, fileMode: 0o644, uid: 0, gid: 0),
                                        Spec.Device(path: "/dev/net/tun", type: "c", major: 10, minor: 200, fileMode: 0o666, uid: 0, gid: 5)])
        let rules = spec.linux?.resources?.devices ?? []
        #expect(Array(rules.prefix(5)) == [Spec.DeviceCgroup(allow: false, type: "a", access: "rwm"),
                                           Spec.DeviceCgroup(allow: false, type: "c", major: 1, minor: 11, access: "rwm"),
                                           Spec.DeviceCgroup(allow: true, type: "c", major: 1, minor: 11, access: "w"),
                                           Spec.DeviceCgroup(allow: false, type: "c", major: 10, minor: 200, access: "rwm"),
                                           Spec.DeviceCgroup(allow: true, type: "c", major: 10, minor: 200, access: "rm")])
        #expect(Array(rules.dropFirst(5)) == Array(Spec.DeviceCgroup.dockerDefaults.dropFirst()))

        for (device, field, message) in [
            (#"{"hostPath": "/dev/nothere"}"#, "devices[0].hostPath", "/dev/nothere is not a character or block device"),
            (#"{"hostPath": "/dev/kmsg", "containerPath": "/srv/k"}"#, "devices[0].containerPath", "\"/srv/k\" must be a path under /dev/"),
            (#"{"hostPath": "/dev/kmsg", "containerPath": "/dev/../k"}"#, "devices[0].containerPath", "must be a path under /dev/ without .."),
        ] {
            var bad = SpecBuilder(task: try definition(td(#"{"name": "a", "image": "x", "memory": 64, "linuxParameters": {"devices": [\#(device)]}}"#)),
                                  layout: TaskLayout(taskId: "abc123"))
            bad.statHost = b.statHost
            #expect {
                _ = try bad.build(index: 0, image: ImageConfig(Cmd: ["/bin/sh"]))
            } throws: { error in
                let e = error as? TranslationError
                return e?.description.contains("containerDefinitions[0].linuxParameters.\(field)") == true && e?.description.contains(message) == true
            }
        }
    }
}

/// Docker's default seccomp profile on every task container, widened by capabilities.add;
/// dockerSecurityOptions: no-new-privileges honoured, the rest refused with the entry named.
@Suite struct SpecBuilderSeccompTests {
    @Test func everyContainerGetsDockersDefaultProfileForItsCapabilities() throws {
        let plain = try build(td(#"{"name": "a", "image": "x", "memory": 64}"#)).plan.spec
        let caps = try #require(plain.process?.capabilities?.bounding)
        #expect(plain.linux?.seccomp == DockerSeccomp.profile(bounding: caps))
        #expect(plain.linux?.seccomp?.syscalls?.contains { $0.names.contains("mount") } == false)

        let admin = try build(td(#"{"name": "a", "image": "x", "memory": 64, "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN", "SYS_PTRACE"]}}}"#)).plan.spec
        let widened = Set((admin.linux?.seccomp?.syscalls ?? []).flatMap(\.names))
        #expect(widened.isSuperset(of: ["mount", "unshare", "setns", "kcmp", "process_madvise"]))
        #expect(admin.linux?.seccomp == DockerSeccomp.profile(bounding: admin.process?.capabilities?.bounding ?? []))
    }

    @Test func noNewPrivilegesIsHonouredInDockersForms() throws {
        for (option, expected) in [("no-new-privileges", true), ("no-new-privileges:true", true), ("no-new-privileges=false", nil)] as [(String, Bool?)] {
            let spec = try build(td(#"{"name": "a", "image": "x", "memory": 64, "dockerSecurityOptions": ["\#(option)"]}"#)).plan.spec
            #expect(spec.process?.noNewPrivileges == expected, "\(option)")
        }
        #expect(try build(td(#"{"name": "a", "image": "x", "memory": 64}"#)).plan.spec.process?.noNewPrivileges == nil)
    }

    @Test func otherSecurityOptionsAreRefusedNamingTheEntry() throws {
        let cases = [
            "seccomp=unconfined": "is not one of the security options ECS documents",
            "seccomp:unconfined": "ECS has no seccomp setting",
            "apparmor:docker-default": "AppArmor profiles are not supported by Berth",
            "label:type:svirt_apache_t": "SELinux labels are not supported by Berth",
            "credentialspec:file://gmsa.json": "credential specs (Active Directory gMSA) are not supported",
            "no-new-privileges:maybe": "no-new-privileges takes true or false",
            "whatever": "is not one of the security options ECS documents",
        ]
        for (option, text) in cases {
            let json = td(#"{"name": "a", "image": "x", "memory": 64, "dockerSecurityOptions": ["no-new-privileges", "\#(option)"]}"#)
            do {
                _ = try build(json)
                Issue.record("\(option) was accepted")
            } catch let e as TranslationError {
                #expect(e.description.contains("containerDefinitions[0].dockerSecurityOptions[1]"), "\(e)")
                #expect(e.description.contains(text), "\(option): \(e)")
            }
        }
    }
}
