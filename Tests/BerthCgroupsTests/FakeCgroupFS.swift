import BerthSys
import Glibc
@testable import BerthCgroups

/// A directory tree that looks enough like cgroupfs for the drivers' file logic: directories and
/// pre-created (empty or seeded) control files. Removed by `cleanup()`.
final class FakeCgroupFS {
    let root: String

    init() throws {
        var template = Array("/tmp/berth-fakecg-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else { throw SysError("mkdtemp") }
        root = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func dir(_ relative: String) throws {
        try Files.makeDirectories(root + "/" + relative)
    }

    /// Create `files` (empty unless given a value) in `relative`, making the directory too.
    func files(_ relative: String, _ files: [String: String]) throws {
        try dir(relative)
        for (name, value) in files {
            try Files.writeAtomically(root + "/" + relative + "/" + name, Array(value.utf8))
        }
    }

    func read(_ relative: String) -> String? {
        try? Files.read(root + "/" + relative)
    }

    func exists(_ relative: String) -> Bool { Files.exists(root + "/" + relative) }

    func cleanup() { try? Files.removeTree(root) }
}
