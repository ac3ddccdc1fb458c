import BerthSys
import Foundation

/// A scratch directory removed at the end of the test.
public final class Scratch {
    public let path: String
    public init() {
        path = "/tmp/berth-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! Files.makeDirectories(path)
    }
    deinit { try? Files.removeTree(path) }
    public func write(_ rel: String, _ text: String) {
        let full = path + "/" + rel
        try! Files.makeDirectories(String(full[..<full.lastIndex(of: "/")!]))
        try! Files.writeAtomically(full, Array(text.utf8))
    }
}

public func sh(_ command: String) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try! p.run()
    p.waitUntilExit()
    return p.terminationStatus
}
