import BerthController
import Foundation

/// Wakes the service loop: API changes to a service and engine reports about service tasks
/// poke it; otherwise it sleeps until the next periodic tick or the controller's `wakeAt`.
public final class ServiceSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var poked = false
    private var stopped = false

    public init() {}

    public func poke() {
        condition.lock()
        poked = true
        condition.signal()
        condition.unlock()
    }

    public func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// Sleeps until `deadline` or a poke. Returns false once stopped.
    func wait(until deadline: Date) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !poked && !stopped {
            if !condition.wait(until: deadline) { break }
        }
        poked = false
        return !stopped
    }
}

/// The agent's service loop (Docs/services.md "What the agent does"): every service that is
/// not INACTIVE is reconciled every max(0.05, min(1, timeScale)) s, whenever one of its tasks
/// changes state or the API changes it, and at the controller's `wakeAt`. Actions go through
/// the same task paths as RunTask/StopTask; the state is persisted only when it changed.
extension ECSBackend {
    public var serviceTickInterval: Double { max(0.05, min(1, config.controller.timeScale)) }

    /// Runs until `serviceSignal.stop()`.
    public func runServiceLoop() {
        var wakeAt: Double?
        var lastTick = 0.0
        while true {
            let now = clock()
            var next = now + min(serviceTickInterval, metricSampleInterval)
            if let w = wakeAt { next = min(next, w) }
            next = max(next, lastTick + 0.01)  // coalesce bursts of pokes
            guard serviceSignal.wait(until: Date(timeIntervalSince1970: next)) else { return }
            lastTick = clock()
            sampleServiceMetrics()
            tickScaling()
            wakeAt = tickServices()
        }
    }

    /// One reconcile of every live service. Returns the earliest `wakeAt`.
    @discardableResult
    public func tickServices() -> Double? {
        lock.lock()
        let now = clock()
        var ids = RandomIdentifiers()
        var wake: Double?
        pruneInactiveServices(now: now)
        for key in services.keys.sorted() {
            guard var r = services[key], r.state.status != .inactive else { continue }
            var result = reconcile(r.state, tasks: observedTasks(of: r), now: now, config: config.controller, ids: &ids)
            let behindLoadBalancer = !r.targetBindings.isEmpty
            for action in result.actions {
                switch action {
                case .startTask(let order): startServiceTask(order, service: r)
                // Behind a load balancer the stop waits for deregistration and draining.
                case .stopTask(let order): stopServiceTask(order, send: !behindLoadBalancer)
                }
            }
            if behindLoadBalancer || tasks.values.contains(where: { $0.task.group == "service:\(r.name)" && !$0.registeredTargets.isEmpty }) {
                let (events, wakeAt) = applyRegistrations(r, now: now)
                result.state.addEvents(events, now: now, config: config.controller, ids: &ids)
                for message in events { log("service \(r.cluster)/\(r.name): \(message)") }
                if let w = wakeAt { wake = min(wake ?? w, w) }
            }
            for event in result.newEvents { log("service \(r.cluster)/\(r.name): \(event.message)") }
            if result.state != r.state {
                r.state = result.state
                services[key] = r
                do { try store.save("services", r.key, r.json) } catch { log("could not persist services/\(r.key): \(error)") }
            }
            if let w = result.wakeAt { wake = min(wake ?? w, w) }
        }
        syncDiscovery()
        let work = deferred
        deferred = []
        lock.unlock()
        // Launches and stops of different tasks are independent; a scale-out of 50 tasks
        // should not wait for each container start in turn.
        if work.count > 1 {
            let jobs = DeferredWork(work)
            DispatchQueue.concurrentPerform(iterations: jobs.items.count) { jobs.items[$0]() }
        } else {
            work.first?()
        }
        return wake
    }

    /// INACTIVE services stay describable (the ServicesInactive waiter needs that) as long as
    /// stopped tasks do, then their records go.
    func pruneInactiveServices(now: Double) {
        for (key, r) in services where r.state.status == .inactive {
            let last = ([r.state.createdAt] + r.state.deployments.map(\.updatedAt)).max() ?? 0
            guard now - last > config.stoppedTaskRetention else { continue }
            services[key] = nil
            store.remove("services", key)
        }
    }
}

/// Engine calls queued under the backend lock; each touches only its own task, and the engine
/// is thread-safe (concurrent RunTask requests already call it in parallel).
private struct DeferredWork: @unchecked Sendable {
    let items: [() -> Void]
    init(_ items: [() -> Void]) { self.items = items }
}
