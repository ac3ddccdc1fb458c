import BerthImages
import BerthInit
import Synchronization
import Testing
@testable import BerthTasks

/// The host's pids limit per container (Docs/tasks.md, "Process limit").
@Suite struct PidsLimitTests {
    @Test func parseAcceptsPositiveNumbersAndUnlimited() throws {
        #expect(try PidsLimit.parse("64").get() == 64)
        #expect(try PidsLimit.parse("2048").get() == 2048)
        #expect(try PidsLimit.parse("-1").get() == PidsLimit.unlimited)
        #expect(try PidsLimit.parse("max").get() == PidsLimit.unlimited)
        for bad in ["0", "-2", "", "12k", "1.5", "MAX"] {
            guard case .failure(let e) = PidsLimit.parse(bad) else { Issue.record("\(bad.debugDescription) was accepted"); continue }
            #expect(e.path == "--pids-limit")
            #expect(e.message == "\(bad.debugDescription) is not a positive number of processes, or -1 / max for no limit")
        }
    }

    @Test func specBuilderPutsTheLimitOnEveryContainer() throws {
        let json = td(#"{"name": "a", "image": "x", "memory": 64}, {"name": "b", "image": "x", "memory": 64}"#)
        for i in 0..<2 {
            #expect(try build(json, index: i).plan.spec.linux?.resources?.pids == Spec.Pids(limit: 2048), "default is Podman's")
        }
        var b = SpecBuilder(task: try definition(json), layout: TaskLayout(taskId: "abc123"), pidsLimit: 64)
        b.readFile = { _ in "" }
        #expect(try b.build(index: 1, image: ImageConfig(Cmd: ["/bin/sh"]), lowerDirs: ["/l"]).plan.spec.linux?.resources?.pids?.limit == 64)
        b.pidsLimit = PidsLimit.unlimited
        #expect(try b.build(index: 0, image: ImageConfig(Cmd: ["/bin/sh"]), lowerDirs: ["/l"]).plan.spec.linux?.resources?.pids?.limit == -1)
    }

    @Test func reasonNamesTheLimitAndTheRefusedForks() {
        #expect(PidsLimit.reason(limit: 64, hits: 3) == "pids limit (64) reached: fork failed 3 times")
        #expect(PidsLimit.reason(limit: 2048, hits: 1) == "pids limit (2048) reached: fork failed 1 time")
        #expect(PidsLimit.reason(limit: -1, hits: 2) == "pids limit (max) reached: fork failed 2 times")
    }

    @Test func hittingTheLimitIsAnEventOnceAndTheReasonAtExit() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["bomb": Behavior(runFor: 5, exitCodes: [2]), "calm": Behavior()])
        var bomb = container("bomb", essential: false)
        bomb.spec.linux = Spec.Linux(resources: Spec.Resources(pids: Spec.Pids(limit: 64)))
        let events = Mutex<[TaskEvent]>([])
        let m = machine([bomb, container("calm")], rt, clock) { e in events.withLock { $0.append(e) } }
        let hits = Mutex<UInt64>(0)
        m.readPidsLimitHits = { name in name == "bomb" ? hits.withLock { $0 } : 0 }
        _ = drive(m, clock, for: 2)
        hits.withLock { $0 = 7 }
        let s = drive(m, clock, for: 10) { $0.container("bomb")?.lastStatus == .stopped }
        let reported = events.withLock { $0 }.filter { $0.kind == .pidsLimitReached }
        #expect(reported.map(\.description) == ["bomb: pids limit (64) reached: fork failed 7 times"])
        #expect(reported.first?.isProblem == true)
        #expect(s.container("bomb")?.reason == "pids limit (64) reached: fork failed 7 times")
        #expect(s.container("bomb")?.exitCode == 2)
        #expect(s.container("calm")?.reason == nil)
        #expect(s.container("calm")?.lastStatus == .running)
    }

    @Test func oomReasonWinsOverThePidsLimit() {
        let clock = VirtualClock()
        let rt = FakeRuntime(clock: clock, ["hog": Behavior(runFor: 2, oom: true)])
        let m = machine([container("hog")], rt, clock)
        m.readPidsLimitHits = { _ in 3 }
        #expect(drive(m, clock).container("hog")?.reason == "OutOfMemoryError: Container killed due to memory usage")
    }
}
