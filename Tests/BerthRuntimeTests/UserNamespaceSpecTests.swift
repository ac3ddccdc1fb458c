@testable import BerthInit
@testable import BerthRuntime
import BerthSys
import Foundation
import Testing

/// Validation of `linux.uidMappings` / `gidMappings` and of namespace paths, and the pure pieces of
/// the user namespace setup (no root needed).
@Suite struct UserNamespaceSpecTests {
    static let map = [Spec.IDMapping(containerID: 0, hostID: 100000, size: 65536)]

    static func spec(user: Spec.Namespace?, uid: [Spec.IDMapping]?, gid: [Spec.IDMapping]?) -> Spec {
        SpecValidatorTests.spec { s in
            if let user { s.linux?.namespaces?.append(user) }
            s.linux?.uidMappings = uid
            s.linux?.gidMappings = gid
        }
    }

    func issues(_ spec: Spec) throws -> [String] {
        let bundle = try SpecValidatorTests.makeBundle()
        defer { try? Files.removeTree(bundle) }
        return SpecValidatorTests().issues(spec, bundle: bundle).map(\.description)
    }

    @Test func aNewUserNamespaceWithMappingsIsValid() throws {
        #expect(try issues(Self.spec(user: .init(type: "user"), uid: Self.map, gid: Self.map)) == [])
    }

    @Test func mappingsNeedAUserNamespace() throws {
        let found = try issues(Self.spec(user: nil, uid: Self.map, gid: Self.map))
        #expect(found.count == 2)
        #expect(found.contains { $0.hasPrefix("linux.uidMappings: needs a user namespace") }, "\(found)")
        #expect(found.contains { $0.hasPrefix("linux.gidMappings: needs a user namespace") }, "\(found)")
    }

    @Test func aNewUserNamespaceNeedsMappings() throws {
        let found = try issues(Self.spec(user: .init(type: "user"), uid: nil, gid: Self.map))
        #expect(found == ["linux.uidMappings: a new user namespace needs at least one mapping"], "\(found)")
    }

    @Test func emptyOverlappingAndOverflowingRangesAreRefusedByField() throws {
        let uid = [Spec.IDMapping(containerID: 0, hostID: 100000, size: 1000),
                   Spec.IDMapping(containerID: 500, hostID: 200000, size: 10),
                   Spec.IDMapping(containerID: 2000, hostID: 100500, size: 10),
                   Spec.IDMapping(containerID: 3000, hostID: 300000, size: 0),
                   Spec.IDMapping(containerID: 4000, hostID: UInt32.max - 5, size: 10)]
        let found = try issues(Self.spec(user: .init(type: "user"), uid: uid, gid: Self.map))
        #expect(found.contains("linux.uidMappings[1]: container ids 500-509 overlap linux.uidMappings[0]"), "\(found)")
        #expect(found.contains("linux.uidMappings[2]: host ids 100500-100509 overlap linux.uidMappings[0]"), "\(found)")
        #expect(found.contains("linux.uidMappings[3].size: is 0; a mapping needs at least one id"), "\(found)")
        #expect(found.contains { $0.hasPrefix("linux.uidMappings[4]: range runs past") }, "\(found)")
        #expect(found.count == 4, "\(found)")
    }

    @Test func aJoinedUserNamespaceTakesNoMappings() throws {
        let found = try issues(Self.spec(user: .init(type: "user", path: "/proc/self/ns/user"), uid: Self.map, gid: nil))
        #expect(found == ["linux.uidMappings: must be empty when joining the user namespace linux.namespaces[3].path (it has its own maps)"], "\(found)")
    }

    @Test func namespacePathsAreCheckedAsNsfsOfTheirType() {
        #expect(SpecValidator.nsfsProblem("/proc/self/ns/net", .network) == nil)
        #expect(SpecValidator.nsfsProblem("/proc/self/ns/user", .user) == nil)
        #expect(SpecValidator.nsfsProblem("/proc/self/ns/uts", .ipc) == "\"/proc/self/ns/uts\" is a namespace of type uts, not ipc")
        #expect(SpecValidator.nsfsProblem("/etc/passwd", .pid)?.contains("is not a namespace file (nsfs)") == true)
    }

    @Test func userIsJoinedAfterTheOthersAndMountLast() throws {
        let plan = try NamespacePlan([.init(type: "mount", path: "/m"), .init(type: "user", path: "/u"),
                                      .init(type: "network", path: "/n"), .init(type: "pid")])
        #expect(plan.joinOrder.map(\.kind) == [.network, .user, .mount])
        let created = try NamespacePlan([.init(type: "pid"), .init(type: "user"), .init(type: "mount")])
        #expect(created.createAfterUser == [.pid, .mount])
    }

    @Test func theRootfsIsIdmappedUnlessMappedRootOwnsIt() {
        #expect(RootfsIdmap.needed(rootOwner: (0, 0), uid: Self.map, gid: Self.map))
        #expect(!RootfsIdmap.needed(rootOwner: (100000, 100000), uid: Self.map, gid: Self.map))
        #expect(RootfsIdmap.needed(rootOwner: (100000, 0), uid: Self.map, gid: Self.map))
        #expect(JoinedUserNamespace.parse("         0     100000      65536\n     65536          7          1\n")
                == Self.map + [.init(containerID: 65536, hostID: 7, size: 1)])
        #expect(UserNamespace.mapText(Self.map + [.init(containerID: 65536, hostID: 7, size: 1)]) == "0 100000 65536\n65536 7 1\n")
    }

    @Test func inAUserNamespaceSysfsAndMqueueWithoutTheirNamespaceAreHostBinds() throws {
        let own = try NamespacePlan([.init(type: "user"), .init(type: "network"), .init(type: "ipc"), .init(type: "mount")])
        #expect(UserNamespaceMounts.hostSource(type: "sysfs", plan: own) == nil)
        #expect(UserNamespaceMounts.hostSource(type: "mqueue", plan: own) == nil)
        let shared = try NamespacePlan([.init(type: "user"), .init(type: "mount")])
        #expect(UserNamespaceMounts.hostSource(type: "sysfs", plan: shared) == "/sys")
        #expect(UserNamespaceMounts.hostSource(type: "mqueue", plan: shared) == "/dev/mqueue")
        #expect(UserNamespaceMounts.hostSource(type: "proc", plan: shared) == nil)
        let none = try NamespacePlan([.init(type: "mount")])
        #expect(UserNamespaceMounts.hostSource(type: "sysfs", plan: none) == nil)
    }
}
