import BerthSys
import Glibc
import Testing
@testable import BerthInit

/// Joining namespaces by path with a user namespace among them (runc's order, `Namespaces.enter`).
@Suite struct NamespaceJoinOrderTests {
    func opened(_ kinds: [NamespaceKind]) throws -> [Namespaces.Opened] {
        try kinds.map { Namespaces.Opened(kind: $0, path: "/ns/\($0.rawValue)", fd: try FileDescriptor.open("/dev/null", O_RDONLY)) }
    }

    @Test func aJoinRefusedBeforeTheUserNamespaceIsRetriedAfterIt() throws {
        let sys = RecordingSyscalls()
        sys.failName = "setns network"
        let list = try opened([.network, .ipc, .user, .mount])
        defer { list.forEach { $0.fd.close() } }
        try Namespaces.enter(list, sys)
        #expect(sys.calls == ["setns network /ns/network", "setns ipc /ns/ipc", "setns user /ns/user", "setns mount /ns/mount",
                              "setns network /ns/network"])
    }

    @Test func withoutAUserNamespaceEPERMStops() throws {
        let sys = RecordingSyscalls()
        sys.failName = "setns network"
        let list = try opened([.ipc, .network, .uts])
        defer { list.forEach { $0.fd.close() } }
        #expect(throws: SysError.self) { try Namespaces.enter(list, sys) }
        #expect(sys.calls == ["setns ipc /ns/ipc", "setns network /ns/network"])
    }

    @Test func otherErrorsAndFailuresAfterTheUserNamespaceStop() throws {
        let sys = RecordingSyscalls()
        sys.failName = "setns network"
        sys.failErrno = EINVAL
        let list = try opened([.network, .user])
        defer { list.forEach { $0.fd.close() } }
        #expect(throws: SysError.self) { try Namespaces.enter(list, sys) }
        #expect(sys.calls == ["setns network /ns/network"])

        let late = RecordingSyscalls()
        late.failName = "setns ipc"
        let after = try opened([.user, .ipc])
        defer { after.forEach { $0.fd.close() } }
        #expect(throws: SysError.self) { try Namespaces.enter(after, late) }
        #expect(late.calls == ["setns user /ns/user", "setns ipc /ns/ipc"])
    }
}
