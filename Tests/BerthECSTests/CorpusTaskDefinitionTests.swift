import Testing
@testable import BerthECS

/// Every real-world task definition in the shared corpus, with the outcome we decided is right.
@Suite struct CorpusTaskDefinitionTests {
    static let host = HostPlatform(cpuArchitecture: .x86_64)

    static let valid = [
        "01-dg-webserver-fargate.json", "03-dg-alpine-ping-readonly.json", "05-dg-windows-iis-ec2.json",
        "06-dg-register-output-wrapper.json", "07-dg-otel-prometheus.json", "08-dg-service-connect-nginx.json",
        "09-dg-ecs-anywhere-external.json", "11-dg-dl1-host-devices.json", "12-dg-ecs-exec-units.json",
        "13-dg-gpu-resource-requirements.json", "14-dg-vt1-24xlarge-devices.json", "15-dg-inferentia-neuron.json",
        "16-dg-firelens-cloudwatch.json", "20-dg-sensitive-data-tutorial.json", "22-dg-efs-tutorial.json",
        "24-dg-awslogs-links.json", "25-dg-fluentbit-windows.json", "26-agent-container-ordering-healthy.json",
        "27-agent-granular-stop-timeout.json", "28-agent-datavolume2-links.json", "29-agent-network-link-6-containers.json",
        "30-agent-parallel-pull-10-containers.json", "31-agent-add-drop-capabilities.json", "32-agent-tmpfs.json",
        "33-agent-nofiles-ulimit.json", "34-agent-sysctl.json", "35-agent-interactive-tty.json",
        "37-agent-extra-hosts.json", "38-agent-network-disabled.json", "39-agent-host-network-endpoint.json",
        "40-agent-gmsa-ssm-windows.json", "41-agent-efs-volume-placeholder.json", "45-agent-firelens-fluentbit-bridge.json",
        "46-agent-oom-task-memory-only.json", "47-samples-consul-server-host.json", "48-samples-nginx-ec2-bridge.json",
        "51-firelens-newrelic-unit-strings.json", "52-firelens-appmesh-envoy-3-containers.json", "53-firelens-tcp-healthcheck.json",
        "54-firelens-log-collection-tail.json", "55-firelens-efs-wrapped.json", "56-firelens-emf-bridge-links.json",
        "57-firelens-multi-config.json", "58-actions-deploy-ebs-configured-at-launch.json", "59-actions-render-two-containers-tags.json",
        "60-cli-register-output.json", "61-cli-describe-output-wordpress.json", "63-user-witp-describe-output.json",
        "64-user-watchman-healthcheck-secrets.json", "67-datadog-sysprobe-ec2.json",
    ]

    /// Invalid documents: every error, as `path: message`.
    static let invalid: [String: [String]] = [
        "02-dg-windows-fargate-iis.json": [
            "runtimePlatform.operatingSystemFamily: Berth runs Linux containers only; operatingSystemFamily WINDOWS_SERVER_2019_CORE cannot run on this host.",
        ],
        "04-dg-appmesh-gateway.json": [
            "containerDefinitions[0]: Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.",
            "containerDefinitions[1]: Invalid setting for container 'envoy'. At least one of 'memory' or 'memoryReservation' must be specified.",
        ],
        "10-dg-arm64-fargate.json": [
            "runtimePlatform.cpuArchitecture: This host is X86_64 and Berth does not emulate other architectures; cpuArchitecture ARM64 cannot run here.",
        ],
        "17-dg-firelens-dependson.json": ["family: missing required parameter \"family\""],
        "18-dg-secrets-fragment-no-name-image.json": [
            "family: missing required parameter \"family\"",
            "containerDefinitions[0].secrets: When you are specifying container secrets, you must also specify a value for 'executionRoleArn'",
            "containerDefinitions[0]: Invalid setting for container '#1'. At least one of 'memory' or 'memoryReservation' must be specified.",
            "containerDefinitions[0].name: Container.name should not be null or empty.",
            "containerDefinitions[0].image: Container.image should not be null or empty.",
        ],
        "19-dg-splunk-logconfig-as-list.json": [
            "family: missing required parameter \"family\"",
            "containerDefinitions[0].logConfiguration: invalid type: expected object, got an array",
            "containerDefinitions[0]: Invalid setting for container '#1'. At least one of 'memory' or 'memoryReservation' must be specified.",
            "containerDefinitions[0].name: Container.name should not be null or empty.",
            "containerDefinitions[0].image: Container.image should not be null or empty.",
        ],
        "23-dg-fsx-windows.json": [
            "containerDefinitions[0].mountPoints[0].sourceVolume: Invalid 'sourceVolume' \"fsx-windows-dir\" for container 'container1': no task volume has this name.",
            "containerDefinitions[0].mountPoints[0].containerPath: Mount point containerPath must be an absolute path, got \"C:\\\\fsx-windows-dir\".",
            "containerDefinitions[1].mountPoints[0].sourceVolume: Invalid 'sourceVolume' \"fsx-windows-dir\" for container 'container2': no task volume has this name.",
            "containerDefinitions[1].mountPoints[0].containerPath: Mount point containerPath must be an absolute path, got \"C:\\\\fsx-windows-dir\".",
        ],
        "36-agent-privileged.json": [
            "containerDefinitions[0].privileged: Berth does not run privileged containers (full access to host devices and kernel settings); remove 'privileged' and add only the capabilities the container needs in linuxParameters.capabilities.add.",
        ],
        "42-agent-nginx-portbindings-typo.json": [
            "containerDefinitions[0].portBindings: unknown parameter \"portBindings\": not part of the ECS API for this object; did you mean \"portMappings\"?",
        ],
        "43-agent-iam-roles-templated-netmode.json": [
            "networkMode: invalid value \"$$$NETWORK_MODE$$$\"; valid values: bridge, host, awsvpc, none",
        ],
        "44-agent-elastic-inference.json": [
            "containerDefinitions[0].inferenceDevices: unknown parameter \"inferenceDevices\": not part of the ECS API for this object",
        ],
        "49-samples-wildfly-fargate-null-ulimits.json": [
            "containerDefinitions[0].logConfiguration: Fargate requires task definition to have execution role ARN to support log driver awslogs.",
        ],
        "50-samples-kibana-fargate.json": [
            "containerDefinitions[0].logConfiguration: Fargate requires task definition to have execution role ARN to support log driver awslogs.",
        ],
        "62-mysfits-protocol-http.json": [
            "containerDefinitions[0].portMappings[0].protocol: invalid value \"http\"; valid values: tcp, udp",
        ],
        "65-user-codedeploy-image-placeholder.json": ["containerDefinitions[0].image: Container.image contains invalid characters."],
        "66-user-terraform-containerdefs-array.json": [
            "(document): expected an object (a RegisterTaskDefinition request with \"family\" and \"containerDefinitions\"), got an array; this looks like a bare containerDefinitions list (e.g. Terraform container_definitions): wrap it as {\"family\": \"...\", \"containerDefinitions\": [...]}",
        ],
        "68-datadog-fargate-minimal.json": [
            "family: Family contains invalid characters: up to 255 letters (uppercase and lowercase), numbers, hyphens and underscores are allowed.",
        ],
        "69-datadog-windows-readonly-null.json": [
            "volumes[0].host.sourcePath: host.sourcePath must be an absolute path, got \"\\\\\\\\.\\\\pipe\\\\docker_engine\".",
            "containerDefinitions[0].mountPoints[0].containerPath: Mount point containerPath must be an absolute path, got \"\\\\\\\\.\\\\pipe\\\\docker_engine\".",
        ],
    ]

    func check(_ file: String) throws -> ValidationReport {
        ECSValidation.validateTaskDefinition(bytes: try Corpus.bytes("taskdefs/" + file), host: Self.host)
    }

    @Test func everyCorpusFileHasADecision() throws {
        let decided = Set(Self.valid).union(Self.invalid.keys).union(["21-dg-cli-skeleton-template.json"])
        #expect(Set(try Corpus.files("taskdefs")) == decided)
    }

    @Test(arguments: valid)
    func validFileIsAccepted(_ file: String) throws {
        let r = try check(file)
        #expect(r.isValid, "\(file): \(r.errors.map(\.description))")
        #expect(r.definition?.family?.isEmpty == false)
    }

    @Test(arguments: Array(invalid.keys).sorted())
    func invalidFileReportsExactlyItsErrors(_ file: String) throws {
        let r = try check(file)
        #expect(!r.isValid)
        #expect(r.errors.map(\.description) == Self.invalid[file]!)
    }

    @Test func wrappedDescribeOutputIsUnwrapped() throws {
        let r = try check("61-cli-describe-output-wordpress.json")
        #expect(r.warnings.map(\.description).prefix(2) == [
            "warning: (document): describe/register output wrapper {\"taskDefinition\": ...} unwrapped; the request is read from \"taskDefinition\"",
            "warning: taskDefinition: read-only members of a registered task definition are ignored: taskDefinitionArn, revision, status, compatibilities, registeredAt, registeredBy",
        ])
        let d = try #require(r.definition)
        #expect(d.family == "hello_world" && d.containers.map(\.name) == ["wordpress", "mysql"])
        #expect(d.containers[0].links == ["mysql"])
        let r6 = try check("06-dg-register-output-wrapper.json")
        #expect(r6.definition?.family == "sleep360" && r6.definition?.containers.first?.command == ["sleep", "360"])
    }

    @Test func bareDescribeOutputKeepsReadOnlyWarningAtRoot() throws {
        let r = try check("63-user-witp-describe-output.json")
        #expect(r.warnings.first?.description.hasPrefix("warning: (document): read-only members of a registered task definition are ignored: taskDefinitionArn, revision, status, requiresAttributes") == true)
    }

    @Test func unitStringsAreNormalised() throws {
        #expect(try check("12-dg-ecs-exec-units.json").definition.map { [$0.cpu, $0.memory] } == ["256", "512"])
        #expect(try check("51-firelens-newrelic-unit-strings.json").definition.map { [$0.cpu, $0.memory] } == ["1024", "2048"])
    }

    @Test func skeletonTemplateReportsManyProblemsAtOnce() throws {
        let r = try check("21-dg-cli-skeleton-template.json")
        let lines = Set(r.errors.map(\.description))
        #expect(r.errors.count > 25)
        for expected in [
            "family: Family should not be null or empty.",
            "tags[0].key: Tag key must be 1-128 characters, got 0.",
            "containerDefinitions[0].name: Container.name should not be null or empty.",
            "containerDefinitions[0].portMappings: portMappings are not supported when networkMode=none.",
            "containerDefinitions[0].healthCheck.retries: healthCheck retries must be between 1 and 10, got 0.",
        ] {
            #expect(lines.contains(expected), "\(expected)")
        }
    }

    @Test func explicitNullsAreAbsent() throws {
        let r = try check("49-samples-wildfly-fargate-null-ulimits.json")
        #expect(r.definition?.containers.first?.ulimits == nil)
    }
}
