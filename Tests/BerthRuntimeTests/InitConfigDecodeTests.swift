@testable import BerthInit
@testable import BerthRuntime
import Foundation
import Testing

/// `berth-init` reads init.json with its own JSON reader (no Codable); it must read back exactly
/// what the runtime's JSONEncoder wrote, and name the path of anything wrong.
@Suite struct InitConfigDecodeTests {
    static func fullConfig() -> InitConfig {
        let process = Spec.Process(
            terminal: false,
            user: Spec.User(uid: 1000, gid: 4_294_967_294, umask: 0o022, additionalGids: [10, 20], username: "nobody:nogroup"),
            args: ["sh", "-c", "echo \"quoted\" \\ back/slash\ttab\nline é 😀 \u{1}"],
            env: ["PATH=/usr/bin:/bin", "EMPTY="], cwd: "/work dir",
            capabilities: Spec.Capabilities(bounding: ["CAP_KILL"], effective: [], inheritable: nil, permitted: ["CAP_KILL"], ambient: nil),
            rlimits: [Spec.Rlimit(type: "RLIMIT_NOFILE", soft: 1024, hard: UInt64.max)],
            noNewPrivileges: true, oomScoreAdj: -500)
        let linux = Spec.Linux(
            namespaces: [Spec.Namespace(type: "pid"), Spec.Namespace(type: "network", path: "/run/netns/x")],
            resources: Spec.Resources(memory: Spec.Memory(limit: 64 << 20, reservation: nil, swap: -1),
                                      cpu: Spec.CPU(shares: 512, quota: -1, period: 100_000), pids: Spec.Pids(limit: 100)),
            cgroupsPath: "berth/abc", maskedPaths: ["/proc/kcore"], readonlyPaths: ["/proc/sys"],
            rootfsPropagation: "rprivate", sysctl: ["net.ipv4.ip_forward": "1"])
        let spec = Spec(ociVersion: "1.0.2", process: process, root: Spec.Root(path: "/b/rootfs", readonly: true),
                        hostname: "h", domainname: nil,
                        mounts: [Spec.Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec"])],
                        linux: linux, annotations: ["a": "b", "ü": ""])
        return InitConfig(mode: .exec, id: "c1", spec: spec, bundle: "/b",
                          execFifo: "/run/berth/c1/exec.fifo", targetPid: 4242, targetStartTime: 123_456_789_012, explain: true)
    }

    @Test(arguments: [false, true]) func readsWhatJSONEncoderWrites(pretty: Bool) throws {
        let encoder = JSONEncoder()
        if pretty { encoder.outputFormatting = [.prettyPrinted, .sortedKeys] }
        for config in [Self.fullConfig(), InitConfig(mode: .create, id: "m", spec: Spec(), bundle: "/x")] {
            let bytes = Array(try encoder.encode(config))
            #expect(try InitConfig.decode(json: bytes) == config)
            #expect(try InitConfig.decode(json: bytes) == JSONDecoder().decode(InitConfig.self, from: Data(bytes)))
            #expect(try Bundle.decode(Array(try encoder.encode(config.spec)), file: "config.json") == config.spec)
            // What the runtime writes now: read back equal by both readers.
            let written = config.encodedJSON()
            #expect(try InitConfig.decode(json: written) == config)
            #expect(try JSONDecoder().decode(InitConfig.self, from: Data(written)) == config)
        }
    }

    @Test func readsEscapesAndSurrogatePairs() throws {
        let json = #"{"mode":"create","id":"a\u00e9\ud83d\ude00\/\"","spec":{"ociVersion":"1"},"bundle":"b","explain":false,"execFifo":null}"#
        let config = try InitConfig.decode(json: Array(json.utf8))
        #expect(config.id == "aé😀/\"")
        #expect(config.execFifo == nil)
    }

    @Test func errorsNameThePath() {
        func message(_ json: String) -> String {
            do { _ = try InitConfig.decode(json: Array(json.utf8)); return "" } catch { return "\(error)" }
        }
        let head = #"{"mode":"create","id":"a","bundle":"b","explain":false,"#
        #expect(message(head + #""spec":{"ociVersion":"1","process":{"user":{"uid":0,"gid":0},"args":["sh",5],"cwd":"/"}}}"#)
            .contains("spec.process.args[1]: expected a string"))
        #expect(message(head + #""spec":{"ociVersion":"1","process":{"user":{"uid":-1,"gid":0},"args":[],"cwd":"/"}}}"#)
            .contains("spec.process.user.uid"))
        #expect(message(head + #""spec":{}}"#).contains("spec.ociVersion: missing required field"))
        #expect(message(#"{"mode":"run"}"#).contains("mode: unknown mode run"))
        #expect(message(head + #""spec":{"ociVersion":"1"}"#) == "line 1, column 81: expected ',' or '}' after object member, found end of input")
        #expect(message(head + #""spec":{"ociVersion":"1"}} x"#).contains("column 83: unexpected word \"x\" after the end of the JSON document"))
    }
}
