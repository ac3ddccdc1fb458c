import BerthSys
import Foundation
import Glibc
import Testing

/// `berth-oci`, the OCI runtime without the rest of `berth` (what podman or containerd take as
/// `--runtime`): the same runtime as `berth oci` (same state root, lifecycle, output and errors,
/// named after itself), and free of Foundation, which is what makes it start faster.
@Suite(.serialized) struct BerthOCIExecutableTests {
    static let exe = OCIHarness.repo + "/.build/debug/berth-oci"

    @Test func runsContainersAndSharesTheStateRootWithBerthOCI() throws {
        let h = try OCIHarness("berthoci")
        defer { h.cleanUp() }
        let bundle = try h.bundle(["sh", "-c", "echo out-line; exit 7"])
        let r = try h.run(Self.exe, ["--root", h.root, "run", "--bundle", bundle, h.id])
        #expect(r.status == 7, "\(r.stderr)")
        #expect(r.stdout == "out-line\n")
        #expect(try h.leftovers(h.id).isEmpty, "run deletes the container afterwards")

        // Created and started by berth-oci, seen and deleted by `berth oci`.
        let sleeper = try h.bundle(["sleep", "100"], name: "sleeper")
        #expect(try h.run(Self.exe, ["--root", h.root, "create", "--bundle", sleeper, h.id]).status == 0)
        #expect(try h.state().status == "created")
        #expect(try h.run(Self.exe, ["--root", h.root, "start", h.id]).status == 0)
        #expect(try h.state().status == "running")
        let state = try h.run(Self.exe, ["--root", h.root, "state", h.id])
        let viaBerth = try h.oci(["state", h.id])
        #expect(state.status == 0 && state.stdout == viaBerth.stdout)
        #expect(try h.oci(["delete", "--force", h.id]).status == 0)
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func errorsAreBerthOCIsOnceEachAndNamedAfterTheProgram() throws {
        let h = try OCIHarness("berthocierr")
        defer { h.cleanUp() }
        let missing = try h.run(Self.exe, ["--root", h.root, "state", "missing"])
        let viaBerth = try h.oci(["state", "missing"])
        #expect(missing.status == 1 && viaBerth.status == 1)
        #expect(missing.stderr == viaBerth.stderr.replacingOccurrences(of: "berth oci:", with: "berth-oci:"), "\(missing.stderr)")
        let unknown = try h.run(Self.exe, ["--root", h.root, "frobnicate"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.hasPrefix("berth-oci: unknown command \"frobnicate\""), "\(unknown.stderr)")
        #expect(try h.run(Self.exe, ["--help"]).stdout.contains("create [--bundle DIR]"))
        // A setup error comes straight from berth-init (not relayed by the monitor): exactly once.
        let bad = try h.bundle(["/no/such/program"], name: "bad")
        let failed = try h.run(Self.exe, ["--root", h.root, "run", "--bundle", bad, h.id])
        #expect(failed.status == 1)
        let lines = failed.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("failed to start") && lines[0].contains("/no/such/program"), "\(failed.stderr)")
        #expect(try h.leftovers(h.id).isEmpty)
    }

    /// The debug build links dynamically: its NEEDED entries show what the release build links
    /// statically. `berth` needs Foundation; `berth-oci` must not.
    @Test func linksNoFoundation() throws {
        let h = try OCIHarness("berthocielf")
        defer { h.cleanUp() }
        let oci = try h.run("/usr/bin/readelf", ["-d", Self.exe])
        let berth = try h.run("/usr/bin/readelf", ["-d", OCIHarness.berth])
        #expect(oci.status == 0 && berth.status == 0)
        #expect(berth.stdout.contains("Foundation"), "the check would prove nothing: \(berth.stdout)")
        #expect(oci.stdout.contains("NEEDED"))
        #expect(!oci.stdout.contains("Foundation"), "\(oci.stdout)")
    }
}
