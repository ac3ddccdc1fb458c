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

    @Test func readAllReturnsEveryByteOfFilesProcfsAndPipes() throws {
        let path = "/tmp/berth-systest-read-\(getpid())"
        defer { unlink(path) }
        // Larger than one 4 KB chunk and not a multiple of it; and an empty file.
        let big = (0..<70_001).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try Files.writeAtomically(path, big)
        #expect(try Files.readBytes(path) == big)
        try Files.writeAtomically(path, [])
        #expect(try Files.readBytes(path) == [])
        // procfs reports size 0: read in chunks until EOF.
        let maps = try Files.read("/proc/self/maps")
        #expect(maps.hasSuffix("\n") && maps.contains("[stack]"))
        let pipe = try makePipe()
        defer { pipe.read.close() }
        try pipe.write.writeAll(big.prefix(10_000))
        pipe.write.close()
        #expect(try pipe.read.readAll() == Array(big.prefix(10_000)))
        let bad = #expect(throws: SysError.self) { try FileDescriptor(rawValue: -1).read() }
        #expect(bad?.errno == EBADF)
    }

    @Test func threadsAreReadFromStatus() {
        #expect(Proc.threadCount() >= 1)
        #expect(Proc.threads(inStatus: Array("Name:\tx\nUmask:\t0022\nThreads:\t3\nSigQ:\t0/1\n".utf8)) == 3)
        #expect(Proc.threads(inStatus: Array("Name:\tx\nThreads:  12".utf8)) == 12)
        #expect(Proc.threads(inStatus: Array("Name:\tThreads:\t2\n".utf8)) == -1)   // not at a line start
        #expect(Proc.threads(inStatus: Array("Name:\tx\nThreads:\tmany\n".utf8)) == -1)
        #expect(Proc.threads(inStatus: Array("Name:\tx\nThreads:\t2x\n".utf8)) == -1)
        #expect(Proc.threads(inStatus: []) == -1)
    }

    @Test func startTimeIsField22AfterTheLastParenthesis() {
        let tail = " S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 987654 20 21"
        #expect(Proc.startTime(inStat: Array("42 (a b) c)\(tail)\n".utf8)) == 987654)
        #expect(Proc.startTime(inStat: Array("42 (x) S 1 2".utf8)) == nil)
        #expect(Proc.startTime(inStat: Array("42 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 9x 20".utf8)) == nil)
        #expect(Proc.startTime(inStat: Array("no parenthesis".utf8)) == nil)
        #expect(Proc.state(inStat: Array("42 (a b) c)\(tail)\n".utf8)) == "S")
        #expect(Proc.state(inStat: Array("42 (x) Z 1".utf8)) == "Z")
        #expect(Proc.state(inStat: Array("42 (x)".utf8)) == nil)
        #expect(Proc.state(getpid()).map { "RS".contains($0) } == true)  // the main thread may sleep
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
