@testable import BerthRuntime
import BerthSys
import CBerth
import Foundation
import Testing

/// The read-only overlay view that berth-init runs from (CVE-2019-5736; SealedExecutable), with
/// the runtime's empty directory as its second layer and with the detached-tmpfs fallback.
@Suite struct SealedViewTests {
    static let overlayMagic = 0x794c_7630

    /// Root only (fsopen("overlay")); skipped without root, a failure when CI is set.
    static func isRoot() -> Bool {
        if getuid() == 0 { return true }
        #expect(ProcessInfo.processInfo.environment["CI"] == nil, "needs root")
        return false
    }

    static func scratch() throws -> String {
        var template = Array("/tmp/berth-sealed-XXXXXX".utf8CString)
        guard let p = mkdtemp(&template) else { throw SysError("mkdtemp") }
        return String(cString: p)
    }

    static func mountCount() throws -> Int {
        try Files.read("/proc/self/mountinfo").split(separator: "\n").count
    }

    /// The view reads the file's bytes, lives on an overlay, refuses writing through
    /// /proc/self/fd (as through /proc/<pid>/exe) and attaches nothing to our mount namespace.
    func checkView(emptyDir: String?, makeEmptyDir: Bool = true) throws {
        let dir = try Self.scratch()
        defer { try? Files.removeTree(dir) }
        let bin = dir + "/bin"
        try Files.makeDirectories(bin)
        try Files.writeAtomically(bin + "/tool", Array("#!/bin/sh\necho hi\n".utf8), mode: 0o755)
        let empty = emptyDir.map { dir + "/" + $0 }
        if let empty, makeEmptyDir { try Files.makeDirectories(empty, mode: 0o555) }
        let mountsBefore = try Self.mountCount()

        let fd = berth_overlay_view_over(bin, "tool", empty)
        try #require(fd >= 0, "berth_overlay_view_over: errno \(errno)")
        defer { close(fd) }
        var fsType = 0, fsFlags = 0
        #expect(berth_fstatfs(fd, &fsType, &fsFlags) == 0)
        #expect(fsType == Self.overlayMagic)
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = pread(fd, &buffer, buffer.count, 0)
        #expect(String(decoding: buffer.prefix(max(n, 0)), as: UTF8.self) == "#!/bin/sh\necho hi\n")
        let writable = open("/proc/self/fd/\(fd)", O_WRONLY)
        let writeErr = errno
        if writable >= 0 { close(writable) }
        #expect(writable < 0 && writeErr == EROFS, "opened for writing: fd \(writable), errno \(writeErr)")
        #expect(try Self.mountCount() == mountsBefore)
    }

    @Test func viewOverTheRuntimesEmptyDirectory() throws {
        guard Self.isRoot() else { return }
        try checkView(emptyDir: "empty")
    }

    @Test func viewFallsBackToADetachedTmpfsWithoutTheEmptyDirectory() throws {
        guard Self.isRoot() else { return }
        try checkView(emptyDir: nil)
        // A directory the overlay cannot use (missing) falls back too.
        try checkView(emptyDir: "missing", makeEmptyDir: false)
    }

    @Test func runtimeMakesItsEmptyDirectoryUnderItsRoot() throws {
        let root = try Self.scratch()
        defer { try? Files.removeTree(root) }
        let rt = LinuxRuntime(root: root + "/state", cgroups: NoCgroups(), berthPath: "/nonexistent/berth")
        let empty = try #require(rt.emptyDirectory())
        #expect(empty == root + "/state/.empty")
        #expect(Files.isDirectory(empty))
        #expect(try Files.list(empty).isEmpty)
        var st = stat()
        #expect(stat(empty, &st) == 0 && st.st_mode & 0o7777 == 0o555)
        #expect(rt.emptyDirectory() == empty)
        // Not a container: list() skips it.
        #expect(try rt.list().isEmpty)
    }
}
