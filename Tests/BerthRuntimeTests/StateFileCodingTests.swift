@testable import BerthRuntime
import Foundation
import Testing

/// state.json and exit.json are written and read without Codable (`ContainerState+JSON`);
/// the text must stay what JSONEncoder/JSONDecoder write and read, so older and newer readers agree.
@Suite struct StateFileCodingTests {
    static let exit = ExitInfo(exitCode: 137, signal: 9, oomKilled: true, startedAtNanos: 1_700_000_000_000_000_001,
                               finishedAtNanos: 1_700_000_000_500_000_000)
    static let full = ContainerState(id: "web-1", status: .running, pid: 4242, bundle: "/b/ü \"q\"",
                                     annotations: ["a": "b", "org.x/y": "1"], pidStartTime: 123_456, monitorPid: 4241,
                                     createdAtNanos: 1_700_000_000_000_000_000, cgroupPath: "berth/web-1",
                                     namespacePaths: ["pid": "/proc/4242/ns/pid", "network": "/var/run/netns/t"],
                                     exit: exit, monitorStartTime: 99, rootfs: "/b/rootfs")
    static let minimal = ContainerState(id: "m", status: .creating, pid: 0, bundle: "/x")

    @Test(arguments: [full, minimal]) func stateRoundTripsWithJSONEncoderAndDecoder(state: ContainerState) throws {
        let written = state.jsonValue.serializedBytes(sortedKeys: true)
        #expect(try ContainerState.decode(json: written) == state)
        #expect(try JSONDecoder().decode(ContainerState.self, from: Data(written)) == state)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: written, as: UTF8.self) == String(decoding: try encoder.encode(state), as: UTF8.self))
        #expect(try ContainerState.decode(json: Array(try JSONEncoder().encode(state))) == state)
    }

    /// exit.json comes from the monitor (Embedded Swift, its own writer): read it as written there.
    @Test func readsTheMonitorsExitRecord() throws {
        let json = #"{"exitCode":137,"signal":9,"oomKilled":true,"startedAtNanos":1700000000000000001,"finishedAtNanos":1700000000500000000}"# + "\n"
        #expect(try ExitInfo.decode(json: Array(json.utf8)) == Self.exit)
        let plain = #"{"exitCode":0,"oomKilled":false,"finishedAtNanos":5}"#
        #expect(try ExitInfo.decode(json: Array(plain.utf8)) == ExitInfo(exitCode: 0, finishedAtNanos: 5))
    }

    @Test func errorsNameTheField() {
        func message(_ json: String) -> String {
            do { _ = try ContainerState.decode(json: Array(json.utf8)); return "" } catch { return "\(error)" }
        }
        #expect(message(#"{"ociVersion":"1","id":"a","status":"paused","pid":1,"bundle":"/b"}"#).contains("status: unknown status paused"))
        #expect(message(#"{"ociVersion":"1","id":"a","status":"running","bundle":"/b"}"#).contains("pid: missing required field"))
        #expect(message(#"{"ociVersion":"1","id":"a","status":"running","pid":1,"bundle":"/b","exit":{"exitCode":"x"}}"#)
            .contains("exit.exitCode: expected an integer"))
    }
}
