import BerthAgent
import BerthECS
import BerthImages
import BerthSys
import BerthTasks
import Foundation

/// A task's life before the engine runs it, when a registry is configured: PENDING while its
/// images are pulled on its own thread (pulls of one image are shared through the engine's
/// `PullCoordinator`), then handed to the engine; a failed pull stops it with TaskFailedToStart
/// and `CannotPullContainerError: <the registry's reason>`, as ECS does.
extension HostEngineAdapter {
    /// Present while a task pulls (in its data directory, which outlives the agent and a reboot):
    /// a task the agent finds with this marker and nothing else was pulling when the agent
    /// went away and never reached the engine, so `adopt` pulls it again.
    func pullMarker(_ taskId: String) -> String { layout(taskId).dataDir + "/pulling" }

    func startPulling(_ plan: TaskLaunchPlan, _ td: TaskDefinitionInput) {
        let (checked, bindings) = Self.facts(td)
        let now = Self.now()
        try? Files.makeDirectories(layout(plan.taskId).dataDir, mode: 0o700)
        try? Files.writeAtomically(pullMarker(plan.taskId), [UInt8](), mode: 0o600)
        lock.withLock {
            known[plan.taskArn] = Known(plan: plan, launchedAt: now, readyAt: now, checked: checked, bindings: bindings,
                                        address: Self.address(plan, td), phase: .pulling)
        }
        let thread = Thread { [self] in pullThenLaunch(plan, td) }
        thread.name = "pull \(plan.taskId)"
        thread.start()
    }

    func pullThenLaunch(_ plan: TaskLaunchPlan, _ td: TaskDefinitionInput) {
        let arn = plan.taskArn
        let images: ProvisionedImages
        let secrets: TaskSecrets
        do {
            // As ECS: secrets and registry auth first ("unable to pull secrets or registry auth").
            secrets = try engine.resolveSecrets(td, overrides: plan.overrides)
            images = try engine.provisionImages(td, overrides: plan.overrides, onPullStart: { [self] started in
                update(arn) { if $0.pullStartedAt == nil { $0.pullStartedAt = started } }
            }, willPull: { [log] reference in log("task \(arn): pulling \(reference)") }, secrets: secrets)
        } catch {
            failBeforeLaunch(arn, error)
            return
        }
        for reference in images.fellBack { log("task \(arn): pulling \(reference) failed; using the cached image") }
        let names = td.containers.map { $0.name ?? "" }
        var digests: [String: String] = [:]
        for (name, record) in zip(names, images.records) { digests[name] = ProvisionedImages.imageDigest(record) }
        // A stop that came while pulling already ended the task: the pull's result is not used.
        let proceed = update(arn) { k in
            k.pullStartedAt = k.pullStartedAt ?? images.pullStartedAt
            k.pullStoppedAt = images.pullStoppedAt
            k.digests = digests
            guard k.phase == .pulling else { return false }
            k.phase = .launching
            k.readyAt = Self.now()
            return true
        } ?? false
        guard proceed else { return }
        do { try startInEngine(plan, td, images: images, secrets: secrets) } catch {
            failBeforeLaunch(arn, error)
            return
        }
        markOwned(plan.taskId)
        unlink(pullMarker(plan.taskId))
        let intent = update(arn) { k -> StopIntent? in
            k.phase = .launched
            return k.stopIntent
        } ?? nil
        if let intent { engine.stop(key: arn, code: intent.code, reason: intent.reason) }
    }

    /// Apply `change` to a known task under the lock; nil if the task is no longer known.
    @discardableResult
    func update<T>(_ arn: String, _ change: (inout Known) -> T) -> T? {
        lock.withLock {
            guard var k = known[arn] else { return nil }
            let out = change(&k)
            known[arn] = k
            return out
        }
    }

    func failBeforeLaunch(_ arn: String, _ error: any Error) {
        let now = Self.now()
        update(arn) { k in
            guard k.phase == .pulling || k.phase == .launching else { return }
            var failedContainer: String?
            if let pull = error as? ImagePullFailure {
                failedContainer = pull.container
                k.pullStartedAt = k.pullStartedAt ?? pull.pullStartedAt
                k.pullStoppedAt = pull.pullStoppedAt ?? k.pullStoppedAt
            }
            let reason = Self.engineError(error).message
            k.phase = .failed(Self.stoppedObservation(k, code: .taskFailedToStart, reason: reason, failedContainer: failedContainer, at: now))
            unlink(pullMarker(k.plan.taskId))
        }
    }

    /// `adopt` of a task that was pulling when the agent went away: pulled again (PENDING), or
    /// STOPPED at once with the stop the agent had acknowledged.
    func resumePulling(_ plan: TaskLaunchPlan, _ td: TaskDefinitionInput, stop: StopIntent?) -> TaskObservation? {
        log("task \(plan.taskArn): it was pulling its images when the agent stopped; \(stop == nil ? "pulling again" : "stopping it")")
        startPulling(plan, td)
        if let stop { _ = stopBeforeLaunch(plan.taskArn, stop) }
        return lock.withLock { known[plan.taskArn].flatMap { Self.preLaunchObservation($0) } }
    }

    /// A stop for a task the engine does not run yet: while pulling it ends the task at once
    /// (the pull may go on for other tasks, its result unused); while the engine starts it, the
    /// stop is kept and carried out right after. Returns whether the engine should stop it now.
    func stopBeforeLaunch(_ arn: String, _ intent: StopIntent) -> Bool {
        let now = Self.now()
        return update(arn) { k -> Bool in
            switch k.phase {
            case .pulling:
                k.phase = .failed(Self.stoppedObservation(k, code: intent.code, reason: intent.reason, failedContainer: nil, at: now))
                unlink(pullMarker(k.plan.taskId))
                return false
            case .launching:
                if k.stopIntent == nil { k.stopIntent = intent }
                return false
            case .launched: return true
            case .failed: return false
            }
        } ?? true
    }

    /// What the agent sees of a task the engine does not run: PENDING while pulling (and while
    /// the engine starts it, until its first snapshot), or its final STOPPED observation.
    static func preLaunchObservation(_ k: Known) -> TaskObservation? {
        switch k.phase {
        case .launched: return nil
        case .failed(let o): return o
        case .pulling, .launching:
            var o = TaskObservation(taskArn: k.plan.taskArn, lastStatus: .pending,
                                    containers: k.plan.containerNames.map { ContainerObservation(name: $0, lastStatus: .pending) })
            o.pullStartedAt = k.pullStartedAt
            o.pullStoppedAt = k.phase == .launching ? k.pullStoppedAt : nil
            return o
        }
    }

    static func stoppedObservation(_ k: Known, code: StopCode, reason: String, failedContainer: String?, at now: Double) -> TaskObservation {
        var o = TaskObservation(taskArn: k.plan.taskArn, lastStatus: .stopped, containers: k.plan.containerNames.map { name in
            ContainerObservation(name: name, lastStatus: .stopped, reason: name == failedContainer ? reason : nil,
                                 imageDigest: k.digests[name])
        })
        o.pullStartedAt = k.pullStartedAt
        o.pullStoppedAt = k.pullStartedAt == nil ? nil : (k.pullStoppedAt ?? now)
        o.stoppingAt = now
        o.executionStoppedAt = now
        o.stoppedAt = now
        o.stopCode = code
        o.stoppedReason = reason
        return o
    }
}
