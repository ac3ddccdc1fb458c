import BerthECS
import BerthImages
import BerthSys
import BerthTestSupport
import Foundation
import Testing
@testable import BerthTasks

/// `TaskImageSource.provision`: each container's image pulled or taken from the store as the
/// policy says, with ECS's pull timestamps and errors, and the task definition's credentials and
/// platform passed to the registry client.
@Suite struct TaskImageSourceTests {
    final class Clock: @unchecked Sendable {
        var now = 1000.0
        func tick() -> Double { now += 1; return now }
    }

    struct World {
        let scratch = Scratch()
        let store: ImageStore
        let puller: DoublePuller
        let history: FilePullHistory
        let clock = Clock()

        init() throws {
            scratch.write("root/bin/hello", "hi")
            store = ImageStore(root: scratch.path + "/images")
            puller = DoublePuller(store: store, rootfs: scratch.path + "/root")
            history = FilePullHistory(path: scratch.path + "/pulled")
        }

        func source(_ policy: ImagePullPolicy, registry: Bool = true) -> TaskImageSource {
            let c = clock
            return TaskImageSource(store: store, coordinator: registry ? PullCoordinator(puller: puller) : nil, policy: policy,
                                   history: history, clock: { c.tick() })
        }

        /// An image already in the store, imported (no manifest digest).
        @discardableResult
        func cache(_ reference: String) throws -> ImageRecord { try store.importImage(reference, from: scratch.path + "/root") }
    }

    static let twoContainers = td(#"{"name": "web", "image": "web:1", "memory": 64}, {"name": "side", "image": "side:1", "memory": 64}"#)

    @Test func defaultPullsEveryImageAndTimesThePulls() throws {
        let w = try World()
        let out = try w.source(.default).provision(try definition(Self.twoContainers))
        #expect(w.puller.calls.map(\.reference).sorted() == ["side:1", "web:1"])
        #expect(out.records.map(\.digest) == [DoublePuller.digest("web:1"), DoublePuller.digest("side:1")])
        #expect(out.records.map(ProvisionedImages.imageDigest) == [DoublePuller.digest("web:1"), DoublePuller.digest("side:1")])
        // Started when pulling started, stopped when the last pull ended (the clock ticks once for each).
        #expect(out.pullStartedAt == 1001 && out.pullStoppedAt == 1002)
        #expect(w.history.contains("web:1") && w.history.contains("side:1"))
    }

    @Test func defaultFallsBackToTheCachedImageWhenThePullFails() throws {
        let w = try World()
        let cached = try w.cache("web:1")
        try w.cache("side:1")
        w.puller.fail("web:1", PullError(.network, "dial tcp: connection refused"))
        let out = try w.source(.default).provision(try definition(Self.twoContainers))
        #expect(out.records[0] == cached && out.fellBack == ["web:1"])
        #expect(out.records[1].digest == DoublePuller.digest("side:1"))
        #expect(out.pullStartedAt != nil && out.pullStoppedAt != nil)
        // An imported image has no manifest digest: imageDigest is its config id.
        #expect(ProvisionedImages.imageDigest(cached) == cached.id && cached.id.hasPrefix("sha256:"))
    }

    @Test func alwaysFailsTheTaskWithTheRegistryReason() throws {
        let w = try World()
        try w.cache("web:1")
        w.puller.fail("side:1", PullError(.unauthorized, "pull access denied for side, repository does not exist or may require authorization"))
        #expect {
            try w.source(.always).provision(try definition(Self.twoContainers))
        } throws: { error in
            guard let f = error as? ImagePullFailure else { return false }
            return f.container == "side" && f.index == 1 && f.reference == "side:1" && f.pullStartedAt == 1001 && f.pullStoppedAt != nil
                && f.ecsReason == "CannotPullContainerError: pull access denied for side, repository does not exist or may require authorization"
        }
        // default without a cached image fails the same way.
        w.puller.fail("other:1", PullError(.notFound, "manifest unknown"))
        #expect(throws: ImagePullFailure.self) {
            try w.source(.default).provision(try definition(td(#"{"name": "o", "image": "other:1", "memory": 64}"#)))
        }
    }

    @Test func preferCachedAndOnceSkipThePullAndLeaveNoPullTimes() throws {
        let w = try World()
        let cached = try w.cache("web:1")
        let one = try definition(td(#"{"name": "web", "image": "web:1", "memory": 64}"#))
        let preferred = try w.source(.preferCached).provision(one)
        #expect(preferred.records == [cached] && preferred.pullStartedAt == nil && preferred.pullStoppedAt == nil)
        #expect(w.puller.calls.isEmpty)
        // once: an imported image was never pulled here, so it is pulled the first time only.
        let first = try w.source(.once).provision(one)
        #expect(w.puller.calls.count == 1 && first.pullStartedAt != nil)
        let second = try w.source(.once).provision(one)
        #expect(w.puller.calls.count == 1 && second.pullStartedAt == nil && second.pullStoppedAt == nil)
        // once knows an image by its normalised name.
        #expect(TaskImageSource.historyKey("busybox") == TaskImageSource.historyKey("docker.io/library/busybox:latest"))
        #expect(w.history.contains("web:latest") == false && w.history.contains(TaskImageSource.historyKey("web:1")))
        // prefer-cached pulls what is missing.
        _ = try w.source(.preferCached).provision(try definition(td(#"{"name": "n", "image": "new:1", "memory": 64}"#)))
        #expect(w.puller.calls.map(\.reference) == ["web:1", "new:1"])
    }

    @Test func withoutARegistryOnlyTheStoreIsUsed() throws {
        let w = try World()
        let cached = try w.cache("web:1")
        let source = w.source(.always, registry: false)
        #expect(source.effectivePolicy == .never)
        #expect(try source.provision(try definition(td(#"{"name": "web", "image": "web:1", "memory": 64}"#))).records == [cached])
        #expect {
            try source.provision(try definition(td(#"{"name": "web", "image": "nginx:1.27", "memory": 64}"#)))
        } throws: { error in
            guard let e = error as? TranslationError else { return false }
            return e.kind == .image && e.path == "containerDefinitions[0].image"
                && e.message.hasPrefix("CannotPullContainerError: image \"nginx:1.27\" not found in the local image store")
        }
        #expect(w.puller.calls.isEmpty)
    }

    @Test func credentialsParameterAndRuntimePlatformReachTheRegistryClient() throws {
        let w = try World()
        #if arch(x86_64)
        let arch = "X86_64", platform = Platform(os: "linux", architecture: "amd64")
        #else
        let arch = "ARM64", platform = Platform(os: "linux", architecture: "arm64", variant: "v8")
        #endif
        let json = td(#"""
            {"name": "web", "image": "reg.example:5000/web:1", "memory": 64,
             "repositoryCredentials": {"credentialsParameter": "arn:aws:secretsmanager:us-east-1:000000000000:secret:reg-login"}},
            {"name": "side", "image": "side:1", "memory": 64}
            """#, task: #""runtimePlatform": {"cpuArchitecture": "\#(arch)", "operatingSystemFamily": "LINUX"},"#)
        _ = try w.source(.always).provision(try definition(json))
        #expect(w.puller.calls.sorted { $0.reference < $1.reference } == [
            DoublePuller.Call(reference: "reg.example:5000/web:1",
                              options: PullOptions(platform: platform, credentialsParameter: "arn:aws:secretsmanager:us-east-1:000000000000:secret:reg-login")),
            DoublePuller.Call(reference: "side:1", options: PullOptions(platform: platform, credentialsParameter: nil)),
        ])
        // Without runtimePlatform: this host's platform (nil).
        _ = try w.source(.always).provision(try definition(td(#"{"name": "web", "image": "web:1", "memory": 64}"#)))
        #expect(w.puller.calls.last?.options == PullOptions())
    }

    @Test func aTasksImagesArePulledAtOnceAndEachImageOnce() throws {
        let w = try World()
        w.puller.hold()
        let json = td(#"{"name": "a", "image": "web:1", "memory": 64}, {"name": "b", "image": "side:1", "memory": 64}, {"name": "c", "image": "web:1", "memory": 64}"#)
        let source = w.source(.always)
        let done = DispatchSemaphore(value: 0)
        let box = Box()
        let def = try definition(json)
        DispatchQueue(label: "provision").async {
            box.result = Result { try source.provision(def) }
            done.signal()
        }
        // Both distinct images are being pulled at the same time.
        let deadline = Date().addingTimeInterval(10)
        while w.puller.started < 2, Date() < deadline { usleep(2_000) }
        #expect(w.puller.started == 2)
        w.puller.release(2)
        #expect(done.wait(timeout: .now() + 10) == .success)
        let out = try #require(try box.result?.get())
        #expect(out.records.map(\.digest) == ["web:1", "side:1", "web:1"].map(DoublePuller.digest))
        #expect(w.puller.calls.count == 2)
    }

    final class Box: @unchecked Sendable { var result: Result<ProvisionedImages, any Error>? }

    @Test func thePlannerUsesThePulledRecords() throws {
        let w = try World()
        let one = try definition(td(#"{"name": "web", "image": "web:1", "memory": 64, "command": ["/bin/hello"]}"#))
        let out = try w.source(.always).provision(one)
        let planner = TaskPlanner(images: w.store, layout: TaskLayout(taskId: "t1", runRoot: w.scratch.path + "/run", dataRoot: w.scratch.path))
        let (_, preps) = try planner.plan(one, provisioned: out)
        #expect(preps[0].lowerDirs == w.store.lowerDirs(out.records[0]))
    }
}
