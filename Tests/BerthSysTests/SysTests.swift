import Testing
import Glibc
@testable import BerthSys

@Suite struct SysTests {
    @Test func sysErrorCarriesStageAndErrno() {
        let err = #expect(throws: SysError.self) { try Sys.call("open", detail: "/nonexistent/x") { open("/nonexistent/x", O_RDONLY) } }
        #expect(err?.errno == ENOENT)
        #expect(err?.description == "open /nonexistent/x: No such file or directory (errno 2)")
    }

    @Test func atomicWriteReplacesContent() throws {
        let path = "/tmp/berth-systest-\(getpid())"
        defer { unlink(path) }
        try Files.writeAtomically(path, Array("one".utf8))
        try Files.writeAtomically(path, Array("two".utf8))
        #expect(try Files.read(path) == "two")
    }

    @Test func startTimeIdentifiesThisProcess() {
        let me = getpid()
        let t = Proc.startTime(me)
        #expect(t != nil)
        #expect(Proc.isAlive(me, startTime: t!))
        #expect(!Proc.isAlive(me, startTime: t! + 1))
    }

    @Test func subdirectoriesListsOnlyDirectoriesIncludingLinkedOnes() throws {
        let dir = "/tmp/berth-systest-dirs-\(getpid())"
        defer { try? Files.removeTree(dir) }
        try Files.makeDirectories(dir + "/a/inner")
        try Files.makeDirectories(dir + "/b")
        try Files.writeAtomically(dir + "/file", Array("x".utf8))
        #expect(symlink(dir + "/b", dir + "/link-to-dir") == 0)
        #expect(symlink(dir + "/file", dir + "/link-to-file") == 0)
        #expect(try Files.subdirectories(dir).sorted() == ["a", "b", "link-to-dir"])
        #expect(throws: SysError.self) { try Files.subdirectories(dir + "/missing") }
    }
}
