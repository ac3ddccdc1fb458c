import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One pull per image at a time: callers that want the same reference with the same options
/// while a pull of it is in flight wait for that pull and all get its record or its error
/// (single-flight). The first caller's thread runs the pull; different references pull in
/// parallel. A finished pull is forgotten, so a later call pulls again (the pull policy
/// decides whether there is a later call).
public final class PullCoordinator: Sendable {
    public let puller: any ImagePulling

    struct Key: Hashable {
        var reference: String
        var platform: String?
        var credentialsParameter: String?
    }

    final class Flight: @unchecked Sendable {
        let cond = Condition()
        var result: Result<ImageRecord, PullError>?
        var waiters = 0
    }

    let flights = Mutex<[Key: Flight]>([:])

    public init(puller: any ImagePulling) { self.puller = puller }

    /// How many pulls are in flight (for tests and diagnostics).
    public var inFlight: Int { flights.withLock { $0.count } }

    /// How many callers wait for an in-flight pull of `reference` besides the one pulling.
    public func waiters(for reference: String) -> Int {
        let matching = flights.withLock { $0.filter { $0.key.reference == reference }.map(\.value) }
        return matching.reduce(0) { n, f in n + f.cond.withLock { f.waiters } }
    }

    public func pull(_ reference: String, options: PullOptions = PullOptions(),
                     progress: @escaping @Sendable (PullProgress) -> Void = { _ in }) throws(PullError) -> ImageRecord {
        let key = Key(reference: reference, platform: options.platform?.description, credentialsParameter: options.credentialsParameter)
        let (flight, leader) = flights.withLock { all -> (Flight, Bool) in
            if let f = all[key] { f.cond.withLock { f.waiters += 1 }; return (f, false) }
            let f = Flight()
            all[key] = f
            return (f, true)
        }
        if leader {
            let result: Result<ImageRecord, PullError>
            do { result = .success(try puller.pull(reference, options: options, progress: progress)) } catch { result = .failure(error) }
            // Forget the flight before waking the waiters: a call from now on starts a new pull.
            flights.withLock { _ = $0.removeValue(forKey: key) }
            flight.cond.withLock {
                flight.result = result
                flight.cond.broadcast()
            }
            return try result.get()
        }
        let result = flight.cond.withLock { () -> Result<ImageRecord, PullError> in
            while flight.result == nil { flight.cond.wait() }
            return flight.result!
        }
        return try result.get()
    }
}

/// A pthread mutex and condition variable (Synchronization has no condition); heap-allocated
/// so their addresses never move.
final class Condition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(cond, nil)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Only inside `withLock`.
    func wait() { pthread_cond_wait(cond, mutex) }
    func broadcast() { pthread_cond_broadcast(cond) }
}
