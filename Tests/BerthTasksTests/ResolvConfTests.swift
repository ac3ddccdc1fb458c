import BerthECS
import BerthImages
import BerthTasks
import Testing

/// /etc/resolv.conf of a task's containers with the agent's in-task resolver
/// (`SpecBuilder.taskNameserver`, Docs/tasks.md "Service discovery inside tasks").
@Suite struct ResolvConfTests {
    func resolvConf(_ container: String, mode: String, nameserver: String?) throws -> String? {
        var b = SpecBuilder(task: try definition(td(container, task: #""networkMode": "\#(mode)","#)), layout: TaskLayout(taskId: "abc123"))
        b.readFile = { _ in "nameserver 10.255.255.53\nnameserver 127.0.0.53\nsearch host.example\n" }
        b.taskNameserver = nameserver
        return try b.build(index: 0, image: ImageConfig(Cmd: ["/bin/sh"])).files["/run/berth/tasks/abc123/a/etc/resolv.conf"]
    }

    @Test func tasksWithTheirOwnNamespaceUseTheResolver() throws {
        let plain = #"{"name": "a", "image": "x", "memory": 64, "dnsSearchDomains": ["corp.example"]}"#
        #expect(try resolvConf(plain, mode: "awsvpc", nameserver: "127.0.0.11") == "nameserver 127.0.0.11\nsearch corp.example\n")
        #expect(try resolvConf(plain, mode: "bridge", nameserver: "127.0.0.11") == "nameserver 127.0.0.11\nsearch corp.example\n")
        // The host's namespace cannot reach 127.0.0.11 of a task: host tasks keep the host's servers.
        #expect(try resolvConf(plain, mode: "host", nameserver: "127.0.0.11") == "nameserver 10.255.255.53\nsearch corp.example\n")
        #expect(try resolvConf(plain, mode: "awsvpc", nameserver: nil) == "nameserver 10.255.255.53\nsearch corp.example\n")
    }

    @Test func dnsServersWinAndDisabledNetworkingGetsNoResolver() throws {
        let own = #"{"name": "a", "image": "x", "memory": 64, "dnsServers": ["10.0.0.2"]}"#
        #expect(try resolvConf(own, mode: "awsvpc", nameserver: "127.0.0.11") == "nameserver 10.0.0.2\n")
        let isolated = #"{"name": "a", "image": "x", "memory": 64, "disableNetworking": true}"#
        #expect(try resolvConf(isolated, mode: "awsvpc", nameserver: "127.0.0.11") == "nameserver 10.255.255.53\n")
    }
}
