import BerthJSON
import BerthSys
import Testing
@testable import BerthAgent

/// Exec through the agent: `aws ecs execute-command` is answered with a pointer to `berth task
/// exec`, and `Berth.GetExecTarget` tells the CLI where a running container is.
@Suite struct ExecAnswerTests {
    func world(_ dir: borrowing TempDir) throws -> (ECSBackend, ManualClock, JSONValue) {
        let clock = ManualClock()
        let c = clock
        let engine = FakeTaskEngine(startDelay: 1, stopDelay: 1, exitDelay: 100, clock: { c.read() })
        let store = try StateStore(root: dir.path, log: { _ in })
        let backend = dir.use(ECSBackend(config: BackendConfig(), store: store, engine: engine, clock: { c.read() }, log: { _ in }))
        _ = try backend.call("RegisterTaskDefinition", ["family": "f", "containerDefinitions": [
            ["name": "app", "image": "busybox", "memory": 64], ["name": "side", "image": "busybox", "memory": 64, "essential": false],
        ]])
        let arn = try #require(try backend.call("RunTask", ["taskDefinition": "f"])["tasks"]?.arrayValue?.first?["taskArn"])
        return (backend, clock, arn)
    }

    @Test func executeCommandSaysToUseBerthTaskExec() throws {
        let dir = TempDir()
        let (backend, _, arn) = try world(dir)
        #expect(ECSBackend.operations.contains("ExecuteCommand"), "routed to the backend, not answered UnknownOperation")
        do {
            _ = try backend.call("ExecuteCommand", ["cluster": "default", "task": arn, "container": "app", "command": "sh", "interactive": true])
            Issue.record("ExecuteCommand answered")
        } catch {
            #expect(error.type == "TargetNotConnectedException" && error.status == 400)
            #expect(error.message.contains("berth task exec -it TASK"), "\(error.message)")
        }
    }

    @Test func execTargetNamesTheRunningContainer() throws {
        let dir = TempDir()
        let (backend, clock, arn) = try world(dir)
        // Not running yet.
        #expect(throws: APIError.invalidParameter("The task is PROVISIONING, not RUNNING.")) {
            try backend.callPrivate("GetExecTarget", ["task": arn])
        }
        clock.advance(1.5)
        backend.refreshFromEngine()
        let first = try backend.callPrivate("GetExecTarget", ["task": arn])
        #expect(first["container"] == "app" && first["runtimeId"]?.stringValue?.hasSuffix("-app") == true && first["runtimeRoot"] != nil)
        let side = try backend.callPrivate("GetExecTarget", ["task": arn, "container": "side"])
        #expect(side["container"] == "side")
        #expect(throws: APIError.invalidParameter("The task has no container named \"nope\".")) {
            try backend.callPrivate("GetExecTarget", ["task": arn, "container": "nope"])
        }
    }
}
