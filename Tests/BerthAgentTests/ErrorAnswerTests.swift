import BerthJSON
import BerthController
import BerthECS
import BerthHTTP
import BerthSys
import Testing
@testable import BerthAgent

/// `APIError(_:doing:)`: the one mapping from errors below the API to ECS error answers.
@Suite struct ErrorAnswerTests {
    @Test(arguments: [
        (EngineError.Kind.invalidTaskDefinition, "ClientException", 400), (.imageNotFound, "ClientException", 400),
        (.notFound, "InvalidParameterException", 400), (.resourceInitialization, "ServerException", 500),
        (.resourceExhausted, "ServerException", 500), (.internal, "ServerException", 500),
    ])
    func engineKinds(kind: EngineError.Kind, type: String, status: Int) {
        let answer = APIError(EngineError(kind, "what happened"), doing: "Exec failed")
        #expect(answer == APIError(type, "Exec failed: what happened", status: status))
    }

    @Test func everyKindHasAnAnswer() {
        for kind in EngineError.Kind.allCases { #expect(APIError.answer(for: kind).status >= 400) }
    }

    @Test func errorsThatAreAlreadyECSErrorsKeepTheirTypeAndMessage() {
        let api = APIError("ServiceNotFoundException", "Service not found.")
        #expect(APIError(api, doing: "ignored") == api)
        #expect(APIError(ServiceError("InvalidParameterException", "desiredCount must be between 0 and 5000.")) ==
                APIError("InvalidParameterException", "desiredCount must be between 0 and 5000."))
        #expect(APIError(ECSError(.clientException, "Container.image should not be null or empty.")) ==
                APIError("ClientException", "Container.image should not be null or empty."))
    }

    @Test func requestsTheHTTPAndJSONLayersRefuse() throws {
        do { _ = try JSONValue.parse(bytes: Array("{\"a\": ".utf8)); Issue.record("parsed") } catch {
            let answer = APIError(error, doing: "Request body is not valid JSON")
            #expect(answer.type == "SerializationException" && answer.status == 400 && answer.message == "Request body is not valid JSON: \(error)")
        }
        #expect(APIError(HTTPProtocolError(413, "too large")) == APIError("SerializationException", "too large", status: 413))
        #expect(APIError(HTTPProtocolError(503, "busy")) == APIError("ThrottlingException", "busy", status: 503))
    }

    @Test func anUnclassifiedErrorIsAServerException() {
        struct Odd: Error, CustomStringConvertible { var description: String { "odd" } }
        #expect(APIError(Odd(), doing: "Stats are not available") == APIError("ServerException", "Stats are not available: odd", status: 500))
    }

    @Test func theCauseChainIsKept() throws {
        let sys = SysError("openat /sys/fs/cgroup/x", errno: 28)
        let e = EngineError(.resourceExhausted, "\(sys)", cause: EngineError(.internal, "inner", cause: sys))
        #expect(e.chain.count == 3)
        #expect((e.chain.last as? SysError) == sys)
    }

    /// Through the API: an engine failure caused by a syscall answers with its stage and errno.
    @Test func aSyscallFailureReachesTheAnswerWithStageAndErrno() throws {
        let dir = TempDir()
        let clock = ManualClock()
        let c = clock
        let engine = FailingExecEngine(FakeTaskEngine(startDelay: 1, stopDelay: 1, exitDelay: 100, clock: { c.read() }))
        let store = try StateStore(root: dir.path, log: { _ in })
        let backend = dir.use(ECSBackend(config: BackendConfig(), store: store, engine: engine, clock: { c.read() }, log: { _ in }))
        _ = try backend.call("RegisterTaskDefinition", ["family": "f", "containerDefinitions": [["name": "app", "image": "busybox", "memory": 64]]])
        let arn = try #require(try backend.call("RunTask", ["taskDefinition": "f"])["tasks"]?.arrayValue?.first?["taskArn"])
        clock.advance(1.5)
        backend.refreshFromEngine()
        #expect(throws: APIError("ServerException", "Exec failed: fork (exec in app): Resource temporarily unavailable (errno 11)", status: 500)) {
            try backend.callPrivate("ExecuteCommand", ["task": arn, "command": ["true"]])
        }
    }
}

/// The fake engine, except that exec fails as a host out of processes would.
final class FailingExecEngine: TaskEngine, @unchecked Sendable {
    let inner: FakeTaskEngine
    init(_ inner: FakeTaskEngine) { self.inner = inner }
    func launch(_ plan: TaskLaunchPlan) throws { try inner.launch(plan) }
    func stop(taskArn: String, intent: StopIntent) { inner.stop(taskArn: taskArn, intent: intent) }
    func observe() -> [TaskObservation] { inner.observe() }
    func adopt(_ plan: TaskLaunchPlan, stop: StopIntent?) -> TaskObservation? { inner.adopt(plan, stop: stop) }
    func release(taskArn: String) { inner.release(taskArn: taskArn) }
    func logs(taskArn: String, container: String?, since: Double?, limit: Int) throws -> [LogEvent] {
        try inner.logs(taskArn: taskArn, container: container, since: since, limit: limit)
    }
    func stats(taskArn: String) throws -> TaskStats { try inner.stats(taskArn: taskArn) }
    func exec(taskArn: String, container: String, command: [String], timeoutSeconds: Double) throws -> ExecResult {
        let sys = SysError("fork", errno: 11, detail: "(exec in \(container))")
        throw EngineError(.resourceExhausted, sys.description, cause: sys)
    }
    func execTarget(taskArn: String, container: String) throws -> ExecTarget { try inner.execTarget(taskArn: taskArn, container: container) }
}
