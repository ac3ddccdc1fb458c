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

@Suite struct ByteSizeTests {
    @Test func sizesAsPeopleTypeThem() {
        #expect(ByteSize.parse("1048576") == 1_048_576)
        #expect(ByteSize.parse("512k") == 512 << 10)
        #expect(ByteSize.parse("50m") == 50 << 20)
        #expect(ByteSize.parse("50M") == 50 << 20)
        #expect(ByteSize.parse("64MiB") == 64 << 20)
        #expect(ByteSize.parse("64mb") == 64 << 20)
        #expect(ByteSize.parse("20 GiB") == 20 << 30)
        #expect(ByteSize.parse("2t") == 2 << 40)
        for bad in ["", "m", "-1", "1.5g", "12q", "0x10", "+5", "99999999999t"] {
            #expect(ByteSize.parse(bad) == nil, "\(bad)")
        }
    }

    @Test func sizesAsPeopleReadThem() {
        #expect(ByteSize.describe(512) == "512 B")
        #expect(ByteSize.describe(50 << 20) == "50 MiB")
        #expect(ByteSize.describe(67_108_864 / 100 * 5) == "3.2 MiB")
        #expect(ByteSize.describe(3 << 30 | 1 << 29) == "3.5 GiB")
    }
}
