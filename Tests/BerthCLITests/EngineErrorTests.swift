import BerthAgent
import BerthCgroups
import BerthImages
import BerthRuntime
import BerthSys
import BerthTasks
import Testing
@testable import BerthCLI

/// `HostEngineAdapter.engineError`: errors of the task engine and below become the agent's
/// `EngineError` by their type, keep their cause, and read as TaskFailedToStart reasons did.
@Suite struct EngineErrorTests {
    @Test func translationErrorsByKind() {
        let image = HostEngineAdapter.engineError(TranslationError("containerDefinitions[0].image", "image nope:1 is not in the store", kind: .image))
        #expect(image.kind == .imageNotFound)
        #expect(image.message == "CannotPullContainerError: image nope:1 is not in the store (containerDefinitions[0].image)")
        // The store's messages already name ECS's error: not twice.
        let store = HostEngineAdapter.engineError(TranslationError("containerDefinitions[0].image", "CannotPullContainerError: image \"x:1\" not found", kind: .image))
        #expect(store.message == "CannotPullContainerError: image \"x:1\" not found (containerDefinitions[0].image)")
        let pull = HostEngineAdapter.engineError(PullError(.unauthorized, "pull access denied for x"))
        #expect(pull.kind == .imageNotFound && pull.message == "CannotPullContainerError: pull access denied for x")
        let netns = HostEngineAdapter.engineError(TranslationError("networkMode", "ResourceInitializationError: failed", kind: .resourceInitialization))
        #expect(netns.kind == .resourceInitialization && netns.message == "ResourceInitializationError: failed (networkMode)")
        let unknown = HostEngineAdapter.engineError(TranslationError("arn:task", "unknown task", kind: .notFound))
        #expect(unknown.kind == .notFound && unknown.message == "arn:task: unknown task")
        // The kind comes from the type, not the text: a message that looks like an ECS reason stays a definition problem.
        let definition = HostEngineAdapter.engineError(TranslationError("containerDefinitions[0].user", "FooError: bad user"))
        #expect(definition.kind == .invalidTaskDefinition && definition.message == "containerDefinitions[0].user: FooError: bad user")
        #expect((definition.cause as? TranslationError)?.path == "containerDefinitions[0].user")
    }

    @Test func aSysErrorKeepsItsStageAndErrnoIntoTheAnswer() throws {
        let sys = SysError("mkdir", errno: 28, detail: "/var/lib/berth/tasks/x")
        let e = HostEngineAdapter.engineError(sys)
        #expect(e.kind == .resourceExhausted)
        let cause = try #require(e.cause as? SysError)
        #expect(cause.stage == "mkdir" && cause.errno == 28)
        let answer = APIError(e, doing: "Exec failed")
        #expect(answer.type == "ServerException" && answer.status == 500)
        #expect(answer.message == "Exec failed: mkdir /var/lib/berth/tasks/x: No space left on device (errno 28)")
        #expect(HostEngineAdapter.engineError(SysError("mount", errno: 1)).kind == .internal)
    }

    @Test func runtimeAndCgroupErrorsByCase() throws {
        let stopped = HostEngineAdapter.engineError(RuntimeError.invalidState(id: "c1", status: .stopped, action: "exec"))
        #expect(stopped.kind == .notFound && stopped.message == RuntimeError.invalidState(id: "c1", status: .stopped, action: "exec").description)
        #expect(APIError(stopped, doing: "Exec failed").type == "InvalidParameterException")
        let fork = RuntimeError.sys(SysError("clone3", errno: 12))
        let e = HostEngineAdapter.engineError(fork)
        #expect(e.kind == .resourceExhausted && e.message == fork.description)
        #expect((e.cause as? SysError)?.stage == "clone3" && (e.cause as? SysError)?.errno == 12)
        let cgroup = HostEngineAdapter.engineError(RuntimeError.cgroup(.sys(SysError("mkdir /sys/fs/cgroup/pids/berth/x", errno: 28))))
        #expect(cgroup.kind == .resourceExhausted && cgroup.cause is CgroupError)
        #expect(HostEngineAdapter.engineError(CgroupError.notFound("berth/x")).kind == .notFound)
    }

    @Test func otherErrorsKeepTheirText() {
        let image = HostEngineAdapter.engineError(ImageError("layer sha256:ab is missing"))
        #expect(image.kind == .imageNotFound && image.message == ImageError("layer sha256:ab is missing").description)
        struct Odd: Error, CustomStringConvertible { var description: String { "odd" } }
        let odd = HostEngineAdapter.engineError(Odd())
        #expect(odd.kind == .internal && odd.message == "odd" && odd.cause is Odd)
        let engine = EngineError(.notFound, "as is")
        #expect(HostEngineAdapter.engineError(engine).message == "as is")
    }
}
