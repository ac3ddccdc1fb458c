import BerthAgent
@testable import BerthCLI
import BerthDNS
import Testing

/// What each task gets of a discovery snapshot (pure): zone, relays, alias addresses.
@Suite struct DiscoveryPlanTests {
    static let a = DiscoveryEndpoint(ipv4: "127.130.1.5", port: 8000)
    static let b = DiscoveryEndpoint(ipv4: "127.140.2.6", port: 8000)
    static let snapshot = DiscoverySnapshot(
        records: [DiscoveryRecordSet(name: "web.local", type: "A", ttl: 10, endpoints: [a, b]),
                  DiscoveryRecordSet(name: "web.local", type: "SRV", ttl: 10, endpoints: [a, b]),
                  DiscoveryRecordSet(name: "db.other", type: "A", ttl: 30, endpoints: [DiscoveryEndpoint(ipv4: "10.0.0.9", port: nil)])],
        aliases: [DiscoveryAlias(namespace: "local", dnsName: "web", port: 8080, endpoints: [a, b]),
                  DiscoveryAlias(namespace: "local", dnsName: "web", port: 9090, endpoints: [DiscoveryEndpoint(ipv4: "127.130.1.5", port: nil)]),
                  DiscoveryAlias(namespace: "prod", dnsName: "api", port: 80, endpoints: [b])],
        clients: [DiscoveryClient(taskArn: "arn:client", serviceConnectNamespace: "local")])

    func plan(own: String?, namespace: String?) -> TaskDiscoveryState {
        var aliases = AliasAddresses()
        aliases.retain(Set(Self.snapshot.aliases.map { DiscoveryPlanKey(namespace: $0.namespace, dnsName: $0.dnsName) }))
        let published: Set<TCPRelay.Target> = [TCPRelay.Target(host: "127.130.1.5", port: 8000), TCPRelay.Target(host: "127.140.2.6", port: 8000),
                                               TCPRelay.Target(host: "127.130.1.5", port: 9090)]
        return TaskDiscoveryState.desired(Self.snapshot, ownAddress: own, namespace: namespace, aliasAddress: { aliases.assigned[$0] },
                                          reachable: { published.contains($0) })
    }

    func ask(_ zone: DNSZone, _ name: String, _ type: UInt16 = DNSType.a) -> DNSMessage? {
        var q = DNSMessage(id: 1)
        q.questions = [DNSQuestion(name: name, type: type)]
        return zone.answer(q)
    }

    @Test func everyTaskSeesTheRecordsAndRelaysOtherTasksAddresses() throws {
        let s = plan(own: "127.130.1.5", namespace: nil)
        #expect(ask(s.zone, "web.local")?.answers.count == 2)
        #expect(ask(s.zone, "web.local", DNSType.srv)?.answers.count == 2)
        #expect(ask(s.zone, "db.other")?.answers.first?.data == .a("10.0.0.9"))
        #expect(ask(s.zone, "missing.local")?.rcode == DNSRcode.nxDomain)
        #expect(ask(s.zone, "web") == nil)  // no client of `local`: no alias, forwarded
        // Its own address needs no relay; 10.0.0.9 has no port and is not a task address.
        #expect(s.relays == [TaskDiscoveryState.RelayKey(address: "127.140.2.6", port: 8000): [TCPRelay.Target(host: "127.140.2.6", port: 8000)]])
    }

    @Test func clientsGetTheirNamespacesAliasesOnOneAddressPerName() throws {
        let s = plan(own: "127.150.0.1", namespace: "local")
        let ip = try #require(ask(s.zone, "web")?.answers.first?.data)
        #expect(ip == .a("127.127.0.1"))  // (local, web) sorts before (prod, api)
        let key8080 = TaskDiscoveryState.RelayKey(address: "127.127.0.1", port: 8080)
        let key9090 = TaskDiscoveryState.RelayKey(address: "127.127.0.1", port: 9090)
        #expect(s.relays[key8080] == [TCPRelay.Target(host: "127.130.1.5", port: 8000), TCPRelay.Target(host: "127.140.2.6", port: 8000)])
        #expect(s.relays[key9090] == [TCPRelay.Target(host: "127.130.1.5", port: 9090)])  // no endpoint port: the alias port
        #expect(ask(s.zone, "api") == nil)  // another namespace's alias
    }

    /// An endpoint naming a port no running task publishes (the host's own service on that
    /// loopback address, say) gets a name but no relay.
    @Test func relaysLeadOnlyToPublishedTaskPorts() {
        var snapshot = Self.snapshot
        snapshot.records = [DiscoveryRecordSet(name: "ssh.local", type: "A", ttl: 10, endpoints: [DiscoveryEndpoint(ipv4: "127.130.1.5", port: 22)])]
        snapshot.aliases = [DiscoveryAlias(namespace: "local", dnsName: "ssh", port: 22, endpoints: [DiscoveryEndpoint(ipv4: "127.0.0.1", port: 22)])]
        let s = TaskDiscoveryState.desired(snapshot, ownAddress: nil, namespace: "local", aliasAddress: { _ in "127.127.0.1" }, reachable: { _ in false })
        #expect(ask(s.zone, "ssh.local")?.answers.count == 1)
        #expect(s.relays == [TaskDiscoveryState.RelayKey(address: "127.127.0.1", port: 22): []])  // the alias listener refuses: no target
    }

    /// An A record's endpoint has no port (Cloud Map A records of awsvpc tasks): every port the
    /// task publishes on that address is relayed, and nothing else.
    @Test func portlessEndpointsRelayEveryPortTheTaskPublishes() {
        var snapshot = Self.snapshot
        snapshot.records = [DiscoveryRecordSet(name: "web.local", type: "A", ttl: 10, endpoints: [DiscoveryEndpoint(ipv4: "127.130.1.5", port: nil)])]
        snapshot.aliases = []
        let published: Set<TCPRelay.Target> = [TCPRelay.Target(host: "127.130.1.5", port: 8000), TCPRelay.Target(host: "127.130.1.5", port: 9000),
                                               TCPRelay.Target(host: "127.130.9.9", port: 7000)]
        let s = TaskDiscoveryState.desired(snapshot, ownAddress: nil, namespace: nil, aliasAddress: { _ in nil }, reachable: { published.contains($0) },
                                           publishedPorts: { ip in published.filter { $0.host == ip }.map(\.port).sorted() })
        #expect(Set(s.relays.keys) == [TaskDiscoveryState.RelayKey(address: "127.130.1.5", port: 8000), TaskDiscoveryState.RelayKey(address: "127.130.1.5", port: 9000)])
        #expect(s.relays[TaskDiscoveryState.RelayKey(address: "127.130.1.5", port: 8000)] == [TCPRelay.Target(host: "127.130.1.5", port: 8000)])
    }

    @Test func aliasAddressesAreStableAndClearOfTaskAddresses() {
        var aliases = AliasAddresses()
        let web = DiscoveryPlanKey(namespace: "local", dnsName: "web"), api = DiscoveryPlanKey(namespace: "local", dnsName: "api")
        aliases.retain([web])
        let first = aliases.assigned[web]
        aliases.retain([web, api])
        #expect(aliases.assigned[web] == first && aliases.assigned[api] != first)
        #expect(aliases.assigned.values.allSatisfy { $0.hasPrefix("127.127.") && !TaskDiscoveryState.isTaskAddress($0) })
        aliases.retain([api])
        #expect(aliases.assigned[web] == nil && aliases.assigned.count == 1)
    }
}
