import Testing
@testable import BerthECS

@Suite struct LocalSupportWarningTests {
    static let cases: [RuleCase] = [
        RuleCase(taskDef(web, #""taskRoleArn": "r""#), "taskRoleArn", "the containers get this role's credentials from the task metadata endpoint when --task-role-credentials (of berth agent or berth run) maps it (none otherwise)."),
        RuleCase(taskDef(web, #""placementConstraints": [{"type": "memberOf", "expression": "x"}]"#), "placementConstraints",
                 "placementConstraints are stored but not evaluated: every task runs on this one host."),
        RuleCase(taskDef(web, #""volumes": [{"name": "e", "efsVolumeConfiguration": {"fileSystemId": "fs-1"}}]"#), "volumes[0].efsVolumeConfiguration",
                 "EFS volumes are not available on this host; Berth mounts an empty directory that lives as long as the task instead."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "environmentFiles": [{"value": "arn:aws:s3:::b/x.env", "type": "s3"}]}"#),
                 "containerDefinitions[0].environmentFiles",
                 "environmentFiles in S3 are not fetched, so their variables will not be set; give an absolute local path (Berth extension) to have the file read."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "healthCheck": {"command": ["curl", "-f", "localhost"]}}"#),
                 "containerDefinitions[0].healthCheck.command[0]",
                 "healthCheck command does not start with \"CMD\" or \"CMD-SHELL\"; it is run as [\"CMD\", ...] (the program is executed directly)."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80}]}, {"name": "b", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}"#),
                 "containerDefinitions[1].portMappings[0].containerPort",
                 "Containers 'a' and 'b' both use container port 80/tcp; Berth runs a bridge-mode task's containers in one network namespace, so only one of them can listen on it."),
    ]

    @Test(arguments: cases)
    func warningIsReported(_ rule: RuleCase) throws {
        let r = try report(rule.json)
        #expect(r.isValid, "\(r.errors)")
        #expect(r.warnings.contains { $0.path.description == rule.path && $0.message == rule.message }, "\(r.warnings)")
    }

    @Test func oneWarningPerKindListsOtherPlaces() throws {
        let log = #""logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "g"}}"#
        let containers = (0..<5).map { #"{"name": "c\#($0)", "image": "i", "memory": 64, \#(log)}"# }.joined(separator: ",")
        let r = try report(taskDef(containers))
        #expect(r.warnings.count == 1)
        #expect(r.warnings[0].path.description == "containerDefinitions[0].logConfiguration")
        #expect(r.warnings[0].message.hasSuffix("(also at containerDefinitions[1].logConfiguration, containerDefinitions[2].logConfiguration, containerDefinitions[3].logConfiguration and 1 more)"))
    }

    @Test func localEnvironmentFileIsHonouredWithoutWarning() throws {
        let r = try report(taskDef(#"{"name": "a", "image": "i", "memory": 64, "environmentFiles": [{"value": "/etc/berth/app.env", "type": "s3"}]}"#))
        #expect(r.problems.isEmpty)
        #expect(r.definition?.containerDefinitions?[0].environmentFiles?[0].localPath == "/etc/berth/app.env")
    }

    /// Devices are honoured (the node and its cgroup rule: Docs/init.md "Devices"), so no warning;
    /// only Fargate refuses them (MoreValidationRuleTests).
    @Test func linuxDevicesAreHonouredWithoutWarning() throws {
        let r = try report(taskDef(#"{"name": "a", "image": "i", "memory": 64, "linuxParameters": {"devices": [{"hostPath": "/dev/fuse", "permissions": ["read"]}]}}"#))
        #expect(r.problems.isEmpty, "\(r.problems)")
    }

    @Test func volumeKinds() {
        #expect(Volume(name: "a", host: HostVolumeProperties(sourcePath: "/srv")).kind == .hostPath("/srv"))
        #expect(Volume(name: "a", host: HostVolumeProperties(sourcePath: "/srv/app/../data")).kind == .hostPath("/srv/data"))
        #expect(Volume(name: "a", host: HostVolumeProperties()).kind == .taskScoped)
        #expect(Volume(name: "a").kind == .taskScoped)
        var shared = Volume(name: "s")
        shared.dockerVolumeConfiguration = DockerVolumeConfiguration(scope: .shared)
        #expect(shared.kind == .shared)
        var ebs = Volume(name: "e")
        ebs.configuredAtLaunch = true
        #expect(ebs.kind == .cloudOnly)
    }
}

/// host.sourcePath with `.`/`..`: cleaned lexically as Docker does, the bind mount uses the
/// result, and validation warns with it; the registered definition keeps the path as given.
@Suite struct HostSourcePathTests {
    @Test(arguments: [
        ("/srv/app/../data", "/srv/data"), ("/a/./b/", "/a/b"), ("//a//b", "/a/b"), ("/..", "/"),
        ("/../../etc", "/etc"), ("/a/b/../../..", "/"), ("/", "/"), ("/a/..b/c", "/a/..b/c"),
    ])
    func cleanedLexically(_ path: String, _ cleaned: String) {
        #expect(HostPath.clean(path) == cleaned)
    }

    @Test func dotComponentsWarnWithTheMountedPath() throws {
        let volumes = #""volumes": [{"name": "ok", "host": {"sourcePath": "/srv//data/"}}, {"name": "up", "host": {"sourcePath": "/srv/app/../../etc/./x"}}]"#
        let r = try report(taskDef(web, volumes))
        #expect(r.isValid, "\(r.errors)")
        #expect(r.warnings.map(\.description) == [
            "warning: volumes[1].host.sourcePath: host.sourcePath \"/srv/app/../../etc/./x\" has '.' or '..' components; like Docker, Berth cleans it lexically and bind-mounts \"/etc/x\".",
        ])
        let registered = try #require(r.definition?.volumes?[1])
        #expect(registered.host?.sourcePath == "/srv/app/../../etc/./x")
        #expect(registered.kind == .hostPath("/etc/x"))
    }

    @Test func relativeStaysRefused() throws {
        let r = try report(taskDef(web, #""volumes": [{"name": "rel", "host": {"sourcePath": "data/../x"}}]"#))
        #expect(r.errors.map(\.description) == ["volumes[0].host.sourcePath: host.sourcePath must be an absolute path, got \"data/../x\"."])
        #expect(r.warnings.isEmpty)
    }
}
