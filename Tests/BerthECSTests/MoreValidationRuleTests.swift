import Testing
@testable import BerthECS

/// The remaining rules, one case each (same shape as ValidationRuleTests).
@Suite struct MoreValidationRuleTests {
    static let fargate = #""requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512""#
    static func c(_ extra: String) -> String { taskDef(#"{"name": "a", "image": "i", "memory": 64, \#(extra)}"#) }

    static let cases: [RuleCase] = [
        // task level
        RuleCase(taskDef(web, #""volumes": [{"name": "v", "host": {}, "dockerVolumeConfiguration": {}}]"#), "volumes[0]",
                 "A volume can only have one of host, dockerVolumeConfiguration, efsVolumeConfiguration, fsxWindowsFileServerVolumeConfiguration, s3filesVolumeConfiguration."),
        RuleCase(taskDef(web, #""volumes": [{"name": "a", "configuredAtLaunch": true}, {"name": "b", "configuredAtLaunch": true}]"#), "volumes",
                 "At most one volume can be configured at launch (configuredAtLaunch); this task definition has 2."),
        RuleCase(taskDef(web, #""volumes": [{"configuredAtLaunch": true}]"#), "volumes[0].name", "Volume name is required for this volume type."),
        RuleCase(taskDef(web, #""volumes": [{"name": "e", "efsVolumeConfiguration": {"fileSystemId": "fs", "transitEncryptionPort": 70000}}]"#),
                 "volumes[0].efsVolumeConfiguration.transitEncryptionPort", "transitEncryptionPort must be 0-65535, got 70000."),
        RuleCase(taskDef(web, #""placementConstraints": [\#(Array(repeating: #"{"type": "memberOf", "expression": "x"}"#, count: 11).joined(separator: ","))]"#),
                 "placementConstraints", "Too many placement constraints: at most 10 are allowed, got 11."),
        RuleCase(taskDef(web, #""tags": [\#((0..<51).map { #"{"key": "k\#($0)", "value": "v"}"# }.joined(separator: ","))]"#),
                 "tags", "Too many tags: at most 50 are allowed, got 51."),
        RuleCase(taskDef(web, #""tags": [{"key": "k", "value": "\#(String(repeating: "v", count: 257))"}]"#), "tags[0].value",
                 "Tag value must be at most 256 characters, got 257."),
        RuleCase(taskDef(web, #""memory": "4""#), "memory", "Invalid 'memory' setting for task. Task memory must be at least 6 MiB, got 4."),
        RuleCase(taskDef(web, #""cpu": "0.0001 vCPU""#), "cpu",
                 "Invalid 'cpu' setting for task. \"0.0001 vCPU\" does not convert to a whole number: use CPU units (\"256\", \"1024\") or vCPUs (\"0.25 vCPU\", \"1 vCPU\")."),
        RuleCase(taskDef(web, #""networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "32768", "memory": "65536""#), "memory",
                 "No Fargate configuration exists for given values: 32768 CPU, 65536 memory. Fargate cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384."),
        RuleCase(taskDef(web, #""networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "5120""#), "memory",
                 "No Fargate configuration exists for given values: 512 CPU, 5120 memory. With 512 CPU units the memory must be 1024-4096 in steps of 1024."),
        RuleCase(taskDef(web, fargate + #", "ipcMode": "task""#), "ipcMode", "Tasks using the Fargate launch type do not support ipcMode."),
        RuleCase(taskDef(web, fargate + #", "placementConstraints": [{"type": "memberOf", "expression": "x"}]"#), "placementConstraints",
                 "Task definition placement constraints are not supported by the Fargate launch type."),
        RuleCase(taskDef(web, fargate + #", "volumes": [{"name": "d", "dockerVolumeConfiguration": {"scope": "task"}}]"#), "volumes[0].dockerVolumeConfiguration",
                 "Docker volumes are not supported by the Fargate launch type."),
        RuleCase(taskDef(web, fargate + #", "volumes": [{"name": "h", "host": {"sourcePath": "/srv"}}]"#), "volumes[0].host.sourcePath",
                 "Host volumes with a sourcePath are not supported by the Fargate launch type."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "privileged": true}"#, fargate), "containerDefinitions[0].privileged",
                 "Privileged mode is not supported by the Fargate launch type."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "linuxParameters": {"sharedMemorySize": 64}}"#, fargate),
                 "containerDefinitions[0].linuxParameters.sharedMemorySize", "sharedMemorySize is not supported by the Fargate launch type."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "linuxParameters": {"devices": [{"hostPath": "/dev/fuse"}]}}"#, fargate),
                 "containerDefinitions[0].linuxParameters.devices", "Devices are not supported by the Fargate launch type."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "dockerSecurityOptions": ["no-new-privileges"]}"#, fargate),
                 "containerDefinitions[0].dockerSecurityOptions", "dockerSecurityOptions are not supported by the Fargate launch type."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "startTimeout": 1}"#, fargate), "containerDefinitions[0].startTimeout",
                 "Fargate requires 'startTimeout' to be between 2 and 120 seconds, got 1."),
        // containers
        RuleCase(c(#""cpu": -1"#), "containerDefinitions[0].cpu", "Invalid 'cpu' setting for container 'a'. Container cpu must be 0-262144 CPU units, got -1."),
        RuleCase(c(#""memoryReservation": 5"#), "containerDefinitions[0].memoryReservation",
                 "Invalid 'memoryReservation' setting for container 'a'. The minimum is 6 MiB, got 5."),
        RuleCase(c(#""startTimeout": -1"#), "containerDefinitions[0].startTimeout", "startTimeout must not be negative, got -1."),
        RuleCase(c(#""environment": [{"name": "A=B", "value": "x"}]"#), "containerDefinitions[0].environment[0].name",
                 "Environment variable name \"A=B\" must not contain '=' or NUL."),
        RuleCase(c(#""secrets": [{"name": "", "valueFrom": "x"}]"#), "containerDefinitions[0].secrets[0].name",
                 "Secret name \"\" is not a valid environment variable name."),
        RuleCase(c(#""command": ["a\u0000b"]"#), "containerDefinitions[0].command", "command arguments must not contain NUL characters."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "mountPoints": [{"sourceVolume": "v", "containerPath": "/d"}, {"sourceVolume": "w", "containerPath": "/d"}]}"#,
                         #""volumes": [{"name": "v"}, {"name": "w"}]"#),
                 "containerDefinitions[0].mountPoints[1].containerPath", "Container 'a' mounts more than one volume at \"/d\"."),
        RuleCase(c(#""mountPoints": [{"containerPath": "/d"}]"#), "containerDefinitions[0].mountPoints[0].sourceVolume",
                 "Mount point sourceVolume should not be null or empty."),
        RuleCase(c(#""volumesFrom": [{"sourceContainer": "a"}]"#), "containerDefinitions[0].volumesFrom[0].sourceContainer",
                 "Container 'a' cannot mount volumes from itself."),
        RuleCase(c(#""links": ["a"]"#), "containerDefinitions[0].links[0]", "Container 'a' cannot link to itself."),
        RuleCase(c(#""links": ["b:c:d"]"#), "containerDefinitions[0].links[0]", "Invalid link \"b:c:d\": use 'name' or 'name:alias'."),
        RuleCase(c(#""portMappings": [{"containerPort": 80, "name": "Web"}]"#), "containerDefinitions[0].portMappings[0].name",
                 "Port mapping name \"Web\" is invalid: up to 64 lowercase letters, numbers, '_' and '-', not starting with '-'."),
        RuleCase(c(#""portMappings": [{"containerPort": 80, "name": "w"}, {"containerPort": 81, "name": "w"}]"#), "containerDefinitions[0].portMappings",
                 "Port mapping names must be unique within a container."),
        RuleCase(c(#""portMappings": [{"hostPort": 80}]"#), "containerDefinitions[0].portMappings[0].containerPort",
                 "A port mapping needs containerPort or containerPortRange."),
        RuleCase(c(#""portMappings": [{"containerPort": 80, "hostPort": -1}]"#), "containerDefinitions[0].portMappings[0].hostPort",
                 "hostPort must be 0-65535, got -1."),
        RuleCase(c(#""portMappings": [{"containerPortRange": "8000-8010", "hostPort": 8000}]"#), "containerDefinitions[0].portMappings[0].hostPort",
                 "hostPort must be omitted when containerPortRange is set."),
        RuleCase(c(#""portMappings": [{"containerPortRange": "80:90"}]"#), "containerDefinitions[0].portMappings[0].containerPortRange",
                 "containerPortRange \"80:90\" must look like \"8000-8010\"."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPortRange": "8000-8010"}]}"#, #""networkMode": "host""#),
                 "containerDefinitions[0].portMappings[0].containerPortRange", "containerPortRange is only supported with networkMode bridge or awsvpc."),
        RuleCase(c(#""extraHosts": [{"hostname": "db", "ipAddress": "10.0.0.256"}]"#), "containerDefinitions[0].extraHosts[0].ipAddress",
                 "\"10.0.0.256\" is not an IPv4 or IPv6 address."),
        RuleCase(c(#""extraHosts": [{"hostname": "a b", "ipAddress": "::1"}]"#), "containerDefinitions[0].extraHosts[0].hostname",
                 "\"a b\" is not a valid host name."),
        RuleCase(c(#""healthCheck": {"command": ["CMD"]}"#), "containerDefinitions[0].healthCheck.command",
                 "healthCheck command [\"CMD\", ...] needs a program to run after \"CMD\"."),
        RuleCase(c(#""healthCheck": {"command": ["NONE", "x"]}"#), "containerDefinitions[0].healthCheck.command",
                 "healthCheck command [\"NONE\"] takes no arguments."),
        RuleCase(c(#""healthCheck": {"command": []}"#), "containerDefinitions[0].healthCheck.command",
                 "healthCheck command should not be empty: use [\"CMD\", \"program\", \"args\"...] or [\"CMD-SHELL\", \"shell command\"]."),
        RuleCase(c(#""dependsOn": [{"containerName": "", "condition": "START"}]"#), "containerDefinitions[0].dependsOn[0].containerName",
                 "dependsOn containerName should not be null or empty."),
        RuleCase(c(#""ulimits": [{"name": "nofile", "softLimit": -1, "hardLimit": 10}]"#), "containerDefinitions[0].ulimits[0].softLimit",
                 "softLimit must not be negative, got -1."),
        RuleCase(c(#""ulimits": [{"name": "nofile", "softLimit": 1, "hardLimit": 10}, {"name": "nofile", "softLimit": 1, "hardLimit": 10}]"#),
                 "containerDefinitions[0].ulimits[1].name", "ulimit \"nofile\" is set more than once in container 'a'."),
        RuleCase(c(#""linuxParameters": {"capabilities": {"drop": ["net_raw"]}}"#), "containerDefinitions[0].linuxParameters.capabilities.drop[0]",
                 "Unknown capability \"net_raw\". Capability names are upper case: \"NET_RAW\"."),
        RuleCase(c(#""linuxParameters": {"tmpfs": [{"containerPath": "tmp", "size": 0}]}"#), "containerDefinitions[0].linuxParameters.tmpfs[0].containerPath",
                 "tmpfs containerPath must be an absolute path, got \"tmp\"."),
        RuleCase(c(#""linuxParameters": {"tmpfs": [{"containerPath": "/tmp", "size": 0}]}"#), "containerDefinitions[0].linuxParameters.tmpfs[0].size",
                 "tmpfs size must be a positive number of MiB, got 0."),
        RuleCase(c(#""linuxParameters": {"tmpfs": [{"containerPath": "/tmp"}]}"#), "containerDefinitions[0].linuxParameters.tmpfs[0].size",
                 "missing required parameter \"size\""),
        RuleCase(c(#""linuxParameters": {"devices": [{"hostPath": "dev/fuse"}]}"#), "containerDefinitions[0].linuxParameters.devices[0].hostPath",
                 "Device hostPath must be an absolute path, got \"dev/fuse\"."),
        RuleCase(c(#""linuxParameters": {"sharedMemorySize": 0}"#), "containerDefinitions[0].linuxParameters.sharedMemorySize",
                 "sharedMemorySize must be a positive number of MiB, got 0."),
        RuleCase(c(#""linuxParameters": {"maxSwap": -1}"#), "containerDefinitions[0].linuxParameters.maxSwap", "maxSwap must be 0 or more MiB, got -1."),
        RuleCase(c(#""systemControls": [{"value": "1"}]"#), "containerDefinitions[0].systemControls[0].namespace",
                 "systemControls namespace should not be null or empty."),
        RuleCase(c(#""systemControls": [{"namespace": "net.ipv4.ip_forward"}]"#), "containerDefinitions[0].systemControls[0].value",
                 "systemControls value for \"net.ipv4.ip_forward\" should not be null."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "systemControls": [{"namespace": "kernel.shmmax", "value": "1"}]}"#, #""ipcMode": "host""#),
                 "containerDefinitions[0].systemControls[0].namespace", "\"kernel.shmmax\" cannot be set when ipcMode=host: it would change the host's IPC settings."),
        RuleCase(c(#""logConfiguration": {"options": {}}"#), "containerDefinitions[0].logConfiguration.logDriver", "missing required parameter \"logDriver\""),
        RuleCase(c(#""essential": "yes""#), "containerDefinitions[0].essential", "invalid type: expected boolean, got string \"yes\""),
        RuleCase(c(#""dockerLabels": {"a": 1}"#), "containerDefinitions[0].dockerLabels.a", "invalid type: expected string, got integer 1"),
        RuleCase(c(#""command": "sleep 1""#), "containerDefinitions[0].command", "invalid type: expected list, got string \"sleep 1\""),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "dockerLabels": {"big": "\#(String(repeating: "x", count: 70000))"}}"#), "(document)",
                 "Task definition is too large: 70102 bytes of JSON, the limit is 65536 (64 KiB)."),
    ]

    @Test(arguments: cases)
    func ruleReportsItsError(_ rule: RuleCase) throws {
        let r = try report(rule.json)
        #expect(!r.isValid)
        let match = r.errors.first { $0.path.description == rule.path && $0.message == rule.message }
        #expect(match != nil, "errors were: \(r.errors.map(\.description))")
    }

    @Test(arguments: ["::1", "fe80::1", "2001:db8::8a2e:370:7334", "::ffff:192.0.2.1", "1:2:3:4:5:6:7:8", "10.0.0.1"])
    func validAddresses(_ ip: String) { #expect(Names.isValidIP(ip)) }

    @Test(arguments: ["1:2:3:4:5:6:7:8:9", "1::2::3", "g::1", "10.0.0", "01.2.3.4", "", "localhost"])
    func invalidAddresses(_ ip: String) { #expect(!Names.isValidIP(ip)) }

    @Test(arguments: ["nginx", "nginx:1.25", "public.ecr.aws/docker/library/nginx:latest", "127.0.0.1:51670/busybox:latest",
                      "repo@sha256:" + String(repeating: "a", count: 64), "repo:tag@sha256:" + String(repeating: "0", count: 64)])
    func validImages(_ image: String) { #expect(Names.isValidImage(image)) }

    @Test(arguments: ["<IMAGE>", "a b", "repo@sha256:xyz", "${IMAGE}", String(repeating: "a", count: 256)])
    func invalidImages(_ image: String) { #expect(!Names.isValidImage(image)) }
}
