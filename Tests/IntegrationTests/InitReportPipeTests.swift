import BerthInit
import BerthSys
import CBerth
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Create mode with the runtime's report pipe as fd 4 and `--report-fd 4`, as berth-monitor
/// passes it: init writes
/// every line (`pid`, `ready`, `error`) to the runtime directly as well as to the monitor's sync
/// pipe on fd 3, in the same order, and the container's program inherits neither pipe.
@Suite(.serialized) struct InitReportPipeTests {
    struct Run {
        var sync: [String]
        var report: [String]
        var output: String
    }

    static func run(_ args: [String], flag: Bool = true) throws -> Run {
        let bundle = try InitHarness.makeBundle()
        let dir = try InitHarness.tempDir("report")
        defer { InitHarness.cleanup(bundle, dir) }
        let spec = InitHarness.spec(bundle: bundle, args: args)
        try Files.writeAtomically(dir + "/init.json", Array(try JSONEncoder().encode(InitConfig(mode: .create, id: "report", spec: spec, bundle: bundle))))
        let (syncR, syncW) = try makePipe()
        let (reportR, reportW) = try makePipe()
        defer { syncR.close(); reportR.close() }
        let out = open(dir + "/out", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = open("/dev/null", O_RDONLY | O_CLOEXEC)
        let pid = InitHarness.spawn([InitHarness.initExe, dir] + (flag ? ["--report-fd", "4"] : []), stdin: null, stdout: out, stderr: out,
                                    keep: [syncW.rawValue, reportW.rawValue])
        close(out); close(null)
        syncW.close(); reportW.close()
        try #require(pid > 0)
        // EOF on both once init's intermediate has exited and the container process has exec'd
        // (or failed): neither pipe may stay open in the program.
        let report = try reportR.readAll()
        let sync = try syncR.readAll()
        _ = InitHarness.waitStatus(pid)
        let lines = { (b: [UInt8]) in String(decoding: b, as: UTF8.self).split(separator: "\n").map(String.init) }
        let reportLines = lines(report)
        if let first = reportLines.first, first.hasPrefix("pid "), let child = Int32(first.dropFirst(4)) {
            #expect(InitHarness.waitGone(child))
        }
        return Run(sync: lines(sync), report: reportLines, output: (try? Files.read(dir + "/out")) ?? "")
    }

    @Test func everyLineReachesBothPipesAndTheProgramHasNeither() throws {
        try InitHarness.requireRoot()
        let r = try Self.run(["/bin/sh", "-c", "for fd in 3 4; do [ -e /proc/self/fd/$fd ] && echo fd $fd open; done; echo done"])
        #expect(r.report.count == 2 && r.report.first?.hasPrefix("pid ") == true && r.report.last == "ready", "\(r.report) \(r.output)")
        #expect(r.sync == r.report)
        #expect(r.output == "done\n")
    }

    /// Without `--report-fd` fd 4 is not init's to write (exec mode's console socket is fd 4).
    @Test func withoutTheFlagFd4IsLeftAlone() throws {
        try InitHarness.requireRoot()
        let r = try Self.run(["/bin/true"], flag: false)
        #expect(r.report.isEmpty, "\(r.report)")
        #expect(r.sync.count == 2 && r.sync.last == "ready", "\(r.sync) \(r.output)")
    }

    @Test func anErrorReachesBothPipesOnce() throws {
        try InitHarness.requireRoot()
        let r = try Self.run(["/no/such/program"])
        #expect(r.report.count == 2 && r.report.first?.hasPrefix("pid ") == true, "\(r.report) \(r.output)")
        #expect(r.report.last?.hasPrefix("error exec") == true && r.report.last?.contains("/no/such/program") == true, "\(r.report)")
        #expect(r.sync == r.report)
    }
}
