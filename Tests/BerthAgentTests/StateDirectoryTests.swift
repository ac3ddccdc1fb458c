import BerthJSON
import BerthSys
import Testing
@testable import BerthAgent

/// A backend's state directory after `close()`: what was queued is on disk, and nothing is
/// written there afterwards, so a test's directory can be removed and stays removed.
@Suite struct StateDirectoryTests {
    /// 50 task changes queued by an engine merge (which does not wait for the writer).
    func queueTaskWrites(_ h: Harness) throws {
        _ = try h.register("f")
        for _ in 0..<5 { _ = try h.call("RunTask", ["taskDefinition": "f", "count": 10]) }
        h.clock.advance(1.5)
        h.backend.refreshFromEngine()
    }

    @Test func closeWritesWhatIsPendingAndThenNothing() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        try queueTaskWrites(h)
        h.backend.close()
        let files = try Files.list(dir.path + "/tasks").filter { $0.hasSuffix(".json") }
        let running = try files.filter { name in
            try JSONValue.parse(bytes: try Files.readBytes(dir.path + "/tasks/" + name))["task"]?["lastStatus"] == "RUNNING"
        }
        #expect(files.count == 50 && running.count == 50)
        // A change after close is answered but not written.
        _ = try h.call("CreateCluster", ["clusterName": "late"])
        #expect(!Files.exists(dir.path + "/clusters/late.json"))
        #expect(h.logs.all.contains("state store is closed: clusters/late is not persisted"))
    }

    @Test func aTestsDirectoryIsGoneAfterItEvenWithWritesQueued() throws {
        var path = ""
        var backend: ECSBackend?
        do {
            let dir = TempDir()
            path = dir.path
            let h = try Harness(dir: dir)
            try queueTaskWrites(h)
            backend = h.backend
        }
        backend?.flush()
        #expect(!Files.exists(path))
    }
}
