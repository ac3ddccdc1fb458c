import BerthSys
import Foundation
import Testing

/// Runs `.build/debug/berth run` on task definitions with a private image store, state and data
/// directory, and reads back its output and final task snapshot.
final class TaskHarness: @unchecked Sendable {
    static let repoRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3) // Tests/IntegrationTests/TaskHarness.swift
        return parts.joined(separator: "/")
    }()
    static var berth: String { repoRoot + "/.build/debug/berth" }
    static func taskDefinition(_ name: String) -> String { repoRoot + "/TaskDefinitions/\(name).json" }

    let root: String
    var images: String { root + "/images" }
    var state: String { root + "/run" }
    var data: String { root + "/data" }

    /// A fresh root with busybox:latest imported.
    init() throws {
        try #require(getuid() == 0, "task integration tests run real containers and must run as root")
        try #require(Files.exists(Self.berth), "build first: \(Self.berth) is missing")
        try #require(Files.exists(Self.repoRoot + "/.build/debug/berth-reaper"), "build first: berth-reaper is missing")
        root = "/tmp/berth-tasktest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Files.makeDirectories(root)
        let r = try Self.exec(["/bin/bash", Self.repoRoot + "/Scripts/make-busybox-image.sh", "--store", images], timeout: 120)
        try #require(r.status == 0, "make-busybox-image.sh failed: \(r.stderr)")
    }

    deinit { try? Files.removeTree(root) }

    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
        var snapshot: [String: Any]
        var taskId: String
        var duration: Double

        var containers: [[String: Any]] { snapshot["containers"] as? [[String: Any]] ?? [] }
        func container(_ name: String) -> [String: Any]? { containers.first { $0["name"] as? String == name } }
        func exitCode(_ name: String) -> Int? { container(name)?["exitCode"] as? Int }
        func reason(_ name: String) -> String? { container(name)?["reason"] as? String }
        var stopCode: String? { snapshot["stopCode"] as? String }
        var stoppedReason: String? { snapshot["stoppedReason"] as? String }
        /// Index of the first stderr event line containing `text` (events are in order).
        func eventIndex(_ text: String) -> Int? { stderr.split(separator: "\n").firstIndex { $0.contains(text) } }
    }

    /// `berth run` a file; `whileRunning` is called with the process once `waitFor` appears in the
    /// output (e.g. to send SIGTERM).
    func run(_ file: String, extra: [String] = [], timeout: Double = 120, waitFor: String? = nil,
             whileRunning: ((Process, String) -> Void)? = nil) throws -> Run {
        let taskId = "tt\(UInt32.random(in: 0...UInt32.max))"
        let snap = root + "/\(taskId).json"
        // Hermetic: the busybox image in the test's store is used as it is, never pulled again from
        // Docker Hub (ECS's default policy would try), unless a test asks for a policy.
        let pull = extra.contains("--pull") ? [] : ["--pull", "prefer-cached"]
        let args = ["run", "--task-id", taskId, "--run-root", state, "--data-dir", data, "--images", images, "--snapshot", snap] + pull + extra + [file]
        let start = Date()
        let r = try Self.exec([Self.berth] + args, timeout: timeout, waitFor: waitFor, whileRunning: whileRunning)
        var snapshot: [String: Any] = [:]
        if let d = FileManager.default.contents(atPath: snap), let obj = try JSONSerialization.jsonObject(with: d) as? [String: Any] {
            snapshot = obj
        }
        return Run(status: r.status, stdout: r.stdout, stderr: r.stderr, snapshot: snapshot, taskId: taskId,
                   duration: Date().timeIntervalSince(start))
    }

    /// Write a task definition to a temp file.
    func write(_ json: String) throws -> String {
        let path = root + "/td-\(UInt32.random(in: 0...UInt32.max)).json"
        try Files.writeAtomically(path, Array(json.utf8))
        return path
    }

    /// Nothing of the task is left: no mounts, no task dir, no netns, no cgroups.
    func expectCleanedUp(_ taskId: String) throws {
        let mounts = try Files.read("/proc/self/mountinfo")
        #expect(!mounts.contains(root + "/run"), "mounts left behind under \(root)/run")
        #expect(!Files.exists(state + "/tasks/\(taskId)"), "task directory left behind")
        #expect(!Files.exists(state + "/netns/task-\(taskId)"), "network namespace left behind")
        for h in ["memory", "cpu", "pids", "unified"] {
            #expect(!Files.exists("/sys/fs/cgroup/\(h)/berth/task-\(taskId)"), "cgroup left behind in \(h)")
        }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    final class Buffer: @unchecked Sendable {
        let lock = NSLock()
        var data = Data()
        func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
    }

    static func exec(_ argv: [String], timeout: Double, waitFor: String? = nil, whileRunning: ((Process, String) -> Void)? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let o = Buffer(), e = Buffer()
        out.fileHandleForReading.readabilityHandler = { o.append($0.availableData) }
        err.fileHandleForReading.readabilityHandler = { e.append($0.availableData) }
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        var triggered = false
        while p.isRunning {
            if let waitFor, !triggered, (o.text + e.text).contains(waitFor) {
                triggered = true
                whileRunning?(p, o.text + e.text)
            }
            if Date() > deadline {
                kill(p.processIdentifier, SIGINT)
                usleep(200_000)
                kill(p.processIdentifier, SIGINT)
                Issue.record("timed out after \(timeout)s: \(argv.joined(separator: " "))")
                break
            }
            usleep(50_000)
        }
        p.waitUntilExit()
        usleep(100_000)
        out.fileHandleForReading.readabilityHandler = nil
        err.fileHandleForReading.readabilityHandler = nil
        o.append(out.fileHandleForReading.readDataToEndOfFile())
        e.append(err.fileHandleForReading.readDataToEndOfFile())
        return Result(status: p.terminationStatus, stdout: o.text, stderr: e.text)
    }
}
