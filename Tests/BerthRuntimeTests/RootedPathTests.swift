import BerthSys
import CBerth
import Testing
@testable import BerthInit
@testable import BerthRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Destination resolution inside a rootfs, on a temporary directory (no root needed).
@Suite struct RootedPathTests {
    final class Root {
        let path: String
        let fd: FileDescriptor
        init() throws {
            var template = Array("/tmp/berth-rooted-XXXXXX".utf8CString)
            let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
            path = String(cString: try #require(p))
            try Files.makeDirectories(path + "/etc")
            try #require(symlink("/", path + "/evil") == 0)
            try #require(symlink("../../../../..", path + "/up") == 0)
            try #require(symlink("/etc", path + "/etclink") == 0)
            try #require(symlink("/missing/target", path + "/dangling") == 0)
            fd = try FileDescriptor.open(path, O_DIRECTORY | BERTH_O_PATH)
        }
        deinit {
            fd.close()
            _ = try? Files.removeTree(path)
        }
        var rooted: RootedPath { RootedPath(root: fd) }

        /// The host path an O_PATH handle refers to.
        func hostPath(_ handle: FileDescriptor) -> String {
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(handle.procPath, &buf, buf.count - 1)
            return n > 0 ? String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        }
    }

    @Test func absoluteSymlinkToSlashStaysInside() throws {
        let r = try Root()
        let tag = "rooted-\(getpid())"
        let h = try r.rooted.open(["evil", "tmp", tag], create: .directory)
        defer { h.close() }
        #expect(r.hostPath(h) == r.path + "/tmp/" + tag)
        #expect(!Files.exists("/tmp/" + tag))
    }

    @Test func dotDotSymlinkIsClampedAtTheRoot() throws {
        let r = try Root()
        let h = try r.rooted.open(["up", "etc", "x.conf"], create: .file)
        defer { h.close() }
        #expect(r.hostPath(h) == r.path + "/etc/x.conf")
        #expect(try h.fileType() == S_IFREG)
    }

    @Test func existingPathsAndSymlinksToDirectories() throws {
        let r = try Root()
        let h = try r.rooted.open(["etclink"])
        defer { h.close() }
        #expect(r.hostPath(h) == r.path + "/etc")
        let root = try r.rooted.open([])
        defer { root.close() }
        #expect(r.hostPath(root) == r.path)
    }

    @Test func missingWithoutCreateAndDanglingSymlinksFail() throws {
        let r = try Root()
        #expect(throws: SysError.self) { try r.rooted.open(["nope"]) }
        // A dangling symlink is never followed out of the root nor replaced.
        #expect(throws: SysError.self) { try r.rooted.open(["dangling"], create: .directory) }
        #expect(!Files.exists("/missing/target"))
    }
}
