import BerthJSON
import Testing
@testable import BerthECS

/// One task-definition rule each: the document, the path of the problem, and the exact message.
struct RuleCase: CustomTestStringConvertible, Sendable {
    var json: String
    var path: String
    var message: String
    var testDescription: String { "\(path): \(message.prefix(60))" }
    init(_ json: String, _ path: String, _ message: String) {
        self.json = json
        self.path = path
        self.message = message
    }
}

let web = #"{"name": "web", "image": "nginx", "memory": 128}"#

func taskDef(_ containers: String, _ extra: String = "") -> String {
    #"{"family": "f", "containerDefinitions": [\#(containers)]\#(extra.isEmpty ? "" : ", " + extra)}"#
}

func report(_ text: String) throws -> ValidationReport {
    ECSValidation.validateTaskDefinition(try JSONValue.parse(text), host: HostPlatform(cpuArchitecture: .x86_64))
}

@Suite struct ValidationRuleTests {
    static let errorCases: [RuleCase] = [
        // names and required fields
        RuleCase(taskDef(web).replacingOccurrences(of: "\"f\"", with: "\"my app\""), "family",
                 "Family contains invalid characters: up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores are allowed."),
        RuleCase(taskDef(web).replacingOccurrences(of: "\"f\"", with: "\"\""), "family", "Family should not be null or empty."),
        RuleCase(#"{"containerDefinitions": [\#(web)]}"#, "family", "missing required parameter \"family\""),
        RuleCase(#"{"family": "f"}"#, "containerDefinitions", "missing required parameter \"containerDefinitions\""),
        RuleCase(taskDef(""), "containerDefinitions", "A task definition must have at least one container definition."),
        RuleCase(taskDef(#"{"image": "nginx", "memory": 64}"#), "containerDefinitions[0].name", "Container.name should not be null or empty."),
        RuleCase(taskDef(#"{"name": "a b", "image": "nginx", "memory": 64}"#), "containerDefinitions[0].name", "Container.name contains invalid characters."),
        RuleCase(taskDef(#"{"name": "a", "memory": 64}"#), "containerDefinitions[0].image", "Container.image should not be null or empty."),
        RuleCase(taskDef(#"{"name": "a", "image": "<IMAGE>", "memory": 64}"#), "containerDefinitions[0].image", "Container.image contains invalid characters."),
        RuleCase(taskDef(#"{"name": "a", "image": "nginx@sha256:abc", "memory": 64}"#), "containerDefinitions[0].image", "Container.image contains invalid characters."),
        RuleCase(taskDef(web + "," + web), "containerDefinitions[1].name", "Container names must be unique within a Task Definition."),
        RuleCase(taskDef((0..<11).map { #"{"name": "c\#($0)", "image": "i", "memory": 8}"# }.joined(separator: ",")), "containerDefinitions",
                 "Too many containers. A task definition can have at most 10 containers (this one has 11)."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "essential": false}"#), "containerDefinitions",
                 "A task definition must have at least one essential container."),
        // types
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": "64"}"#), "containerDefinitions[0].memory", "invalid type: expected integer, got string \"64\""),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64.5}"#), "containerDefinitions[0].memory", "invalid type: expected integer, got number 64.5"),
        RuleCase(taskDef(web, #""cpu": 256"#), "cpu", "invalid type: expected string, got integer 256"),
        // cpu / memory
        RuleCase(taskDef(web, #""cpu": "2 cores""#), "cpu",
                 "Invalid 'cpu' setting for task. \"2 cores\" is not a valid value: use CPU units (\"256\", \"1024\") or vCPUs (\"0.25 vCPU\", \"1 vCPU\")."),
        RuleCase(taskDef(web, #""memory": "512 MiB""#), "memory",
                 "Invalid 'memory' setting for task. \"512 MiB\" is not a valid value: use MiB (\"512\", \"2048\") or GB (\"0.5 GB\", \"2 GB\")."),
        RuleCase(taskDef(web, #""cpu": "64""#), "cpu", "Invalid 'cpu' setting for task. Task cpu must be between 128 and 196608 CPU units, got 64."),
        RuleCase(taskDef(#"{"name": "a", "image": "i"}"#), "containerDefinitions[0]",
                 "Invalid setting for container 'a'. At least one of 'memory' or 'memoryReservation' must be specified."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "cpu": 300}, {"name": "b", "image": "i", "cpu": 300}"#, #""cpu": "512", "memory": "1024""#), "cpu",
                 "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memoryReservation": 300}, {"name": "b", "image": "i", "memoryReservation": 300}"#, #""memory": "512""#), "memory",
                 "The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 1024}"#, #""memory": "0.5GB""#), "containerDefinitions[0].memory",
                 "The 'memory' setting for container 'a' is greater than for the task."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 100, "memoryReservation": 200}"#), "containerDefinitions[0].memoryReservation",
                 "Invalid setting for container 'a'. 'memory' (100) must be greater than or equal to 'memoryReservation' (200)."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 4}"#), "containerDefinitions[0].memory",
                 "Invalid 'memory' setting for container 'a'. The minimum is 6 MiB, got 4."),
        // Fargate
        RuleCase(taskDef(web, #""requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "memory": "512""#), "cpu",
                 "Fargate requires that 'cpu' be defined at the task level."),
        RuleCase(taskDef(web, #""requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256""#), "memory",
                 "Fargate requires that 'memory' be defined at the task level."),
        RuleCase(taskDef(web, #""requiresCompatibilities": ["EC2", "FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "4096""#), "memory",
                 "No Fargate configuration exists for given values: 256 CPU, 4096 memory. With 256 CPU units the memory must be 512, 1024, 2048."),
        RuleCase(taskDef(web, #""requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512""#), "networkMode",
                 "Fargate only supports network mode 'awsvpc'."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "logConfiguration": {"logDriver": "awslogs"}}"#,
                         #""requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512""#),
                 "containerDefinitions[0].logConfiguration", "Fargate requires task definition to have execution role ARN to support log driver awslogs."),
        RuleCase(taskDef(web, #""requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512", "ephemeralStorage": {"sizeInGiB": 20}"#),
                 "ephemeralStorage.sizeInGiB", "EphemeralStorage size should be at least 21"),
        RuleCase(taskDef(web, #""requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512", "ephemeralStorage": {"sizeInGiB": 201}"#),
                 "ephemeralStorage.sizeInGiB", "EphemeralStorage size should be at most 200"),
        RuleCase(taskDef(web, #""requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512", "pidMode": "host""#),
                 "pidMode", "Tasks using the Fargate launch type do not support pidMode 'host'. The supported value for pidMode is 'task'."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "stopTimeout": 121}"#, #""requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512""#),
                 "containerDefinitions[0].stopTimeout", "Fargate requires 'stopTimeout' to be between 2 and 120 seconds, got 121."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "linuxParameters": {"capabilities": {"add": ["NET_ADMIN"]}}}"#, #""requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512""#),
                 "containerDefinitions[0].linuxParameters.capabilities.add", "Fargate only supports adding the SYS_PTRACE kernel capability."),
        RuleCase(taskDef(web, #""ephemeralStorage": {"sizeInGiB": 30}"#), "ephemeralStorage",
                 "ephemeralStorage is only supported for task definitions that require FARGATE."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "secrets": [{"name": "X", "valueFrom": "arn:aws:ssm:::parameter/x"}]}"#),
                 "containerDefinitions[0].secrets", "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'"),
        // network modes
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}"#, #""networkMode": "awsvpc""#),
                 "containerDefinitions[0].portMappings[0].hostPort", "When networkMode=awsvpc, the host ports and container ports in port mappings must match."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}"#, #""networkMode": "host""#),
                 "containerDefinitions[0].portMappings[0].hostPort", "When networkMode=host, the host ports and container ports in port mappings must match."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80}]}"#, #""networkMode": "none""#),
                 "containerDefinitions[0].portMappings", "portMappings are not supported when networkMode=none."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "hostname": "h"}"#, #""networkMode": "awsvpc""#),
                 "containerDefinitions[0].hostname", "hostname is not supported on container when networkMode=awsvpc."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "extraHosts": [{"hostname": "h", "ipAddress": "10.0.0.1"}]}"#, #""networkMode": "awsvpc""#),
                 "containerDefinitions[0].extraHosts", "extraHosts are not supported on container when networkMode=awsvpc."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "links": ["b"]}, {"name": "b", "image": "i", "memory": 64}"#, #""networkMode": "awsvpc""#),
                 "containerDefinitions[0].links", "links are not supported when networkMode=awsvpc; they need networkMode bridge."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "links": ["db:database"]}"#),
                 "containerDefinitions[0].links[0]", "Invalid link \"db:database\": container \"db\" does not exist in this task definition."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 70000}]}"#),
                 "containerDefinitions[0].portMappings[0].containerPort", "containerPort must be 1-65535, got 70000."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80, "protocol": "http"}]}"#),
                 "containerDefinitions[0].portMappings[0].protocol", "invalid value \"http\"; valid values: tcp, udp"),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPortRange": "9000-8000"}]}"#),
                 "containerDefinitions[0].portMappings[0].containerPortRange", "containerPortRange \"9000-8000\" must be first-last with 1 <= first < last <= 65535."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80}, {"containerPort": 80}]}"#),
                 "containerDefinitions[0].portMappings[1].containerPort", "Container 'a' maps container port 80/tcp more than once."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "dnsServers": ["8.8.8"]}"#),
                 "containerDefinitions[0].dnsServers[0]", "\"8.8.8\" is not an IPv4 or IPv6 address."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80}]}, {"name": "b", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80}]}"#, #""networkMode": "awsvpc""#),
                 "containerDefinitions[1].portMappings[0].containerPort", "Containers 'a' and 'b' both map container port 80/tcp; with networkMode=awsvpc they share one network namespace."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80, "hostPort": 8080}]}, {"name": "b", "image": "i", "memory": 64, "portMappings": [{"containerPort": 81, "hostPort": 8080}]}"#),
                 "containerDefinitions[1].portMappings[0].hostPort", "Host port 8080/tcp is mapped more than once in this task definition."),
        // health checks
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "healthCheck": {"command": ["CMD", "true"], "interval": 4}}"#),
                 "containerDefinitions[0].healthCheck.interval", "healthCheck interval must be between 5 and 300 seconds, got 4."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "healthCheck": {"command": ["CMD", "true"], "timeout": 61}}"#),
                 "containerDefinitions[0].healthCheck.timeout", "healthCheck timeout must be between 2 and 60 seconds, got 61."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "healthCheck": {"command": ["CMD", "true"], "retries": 11}}"#),
                 "containerDefinitions[0].healthCheck.retries", "healthCheck retries must be between 1 and 10, got 11."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "healthCheck": {"command": ["CMD", "true"], "startPeriod": 301}}"#),
                 "containerDefinitions[0].healthCheck.startPeriod", "healthCheck startPeriod must be between 0 and 300 seconds, got 301."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "healthCheck": {"command": ["CMD-SHELL"]}}"#),
                 "containerDefinitions[0].healthCheck.command", "healthCheck command [\"CMD-SHELL\", ...] takes exactly one shell command string after \"CMD-SHELL\"."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "healthCheck": {"interval": 10}}"#),
                 "containerDefinitions[0].healthCheck.command", "missing required parameter \"command\""),
        // dependencies
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "dependsOn": [{"containerName": "x", "condition": "START"}]}"#),
                 "containerDefinitions[0].dependsOn[0].containerName", "Cannot depend on container + 'x' because it does not exist"),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "dependsOn": [{"containerName": "b", "condition": "SUCCESS"}]}, {"name": "b", "image": "i", "memory": 64}"#),
                 "containerDefinitions[0].dependsOn[0].condition", "A dependency container with SUCCESS or COMPLETE condition cannot be an essential container"),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "dependsOn": [{"containerName": "b", "condition": "HEALTHY"}]}, {"name": "b", "image": "i", "memory": 64}"#),
                 "containerDefinitions[0].dependsOn[0].condition", "Container 'b' has no healthCheck, so the HEALTHY condition can never be met."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "dependsOn": [{"containerName": "b", "condition": "START"}]}, {"name": "b", "image": "i", "memory": 64, "dependsOn": [{"containerName": "c", "condition": "START"}]}, {"name": "c", "image": "i", "memory": 64, "dependsOn": [{"containerName": "a", "condition": "START"}]}"#),
                 "containerDefinitions[0].dependsOn", "Task dependencies cannot be resolved: dependency cycle 'a' -> 'b' -> 'c' -> 'a'."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "dependsOn": [{"containerName": "a", "condition": "START"}]}"#),
                 "containerDefinitions[0].dependsOn[0].containerName", "Container 'a' cannot depend on itself."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "dependsOn": [{"containerName": "a", "condition": "READY"}]}"#),
                 "containerDefinitions[0].dependsOn[0].condition", "invalid value \"READY\"; valid values: START, COMPLETE, SUCCESS, HEALTHY"),
        // storage
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]}"#),
                 "containerDefinitions[0].mountPoints[0].sourceVolume", "Invalid 'sourceVolume' \"data\" for container 'a': no task volume has this name."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "mountPoints": [{"sourceVolume": "data", "containerPath": "data"}]}"#, #""volumes": [{"name": "data"}]"#),
                 "containerDefinitions[0].mountPoints[0].containerPath", "Mount point containerPath must be an absolute path, got \"data\"."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "volumesFrom": [{"sourceContainer": "b"}]}"#),
                 "containerDefinitions[0].volumesFrom[0].sourceContainer", "Invalid volumesFrom: container \"b\" does not exist in this task definition."),
        RuleCase(taskDef(web, #""volumes": [{"name": "v"}, {"name": "v"}]"#), "volumes[1].name",
                 "Volume names must be unique within a Task Definition: \"v\" is repeated."),
        RuleCase(taskDef(web, #""volumes": [{"name": "v", "host": {"sourcePath": "relative/dir"}}]"#), "volumes[0].host.sourcePath",
                 "host.sourcePath must be an absolute path, got \"relative/dir\"."),
        RuleCase(taskDef(web, #""volumes": [{"name": "v", "dockerVolumeConfiguration": {"scope": "task", "autoprovision": true}}]"#),
                 "volumes[0].dockerVolumeConfiguration.autoprovision", "autoprovision can only be true when scope is 'shared'."),
        // restart policy, timeouts
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "restartPolicy": {"enabled": true, "restartAttemptPeriod": 30}}"#),
                 "containerDefinitions[0].restartPolicy.restartAttemptPeriod", "restartAttemptPeriod must be between 60 and 1800 seconds, got 30."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "restartPolicy": {"enabled": true, "ignoredExitCodes": [\#((0..<51).map(String.init).joined(separator: ","))]}}"#),
                 "containerDefinitions[0].restartPolicy.ignoredExitCodes", "ignoredExitCodes can list at most 50 exit codes, got 51."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "restartPolicy": {"restartAttemptPeriod": 60}}"#),
                 "containerDefinitions[0].restartPolicy.enabled", "missing required parameter \"enabled\""),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "stopTimeout": -1}"#),
                 "containerDefinitions[0].stopTimeout", "stopTimeout must not be negative, got -1."),
        // linux parameters
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "ulimits": [{"name": "nofile", "softLimit": 2048, "hardLimit": 1024}]}"#),
                 "containerDefinitions[0].ulimits[0].softLimit", "softLimit (2048) must not be greater than hardLimit (1024)."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "ulimits": [{"name": "files", "softLimit": 1, "hardLimit": 1}]}"#),
                 "containerDefinitions[0].ulimits[0].name",
                 "invalid value \"files\"; valid values: core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack"),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "linuxParameters": {"capabilities": {"add": ["CAP_NET_ADMIN"]}}}"#),
                 "containerDefinitions[0].linuxParameters.capabilities.add[0]", "Unknown capability \"CAP_NET_ADMIN\". Write it without the CAP_ prefix: \"NET_ADMIN\"."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "linuxParameters": {"tmpfs": [{"containerPath": "/t", "size": 64, "mountOptions": ["bogus"]}]}}"#),
                 "containerDefinitions[0].linuxParameters.tmpfs[0].mountOptions[0]", "Unsupported tmpfs mount option \"bogus\"."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "linuxParameters": {"swappiness": 101}}"#),
                 "containerDefinitions[0].linuxParameters.swappiness", "swappiness must be between 0 and 100, got 101."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "systemControls": [{"namespace": "vm.swappiness", "value": "1"}]}"#),
                 "containerDefinitions[0].systemControls[0].namespace",
                 "\"vm.swappiness\" is not a namespaced kernel parameter; only net.* and the IPC ones (kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.*) can be set per task."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "systemControls": [{"namespace": "net.core.somaxconn", "value": "1024"}]}"#, #""networkMode": "host""#),
                 "containerDefinitions[0].systemControls[0].namespace", "\"net.core.somaxconn\" cannot be set when networkMode=host: it would change the host's network settings."),
        // process settings
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "environment": [{"value": "x"}]}"#),
                 "containerDefinitions[0].environment[0].name", "Environment variable name should not be null or empty."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "user": "a:b:c"}"#),
                 "containerDefinitions[0].user", "Invalid user \"a:b:c\": use user, user:group, uid, uid:gid, user:gid or uid:group."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "workingDirectory": "app"}"#),
                 "containerDefinitions[0].workingDirectory", "workingDirectory must be an absolute path, got \"app\"."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "privileged": true}"#), "containerDefinitions[0].privileged",
                 "Berth does not run privileged containers (full access to host devices and kernel settings); remove 'privileged' and add only the capabilities the container needs in linuxParameters.capabilities.add."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "environmentFiles": [{"value": "arn:aws:s3:::bucket/app.txt", "type": "s3"}]}"#),
                 "containerDefinitions[0].environmentFiles[0].value",
                 "Environment file \"arn:aws:s3:::bucket/app.txt\" must be an S3 object ARN ending in .env, or (Berth extension) an absolute local path."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "resourceRequirements": [{"type": "GPU", "value": "two"}]}"#),
                 "containerDefinitions[0].resourceRequirements[0].value", "The GPU resource requirement must be a whole number of GPUs (1 or more), got \"two\"."),
        RuleCase(taskDef(web, #""proxyConfiguration": {"type": "APPMESH", "containerName": "envoy"}"#), "proxyConfiguration.containerName",
                 "proxyConfiguration containerName \"envoy\" is not a container of this task definition."),
        // platform and tags
        RuleCase(taskDef(web, #""runtimePlatform": {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}"#), "runtimePlatform.operatingSystemFamily",
                 "Berth runs Linux containers only; operatingSystemFamily WINDOWS_SERVER_2022_CORE cannot run on this host."),
        RuleCase(taskDef(web, #""runtimePlatform": {"cpuArchitecture": "ARM64"}"#), "runtimePlatform.cpuArchitecture",
                 "This host is X86_64 and Berth does not emulate other architectures; cpuArchitecture ARM64 cannot run here."),
        RuleCase(taskDef(web, #""tags": [{"key": "aws:x", "value": "1"}]"#), "tags[0].key", "Tag keys starting with 'aws:' are reserved for AWS use."),
        RuleCase(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portBindings": []}"#), "containerDefinitions[0].portBindings",
                 "unknown parameter \"portBindings\": not part of the ECS API for this object; did you mean \"portMappings\"?"),
    ]

    @Test(arguments: errorCases)
    func ruleReportsItsError(_ rule: RuleCase) throws {
        let r = try report(rule.json)
        #expect(!r.isValid)
        let match = r.errors.first { $0.path.description == rule.path && $0.message == rule.message }
        #expect(match != nil, "errors were: \(r.errors.map(\.description))")
    }

    @Test func everyProblemIsReportedAtOnce() throws {
        let r = try report(taskDef(#"{"name": "a b", "memory": 4, "healthCheck": {"command": ["CMD", "x"], "retries": 0}}"#, #""cpu": "1 core""#))
        #expect(r.errors.map(\.path.description).sorted() == [
            "containerDefinitions[0].healthCheck.retries", "containerDefinitions[0].image", "containerDefinitions[0].memory",
            "containerDefinitions[0].name", "cpu",
        ])
    }

    @Test func validMinimalDefinitionHasNoProblems() throws {
        let r = try report(taskDef(web))
        #expect(r.isValid)
        #expect(r.problems.isEmpty)
    }

    @Test func memoryEqualToReservationIsAccepted() throws {
        #expect(try report(taskDef(#"{"name": "a", "image": "i", "memory": 128, "memoryReservation": 128}"#)).isValid)
    }

    @Test func taskMemoryAloneIsEnough() throws {
        #expect(try report(taskDef(#"{"name": "a", "image": "i"}"#, #""memory": "64""#)).isValid)
    }

    @Test func completeDependencyOnNonEssentialIsAccepted() throws {
        let r = try report(taskDef(#"{"name": "a", "image": "i", "memory": 64, "dependsOn": [{"containerName": "init", "condition": "SUCCESS"}]}, {"name": "init", "image": "i", "memory": 64, "essential": false}"#))
        #expect(r.isValid, "\(r.problems)")
    }

    @Test func registerErrorUsesFirstErrorAndItsException() throws {
        let r = try report(taskDef(#"{"name": "a", "memory": 64}"#))
        #expect(r.registerError == ECSError("ClientException", "Container.image should not be null or empty."))
        let local = try report(taskDef(#"{"name": "a", "image": "i", "memory": 64, "stopTimeout": -1}"#))
        #expect(local.registerError == ECSError("ClientException", "containerDefinitions[0].stopTimeout: stopTimeout must not be negative, got -1."))
        let typed = try report(taskDef(#"{"name": "a", "image": "i", "memory": "x"}"#))
        #expect(typed.registerError?.name == "InvalidParameterException")
        let syntax = ECSValidation.validateTaskDefinition(bytes: Array("{".utf8))
        #expect(syntax.registerError?.name == "SerializationException")
        #expect(syntax.registerError?.body["__type"] == "SerializationException")
    }
}
