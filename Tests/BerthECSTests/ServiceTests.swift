import BerthJSON
import Testing
@testable import BerthECS

@Suite struct ServiceTests {
    func create(_ text: String) throws -> (CreateServiceRequest?, [Problem]) {
        let r = ECSValidation.validateCreateService(bytes: Array(text.utf8))
        if let e = r.syntaxError { throw e }
        return (r.request, r.problems)
    }

    func errors(_ text: String) throws -> [String] { try create(text).1.errors.map(\.description) }

    @Test func defaults() throws {
        let (req, problems) = try create(#"{"serviceName": "web", "taskDefinition": "web:1", "desiredCount": 2}"#)
        #expect(problems.isEmpty)
        let r = try #require(req)
        #expect(r.effectiveCluster == "default")
        #expect(r.effectiveSchedulingStrategy == .replica)
        #expect(r.effectiveDeploymentConfiguration.maximumPercent == 200)
        #expect(r.effectiveDeploymentConfiguration.minimumHealthyPercent == 100)
        #expect(r.effectiveDeploymentConfiguration.deploymentCircuitBreaker == nil)
        #expect(r.effectiveHealthCheckGracePeriodSeconds == 0)
        #expect(r.effectiveDeploymentController == .ecs)
        #expect(r.effectiveDesiredCount == 2)
    }

    @Test func daemonDefaultsAndRules() throws {
        let (req, problems) = try create(#"{"serviceName": "d", "taskDefinition": "d", "schedulingStrategy": "DAEMON"}"#)
        #expect(problems.isEmpty)
        #expect(req?.effectiveDeploymentConfiguration.maximumPercent == 100)
        #expect(req?.effectiveDeploymentConfiguration.minimumHealthyPercent == 0)
        #expect(req?.effectiveDesiredCount == 1)
        #expect(try errors(#"{"serviceName": "d", "taskDefinition": "d", "schedulingStrategy": "DAEMON", "desiredCount": 2, "deploymentConfiguration": {"maximumPercent": 200}}"#) == [
            "desiredCount: The daemon scheduling strategy does not support a desired count for services.",
            "deploymentConfiguration.maximumPercent: The maximumPercent of a service with the DAEMON scheduling strategy must be 100, got 200.",
        ])
    }

    @Test(arguments: [
        (#"{"serviceName": "a b", "taskDefinition": "t", "desiredCount": 1}"#,
         "serviceName: Service name \"a b\" is invalid: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed."),
        (#"{"serviceName": "s", "taskDefinition": "t"}"#, "desiredCount: desiredCount is required for services with the REPLICA scheduling strategy."),
        (#"{"serviceName": "s", "desiredCount": 1}"#, "taskDefinition: A task definition must be specified for a service that uses the ECS deployment controller."),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": -1}"#, "desiredCount: desiredCount must be between 0 and 5000, got -1."),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": "1"}"#, "desiredCount: invalid type: expected integer, got string \"1\""),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "deploymentConfiguration": {"minimumHealthyPercent": 150}}"#,
         "deploymentConfiguration.minimumHealthyPercent: minimumHealthyPercent must be between 0 and 100, got 150."),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "deploymentConfiguration": {"maximumPercent": 50}}"#,
         "deploymentConfiguration.maximumPercent: maximumPercent must be at least 100, got 50."),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true}}}"#,
         "deploymentConfiguration.deploymentCircuitBreaker.rollback: missing required parameter \"rollback\""),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "launchType": "FARGATE", "capacityProviderStrategy": [{"capacityProvider": "FARGATE"}]}"#,
         "capacityProviderStrategy: Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "launchType": "LAMBDA"}"#,
         "launchType: invalid value \"LAMBDA\"; valid values: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES"),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "healthCheckGracePeriodSeconds": -5}"#,
         "healthCheckGracePeriodSeconds: healthCheckGracePeriodSeconds must be between 0 and 2147483647, got -5."),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "deploymentController": {"type": "CODE_DEPLOY"}}"#,
         "deploymentController.type: deploymentController.type CODE_DEPLOY is not supported by Berth: only ECS (rolling update)."),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "networkConfiguration": {"awsvpcConfiguration": {"subnets": []}}}"#,
         "networkConfiguration.awsvpcConfiguration.subnets: awsvpcConfiguration needs 1 to 16 subnets, got 0."),
        (#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "propagateTags": "ALL"}"#,
         "propagateTags: invalid value \"ALL\"; valid values: TASK_DEFINITION, SERVICE, NONE"),
    ])
    func ruleReportsItsError(json: String, expected: String) throws {
        let found = try errors(json)
        #expect(found.contains(expected), "\(found)")
    }

    @Test func serviceErrorsAreInvalidParameterExceptions() throws {
        let (_, problems) = try create(#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": -1}"#)
        #expect(problems.errors.allSatisfy { $0.exception == .invalidParameterException })
    }

    @Test func stalledDeploymentConfigurationIsWarned() throws {
        let (_, problems) = try create(#"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 2, "deploymentConfiguration": {"maximumPercent": 100, "minimumHealthyPercent": 100}}"#)
        #expect(problems.errors.isEmpty)
        #expect(problems.warnings.first?.path.description == "deploymentConfiguration")
    }

    @Test func updateRequest() throws {
        let (req, problems) = ServiceDocument.decodeUpdate(try JSONValue.parse(#"{"service": "s", "desiredCount": 3, "taskDefinition": "t:2", "forceNewDeployment": false}"#))
        #expect(problems.isEmpty)
        let r = try #require(req)
        #expect(ServiceValidator.validate(r).isEmpty)
        #expect(r.deploymentMembers == ["taskDefinition"])
        let (missing, p2) = ServiceDocument.decodeUpdate(try JSONValue.parse(#"{"desiredCount": 1}"#))
        #expect(missing != nil && p2.map(\.description) == ["service: missing required parameter \"service\""])
    }

    @Test func roundTripsThroughJSON() throws {
        let text = #"{"cluster":"c","serviceName":"s","taskDefinition":"t:1","desiredCount":2,"deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":true,"rollback":true},"maximumPercent":150,"minimumHealthyPercent":50}}"#
        let (req, _) = try create(text)
        #expect(req?.jsonValue.serialized() == text)
    }

    /// The corpus: which CreateService inputs Berth accepts, and the errors of the others.
    static let corpus: [String: [String]] = [
        "01-dg-service-skeleton.json": [
            "platformFamily: unknown parameter \"platformFamily\": not part of the ECS API for this object",
            "serviceName: serviceName should not be null or empty.",
            "capacityProviderStrategy: Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.",
            "clientToken: clientToken must be 1-36 printable ASCII characters.",
            "deploymentController.type: deploymentController.type CODE_DEPLOY is not supported by Berth: only ECS (rolling update).",
            "deploymentConfiguration.maximumPercent: maximumPercent must be at least 100, got 0.",
            "capacityProviderStrategy: The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
            "placementConstraints: Placement constraints are not supported with FARGATE launch type.",
            "placementStrategy: Placement strategies are not supported with FARGATE launch type.",
            "tags[0].key: Tag key must be 1-128 characters, got 0.",
            "loadBalancers[0].targetGroupArn: targetGroupArn should not be null or empty.",
            "serviceRegistries[0].registryArn: registryArn should not be null or empty.",
        ],
        "02-dg-bluegreen-codedeploy.json": [
            "deploymentController.type: deploymentController.type CODE_DEPLOY is not supported by Berth: only ECS (rolling update).",
        ],
        "03-dg-service-connect.json": [
            "serviceConnectConfiguration.logConfiguration: serviceConnectConfiguration.logConfiguration configures the Service Connect proxy, which Berth does not run.",
        ],
        // Checked against the agent's Cloud Map and the task definition by the agent.
        "04-dg-service-discovery.json": [],
        "05-dg-external-deployment.json": [
            "serviceName: serviceName should not be null or empty.",
            "deploymentController.type: deploymentController.type EXTERNAL is not supported by Berth: only ECS (rolling update).",
            "deploymentConfiguration.maximumPercent: maximumPercent must be at least 100, got 0.",
            "placementConstraints: placementConstraints are not supported by Berth: memberOf and distinctInstance are not evaluated on a single host.",
            "tags[0].key: Tag key must be 1-128 characters, got 0.",
        ],
        "06-cli-classic-elb.json": [
            "loadBalancers[0].loadBalancerName: Classic Load Balancers (loadBalancerName) are not supported by Berth: use the targetGroupArn of an application or network load balancer.",
        ],
        "07-cli-ebs-volume-configurations.json": [
            "volumeConfigurations: volumeConfigurations is not supported by Berth (a single host has no EBS volumes or VPC Lattice).",
        ],
        "08-mysfits-ec2-awsvpc-nlb.json": [
            "loadBalancers[0].targetGroupArn: targetGroupArn REPLACE_ME_NLB_TARGET_GROUP_ARN is not a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID).",
        ],
        "09-mysfits-capacity-provider.json": [
            "capacityProviderStrategy: The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.",
            "loadBalancers[0].targetGroupArn: targetGroupArn REPLACE_ME_NLB_TARGET_GROUP_ARN is not a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID).",
        ],
        "10-user-codedeploy-placeholders.json": [
            "serviceName: missing required parameter \"serviceName\"",
            "cluster: Cluster name \"<CLUSTER_NAME>\" is invalid: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.",
            "deploymentController.type: deploymentController.type CODE_DEPLOY is not supported by Berth: only ECS (rolling update).",
            "loadBalancers[0].targetGroupArn: targetGroupArn <ALB_TARGET_GROUP_ARN> is not a target group ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID).",
        ],
    ]

    @Test func everyCorpusServiceHasADecision() throws {
        #expect(Set(try Corpus.files("services")) == Set(Self.corpus.keys))
    }

    @Test(arguments: Array(corpus.keys).sorted())
    func corpusService(_ file: String) throws {
        let r = ECSValidation.validateCreateService(bytes: try Corpus.bytes("services/" + file))
        #expect(r.syntaxError == nil)
        #expect(r.request != nil)
        #expect(r.problems.errors.map(\.description) == Self.corpus[file]!)
    }

    @Test func corpusServiceDetails() throws {
        let r = ECSValidation.validateCreateService(bytes: try Corpus.bytes("services/03-dg-service-connect.json"))
        let req = try #require(r.request)
        #expect(req.effectiveDeploymentConfiguration.minimumHealthyPercent == 0)
        #expect(req.enableExecuteCommand == true && req.propagateTags == .service)
        #expect(req.serviceConnectConfiguration?["enabled"] == true)
        let elb = ECSValidation.validateCreateService(bytes: try Corpus.bytes("services/06-cli-classic-elb.json"))
        #expect(elb.request?.effectiveCluster == "default" && elb.request?.desiredCount == 10)
    }
}

@Suite struct RawMemberTests {
    @Test func cloudOnlyConfigurationsAreTypeChecked() throws {
        let (_, problems) = ServiceDocument.decodeCreate(try JSONValue.parse(#"{"serviceName": "s", "serviceConnectConfiguration": [], "volumeConfigurations": {}}"#))
        #expect(problems.map(\.description) == [
            "serviceConnectConfiguration: invalid type: expected object, got an array",
            "volumeConfigurations: invalid type: expected list, got an object",
        ])
    }
}

@Suite struct ServiceErrorTests {
    @Test func firstErrorBecomesTheAPIError() throws {
        let (req, p1) = ServiceDocument.decodeCreate(try JSONValue.parse(#"{"serviceName": "s", "taskDefinition": "t", "launchType": "EC2", "capacityProviderStrategy": [{"capacityProvider": "cp"}], "desiredCount": 1}"#))
        let problems = p1 + ServiceValidator.validate(try #require(req))
        #expect(problems.ecsError == ECSError("InvalidParameterException", "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."))
        #expect([Problem]().ecsError == nil)
        let typed = ServiceDocument.decodeCreate(try JSONValue.parse(#"{"serviceName": 5}"#)).1
        #expect(typed.ecsError == ECSError("InvalidParameterException", "serviceName: invalid type: expected string, got integer 5"))
    }
}
