import BerthSys
import Foundation
import Testing
@testable import BerthInit

/// Where init loads the compiled seccomp filter (Docs/init.md, step 7): with no_new_privs as the
/// last step before `ready` (the filter need not allow init's own calls); without it before the
/// capabilities are dropped (loading then needs CAP_SYS_ADMIN). Through the syscall seam.
@Suite struct SeccompLoadOrderTests {
    typealias Setup = InitSetupOrderTests

    static let filter = try! SeccompFilter(program: [UInt8](repeating: 0, count: 16), flags: 1)

    static func run(_ sys: RecordingSyscalls, bundle: Setup.Bundle, noNewPrivileges: Bool) throws {
        sys.rootfs = bundle.rootfs
        sys.bundle = bundle.dir
        sys.lastCap = 2
        sys.fileModes = ["/proc/kcore": S_IFREG | 0o400, "/proc/acpi": S_IFDIR | 0o555]
        var spec = Setup.spec(bundle: bundle)
        spec.process?.noNewPrivileges = noNewPrivileges
        let config = InitConfig(mode: .create, id: "c1", spec: spec, bundle: bundle.dir)
        let create = CreateInit(config: config, sync: nil, sys: sys)
        var prepared = try create.enterNamespaces()
        prepared.seccomp = filter
        let start = try create.containerSetup(prepared)
        _ = try start.prepare()
    }

    @Test func withNoNewPrivsTheFilterIsTheLastStep() throws {
        let sys = RecordingSyscalls()
        try Self.run(sys, bundle: try Setup.Bundle(), noNewPrivileges: true)
        #expect(Array(sys.calls.suffix(3)) == ["nnp", "umask 22", "seccomp 2 flags 1"])
        #expect(sys.calls.filter { $0.hasPrefix("seccomp") }.count == 1)
    }

    @Test func withoutNoNewPrivsTheFilterComesBeforeTheCapabilitiesAreDropped() throws {
        let sys = RecordingSyscalls()
        try Self.run(sys, bundle: try Setup.Bundle(), noNewPrivileges: false)
        let at = try #require(sys.calls.firstIndex(of: "seccomp 2 flags 1"))
        #expect(sys.calls[at - 1] == "cloexec from 3")
        #expect(sys.calls[at + 1] == "drop 1")
        #expect(!sys.calls.contains("nnp"))
    }

    @Test(arguments: [true, false]) func aFailedLoadStopsSetupWithItsStageAndErrno(noNewPrivileges: Bool) throws {
        let sys = RecordingSyscalls()
        sys.failName = "seccomp"
        sys.failErrno = EINVAL
        var message = ""
        do { try Self.run(sys, bundle: try Setup.Bundle(), noNewPrivileges: noNewPrivileges) } catch { message = error.initMessage }
        #expect(message.contains("seccomp") && message.contains("errno \(EINVAL)"), "\(message)")
        #expect(sys.calls.last == "seccomp 2 flags 1")
    }

    @Test func aProgramThatIsNotWholeInstructionsIsRefused() {
        #expect(throws: InitError.self) { try SeccompFilter(program: [1, 2, 3], flags: 0) }
        #expect(throws: InitError.self) { try SeccompFilter(program: [], flags: 0) }
    }

    @Test func initReadsTheProgramItIsToldAbout() throws {
        let path = NSTemporaryDirectory() + "berth-seccomp-\(UUID().uuidString).bpf"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Files.writeAtomically(path, [UInt8](repeating: 7, count: 24))
        let filter = try #require(try SeccompFilter.load(.init(path: path, flags: 4)))
        #expect(filter.instructions == 3 && filter.flags == 4)
        #expect(throws: InitError.self) { try SeccompFilter.load(.init(path: path + ".missing", flags: 0)) }
    }
}
