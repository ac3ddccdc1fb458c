import BerthSys
import Dispatch
import Glibc
import Testing

/// Threads of one process replacing the same file at once (the agent starting several
/// containers that share a seccomp cache entry) all succeed, and the file is one writer's whole
/// content, never a mix; no temporary file is left.
@Suite struct AtomicWriteTests {
    @Test func concurrentWritersOfOneFileInOneProcessAllSucceed() throws {
        var template = Array("/tmp/berth-atomic-XXXXXX".utf8CString)
        let dir = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }.map { String(cString: $0) })
        defer { for name in (try? Files.list(dir)) ?? [] { unlink(dir + "/" + name) }; rmdir(dir) }
        let path = dir + "/entry.info"
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            for round in 0..<20 {
                do { try Files.writeAtomically(path, Array(String(repeating: "\(i % 10)", count: 4096 + round).utf8), mode: 0o600) } catch {
                    failures.add("\(error)")
                }
            }
        }
        #expect(failures.all.isEmpty, "\(failures.all.prefix(3))")
        let text = try Files.read(path)
        #expect(Set(text).count == 1 && text.count >= 4096)
        #expect(try Files.list(dir) == ["entry.info"])
    }

    final class Failures: @unchecked Sendable {
        private var items: [String] = []
        private let lock = NSLockish()
        func add(_ s: String) { lock.run { items.append(s) } }
        var all: [String] { lock.run { items } }
    }

    final class NSLockish: @unchecked Sendable {
        private var m = pthread_mutex_t()
        init() { pthread_mutex_init(&m, nil) }
        func run<T>(_ body: () -> T) -> T { pthread_mutex_lock(&m); defer { pthread_mutex_unlock(&m) }; return body() }
    }
}
