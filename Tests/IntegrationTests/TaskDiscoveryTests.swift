import BerthAgent
import BerthCgroups
import BerthCLI
import BerthDNS
import BerthImages
import BerthJSON
import BerthRuntime
import BerthSys
import BerthTasks
import BerthTestSupport
import Foundation
import Testing

/// Service discovery inside tasks (Docs/tasks.md, "Service discovery inside tasks"): two awsvpc
/// tasks run through the agent's backend over the real engine in this process; a snapshot names
/// task A as `web.local` and, for task B as a Service Connect client of `local`, the alias
/// `web:8080`. From inside B, busybox resolves and reaches A; after a snapshot without A the
/// name is gone and the relays with it.
@Suite(.serialized) struct TaskDiscoveryTests {
    /// A resolver standing for the host's: answers every A query with 10.9.8.7.
    final class FakeUpstream: @unchecked Sendable {
        let fd: Int32
        let port: UInt16
        init() throws {
            let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            fd = sock
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr = Socket.ipv4("127.0.0.1")!
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, len) } }
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) } }
            port = UInt16(bigEndian: addr.sin_port)
            let fd = self.fd
            Thread {
                var buf = [UInt8](repeating: 0, count: 1500)
                while true {
                    var from = sockaddr_in()
                    var flen = socklen_t(MemoryLayout<sockaddr_in>.size)
                    let n = buf.withUnsafeMutableBytes { b in
                        withUnsafeMutablePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, b.baseAddress, b.count, 0, $0, &flen) } }
                    }
                    if n <= 0 { return }
                    guard n >= 12 else { continue }
                    // Same header and question, QR|RA, one answer pointing at the question's name.
                    var r = Array(buf[0..<n])
                    r[2] = 0x81; r[3] = 0x80
                    r[6] = 0; r[7] = 1; r[10] = 0; r[11] = 0
                    var end = 12
                    while end < r.count, r[end] != 0 { end += Int(r[end]) + 1 }
                    r = Array(r[0..<min(r.count, end + 5)])
                    r += [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 9, 8, 7]
                    _ = r.withUnsafeBytes { b in
                        withUnsafePointer(to: &from) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, b.baseAddress, b.count, 0, $0, flen) } }
                    }
                }
            }.start()
        }
        func stop() { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
    }

    @Test func namesResolveAndPeersAreReachableInsideTasks() throws {
        try #require(getuid() == 0, "runs real containers and must run as root")
        try #require(Files.exists(TaskHarness.berth), "build first: \(TaskHarness.berth) is missing")
        // The engine runs in this process: its hidden helpers (netns-create, port-proxy) are berth's.
        setenv("BERTH_EXECUTABLE", TaskHarness.berth, 1)
        defer { unsetenv("BERTH_EXECUTABLE") }
        let s = Scratch()
        try #require(sh("\(TaskHarness.repoRoot)/Scripts/make-busybox-bundle.sh \(s.path)/rootfs >/dev/null") == 0)
        let store = ImageStore(root: s.path + "/images")
        _ = try store.importImage("busybox:latest", from: s.path + "/rootfs")
        let cgroups = try Cgroups.driver()
        let runRoot = s.path + "/run"
        let engine = HostTaskEngine(runRoot: runRoot, dataRoot: s.path + "/data", images: store, cgroups: cgroups,
                                    runtime: LinuxRuntime(root: runRoot, cgroups: cgroups, berthPath: TaskHarness.berth), initBinary: nil)
        let adapter = HostEngineAdapter(engine: engine, owner: s.path + "/state", log: { _ in })
        let upstream = try FakeUpstream()
        defer { upstream.stop() }
        let discovery = try TaskDiscoveryNetwork(upstreams: ["127.0.0.1:\(upstream.port)"], timeout: 2, log: { print("discovery: \($0)") })
        defer { discovery.stop() }
        adapter.discovery = discovery
        let backend = ECSBackend(config: BackendConfig(), store: try StateStore(root: s.path + "/state", log: { _ in }), engine: adapter, log: { _ in })
        defer { backend.close() }
        func call(_ op: String, _ input: JSONValue) throws -> JSONValue { try backend.call(op, input) }
        func status(_ arn: JSONValue) throws -> String? {
            try call("DescribeTasks", ["tasks": [arn]])["tasks"]?.arrayValue?.first?["lastStatus"]?.stringValue
        }
        func waitFor(_ arn: JSONValue, _ want: String) throws {
            let deadline = Date().addingTimeInterval(60)
            while try status(arn) != want, Date() < deadline { usleep(50_000) }
            let t = try call("DescribeTasks", ["tasks": [arn]])["tasks"]?.arrayValue?.first
            let c = t?["containers"]?.arrayValue?.first
            #expect(try status(arn) == want, "\(String(describing: t?["stoppedReason"])) \(String(describing: c?["exitCode"])) \(String(describing: c?["reason"]))")
        }
        func run(_ family: String, _ script: String) throws -> JSONValue {
            _ = try call("RegisterTaskDefinition", ["family": .string(family), "networkMode": "awsvpc", "containerDefinitions": [[
                "name": "main", "image": "busybox:latest", "memory": 64, "essential": true, "stopTimeout": 2,
                "command": ["/bin/busybox", "sh", "-c", .string(script)], "portMappings": [["containerPort": 8000]],
            ]]])
            return try #require(try call("RunTask", ["taskDefinition": .string(family)])["tasks"]?.arrayValue?.first?["taskArn"])
        }
        var arns: [JSONValue] = []
        defer {
            for arn in arns { _ = try? call("StopTask", ["task": arn]) }
            for arn in arns { _ = try? waitFor(arn, "STOPPED") }
            _ = Sys.attempt { rmdir(runRoot) }
        }
        let a = try run("disc-web", "/bin/busybox mkdir -p /www && echo hello-from-a > /www/index.html && exec /bin/busybox httpd -f -p 8000 -h /www")
        arns.append(a)
        // B serves port 8000 too: the relay for A's 127.128.x.y:8000 must not take it from B.
        let b = try run("disc-client", "/bin/busybox mkdir -p /www && echo b-itself > /www/index.html && exec /bin/busybox httpd -f -p 8000 -h /www")
        arns.append(b)
        try waitFor(a, "RUNNING")
        try waitFor(b, "RUNNING")
        let aArn = try #require(a.stringValue), bArn = try #require(b.stringValue)
        let aAddress = TaskHost.awsvpcAddress(taskId: String(aArn.split(separator: "/").last!))
        func inB(_ command: String) throws -> (code: Int, out: String) {
            let r = try adapter.exec(taskArn: bArn, container: "main", command: ["/bin/busybox", "sh", "-c", command], timeoutSeconds: 15)
            return (r.exitCode, r.stdout + r.stderr)
        }

        let resolv = try inB("/bin/busybox cat /etc/resolv.conf")
        #expect(resolv.out.contains("nameserver 127.0.0.11"), "\(resolv)")

        let endpoint = DiscoveryEndpoint(ipv4: aAddress, port: 8000)
        discovery.publish(DiscoverySnapshot(
            records: [DiscoveryRecordSet(name: "web.local", type: "A", ttl: 10, endpoints: [endpoint]),
                      DiscoveryRecordSet(name: "web.local", type: "SRV", ttl: 10, endpoints: [endpoint])],
            aliases: [DiscoveryAlias(namespace: "local", dnsName: "web", port: 8080, endpoints: [endpoint])],
            clients: [DiscoveryClient(taskArn: bArn, serviceConnectNamespace: "local")]))

        let found = try inB("/bin/busybox nslookup web.local 127.0.0.11")
        #expect(found.code == 0 && found.out.contains(aAddress), "\(found)")
        let page = try inB("/bin/busybox wget -qO- http://web.local:8000/")
        #expect(page.out.contains("hello-from-a"), "\(page)")
        let direct = try inB("/bin/busybox wget -qO- http://\(aAddress):8000/")
        #expect(direct.out.contains("hello-from-a"), "\(direct)")
        let own = try inB("/bin/busybox wget -qO- http://127.0.0.1:8000/")
        #expect(own.out.contains("b-itself"), "\(own)")
        let srv = try inB("/bin/busybox nslookup -type=SRV web.local 127.0.0.11")
        #expect(srv.out.contains("8000") && srv.out.contains("web.local"), "\(srv)")
        // Over TCP (what a client does after a truncated answer), through the steered listener.
        var query = DNSMessage(id: 77)
        query.recursionDesired = true
        query.questions = [DNSQuestion(name: "web.local", type: DNSType.a)]
        let bytes = query.encode()
        let framed = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xff)] + bytes
        let printf = framed.map { "\\" + String($0, radix: 8) }.joined()
        let tcp = try inB("printf '\(printf)' | /bin/busybox timeout 3 /bin/busybox nc 127.0.0.11 53 | /bin/busybox od -An -v -tu1")
        let tcpBytes = tcp.out.split(whereSeparator: { $0 == " " || $0 == "\n" }).compactMap { UInt8($0) }
        let tcpAnswer = tcpBytes.count > 2 ? try? DNSMessage.parse(Array(tcpBytes.dropFirst(2))) : nil
        #expect(tcpAnswer?.id == 77 && tcpAnswer?.answers.first?.data == .a(aAddress), "\(tcp)")
        let unknown = try inB("/bin/busybox nslookup nope.local 127.0.0.11")
        #expect(unknown.code != 0 && unknown.out.uppercased().contains("NXDOMAIN"), "\(unknown)")
        let alias = try inB("/bin/busybox wget -qO- http://web:8080/")
        #expect(alias.out.contains("hello-from-a"), "\(alias)")
        let forwarded = try inB("/bin/busybox nslookup elsewhere.example 127.0.0.11")
        #expect(forwarded.out.contains("10.9.8.7"), "\(forwarded)")
        // A sees web.local too (one VPC), but is no client of `local`: no alias there.
        let inA = try adapter.exec(taskArn: aArn, container: "main", command: ["/bin/busybox", "nslookup", "web", "127.0.0.11"], timeoutSeconds: 15)
        #expect(!(inA.stdout + inA.stderr).contains("127.127."), "\(inA)")

        discovery.publish(DiscoverySnapshot(records: [], aliases: [], clients: [DiscoveryClient(taskArn: bArn, serviceConnectNamespace: "local")]))
        let gone = try inB("/bin/busybox nslookup web.local 127.0.0.11")
        #expect(!gone.out.contains(aAddress), "\(gone)")
        let unreachable = try inB("/bin/busybox wget -qO- http://\(aAddress):8000/")
        #expect(!unreachable.out.contains("hello-from-a"), "\(unreachable)")
        #expect(discovery.relay.counts().listeners == 0)

        #expect(discovery.dns.counters().answered > 0)

        // The agent goes away: B's resolver is gone with it and queries fail at once; the next
        // agent opens it again when it re-adopts B (HostEngineAdapter.adopt calls open).
        discovery.stop()
        let down = try inB("/bin/busybox nslookup web.local 127.0.0.11")
        #expect(down.code != 0 && !down.out.contains(aAddress), "\(down)")
        let again = try TaskDiscoveryNetwork(upstreams: [], log: { print("discovery: \($0)") })
        defer { again.stop() }
        adapter.discovery = again
        func host(_ arn: String) -> TaskHost {
            var h = TaskHost(layout: TaskLayout(taskId: String(arn.split(separator: "/").last!), runRoot: runRoot, dataRoot: s.path + "/data"),
                             networkMode: .awsvpc, cgroups: nil)
            h.ports = [PublishedPort(container: "main", containerPort: 8000, hostPort: 8000, bindIP: h.bindIP)]
            return h
        }
        try again.open(bArn, host: host(bArn))
        // Relays lead only to ports of tasks the agent runs: until A is re-adopted, web.local:8000 in B is B's own port.
        again.publish(DiscoverySnapshot(records: [DiscoveryRecordSet(name: "web.local", type: "A", ttl: 10, endpoints: [endpoint])], aliases: [], clients: []))
        let notYet = try inB("/bin/busybox wget -qO- http://web.local:8000/")
        #expect(notYet.out.contains("b-itself"), "\(notYet)")
        try again.open(aArn, host: host(aArn))
        again.publish(DiscoverySnapshot(records: [DiscoveryRecordSet(name: "web.local", type: "A", ttl: 10, endpoints: [endpoint])], aliases: [], clients: []))
        let back = try inB("/bin/busybox wget -qO- http://web.local:8000/")
        #expect(back.out.contains("hello-from-a"), "\(back)")

        _ = try call("StopTask", ["task": b])
        try waitFor(b, "STOPPED")
        _ = adapter.observe()
        #expect(again.relay.counts().listeners == 0)  // B stopped: its relay went with it
    }
}
