import BerthRuntime
import BerthSys
import CBerth
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct InitIsolationTests {
    @Test func createRunsProgramAsPID1InItsOwnNamespaces() throws {
        try InitHarness.requireRoot()
        let bundle = try InitHarness.makeBundle()
        defer { InitHarness.cleanup(bundle) }
        let script = "echo pid=$$; hostname; ls /work >/dev/null 2>&1 && echo work-visible || echo work-hidden; ps -o pid,comm; true"
        let config = InitConfig(mode: .create, id: "t1", spec: InitHarness.spec(bundle: bundle, args: ["/bin/sh", "-c", script]),
                                bundle: bundle)
        let (s, out) = try InitHarness.runContainer(config)
        defer { InitHarness.cleanup(s.stateDir) }
        #expect(s.lines.first?.hasPrefix("pid ") == true)
        #expect(s.lines.contains("ready"))
        let lines = out.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(Array(lines.prefix(3)) == ["pid=1", "berth-test", "work-hidden"], "stdout: \(out) stderr: \(s.stderr)")
        // ps sees only the container: sh as PID 1 and ps itself.
        let ps = Array(lines.dropFirst(3))
        #expect(ps.count == 3 && ps[1] == "1 sh" && ps[2].hasSuffix(" ps"), "ps: \(out)")
    }
}
