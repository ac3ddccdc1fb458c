import BerthSys
import Foundation
import Glibc
import Testing
@testable import BerthCgroups

/// OCI `linux.cgroupsPath` outside `berth/`: the drivers write there only when allowed for that
/// path's top-level group, and then nowhere else.
@Suite struct CgroupAllowingTests {
    @Test func specPathsAcceptAnyRelativePathWithoutDotComponents() throws {
        #expect(try CgroupPath(spec: "/a//b/").relative == "a/b")
        for bad in ["", "/", "a/../b", "./a"] {
            #expect(throws: CgroupError.self) { try CgroupPath(spec: bad) }
        }
        #expect(CgroupPath.recorded("berth/x")?.relative == "berth/x")
        #expect(CgroupPath.recorded("sys/x")?.relative == "sys/x")
        #expect(CgroupPath.recorded("a/../b") == nil)
    }

    @Test func v1WritesOnlyBelowAnAllowedTop() throws {
        // The fake has the control files at both levels (cpuset needs them to inherit).
        let (fs, plain) = try CgroupV1DriverTests().makeFake(levels: ["outside", "outside/c1"])
        defer { fs.cleanup() }
        let path = try CgroupPath(spec: "outside/c1")
        #expect(throws: CgroupError.outsideBerth(fs.root + "/cpu/outside")) {
            try plain.create(path, resources: CgroupResources(cpuShares: 512))
        }
        let allowed = plain.allowing(path)
        try allowed.create(path, resources: CgroupResources(cpuShares: 512))
        #expect(fs.read("cpu/outside/c1/cpu.shares") == "512")
        // Still nothing beside it, and not the hierarchy's own files.
        let files = try #require((allowed as? CgroupV1Driver)?.files)
        #expect(throws: CgroupError.self) { try files.write(fs.root + "/memory/memory.limit_in_bytes", "1") }
        #expect(throws: CgroupError.self) { try files.makeDirectory(fs.root + "/memory/other") }
        #expect(throws: CgroupError.self) { try files.write(fs.root + "/memory/outside/../x", "1") }
    }
}
