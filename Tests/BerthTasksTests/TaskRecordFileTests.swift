import BerthECS
import BerthJSON
import BerthTestSupport
import Testing
@testable import BerthTasks

/// The task record and the final record are read back after an agent restart or an upgrade: files
/// the previous (Codable) version wrote must still read, and the keys written stay the same.
@Suite struct TaskRecordFileTests {
    /// What the Codable conformance wrote for `snapshot` (JSONEncoder, default formatting: the
    /// final record; `.sortedKeys`: the task record).
    static let writtenByCodable = #"{"taskId":"0123abcd","executionStoppedAt":1700000009.7,"stoppingAt":1700000009.6,"desiredStatus":"STOPPED","stoppedByContainer":"web","createdAt":1700000000.123456,"stoppedAt":1700000010,"stoppedReason":"Essential container in task exited","lastStatus":"STOPPED","startedAt":1700000001.3,"stopCode":"EssentialContainerExited","healthStatus":"UNHEALTHY","version":17,"containers":[{"startedAt":1700000001.25,"pid":4242,"finishedAt":1700000009.5,"restartCount":2,"essential":true,"exitCode":137,"healthStatus":"UNHEALTHY","networkBindings":[{"protocol":"tcp","container":"web","containerPort":80,"hostPort":8080,"bindIP":"127.0.0.1"}],"lastHealthOutput":"curl: (7) \"refused\"\n","name":"web","runtimeId":"t1-web","lastStatus":"STOPPED","reason":"OutOfMemoryError: Container killed due to memory usage","lastRestartAt":1700000005.125},{"healthStatus":"UNKNOWN","lastStatus":"PENDING","name":"side\/car","restartCount":0,"runtimeId":"t1-side","essential":false}]}"#
    static let sortedByCodable = #"{"containers":[{"essential":true,"exitCode":137,"finishedAt":1700000009.5,"healthStatus":"UNHEALTHY","lastHealthOutput":"curl: (7) \"refused\"\n","lastRestartAt":1700000005.125,"lastStatus":"STOPPED","name":"web","networkBindings":[{"bindIP":"127.0.0.1","container":"web","containerPort":80,"hostPort":8080,"protocol":"tcp"}],"pid":4242,"reason":"OutOfMemoryError: Container killed due to memory usage","restartCount":2,"runtimeId":"t1-web","startedAt":1700000001.25},{"essential":false,"healthStatus":"UNKNOWN","lastStatus":"PENDING","name":"side\/car","restartCount":0,"runtimeId":"t1-side"}],"createdAt":1700000000.123456,"desiredStatus":"STOPPED","executionStoppedAt":1700000009.7,"healthStatus":"UNHEALTHY","lastStatus":"STOPPED","startedAt":1700000001.3,"stopCode":"EssentialContainerExited","stoppedAt":1700000010,"stoppedByContainer":"web","stoppedReason":"Essential container in task exited","stoppingAt":1700000009.6,"taskId":"0123abcd","version":17}"#

    static let snapshot = TaskSnapshot(
        taskId: "0123abcd", lastStatus: .stopped, desiredStatus: .stopped, healthStatus: .unhealthy, stopCode: .essentialContainerExited,
        stoppedReason: "Essential container in task exited", createdAt: 1700000000.123456, startedAt: 1700000001.3,
        stoppingAt: 1700000009.6, executionStoppedAt: 1700000009.7, stoppedAt: 1700000010, version: 17, stoppedByContainer: "web",
        containers: [
            ContainerSnapshot(name: "web", runtimeId: "t1-web", essential: true, lastStatus: .stopped, exitCode: 137,
                              reason: "OutOfMemoryError: Container killed due to memory usage", healthStatus: .unhealthy,
                              lastHealthOutput: "curl: (7) \"refused\"\n", startedAt: 1700000001.25, finishedAt: 1700000009.5,
                              restartCount: 2, lastRestartAt: 1700000005.125, pid: 4242,
                              networkBindings: [PublishedPort(container: "web", containerPort: 80, hostPort: 8080)]),
            ContainerSnapshot(name: "side/car", runtimeId: "t1-side", essential: false, lastStatus: .pending, healthStatus: .unknown,
                              restartCount: 0),
        ])

    @Test(arguments: [writtenByCodable, sortedByCodable]) func readsWhatTheCodableVersionWrote(text: String) throws {
        #expect(try TaskSnapshot.read(json: Array(text.utf8)) == Self.snapshot)
    }

    @Test func writesTheSameKeysAndValues() throws {
        let written = try JSONValue.parse(bytes: Self.snapshot.recordBytes)
        #expect(written.serialized(sortedKeys: true) == (try JSONValue.parse(Self.sortedByCodable)).serialized(sortedKeys: true))
        #expect(try TaskSnapshot.read(json: Self.snapshot.recordBytes) == Self.snapshot)
    }

    @Test func recordFilesAreFoundWhereTheEngineKeepsThem() throws {
        let s = Scratch()
        let layout = TaskLayout(taskId: "0123abcd", runRoot: s.path + "/run", dataRoot: s.path + "/data")
        s.write("run/tasks/0123abcd/task.json", Self.sortedByCodable)
        s.write("data/tasks/0123abcd/task.json", Self.writtenByCodable)
        #expect(TaskRunner.record(layout) == Self.snapshot)
        #expect(TaskRunner.finalRecord(layout) == Self.snapshot)
    }

    @Test func badRecordsNameTheMember() {
        func problem(_ text: String) -> String {
            do { _ = try TaskSnapshot.read(json: Array(text.utf8)); return "" } catch { return "\(error)" }
        }
        let container = Self.sortedByCodable.replacing(#""healthStatus":"UNKNOWN""#, with: #""healthStatus":"SICK""#)
        #expect(problem(container) == "containers[1].healthStatus: unknown value SICK")
        let noVersion = Self.sortedByCodable.replacing(#","version":17"#, with: "")
        #expect(problem(noVersion) == "version: missing required field")
        let port = Self.sortedByCodable.replacing(#""hostPort":8080"#, with: #""hostPort":"8080""#)
        #expect(problem(port) == "containers[0].networkBindings[0].hostPort: expected an integer")
    }
}
