import BerthAgent
import BerthECS
import BerthTasks
#if canImport(Glibc)
import Glibc
#endif

/// The agent's `TaskEngine` over BerthTasks' `HostTaskEngine` (tasks keyed by task ARN).
final class HostTaskEngineAdapter: TaskEngine, Sendable {
    let engine: HostTaskEngine

    init(engine: HostTaskEngine) { self.engine = engine }

    static func definition(_ plan: TaskLaunchPlan) throws -> TaskDefinitionInput {
        let report = ECSValidation.validateTaskDefinition(bytes: plan.taskDefinition.bytes)
        guard report.isValid, let td = report.definition else {
            let problems = report.errors.map(\.description).joined(separator: "; ")
            throw EngineError("invalid task definition: \(report.syntaxError.map { "\($0)" } ?? problems)")
        }
        return td
    }

    func launch(_ plan: TaskLaunchPlan) throws {
        try engine.launch(key: plan.taskArn, taskId: plan.taskId, taskDefinition: try Self.definition(plan))
    }

    func stop(taskArn: String, reason: String) {
        engine.stop(key: taskArn, code: .userInitiated, reason: reason)
    }

    func observe() -> [TaskObservation] {
        engine.snapshots().map { Self.observation($0.key, $0.value) }
    }

    func adopt(_ plan: TaskLaunchPlan) -> TaskObservation? {
        guard let td = try? Self.definition(plan),
              let s = engine.adopt(key: plan.taskArn, taskId: plan.taskId, taskDefinition: td) else { return nil }
        return Self.observation(plan.taskArn, s)
    }

    func release(taskArn: String) { engine.release(key: taskArn) }

    func logs(taskArn: String, container: String?, since: Double?, limit: Int) throws -> [LogEvent] {
        let lines = try engine.logs(key: taskArn, container: container)
        let events = lines.map { LogEvent(timestamp: Self.epoch($0.time), container: $0.container, stream: $0.stream, message: $0.text) }
            .filter { since == nil || $0.timestamp > since! }
        return Array(events.suffix(max(0, limit)))
    }

    func stats(taskArn: String) throws -> TaskStats {
        let stats = try engine.stats(key: taskArn)
        return TaskStats(timestamp: Double(time(nil)), containers: stats.map {
            ContainerStats(name: $0.name, cpuUsageNanos: $0.stats.cpuUsageNanos, memoryBytes: $0.stats.memoryCurrent,
                           memoryLimitBytes: $0.stats.memoryLimit, pids: Int($0.stats.pidsCurrent))
        })
    }

    func exec(taskArn: String, container: String, command: [String], timeoutSeconds: Double) throws -> BerthAgent.ExecResult {
        let r = try engine.exec(key: taskArn, container: container, command: command, timeout: timeoutSeconds)
        return BerthAgent.ExecResult(exitCode: Int(r.exitCode), stdout: String(decoding: r.stdout, as: UTF8.self),
                                     stderr: String(decoding: r.stderr, as: UTF8.self))
    }

    static func observation(_ arn: String, _ s: TaskSnapshot) -> TaskObservation {
        var o = TaskObservation(taskArn: arn, lastStatus: s.lastStatus, containers: s.containers.map { c in
            ContainerObservation(name: c.name, lastStatus: c.lastStatus, exitCode: c.exitCode.map(Int.init), reason: c.reason,
                                 healthStatus: c.healthStatus.rawValue, runtimeId: c.runtimeId,
                                 networkBindings: (c.networkBindings ?? []).map {
                                     NetworkBinding(bindIP: $0.bindIP, containerPort: $0.containerPort, hostPort: $0.hostPort, protocol: $0.protocol)
                                 })
        })
        o.healthStatus = s.healthStatus.rawValue
        o.pullStartedAt = s.createdAt
        o.pullStoppedAt = s.createdAt
        o.connectivityAt = s.createdAt
        o.startedAt = s.startedAt
        o.stoppingAt = s.stoppingAt
        o.executionStoppedAt = s.executionStoppedAt
        o.stoppedAt = s.stoppedAt
        o.stopCode = s.stopCode?.rawValue
        o.stoppedReason = s.stoppedReason
        return o
    }

    /// `2026-01-02T03:04:05.123456789Z` → epoch seconds.
    static func epoch(_ text: String) -> Double {
        let b = Array(text.utf8)
        guard b.count >= 20 else { return 0 }
        func n(_ r: Range<Int>) -> Int32 { Int32(String(decoding: b[r], as: UTF8.self)) ?? 0 }
        var t = tm()
        t.tm_year = n(0..<4) - 1900
        t.tm_mon = n(5..<7) - 1
        t.tm_mday = n(8..<10)
        t.tm_hour = n(11..<13)
        t.tm_min = n(14..<16)
        t.tm_sec = n(17..<19)
        var seconds = Double(timegm(&t))
        if b[19] == UInt8(ascii: "."), let end = b[20...].firstIndex(where: { !(48...57).contains($0) }) {
            seconds += Double("0." + String(decoding: b[20..<end], as: UTF8.self)) ?? 0
        }
        return seconds
    }
}

import BerthCgroups
import BerthRuntime
import BerthSys

extension HostTaskEngineAdapter {
    /// The real engine: runtime state in /run/berth, task logs and volumes under the agent's state
    /// directory, images from the default store (where `berth image import` puts them).
    static func make(runRoot: String = "/run/berth", dataRoot: String = "/var/lib/berth") throws -> HostTaskEngineAdapter {
        let cgroups = try Cgroups.driver()
        let berth = LinuxRuntime.currentExecutable()
        let reaper = berth.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/berth-reaper"
        let engine = HostTaskEngine(runRoot: runRoot, dataRoot: dataRoot, images: ImageStore(),
                                    cgroups: cgroups, runtime: LinuxRuntime(root: runRoot, cgroups: cgroups),
                                    initBinary: Files.exists(reaper) ? reaper : nil)
        return HostTaskEngineAdapter(engine: engine)
    }
}
