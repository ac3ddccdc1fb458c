import BerthImages
import BerthSys
import BerthTestSupport
import Foundation
import Testing

/// `ImagePullPolicy`: the ECS agent's ECS_IMAGE_PULL_BEHAVIOR values (and Docker's names),
/// as a pure decision over (cached?, pulled before?).
@Suite struct PullPolicyTests {
    @Test func everyPolicyForEveryState() {
        typealias Row = (ImagePullPolicy, cached: Bool, pulledBefore: Bool, PullDecision)
        let rows: [Row] = [
            // default: always pull; a failure falls back to the cached image when there is one.
            (.default, false, false, .pull(fallBackToCached: false)),
            (.default, false, true, .pull(fallBackToCached: false)),
            (.default, true, false, .pull(fallBackToCached: true)),
            (.default, true, true, .pull(fallBackToCached: true)),
            // always: pull; a failure fails the task.
            (.always, false, false, .pull(fallBackToCached: false)),
            (.always, false, true, .pull(fallBackToCached: false)),
            (.always, true, false, .pull(fallBackToCached: false)),
            (.always, true, true, .pull(fallBackToCached: false)),
            // once: the cached image only if an earlier pull here put it there.
            (.once, false, false, .pull(fallBackToCached: false)),
            (.once, false, true, .pull(fallBackToCached: false)),  // pulled once, since removed
            (.once, true, false, .pull(fallBackToCached: false)),  // imported, never pulled
            (.once, true, true, .useCached),
            // prefer-cached: whatever the store has.
            (.preferCached, false, false, .pull(fallBackToCached: false)),
            (.preferCached, false, true, .pull(fallBackToCached: false)),
            (.preferCached, true, false, .useCached),
            (.preferCached, true, true, .useCached),
            // never: the store only.
            (.never, false, false, .missing),
            (.never, false, true, .missing),
            (.never, true, false, .useCached),
            (.never, true, true, .useCached),
        ]
        for (policy, cached, before, expected) in rows {
            #expect(policy.decide(cached: cached, pulledBefore: before) == expected, "\(policy) cached=\(cached) pulledBefore=\(before)")
        }
        #expect(rows.count == ImagePullPolicy.allCases.count * 4)
    }

    @Test func namesAndDockerAliases() throws {
        for (text, policy) in [("default", ImagePullPolicy.default), ("always", .always), ("once", .once),
                               ("prefer-cached", .preferCached), ("never", .never), ("missing", .preferCached)] {
            #expect(try ImagePullPolicy(parsing: text) == policy)
        }
        for bad in ["", "Always", "prefer_cached", "sometimes"] {
            #expect(throws: ImageError.self) { try ImagePullPolicy(parsing: bad) }
            do { _ = try ImagePullPolicy(parsing: bad) } catch {
                #expect(error.message.contains(bad.debugDescription) && error.message.contains("prefer-cached"), "\(error.message)")
            }
        }
    }

    @Test func fileHistoryRemembersAcrossInstances() {
        let s = Scratch()
        let a = FilePullHistory(path: s.path + "/pulled")
        #expect(!a.contains("busybox"))
        a.record("busybox")
        a.record("busybox")
        #expect(a.contains("busybox") && !a.contains("nginx"))
        let b = FilePullHistory(path: s.path + "/pulled")
        #expect(b.contains("busybox"))
        #expect(String(decoding: (try? Files.readBytes(s.path + "/pulled")) ?? [], as: UTF8.self) == "busybox\n")
        // Unreadable history: `once` just pulls again.
        #expect(!FilePullHistory(path: s.path + "/missing/dir/file").contains("busybox"))
    }
}

/// `PullCoordinator`: one pull per image at a time, its result or error shared by every waiter.
@Suite struct PullCoordinatorTests {
    static func waitUntil(_ what: String, timeout: Double = 10, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { Issue.record("timed out waiting for \(what)"); throw CancellationError() }
            usleep(2_000)
        }
    }

    /// Run `n` pulls of `reference` on their own threads; their results, once all are done.
    final class Runs: @unchecked Sendable {
        let lock = NSLock()
        var results: [Result<ImageRecord, PullError>] = []
        let group = DispatchGroup()
        func start(_ n: Int, _ coordinator: PullCoordinator, _ reference: String, options: PullOptions = PullOptions()) {
            for _ in 0..<n {
                group.enter()
                Thread {
                    let r: Result<ImageRecord, PullError>
                    do throws(PullError) { r = .success(try coordinator.pull(reference, options: options)) } catch { r = .failure(error) }
                    self.lock.withLock { self.results.append(r) }
                    self.group.leave()
                }.start()
            }
        }
        func wait() -> [Result<ImageRecord, PullError>] {
            _ = group.wait(timeout: .now() + 30)
            return lock.withLock { results }
        }
    }

    @Test func concurrentCallersShareOnePull() throws {
        let s = Scratch()
        s.write("root/hello", "hi")
        let store = ImageStore(root: s.path + "/images")
        let puller = DoublePuller(store: store, rootfs: s.path + "/root")
        puller.hold()
        let coordinator = PullCoordinator(puller: puller)
        let runs = Runs()
        runs.start(5, coordinator, "app:1")
        // The leader may reach the puller after the others queue up behind it: wait for both.
        try Self.waitUntil("4 waiters and the pull started") { coordinator.waiters(for: "app:1") == 4 && puller.started == 1 }
        #expect(puller.started == 1 && coordinator.inFlight == 1)
        puller.release()
        let results = runs.wait()
        #expect(results.count == 5)
        let records = results.compactMap { try? $0.get() }
        #expect(records.count == 5 && Set(records.map(\.digest)) == [DoublePuller.digest("app:1")])
        #expect(puller.calls.count == 1 && coordinator.inFlight == 0)
        // A finished pull is forgotten: the next call pulls again.
        puller.release()
        _ = try coordinator.pull("app:1") { _ in }
        #expect(puller.calls.count == 2)
    }

    @Test func everyWaiterGetsTheSameError() throws {
        let puller = DoublePuller()
        puller.fail("private/app:1", PullError(.unauthorized, "pull access denied for private/app"))
        puller.hold()
        let coordinator = PullCoordinator(puller: puller)
        let runs = Runs()
        runs.start(3, coordinator, "private/app:1")
        try Self.waitUntil("2 waiters") { coordinator.waiters(for: "private/app:1") == 2 }
        puller.release()
        let results = runs.wait()
        #expect(results.count == 3)
        for r in results {
            guard case .failure(let e) = r else { Issue.record("expected a failure, got \(r)"); continue }
            #expect(e.kind == .unauthorized && e.ecsReason == "CannotPullContainerError: pull access denied for private/app")
        }
        #expect(puller.calls.count == 1)
    }

    @Test func differentImagesOrOptionsPullInParallel() throws {
        let s = Scratch()
        s.write("root/hello", "hi")
        let puller = DoublePuller(store: ImageStore(root: s.path + "/images"), rootfs: s.path + "/root")
        puller.hold()
        let coordinator = PullCoordinator(puller: puller)
        let runs = Runs()
        runs.start(1, coordinator, "a:1")
        runs.start(1, coordinator, "b:1")
        runs.start(1, coordinator, "a:1", options: PullOptions(credentialsParameter: "other-login"))
        // Three pulls under way at once: none waits for another.
        try Self.waitUntil("3 pulls") { puller.started == 3 }
        #expect(coordinator.inFlight == 3)
        puller.release(3)
        let results = runs.wait()
        #expect(results.count == 3 && results.allSatisfy { (try? $0.get()) != nil })
        #expect(puller.calls.map(\.options.credentialsParameter).contains("other-login"))
    }
}
