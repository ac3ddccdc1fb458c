@testable import BerthRuntime
import BerthInit
import BerthJSON
import Foundation
import Testing

/// Every property of the runtime-spec config schema for Linux (Tests/Fixtures/oci-schema-properties.txt,
/// made by Scripts/oci-schema-properties.py from a named runtime-spec commit) is either read by a
/// `JSONRecord` member list of `Spec` or refused by `RefusedSpecFields`: never silently ignored.
@Suite struct SchemaWalkTests {
    static let properties: [String] = {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/oci-schema-properties.txt")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
    }()

    enum Verdict: Equatable { case honoured, refused, ignored, both }

    /// Walks `path` (`mounts[].uidMappings[].size`) down Spec's member lists.
    static func verdict(_ path: String) -> Verdict {
        var record: (any JSONRecord.Type)? = Spec.self
        var pattern = ""
        for part in path.split(separator: ".").map(String.init) {
            let key = part.hasSuffix("[]") ? String(part.dropLast(2)) : part
            let refused = RefusedSpecFields.all[pattern.isEmpty ? key : pattern + "." + key] != nil
            pattern += pattern.isEmpty ? part : "." + part
            guard let current = record else { return refused ? .both : .honoured }  // a leaf read as a whole
            guard let member = current.memberList.first(where: { $0.key == key }) else { return refused ? .refused : .ignored }
            if refused { return .both }
            record = member.record
        }
        return .honoured
    }

    @Test func theSchemaListIsThere() {
        #expect(Self.properties.count > 200)
        #expect(Self.properties.contains("linux.intelRdt.closID") && Self.properties.contains("hooks.poststop[].timeout"))
    }

    @Test func everySchemaPropertyIsHonouredOrRefused() {
        let ignored = Self.properties.filter { Self.verdict($0) == .ignored }
        #expect(ignored.isEmpty, "silently ignored (add a member or a RefusedSpecFields entry): \(ignored)")
    }

    @Test func noPropertyIsBothHonouredAndRefused() {
        let both = Self.properties.filter { Self.verdict($0) == .both }
        #expect(both.isEmpty, "read by Spec and refused: remove from RefusedSpecFields: \(both)")
    }

    @Test func everyRefusedPathIsASchemaProperty() {
        let stale = RefusedSpecFields.all.keys.filter { !Self.properties.contains($0) }.sorted()
        #expect(stale.isEmpty, "not in the schema: \(stale)")
    }

    @Test func hooksAreHonoured() {
        for kind in ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"] {
            for field in ["path", "args", "env", "timeout"] {
                #expect(Self.verdict("hooks.\(kind)[].\(field)") == .honoured)
            }
        }
        #expect(Self.verdict("linux.intelRdt.closID") == .refused)
        #expect(Self.verdict("linux.resources.memory.limit") == .honoured)
        #expect(Self.verdict("linux.made.up") == .ignored)
    }

    @Test func refusedFieldsAreNamedWithTheirPath() throws {
        let doc = try JSONValue.parse(bytes: Array("""
            {"ociVersion": "1.0.2",
             "process": {"apparmorProfile": "", "selinuxLabel": null, "scheduler": {"policy": "SCHED_FIFO"}},
             "mounts": [{"destination": "/a"}, {"destination": "/b", "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}],
             "linux": {"intelRdt": {"closID": "x"}, "resources": {"memory": {"disableOOMKiller": false, "swappiness": 0}},
                       "unknownToTheSchema": {"a": 1}}}
            """.utf8))
        let issues = RefusedSpecFields.issues(in: doc).map(\.description)
        #expect(issues == [
            "linux.intelRdt: is not supported: Berth has no Intel RDT (resctrl) support",
            "linux.resources.memory.swappiness: is not supported: Berth sets no swappiness",
            "mounts[1].uidMappings: is not supported: idmapped bind mounts per mount are not implemented (a user namespace's rootfs is idmapped; see linux.uidMappings)",
            "process.scheduler: is not supported: Berth sets no scheduling policy",
        ], "\(issues)")
    }

    @Test func bundleDecodingRefusesThemBeforeAnythingElse() throws {
        let bytes = Array(#"{"ociVersion": "1.0.2", "linux": {"timeOffsets": {"monotonic": {"secs": 1}}}}"#.utf8)
        #expect(throws: BundleError.self) { try Bundle.decode(bytes, file: "b/config.json") }
        do { _ = try Bundle.decode(bytes, file: "b/config.json") } catch {
            #expect(error.description == "b/config.json: linux.timeOffsets: is not supported: Berth creates no time namespace offsets")
        }
    }

    @Test func hooksRoundTripThroughTheSpec() throws {
        let bytes = Array(#"{"ociVersion": "1.0.2", "hooks": {"poststop": [{"path": "/bin/x", "args": ["x", "-f"], "env": ["A=1"], "timeout": 5}]}}"#.utf8)
        let spec = try Bundle.decode(bytes, file: "config.json")
        #expect(spec.hooks?.poststop == [Spec.Hook(path: "/bin/x", args: ["x", "-f"], env: ["A=1"], timeout: 5)])
        #expect(try Spec.read(json: spec.jsonValue.serializedBytes(sortedKeys: true)) == spec)
    }
}

extension JSONRecord {
    /// The members' keys and nested records, reachable from an existential metatype.
    static var memberList: [(key: String, record: (any JSONRecord.Type)?)] { members.map { ($0.key, $0.record) } }
}
