import BerthJSON
import Foundation

/// Writes state objects on one background thread so that fsync never happens under the
/// backend lock. Per object the latest version wins and writes stay in order (one writer).
/// `enqueue` returns a ticket; `wait(for:)` blocks until everything up to it is on disk, which
/// API mutations do before answering (so an acknowledged change is durable). `close()` writes
/// what is pending and stops the writer: nothing is written under the store's root afterwards.
final class PersistQueue: @unchecked Sendable {
    private let store: StateStore
    private let log: @Sendable (String) -> Void
    private let cond = NSCondition()
    /// Pending writes by "kind/name": the value (nil = delete) and its ticket.
    private var pending: [String: (kind: String, name: String, value: JSONValue?, ticket: UInt64)] = [:]
    private var issued: UInt64 = 0
    private var flushed: UInt64 = 0
    private var started = false
    private var running = false
    private var closed = false

    init(store: StateStore, log: @escaping @Sendable (String) -> Void) {
        self.store = store
        self.log = log
    }

    @discardableResult
    func enqueue(_ kind: String, _ name: String, _ value: JSONValue?) -> UInt64 {
        cond.lock()
        if closed {
            let done = flushed
            cond.unlock()
            log("state store is closed: \(kind)/\(name) is not persisted")
            return done
        }
        defer { cond.unlock() }
        if !started {
            started = true
            running = true
            let t = Thread { [self] in run() }
            t.name = "berth-persist"
            t.start()
        }
        issued += 1
        pending["\(kind)/\(name)"] = (kind, name, value, issued)
        cond.broadcast()
        return issued
    }

    /// The ticket of the newest write enqueued so far.
    var lastTicket: UInt64 { cond.withLock { issued } }

    func wait(for ticket: UInt64) {
        cond.lock()
        while flushed < ticket { cond.wait() }
        cond.unlock()
    }

    /// Writes everything enqueued so far, then stops the writer thread. Later `enqueue`s are
    /// logged and dropped. Idempotent.
    func close() {
        cond.lock()
        closed = true
        cond.broadcast()
        while running { cond.wait() }
        cond.unlock()
    }

    private func run() {
        while true {
            cond.lock()
            while pending.isEmpty && !closed { cond.wait() }
            if pending.isEmpty {
                running = false
                cond.broadcast()
                cond.unlock()
                return
            }
            let batch = pending.values.sorted { $0.ticket < $1.ticket }
            pending.removeAll()
            let upTo = issued
            cond.unlock()
            let saves = batch.compactMap { item in item.value.map { (kind: item.kind, name: item.name, value: $0) } }
            for (path, error) in store.saveAll(saves) { log("could not persist \(path): \(error)") }
            for item in batch where item.value == nil { store.remove(item.kind, item.name) }
            cond.lock()
            // Everything issued before the snapshot is either written or superseded by a newer
            // pending version (whose ticket is above `upTo`).
            flushed = max(flushed, upTo)
            cond.broadcast()
            cond.unlock()
        }
    }
}
