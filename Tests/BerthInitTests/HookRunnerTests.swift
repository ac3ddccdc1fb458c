import BerthSys
import Foundation
import Glibc
import Testing
@testable import BerthInit

/// HookRunner on real processes (no root needed): state on stdin, exact env and argv, the
/// failure messages, the timeout kill, and runAll going on after a failure.
@Suite struct HookRunnerTests {
    let dir: String

    init() throws {
        dir = "/tmp/berth-hook-runner-\(getpid())-\(UUID().uuidString)"
        try Files.makeDirectories(dir)
    }

    func cleanUp() { try? Files.removeTree(dir) }

    func script(_ name: String, _ body: String) throws -> String {
        let path = dir + "/" + name
        try Data("#!/bin/sh\n\(body)\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        return path
    }

    func read(_ name: String) -> String { (try? String(contentsOfFile: dir + "/" + name, encoding: .utf8)) ?? "" }

    @Test func theHookGetsTheStateOnStdinAndExactlyItsEnvAndArgs() throws {
        defer { cleanUp() }
        let state = HookState.json(id: "c1", status: "creating", pid: 42, bundle: "/b", annotations: ["k": "v"])
        let hook = Spec.Hook(path: "/bin/sh", args: ["sh", "-c", "cat > \(dir)/state; echo \"$0|$1|$FOO|$HOME|$(env | wc -l)\" > \(dir)/args", "first"],
                             env: ["FOO=bar", "PATH=/usr/bin:/bin"])
        try HookRunner.run([hook], kind: "createRuntime", state: state)
        #expect(read("state") == #"{"annotations":{"k":"v"},"bundle":"/b","id":"c1","ociVersion":"1.0.2","pid":42,"status":"creating"}"#)
        // env: FOO, PATH and the PWD sh adds; nothing inherited from the test process.
        #expect(read("args").hasPrefix("first||bar||"), "\(read("args"))")
        #expect(Int(read("args").split(separator: "|").last!.trimmingCharacters(in: .whitespacesAndNewlines))! <= 3)
    }

    @Test func withoutArgsTheArgvIsThePath() throws {
        defer { cleanUp() }
        let path = try script("argv", "echo \"$0 $#\" > \(dir)/out")
        try HookRunner.run([Spec.Hook(path: path)], kind: "poststart", state: [])
        #expect(read("out") == "\(path) 0\n")
    }

    @Test func failuresNameTheHookAndHowItFailed() throws {
        defer { cleanUp() }
        let cases: [(Spec.Hook, String)] = [
            (Spec.Hook(path: "/bin/false"), "hooks.prestart[0] (/bin/false): exited with status 1"),
            (Spec.Hook(path: "/bin/sh", args: ["sh", "-c", "kill -9 $$"]), "hooks.prestart[0] (/bin/sh): killed by signal 9"),
            (Spec.Hook(path: dir + "/missing"), "hooks.prestart[0] (\(dir)/missing): cannot run: No such file or directory"),
        ]
        for (hook, message) in cases {
            #expect(throws: HookFailure.self) { try HookRunner.run([hook], kind: "prestart", state: []) }
            do { try HookRunner.run([hook], kind: "prestart", state: []) } catch { #expect(error.description == message) }
        }
    }

    @Test func aHookPastItsTimeoutIsKilled() throws {
        defer { cleanUp() }
        let began = Date()
        let hook = Spec.Hook(path: "/bin/sleep", args: ["sleep", "20"], timeout: 1)
        do {
            try HookRunner.run([hook], kind: "poststart", state: [])
            Issue.record("the hook should have timed out")
        } catch {
            #expect(error.description == "hooks.poststart[0] (/bin/sleep): did not finish within its timeout of 1s; killed")
        }
        let took = Date().timeIntervalSince(began)
        #expect(took >= 1 && took < 5, "\(took)")
    }

    @Test func runStopsAtTheFirstFailureAndRunAllGoesOn() throws {
        defer { cleanUp() }
        let mark = try script("mark", "echo ran >> \(dir)/marks")
        let hooks = [Spec.Hook(path: "/bin/false"), Spec.Hook(path: mark)]
        #expect(throws: HookFailure.self) { try HookRunner.run(hooks, kind: "createRuntime", state: []) }
        #expect(read("marks") == "")
        let failures = HookRunner.runAll(hooks, kind: "poststop", state: [])
        #expect(failures.map(\.field) == ["hooks.poststop[0]"])
        #expect(read("marks") == "ran\n")
    }

    @Test func aLargeStateReachesTheHook() throws {
        defer { cleanUp() }
        let annotations = Dictionary(uniqueKeysWithValues: (0..<3000).map { ("key\($0)", String(repeating: "v", count: 40)) })
        let state = HookState.json(id: "c1", status: "stopped", pid: 0, bundle: "/b", annotations: annotations)
        #expect(state.count > 65536)
        try HookRunner.run([Spec.Hook(path: "/bin/sh", args: ["sh", "-c", "cat > \(dir)/state"])], kind: "poststop", state: state)
        #expect(read("state").utf8.count == state.count)
    }
}
