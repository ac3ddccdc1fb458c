import BerthJSON
import BerthController
import Foundation
import Testing
@testable import BerthAgent

/// ECS services in Cloud Map with the fake engine and a hand-moved clock: `serviceRegistries`
/// and `serviceConnectConfiguration` checks, registration when RUNNING, deregistration
/// before a stop, instances following a deployment, and the published DiscoverySnapshots.
@Suite struct ServiceDiscoveryTests {
    final class Recorder: DiscoveryDataPlane, @unchecked Sendable {
        private let lock = NSLock()
        private var items: [DiscoverySnapshot] = []
        func publish(_ snapshot: DiscoverySnapshot) { lock.withLock { items.append(snapshot) } }
        var snapshots: [DiscoverySnapshot] { lock.withLock { items } }
        var last: DiscoverySnapshot? { snapshots.last }
    }

    struct World {
        let clock = ManualClock()
        let engine: FakeTaskEngine
        let backend: ECSBackend
        let cloudMap: CloudMapService
        let ops: CloudMapOperations
        let recorder = Recorder()

        init(dir: borrowing TempDir, engine existing: FakeTaskEngine? = nil) throws {
            let c = clock
            engine = existing ?? FakeTaskEngine(startDelay: 1, stopDelay: 1, exitDelay: 2, clock: { c.read() })
            var config = BackendConfig()
            config.controller = ControllerConfig(timeScale: 0.01)
            let store = try StateStore(root: dir.path + "/state", log: { _ in })
            backend = dir.use(ECSBackend(config: config, store: store, engine: engine, clock: { c.read() }, log: { _ in }))
            cloudMap = try CloudMapService(stateDir: dir.path + "/state", region: "us-east-1", account: "000000000000", clock: { c.read() })
            ops = CloudMapOperations(cloudMap)
            backend.cloudMap = cloudMap
            backend.discoveryDataPlane = recorder
        }

        func call(_ op: String, _ input: JSONValue = [:]) throws -> JSONValue { try backend.call(op, input) }

        func error(_ op: String, _ input: JSONValue) -> APIError? {
            do { _ = try backend.call(op, input); return nil } catch { return error }
        }

        func step(_ seconds: Double) {
            clock.advance(seconds)
            backend.refreshFromEngine()
            backend.tickServices()
        }

        func tasks(_ desired: String = "RUNNING") throws -> [JSONValue] {
            let arns = try call("ListTasks", ["serviceName": "s", "desiredStatus": .string(desired)])["taskArns"] ?? []
            guard !(arns.arrayValue ?? []).isEmpty else { return [] }
            return try call("DescribeTasks", ["tasks": arns])["tasks"]?.arrayValue ?? []
        }

        /// A private DNS namespace `local` with service `web` (records as given); its ARN.
        func registry(_ records: JSONValue = [["Type": "A", "TTL": 10]]) throws -> String {
            let op = try #require(try ops.call("CreatePrivateDnsNamespace", ["Name": "local", "Vpc": "vpc-berth"])["OperationId"])
            let ns = try #require(try ops.call("GetOperation", ["OperationId": op])["Operation"]?["Targets"]?["NAMESPACE"])
            return try #require(try ops.call("CreateService", ["Name": "web", "NamespaceId": ns, "DnsConfig": ["DnsRecords": records],
                                                               "HealthCheckCustomConfig": ["FailureThreshold": 1]])["Service"]?["Arn"]?.stringValue)
        }

        func registerWeb(mode: String = "awsvpc", command: String = "httpd", check: String = "true") throws {
            _ = try call("RegisterTaskDefinition", [
                "family": "web", "networkMode": .string(mode),
                "containerDefinitions": [["name": "app", "image": "busybox", "memory": 64, "command": [.string(command)],
                                          "portMappings": [["containerPort": 8080, "name": "http"]],
                                          "healthCheck": ["command": ["CMD", .string(check)]]]],
            ])
        }

        var instances: [CMInstance] { cloudMap.snapshotResources().instances.sorted { $0.id < $1.id } }
    }

    static let network: JSONValue = ["awsvpcConfiguration": ["subnets": ["subnet-1"]]]

    @Test func runningTasksAreInstancesAndFollowADeployment() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        let registry = try w.registry()
        try w.registerWeb()
        let created = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 2,
                                                   "networkConfiguration": Self.network, "serviceRegistries": [["registryArn": .string(registry)]]])
        #expect(created["service"]?["serviceRegistries"] == [["registryArn": .string(registry)]])
        w.step(0)
        #expect(w.instances.isEmpty)  // PROVISIONING
        #expect(w.recorder.last == DiscoverySnapshot(records: [DiscoveryRecordSet(name: "web.local", type: "A", ttl: 10, endpoints: [])], aliases: [], clients: []))
        w.step(1.1)
        w.step(0.1)
        let running = try w.tasks()
        #expect(running.count == 2)
        #expect(w.instances.map(\.id) == running.compactMap { $0["taskArn"]?.stringValue?.split(separator: "/").last.map(String.init) }.sorted())
        let first = try #require(w.instances.first)
        let task = try #require(running.first { $0["taskArn"]?.stringValue?.hasSuffix(first.id) == true })
        #expect(first.attributes["AWS_INSTANCE_IPV4"] == task["containers"]?.arrayValue?.first?["networkInterfaces"]?.arrayValue?.first?["privateIpv4Address"]?.stringValue)
        #expect(first.attributes["AWS_INSTANCE_PORT"] == nil)
        #expect(first.attributes["ECS_SERVICE_NAME"] == "s" && first.attributes["ECS_CLUSTER_NAME"] == "default")
        #expect(first.attributes["ECS_TASK_DEFINITION_FAMILY"] == "web" && first.attributes["AWS_INIT_HEALTH_STATUS"] == "HEALTHY")
        #expect(first.owner == "default/s" && first.health == "HEALTHY")
        let snapshot = try #require(w.recorder.last)
        #expect(snapshot.records.first?.endpoints.map(\.ipv4).sorted() == w.instances.compactMap(\.ipv4).sorted())
        #expect(snapshot.clients.count == 2 && snapshot.clients.allSatisfy { $0.serviceConnectNamespace == nil })
        let discovered = try w.ops.call("DiscoverInstances", ["NamespaceName": "local", "ServiceName": "web"])["Instances"]?.arrayValue ?? []
        #expect(discovered.count == 2)

        // A new revision: instances follow; a task whose stop is decided is never an instance.
        let before = Set(w.instances.map(\.id))
        try w.registerWeb(command: "httpd2")
        _ = try w.call("UpdateService", ["service": "s", "taskDefinition": "web"])
        for _ in 0..<40 {
            w.step(0.3)
            let stopping = Set(try w.tasks("STOPPED").compactMap { $0["taskArn"]?.stringValue?.split(separator: "/").last.map(String.init) })
            #expect(Set(w.instances.map(\.id)).isDisjoint(with: stopping))
            let published = Set(w.recorder.last?.records.first?.endpoints.map(\.ipv4) ?? [])
            #expect(published == Set(w.instances.compactMap(\.ipv4)))
        }
        let after = Set(w.instances.map(\.id))
        #expect(after.count == 2 && after.isDisjoint(with: before))
        #expect(try w.tasks().allSatisfy { $0["taskDefinitionArn"]?.stringValue?.hasSuffix("web:2") == true })

        // A user's StopTask removes the instance before the engine is asked to stop the task.
        let victim = try #require(w.instances.first?.id)
        _ = try w.call("StopTask", ["task": .string(victim)])
        #expect(!w.instances.map(\.id).contains(victim))
        #expect(w.recorder.last?.records.first?.endpoints.count == 1)

        // Scale to zero: nothing left registered.
        _ = try w.call("UpdateService", ["service": "s", "desiredCount": 0])
        for _ in 0..<5 { w.step(0.5) }
        #expect(w.instances.isEmpty)
        #expect(w.recorder.last?.records.first?.endpoints == [])
    }

    /// A task whose container health check fails is an UNHEALTHY instance: DiscoverInstances
    /// (HEALTHY by default) and the published records leave it out until the scheduler replaces it.
    @Test func unhealthyTasksAreNotDiscovered() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        let registry = try w.registry()
        try w.registerWeb(check: "false")
        _ = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 1,
                                         "networkConfiguration": Self.network, "serviceRegistries": [["registryArn": .string(registry)]]])
        w.step(0)
        w.step(1.1)
        let sick = try #require(w.instances.first)
        #expect(w.instances.count == 1 && sick.health == "UNHEALTHY" && sick.attributes["AWS_INIT_HEALTH_STATUS"] == "UNHEALTHY")
        #expect(w.recorder.last?.records.first?.endpoints == [])
        #expect(try w.ops.call("DiscoverInstances", ["NamespaceName": "local", "ServiceName": "web"])["Instances"] == [])
        let all = try w.ops.call("DiscoverInstances", ["NamespaceName": "local", "ServiceName": "web", "HealthStatus": "ALL"])["Instances"]
        #expect(all?.arrayValue?.first?["HealthStatus"] == "UNHEALTHY")
        #expect(try w.ops.call("GetInstancesHealthStatus", ["ServiceId": .string(sick.serviceId)])["Status"]?[sick.id] == "UNHEALTHY")
        for _ in 0..<6 { w.step(0.5) }
        #expect(!w.instances.map(\.id).contains(sick.id))  // replaced: deregistered before its stop
    }

    /// UpdateService with no registries starts a deployment and leaves Cloud Map empty.
    @Test func removingTheRegistryDeregistersTheTasks() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        let registry = try w.registry()
        try w.registerWeb()
        _ = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 1,
                                         "networkConfiguration": Self.network, "serviceRegistries": [["registryArn": .string(registry)]]])
        for _ in 0..<3 { w.step(0.6) }
        #expect(w.instances.count == 1)
        let updated = try w.call("UpdateService", ["service": "s", "serviceRegistries": []])
        #expect(updated["service"]?["deployments"]?.arrayValue?.count == 2)
        w.step(0.1)
        #expect(w.instances.isEmpty)
        #expect(try w.ops.call("DeleteService", ["Id": .string(registry)]) == [:])
    }

    @Test func registriesAreCheckedAsECSDoes() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        let registry = try w.registry([["Type": "SRV", "TTL": 10]])
        try w.registerWeb()
        func create(_ sr: JSONValue, td: String = "web") -> APIError? {
            w.error("CreateService", ["serviceName": "s", "taskDefinition": .string(td), "desiredCount": 1,
                                      "networkConfiguration": Self.network, "serviceRegistries": [sr]])
        }
        let missing = create(["registryArn": "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-nothere"])
        #expect(missing?.type == "InvalidParameterException" && missing?.message.contains("does not exist") == true)
        #expect(create(["registryArn": "arn:aws:elasticloadbalancing:x"])?.message.contains("is not a Cloud Map service ARN") == true)
        #expect(create(["registryArn": .string(registry)])?.message.contains("has SRV records") == true)
        #expect(create(["registryArn": .string(registry), "containerName": "app", "containerPort": 9999])?.message.contains("did not have a container port 9999") == true)
        #expect(create(["registryArn": .string(registry), "containerName": "app"])?.message.contains("together") == true)
        #expect(create(["registryArn": .string(registry), "port": 8080]) == nil)
        _ = try w.call("DeleteService", ["service": "s", "force": true])
        _ = try w.call("RegisterTaskDefinition", ["family": "bridged", "networkMode": "bridge",
                                                  "containerDefinitions": [["name": "app", "image": "busybox", "memory": 64, "portMappings": [["containerPort": 80]]]]])
        let aRecords = try w.ops.call("CreateService", ["Name": "a", "NamespaceId": .string(try #require(w.cloudMap.namespace("local")?.id)),
                                                         "DnsConfig": ["DnsRecords": [["Type": "A", "TTL": 10]]]])["Service"]?["Arn"]
        let bridged = w.error("CreateService", ["serviceName": "b", "taskDefinition": "bridged", "desiredCount": 1,
                                                "serviceRegistries": [["registryArn": try #require(aRecords), "containerName": "app", "containerPort": 80]]])
        #expect(bridged?.message.contains("A records, which need the awsvpc network mode") == true)
        #expect(w.error("CreateService", ["serviceName": "b", "taskDefinition": "bridged", "desiredCount": 1,
                                          "serviceRegistries": [["registryArn": .string(registry)]]])?.message.contains("specify containerName and containerPort") == true)
    }

    @Test func bridgeTasksRegisterWithTheirHostPortsInSRVRecords() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        let registry = try w.registry([["Type": "SRV", "TTL": 10]])
        try w.registerWeb(mode: "bridge")
        _ = try w.call("CreateService", ["serviceName": "s", "taskDefinition": "web", "desiredCount": 1,
                                         "serviceRegistries": [["registryArn": .string(registry), "containerName": "app", "containerPort": 8080]]])
        for _ in 0..<3 { w.step(0.6) }
        let bound = try #require(try w.tasks().first?["containers"]?.arrayValue?.first?["networkBindings"]?.arrayValue?.first?["hostPort"]?.intValue)
        #expect(w.instances.map(\.attributes["AWS_INSTANCE_PORT"]) == [String(bound)])
        #expect(w.recorder.last?.records == [DiscoveryRecordSet(name: "web.local", type: "SRV", ttl: 10, endpoints: [DiscoveryEndpoint(ipv4: "127.0.0.1", port: bound)])])
    }

    @Test func serviceConnectRegistersDiscoveryNamesAndPublishesAliases() throws {
        let dir = TempDir()
        let w = try World(dir: dir)
        let cluster = try w.call("CreateCluster", ["clusterName": "c", "serviceConnectDefaults": ["namespace": "apps"]])
        let nsArn = try #require(cluster["cluster"]?["serviceConnectDefaults"]?["namespace"]?.stringValue)
        let ns = try #require(w.cloudMap.namespace("apps"))
        #expect(ns.arn == nsArn && ns.type == "HTTP")
        try w.registerWeb()
        let updated = try w.call("UpdateCluster", ["cluster": "c", "serviceConnectDefaults": ["namespace": "other"]])
        #expect(updated["cluster"]?["serviceConnectDefaults"]?["namespace"]?.stringValue == w.cloudMap.namespace("other")?.arn)
        #expect(try w.call("UpdateCluster", ["cluster": "c", "serviceConnectDefaults": ["namespace": ""]])["cluster"]?["serviceConnectDefaults"] == nil)
        #expect(w.error("CreateService", ["cluster": "c", "serviceName": "x", "taskDefinition": "web", "desiredCount": 1, "networkConfiguration": Self.network,
                                          "serviceConnectConfiguration": ["enabled": true]])?.message.contains("set serviceConnectDefaults") == true)
        _ = try w.call("UpdateCluster", ["cluster": "c", "serviceConnectDefaults": ["namespace": .string(nsArn)]])
        func create(_ config: JSONValue, name: String = "s") -> APIError? {
            w.error("CreateService", ["cluster": "c", "serviceName": .string(name), "taskDefinition": "web", "desiredCount": 2,
                                      "networkConfiguration": Self.network, "serviceConnectConfiguration": config])
        }
        #expect(create(["enabled": true, "services": [["portName": "nope"]]])?.message.contains("portName nope does not match") == true)
        let override = create(["enabled": true, "services": [["portName": "http", "ingressPortOverride": 9000]]])
        #expect(override?.type == "UnsupportedFeatureException" && override?.message.hasPrefix("serviceConnectConfiguration.services[0].ingressPortOverride") == true)
        #expect(create(["enabled": true, "namespace": "nothere"])?.message.contains("does not exist") == true)
        #expect(create(["enabled": true, "services": [["portName": "http", "clientAliases": [["port": 80], ["port": 81]]]]])?.message.contains("at most 1") == true)
        #expect(create(["enabled": true, "services": [["portName": "http", "discoveryName": "api", "clientAliases": [["port": 80]]]]]) == nil)
        #expect(create(["enabled": true], name: "client") == nil)  // a client-only service
        let api = try #require(w.cloudMap.snapshotResources().services.first { $0.name == "api" })
        #expect(api.namespaceId == ns.id)
        let described = try #require(try w.call("DescribeServices", ["cluster": "c", "services": ["s"]])["services"]?.arrayValue?.first?["deployments"]?.arrayValue?.first)
        #expect(described["serviceConnectResources"] == [["discoveryName": "api", "discoveryArn": .string(api.arn)]])
        for _ in 0..<3 { w.step(0.6) }
        let instances = w.instances.filter { $0.serviceId == api.id }
        #expect(instances.count == 2 && instances.allSatisfy { $0.attributes["AWS_INSTANCE_PORT"] == "8080" })
        let snapshot = try #require(w.recorder.last)
        #expect(snapshot.records.isEmpty)  // an HTTP namespace has no DNS records
        let alias = try #require(snapshot.aliases.first)
        #expect(snapshot.aliases.count == 1 && alias.namespace == "apps" && alias.dnsName == "api.apps" && alias.port == 80)
        #expect(Set(alias.endpoints) == Set(instances.compactMap { i in i.ipv4.map { DiscoveryEndpoint(ipv4: $0, port: 8080) } }))
        #expect(snapshot.clients.count == 4 && snapshot.clients.allSatisfy { $0.serviceConnectNamespace == "apps" })
        let found = try w.ops.call("DiscoverInstances", ["NamespaceName": "apps", "ServiceName": "api"])["Instances"]?.arrayValue
        #expect(found?.count == 2)
        // The service keeps its namespace when the cluster's default goes away.
        _ = try w.call("UpdateCluster", ["cluster": "c", "serviceConnectDefaults": ["namespace": ""]])
        _ = try w.call("UpdateService", ["cluster": "c", "service": "s", "desiredCount": 1])
        for _ in 0..<3 { w.step(0.6) }
        #expect(w.instances.filter { $0.serviceId == api.id }.count == 1)
        let names = try #require(try w.backend.callPrivate("DescribeServiceDiscovery", ["cluster": "c", "service": "s"])["discovery"]?.arrayValue?.first)
        #expect(names["name"] == "api.apps" && names["kind"] == "serviceConnect" && names["aliases"] == ["api.apps:80"])
        #expect(names["instances"]?.arrayValue?.first?["port"] == 8080 && names["instances"]?.arrayValue?.first?["health"] == "HEALTHY")
    }
}
