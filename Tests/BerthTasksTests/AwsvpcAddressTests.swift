import Testing
@testable import BerthTasks

/// awsvpc tasks each get their own loopback address, so copies of one task can publish the same port.
@Suite struct AwsvpcAddressTests {
    @Test func addressIsStablePerTaskAndInsideTheReservedLoopbackRange() throws {
        let ids = (0..<500).map { "task\($0)-\(String($0 * 7919, radix: 16))" }
        var seen = Set<String>()
        for id in ids {
            let a = TaskHost.awsvpcAddress(taskId: id)
            #expect(a == TaskHost.awsvpcAddress(taskId: id))
            let octets = a.split(separator: ".").compactMap { Int($0) }
            #expect(octets.count == 4 && octets[0] == 127 && octets[1] >= 128 && (1...254).contains(octets[3]), "\(a)")
            seen.insert(a)
        }
        #expect(seen.count >= 495, "addresses should almost never collide")
    }

    @Test func awsvpcPublishesOnTheTaskAddressBridgeOnLocalhost() {
        let layout = TaskLayout(taskId: "0123456789abcdef0123456789abcdef", runRoot: "/tmp/r", dataRoot: "/tmp/d")
        #expect(TaskHost(layout: layout, networkMode: .awsvpc, cgroups: nil).bindIP == TaskHost.awsvpcAddress(taskId: layout.taskId))
        #expect(TaskHost(layout: layout, networkMode: .bridge, cgroups: nil).bindIP == "127.0.0.1")
    }
}
