import BerthJSON
import BerthController
import BerthECS
import Testing
@testable import BerthAgent

/// CreateService/UpdateService read once into the BerthECS request models, and the service
/// record file read with BerthJSON (files of the previous version included).
@Suite struct ServiceRequestTests {
    func error(_ w: ServiceBackendTests.World, _ op: String, _ input: JSONValue) -> APIError? {
        do { _ = try w.backend.call(op, input); return nil } catch { return error }
    }

    func world(_ dir: borrowing TempDir) throws -> ServiceBackendTests.World {
        let w = try ServiceBackendTests.World(dir: dir)
        _ = try w.call("RegisterTaskDefinition", ServiceBackendTests.td)
        return w
    }

    @Test func shapeProblemsNameTheMember() throws {
        let dir = TempDir()
        let w = try world(dir)
        let unknown = error(w, "CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 1, "desiredCont": 2])
        #expect(unknown?.type == "InvalidParameterException")
        #expect(unknown?.message.contains("desiredCont") == true && unknown?.message.contains("desiredCount") == true, "\(String(describing: unknown))")
        let wrongType = error(w, "UpdateService", ["service": "s", "desiredCount": "two"])
        #expect(wrongType?.type == "InvalidParameterException")
        #expect(wrongType?.message.hasPrefix("desiredCount: ") == true, "\(String(describing: wrongType))")
        let badEnum = error(w, "CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 1, "launchType": "MOON"])
        #expect(badEnum?.message.hasPrefix("launchType: ") == true, "\(String(describing: badEnum))")
        let missing = error(w, "CreateService", ["taskDefinition": "web", "desiredCount": 1])
        #expect(missing?.type == "InvalidParameterException" && missing?.message.contains("serviceName") == true)
        let breaker = error(w, "CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 1,
                                                 "deploymentConfiguration": ["deploymentCircuitBreaker": ["enable": true]]])
        #expect(breaker?.message.contains("deploymentConfiguration.deploymentCircuitBreaker.rollback") == true, "\(String(describing: breaker))")
    }

    @Test func unsupportedMembersAreRefusedByName() throws {
        let dir = TempDir()
        let w = try world(dir)
        let base: JSONValue = ["serviceName": "s", "taskDefinition": "web", "desiredCount": 1]
        for (key, value, named) in [
            ("loadBalancers", [["loadBalancerName": "classic", "containerName": "app", "containerPort": 80]] as JSONValue,
             "loadBalancers[0].loadBalancerName: Classic Load Balancers"),
            ("vpcLatticeConfigurations", [["roleArn": "r"]], "vpcLatticeConfigurations"),
            ("serviceConnectConfiguration", ["enabled": true, "namespace": "local", "logConfiguration": ["logDriver": "awslogs"]],
             "serviceConnectConfiguration.logConfiguration"),
            ("deploymentController", ["type": "CODE_DEPLOY"], "deploymentController.type CODE_DEPLOY"),
            ("schedulingStrategy", "DAEMON", "schedulingStrategy DAEMON"),
            ("deploymentConfiguration", ["strategy": "BLUE_GREEN"], "deploymentConfiguration.strategy BLUE_GREEN"),
        ] {
            var input = base
            input[key] = value
            let e = error(w, "CreateService", input)
            #expect(e?.type == "UnsupportedFeatureException" && e?.message.hasPrefix(named) == true, "\(key): \(String(describing: e))")
        }
        var tagged = base
        tagged["tags"] = [["key": "", "value": "v"]]
        #expect(error(w, "CreateService", tagged)?.message == "Tag keys must be between 1 and 128 characters (tags[0]).")
    }

    @Test func membersTheControllerDoesNotModelAreKeptTyped() throws {
        let dir = TempDir()
        let w = try world(dir)
        let network: JSONValue = ["awsvpcConfiguration": ["subnets": ["subnet-1"], "assignPublicIp": "ENABLED"]]
        let created = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 0, "launchType": "FARGATE",
                                                   "networkConfiguration": network, "propagateTags": "SERVICE",
                                                   "tags": [["key": "team", "value": "a"]]])["service"]
        #expect(created?["networkConfiguration"] == network)
        #expect(created?["launchType"] == "FARGATE" && created?["platformVersion"] == "LATEST" && created?["propagateTags"] == "SERVICE")
        #expect(created?["tags"] == [["key": "team", "value": "a"]])
        // The same configuration with its members in another order is not a change: no new deployment.
        let reordered: JSONValue = ["awsvpcConfiguration": ["assignPublicIp": "ENABLED", "subnets": ["subnet-1"]]]
        let updated = try w.call("UpdateService", ["service": "s", "networkConfiguration": reordered])["service"]
        #expect(updated?["deployments"]?.arrayValue?.count == 1)
        let changed = try w.call("UpdateService", ["service": "s", "networkConfiguration": ["awsvpcConfiguration": ["subnets": ["subnet-2"]]]])
        #expect(changed["service"]?["deployments"]?.arrayValue?.count == 2)
    }

    /// role, capacityProviderStrategy, placementStrategy and availabilityZoneRebalancing are
    /// echoed as ECS does, changed by UpdateService where ECS allows, and kept across a restart.
    @Test func serviceMembersAreEchoedAndSurviveARestart() throws {
        let dir = TempDir()
        let w = try world(dir)
        let spot: JSONValue = [["capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0]]
        let created = try w.call("CreateService", ["serviceName": "spot", "taskDefinition": "web", "desiredCount": 0, "role": "ecsServiceRole",
                                                   "capacityProviderStrategy": spot, "availabilityZoneRebalancing": "DISABLED"])["service"]
        #expect(created?["roleArn"] == "arn:aws:iam::000000000000:role/ecsServiceRole")
        #expect(created?["capacityProviderStrategy"] == spot && created?["launchType"] == nil && created?["platformVersion"] == "LATEST")
        #expect(created?["deployments"]?.arrayValue?.first?["capacityProviderStrategy"] == spot)
        #expect(created?["availabilityZoneRebalancing"] == "DISABLED")
        let spread: JSONValue = [["type": "spread", "field": "attribute:ecs.availability-zone"]]
        let ec2 = try w.call("CreateService", ["serviceName": "ec2", "taskDefinition": "web", "desiredCount": 0, "launchType": "EC2",
                                               "placementStrategy": spread])["service"]
        #expect(ec2?["placementStrategy"] == spread && ec2?["placementConstraints"] == [] && ec2?["availabilityZoneRebalancing"] == "ENABLED")
        #expect(ec2?["roleArn"] == nil)
        let binpack: JSONValue = [["type": "binpack", "field": "memory"]]
        let packed = try w.call("CreateService", ["serviceName": "packed", "taskDefinition": "web", "desiredCount": 0, "placementStrategy": binpack])
        #expect(packed["service"]?["availabilityZoneRebalancing"] == "DISABLED")
        let updated = try w.call("UpdateService", ["service": "ec2", "availabilityZoneRebalancing": "DISABLED", "placementStrategy": binpack])["service"]
        #expect(updated?["availabilityZoneRebalancing"] == "DISABLED" && updated?["placementStrategy"] == binpack)
        #expect(updated?["deployments"]?.arrayValue?.count == 1)
        let fargate: JSONValue = [["capacityProvider": "FARGATE", "weight": 2]]
        #expect(try w.call("UpdateService", ["service": "spot", "capacityProviderStrategy": fargate])["service"]?["capacityProviderStrategy"] == fargate)

        let restarted = try ServiceBackendTests.World(dir: dir)
        let spotAgain = try restarted.service("spot")
        #expect(spotAgain["roleArn"] == "arn:aws:iam::000000000000:role/ecsServiceRole" && spotAgain["capacityProviderStrategy"] == fargate)
        #expect(spotAgain["availabilityZoneRebalancing"] == "DISABLED" && spotAgain["launchType"] == nil)
        let ec2Again = try restarted.service("ec2")
        #expect(ec2Again["placementStrategy"] == binpack && ec2Again["availabilityZoneRebalancing"] == "DISABLED" && ec2Again["launchType"] == "EC2")
    }

    /// What Fargate or Berth does not do is refused with the member named, never dropped.
    @Test func placementCapacityAndStrategySettingsAreRefusedByName() throws {
        let dir = TempDir()
        let w = try world(dir)
        let base: JSONValue = ["serviceName": "s", "taskDefinition": "web", "desiredCount": 1]
        let constraint: JSONValue = [["type": "distinctInstance"]]
        let spread: JSONValue = [["type": "spread", "field": "instanceId"]]
        for (extra, type, message) in [
            (["launchType": "FARGATE", "placementConstraints": constraint] as JSONValue, "InvalidParameterException",
             "Placement constraints are not supported with FARGATE launch type."),
            (["launchType": "FARGATE", "placementStrategy": spread], "InvalidParameterException", "Placement strategies are not supported with FARGATE launch type."),
            (["capacityProviderStrategy": [["capacityProvider": "FARGATE"]], "placementStrategy": spread], "InvalidParameterException",
             "Placement strategies are not supported with FARGATE launch type."),
            (["launchType": "EC2", "placementConstraints": constraint], "UnsupportedFeatureException",
             "placementConstraints are not supported by Berth: memberOf and distinctInstance are not evaluated on a single host."),
            (["capacityProviderStrategy": [["capacityProvider": "my-asg"]]], "InvalidParameterException",
             "The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again."),
            (["launchType": "FARGATE", "capacityProviderStrategy": [["capacityProvider": "FARGATE"]]], "InvalidParameterException",
             "Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again."),
            (["deploymentConfiguration": ["strategy": "LINEAR"]], "UnsupportedFeatureException",
             "deploymentConfiguration.strategy LINEAR is not supported by Berth: Berth implements ROLLING deployments only."),
            (["deploymentConfiguration": ["strategy": "CANARY"]], "UnsupportedFeatureException",
             "deploymentConfiguration.strategy CANARY is not supported by Berth: Berth implements ROLLING deployments only."),
        ] {
            var input = base
            for (k, v) in extra.objectValue ?? JSONObject() { input[k] = v }
            let e = error(w, "CreateService", input)
            #expect(e?.type == type && e?.message == message, "\(extra): \(String(describing: e))")
        }
        for (key, value) in [("bakeTimeInMinutes", 5 as JSONValue), ("lifecycleHooks", [["hookTargetArn": "arn:x", "lifecycleStages": ["POST_SCALE_UP"]]]),
                             ("linearConfiguration", ["stepPercent": 10.0]), ("canaryConfiguration", ["canaryPercent": 5.0])] {
            var config: JSONValue = ["strategy": "ROLLING"]
            config[key] = value
            let e = error(w, "CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 1, "deploymentConfiguration": config])
            #expect(e?.type == "UnsupportedFeatureException", "\(key): \(String(describing: e))")
            #expect(e?.message.hasPrefix("deploymentConfiguration.\(key) is a setting of BLUE_GREEN, LINEAR and CANARY deployments") == true
                    && e?.message.hasSuffix("Berth implements ROLLING deployments only.") == true, "\(key): \(String(describing: e))")
        }
        #expect(error(w, "CreateService", base) == nil)
        #expect(error(w, "UpdateService", ["service": "s", "deploymentConfiguration": ["bakeTimeInMinutes": 5]])?.type == "UnsupportedFeatureException")
        #expect(error(w, "UpdateService", ["service": "s", "placementConstraints": constraint])?.type == "UnsupportedFeatureException")
        let switched = error(w, "UpdateService", ["service": "s", "capacityProviderStrategy": [["capacityProvider": "FARGATE"]]])
        #expect(switched?.type == "InvalidParameterException" && switched?.message.hasPrefix("capacityProviderStrategy") == true)
        _ = try w.call("CreateService", ["serviceName": "f", "taskDefinition": "web", "desiredCount": 0, "launchType": "FARGATE"])
        #expect(error(w, "UpdateService", ["service": "f", "placementStrategy": spread])?.message == "Placement strategies are not supported with FARGATE launch type.")
    }

    /// A record file as the previous version wrote it (state through Foundation's JSONEncoder).
    static let previousRecordText = #"""
    {"cluster":"prod","state":{"bookkeeping":{"launches":[],"tasks":{}},"clusterArn":"arn:cluster/prod","createdAt":1700000000.5,"deploymentConfiguration":{"maximumPercent":200,"minimumHealthyPercent":100},"deployments":[{"createdAt":1700000000.5,"desiredCount":1,"failedTasks":0,"healthyTaskSeen":false,"id":"ecs-svc/1","pendingCount":0,"rolloutState":"IN_PROGRESS","rolloutStateReason":"ECS deployment ecs-svc/1 in progress.","runningCount":0,"status":"PRIMARY","taskDefinition":"arn:td:1","updatedAt":1700000000.5}],"desiredCount":1,"events":[],"healthCheckGracePeriodSeconds":0,"pendingCount":0,"runningCount":0,"serviceArn":"arn:svc/web","serviceName":"web","status":"ACTIVE","throttle":{"consecutiveFailures":0,"currentDelay":0}},"launchType":"FARGATE","platformVersion":"LATEST","networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-1"],"assignPublicIp":"ENABLED"}},"tags":[{"key":"team","value":"a"},{"key":"env","value":""}],"propagateTags":"SERVICE","enableECSManagedTags":true,"enableExecuteCommand":true,"clientToken":"tok-1"}
    """#

    @Test func readsARecordFileOfThePreviousVersion() throws {
        let json = try JSONValue.parse(bytes: Array(Self.previousRecordText.utf8))
        let r = try ServiceRecord(json: json)
        #expect(r.cluster == "prod" && r.key == "prod@web" && r.launchType == .fargate && r.platformVersion == "LATEST")
        #expect(r.state.deployments.first?.createdAt == 1700000000.5 && r.state.status == .active)
        #expect(r.networkConfiguration?.awsvpcConfiguration?.subnets == ["subnet-1"])
        #expect(r.networkConfiguration?.awsvpcConfiguration?.assignPublicIp == .enabled)
        #expect(r.tags.map { "\($0.0)=\($0.1)" } == ["team=a", "env="])
        #expect(r.propagateTags == .service && r.enableECSManagedTags && r.enableExecuteCommand && r.clientToken == "tok-1")
        // Written again, it has the same members with the same values.
        #expect(r.json.serialized(sortedKeys: true) == json.serialized(sortedKeys: true))
    }

    @Test func aRecordThatDoesNotDecodeSaysWhere() throws {
        var json = try JSONValue.parse(bytes: Array(Self.previousRecordText.utf8))
        json["state"]?["desiredCount"] = "one"
        #expect { try ServiceRecord(json: json) } throws: { ($0 as? JSONShapeError)?.path.description == "state.desiredCount" }
    }
}
