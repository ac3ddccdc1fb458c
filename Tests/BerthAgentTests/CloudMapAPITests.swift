import BerthJSON
import Foundation
import Testing
@testable import BerthAgent

/// The Cloud Map API (CloudMapOperations) on an in-memory or on-disk CloudMapService:
/// namespaces, operations, services, instances, discovery, errors with Cloud Map's exception
/// names, pagination and persistence.
@Suite struct CloudMapAPITests {
    static func make(_ dir: String? = nil) throws -> CloudMapOperations {
        CloudMapOperations(try CloudMapService(stateDir: dir, region: "us-east-1", account: "000000000000", clock: { 1_700_000_000 }))
    }

    static func error(_ ops: CloudMapOperations, _ op: String, _ input: JSONValue) -> APIError? {
        do { _ = try ops.call(op, input); return nil } catch { return error }
    }

    /// A private DNS namespace `local` and its id.
    static func namespace(_ ops: CloudMapOperations, _ name: String = "local") throws -> String {
        let op = try #require(try ops.call("CreatePrivateDnsNamespace", ["Name": .string(name), "Vpc": "vpc-1"])["OperationId"]?.stringValue)
        let got = try ops.call("GetOperation", ["OperationId": .string(op)])["Operation"]
        #expect(got?["Status"] == "SUCCESS" && got?["Type"] == "CREATE_NAMESPACE")
        return try #require(got?["Targets"]?["NAMESPACE"]?.stringValue)
    }

    @Test func namespacesAreCreatedDescribedListedAndDeleted() throws {
        let ops = try Self.make()
        let id = try Self.namespace(ops)
        #expect(id.hasPrefix("ns-"))
        let ns = try #require(try ops.call("GetNamespace", ["Id": .string(id)])["Namespace"])
        #expect(ns["Name"] == "local" && ns["Type"] == "DNS_PRIVATE")
        #expect(ns["Arn"]?.stringValue == "arn:aws:servicediscovery:us-east-1:000000000000:namespace/\(id)")
        #expect(ns["Properties"]?["DnsProperties"]?["SOA"]?["TTL"] == 15)
        #expect(ns["Properties"]?["HttpProperties"]?["HttpName"] == "local")
        _ = try ops.call("CreateHttpNamespace", ["Name": "apps"])
        #expect(Self.error(ops, "CreatePrivateDnsNamespace", ["Name": "local", "Vpc": "vpc-1"])?.type == "NamespaceAlreadyExists")
        #expect(Self.error(ops, "CreatePrivateDnsNamespace", ["Name": "other"])?.message == "Vpc is required.")
        #expect(Self.error(ops, "CreatePrivateDnsNamespace", ["Name": "bad name", "Vpc": "v"])?.type == "InvalidInput")
        let pub = Self.error(ops, "CreatePublicDnsNamespace", ["Name": "example.com"])
        #expect(pub?.type == "InvalidInput" && pub?.message.contains("Public DNS namespaces are not supported") == true)
        let http = try ops.call("ListNamespaces", ["Filters": [["Name": "TYPE", "Values": ["HTTP"], "Condition": "EQ"]]])
        #expect(http["Namespaces"]?.arrayValue?.compactMap { $0["Name"]?.stringValue } == ["apps"])
        #expect(Self.error(ops, "ListNamespaces", ["Filters": [["Name": "COLOR", "Values": ["x"]]]])?.type == "InvalidInput")
        _ = try ops.call("CreateService", ["Name": "web", "NamespaceId": .string(id)])
        #expect(Self.error(ops, "DeleteNamespace", ["Id": .string(id)])?.type == "ResourceInUse")
        #expect(Self.error(ops, "GetNamespace", ["Id": "ns-nothere"])?.type == "NamespaceNotFound")
        #expect(Self.error(ops, "GetOperation", ["OperationId": "nope"])?.type == "OperationNotFound")
    }

    @Test func idempotentCreationByCreatorRequestId() throws {
        let ops = try Self.make()
        let a = try ops.call("CreateHttpNamespace", ["Name": "apps", "CreatorRequestId": "r1"])["OperationId"]
        let b = try ops.call("CreateHttpNamespace", ["Name": "apps", "CreatorRequestId": "r1"])["OperationId"]
        #expect(a == b)
        #expect(Self.error(ops, "CreateHttpNamespace", ["Name": "apps", "CreatorRequestId": "r2"])?.type == "NamespaceAlreadyExists")
    }

    @Test func servicesAreCheckedAsCloudMapDoes() throws {
        let ops = try Self.make()
        let ns = try Self.namespace(ops)
        let created = try #require(try ops.call("CreateService", [
            "Name": "web", "NamespaceId": .string(ns),
            "DnsConfig": ["RoutingPolicy": "MULTIVALUE", "DnsRecords": [["Type": "A", "TTL": 10], ["Type": "SRV", "TTL": 10]]],
            "HealthCheckCustomConfig": ["FailureThreshold": 1],
        ])["Service"])
        let id = try #require(created["Id"]?.stringValue)
        #expect(id.hasPrefix("srv-") && created["Type"] == "DNS_HTTP")
        #expect(created["Arn"]?.stringValue == "arn:aws:servicediscovery:us-east-1:000000000000:service/\(id)")
        #expect(Self.error(ops, "CreateService", ["Name": "web", "NamespaceId": .string(ns)])?.type == "ServiceAlreadyExists")
        #expect(Self.error(ops, "CreateService", ["Name": "x", "NamespaceId": "ns-none"])?.type == "NamespaceNotFound")
        let r53 = Self.error(ops, "CreateService", ["Name": "h", "NamespaceId": .string(ns), "HealthCheckConfig": ["Type": "HTTP"]])
        #expect(r53?.type == "InvalidInput" && r53?.message.hasPrefix("HealthCheckConfig") == true)
        let aaaa = Self.error(ops, "CreateService", ["Name": "v6", "NamespaceId": .string(ns), "DnsConfig": ["DnsRecords": [["Type": "AAAA", "TTL": 10]]]])
        #expect(aaaa?.message.contains("AAAA is not supported") == true)
        let httpNs = try #require(try ops.call("CreateHttpNamespace", ["Name": "apps"])["OperationId"]?.stringValue)
        let httpId = try #require(try ops.call("GetOperation", ["OperationId": .string(httpNs)])["Operation"]?["Targets"]?["NAMESPACE"]?.stringValue)
        #expect(Self.error(ops, "CreateService", ["Name": "d", "NamespaceId": .string(httpId), "DnsConfig": ["DnsRecords": [["Type": "A", "TTL": 1]]]])?.type == "InvalidInput")
        let listed = try ops.call("ListServices", ["Filters": [["Name": "NAMESPACE_ID", "Values": [.string(ns)]]]])
        #expect(listed["Services"]?.arrayValue?.map { $0["Name"] } == ["web"])
        // UpdateService changes TTLs only.
        _ = try ops.call("UpdateService", ["Id": .string(id), "Service": ["DnsConfig": ["DnsRecords": [["Type": "A", "TTL": 30], ["Type": "SRV", "TTL": 30]]]]])
        #expect(try ops.call("GetService", ["Id": .string(id)])["Service"]?["DnsConfig"]?["DnsRecords"]?.arrayValue?.first?["TTL"] == 30)
        #expect(Self.error(ops, "UpdateService", ["Id": .string(id), "Service": ["DnsConfig": ["DnsRecords": [["Type": "A", "TTL": 30]]]]])?.type == "InvalidInput")
    }

    @Test func instancesRegisterDiscoverAndFollowCustomHealth() throws {
        let ops = try Self.make()
        let ns = try Self.namespace(ops)
        let id = try #require(try ops.call("CreateService", [
            "Name": "web", "NamespaceId": .string(ns), "DnsConfig": ["DnsRecords": [["Type": "SRV", "TTL": 10]]],
            "HealthCheckCustomConfig": [:],
        ])["Service"]?["Id"]?.stringValue)
        let missingPort = Self.error(ops, "RegisterInstance", ["ServiceId": .string(id), "InstanceId": "a", "Attributes": ["AWS_INSTANCE_IPV4": "10.0.0.1"]])
        #expect(missingPort?.type == "InvalidInput" && missingPort?.message.contains("AWS_INSTANCE_PORT") == true)
        #expect(Self.error(ops, "RegisterInstance", ["ServiceId": .string(id), "InstanceId": "a", "Attributes": ["AWS_INSTANCE_IPV4": "10.0.0.300", "AWS_INSTANCE_PORT": "80"]])?.type == "InvalidInput")
        for (n, color) in [(1, "blue"), (2, "green"), (3, "blue")] {
            let op = try ops.call("RegisterInstance", ["ServiceId": .string(id), "InstanceId": .string("i\(n)"),
                                                       "Attributes": ["AWS_INSTANCE_IPV4": .string("10.0.0.\(n)"), "AWS_INSTANCE_PORT": "8080", "color": .string(color)]])
            #expect(op["OperationId"]?.stringValue != nil)
        }
        _ = try ops.call("UpdateInstanceCustomHealthStatus", ["ServiceId": .string(id), "InstanceId": "i3", "Status": "UNHEALTHY"])
        func discover(_ extra: JSONValue = [:]) throws -> [String] {
            var input: JSONValue = ["NamespaceName": "local", "ServiceName": "web"]
            for (k, v) in extra.objectValue ?? JSONObject() { input[k] = v }
            return try ops.call("DiscoverInstances", input)["Instances"]?.arrayValue?.compactMap { $0["InstanceId"]?.stringValue } ?? []
        }
        #expect(try discover() == ["i1", "i2"])
        #expect(try discover(["HealthStatus": "ALL"]) == ["i1", "i2", "i3"])
        #expect(try discover(["HealthStatus": "UNHEALTHY"]) == ["i3"])
        #expect(try discover(["QueryParameters": ["color": "blue"], "HealthStatus": "ALL"]) == ["i1", "i3"])
        #expect(try discover(["OptionalParameters": ["color": "green"]]) == ["i2"])
        #expect(try discover(["OptionalParameters": ["color": "red"]]) == ["i1", "i2"])
        _ = try ops.call("UpdateInstanceCustomHealthStatus", ["ServiceId": .string(id), "InstanceId": "i1", "Status": "UNHEALTHY"])
        _ = try ops.call("UpdateInstanceCustomHealthStatus", ["ServiceId": .string(id), "InstanceId": "i2", "Status": "UNHEALTHY"])
        #expect(try discover() == [])
        #expect(try discover(["HealthStatus": "HEALTHY_OR_ELSE_ALL"]) == ["i1", "i2", "i3"])
        let health = try ops.call("GetInstancesHealthStatus", ["ServiceId": .string(id)])["Status"]
        #expect(health?["i1"] == "UNHEALTHY" && health?["i3"] == "UNHEALTHY")
        #expect(try ops.call("GetInstance", ["ServiceId": .string(id), "InstanceId": "i2"])["Instance"]?["Attributes"]?["color"] == "green")
        #expect(Self.error(ops, "GetInstance", ["ServiceId": .string(id), "InstanceId": "zz"])?.type == "InstanceNotFound")
        #expect(Self.error(ops, "DeleteService", ["Id": .string(id)])?.type == "ResourceInUse")
        _ = try ops.call("DeregisterInstance", ["ServiceId": .string(id), "InstanceId": "i1"])
        #expect(Self.error(ops, "DeregisterInstance", ["ServiceId": .string(id), "InstanceId": "i1"])?.type == "InstanceNotFound")
        #expect(Self.error(ops, "ListInstances", ["ServiceId": "srv-none"])?.type == "ServiceNotFound")
        #expect(Self.error(ops, "DiscoverInstances", ["NamespaceName": "nope", "ServiceName": "web"])?.type == "NamespaceNotFound")
        #expect(Self.error(ops, "DiscoverInstances", ["NamespaceName": "local", "ServiceName": "nope"])?.type == "ServiceNotFound")
        let plain = try #require(try ops.call("CreateService", ["Name": "plain", "NamespaceId": .string(ns)])["Service"]?["Id"]?.stringValue)
        _ = try ops.call("RegisterInstance", ["ServiceId": .string(plain), "InstanceId": "p", "Attributes": ["k": "v"]])
        #expect(Self.error(ops, "UpdateInstanceCustomHealthStatus", ["ServiceId": .string(plain), "InstanceId": "p", "Status": "HEALTHY"])?.type == "CustomHealthNotFound")
    }

    @Test func listsArePaginated() throws {
        let ops = try Self.make()
        let ns = try Self.namespace(ops)
        let id = try #require(try ops.call("CreateService", ["Name": "web", "NamespaceId": .string(ns)])["Service"]?["Id"]?.stringValue)
        for n in 0..<5 { _ = try ops.call("RegisterInstance", ["ServiceId": .string(id), "InstanceId": .string("i\(n)"), "Attributes": ["n": .string("\(n)")]]) }
        var seen: [String] = []
        var token: JSONValue?
        repeat {
            var input: JSONValue = ["ServiceId": .string(id), "MaxResults": 2]
            if let token { input["NextToken"] = token }
            let page = try ops.call("ListInstances", input)
            seen += page["Instances"]?.arrayValue?.compactMap { $0["Id"]?.stringValue } ?? []
            token = page["NextToken"]
        } while token != nil
        #expect(seen == ["i0", "i1", "i2", "i3", "i4"])
        #expect(Self.error(ops, "ListInstances", ["ServiceId": .string(id), "MaxResults": 0])?.type == "InvalidInput")
        #expect(Self.error(ops, "ListInstances", ["ServiceId": .string(id), "NextToken": "garbage"])?.type == "InvalidInput")
        let services = try ops.call("ListServices", ["MaxResults": 1])
        #expect(Self.error(ops, "ListNamespaces", ["NextToken": services["NextToken"] ?? "x"])?.type == "InvalidInput")
        #expect(try ops.call("ListOperations", ["Filters": [["Name": "TYPE", "Values": ["REGISTER_INSTANCE"]]]])["Operations"]?.arrayValue?.count == 5)
    }

    @Test func tagsOnNamespacesAndServices() throws {
        let ops = try Self.make()
        let ns = try Self.namespace(ops)
        let arn = try #require(try ops.call("GetNamespace", ["Id": .string(ns)])["Namespace"]?["Arn"])
        _ = try ops.call("TagResource", ["ResourceARN": arn, "Tags": [["Key": "team", "Value": "a"], ["Key": "env", "Value": "dev"]]])
        _ = try ops.call("UntagResource", ["ResourceARN": arn, "TagKeys": ["env"]])
        #expect(try ops.call("ListTagsForResource", ["ResourceARN": arn])["Tags"] == [["Key": "team", "Value": "a"]])
        #expect(Self.error(ops, "ListTagsForResource", ["ResourceARN": "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-x"])?.type == "ResourceNotFoundException")
    }

    @Test func resourcesSurviveARestart() throws {
        let dir = TempDir()
        let ops = try Self.make(dir.path)
        let ns = try Self.namespace(ops)
        let id = try #require(try ops.call("CreateService", ["Name": "web", "NamespaceId": .string(ns), "DnsConfig": ["DnsRecords": [["Type": "A", "TTL": 5]]]])["Service"]?["Id"]?.stringValue)
        _ = try ops.call("RegisterInstance", ["ServiceId": .string(id), "InstanceId": "a", "Attributes": ["AWS_INSTANCE_IPV4": "10.1.2.3"]])
        let again = try Self.make(dir.path)
        #expect(try again.call("ListInstances", ["ServiceId": .string(id)])["Instances"]?.arrayValue?.first?["Attributes"]?["AWS_INSTANCE_IPV4"] == "10.1.2.3")
        #expect(again.service.snapshotResources().recordSets() == [DiscoveryRecordSet(name: "web.local", type: "A", ttl: 5, endpoints: [DiscoveryEndpoint(ipv4: "10.1.2.3", port: nil)])])
    }

    /// Pure: owner sync registers, updates health and deregisters only the owner's instances.
    @Test func syncedReplacesOnlyTheOwnersInstances() throws {
        var r = CMResources()
        r.services = [CMService(id: "srv-a", name: "web", namespaceId: "ns-a")]
        r.instances = [CMInstance(serviceId: "srv-a", id: "manual", attributes: ["AWS_INSTANCE_IPV4": "10.0.0.9"])]
        let one = CMInstance(serviceId: "srv-a", id: "t1", attributes: ["AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INIT_HEALTH_STATUS": "UNHEALTHY"], health: "UNHEALTHY")
        let s1 = CloudMapService.synced(r, owner: "c/s", desired: ["srv-a": [one]])
        #expect(s1.instances.map(\.id) == ["manual", "t1"])
        var healthy = one
        healthy.health = "HEALTHY"
        healthy.attributes["AWS_INIT_HEALTH_STATUS"] = "HEALTHY"
        let s2 = CloudMapService.synced(s1, owner: "c/s", desired: ["srv-a": [healthy]])
        #expect(s2.instances.last?.health == "HEALTHY" && s2.instances.last?.attributes["AWS_INIT_HEALTH_STATUS"] == "UNHEALTHY")
        #expect(CloudMapService.instanceChanges(from: s1.instances, to: s2.instances).isEmpty)
        let s3 = CloudMapService.synced(s2, owner: "c/s", desired: [:])
        #expect(s3.instances.map(\.id) == ["manual"])
        #expect(CloudMapService.instanceChanges(from: s2.instances, to: s3.instances).map(\.0) == ["DEREGISTER_INSTANCE"])
    }
}
