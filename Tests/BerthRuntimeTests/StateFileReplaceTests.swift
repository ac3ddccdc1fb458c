@testable import BerthRuntime
import BerthSys
import Foundation
import Testing

/// `StateFile.replace`: a new file, then an existing one swapped for new content; never a partial
/// file, no temporary left behind, and the replaced file is a different inode (swapped, not rewritten).
@Suite struct StateFileReplaceTests {
    @Test func createsThenSwapsAndLeavesNoTemporary() throws {
        let dir = NSTemporaryDirectory() + "berth-statefile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/state.json"
        try StateFile.replace(path, Array("first".utf8))
        #expect(try Files.read(path) == "first")
        var before = stat()
        #expect(stat(path, &before) == 0)
        try StateFile.replace(path, Array("second, longer".utf8))
        #expect(try Files.read(path) == "second, longer")
        var after = stat()
        #expect(stat(path, &after) == 0)
        #expect(before.st_ino != after.st_ino)
        #expect(after.st_mode & 0o777 == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["state.json"])
    }
}
