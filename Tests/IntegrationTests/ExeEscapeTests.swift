import BerthSys
import Foundation
import Testing

/// CVE-2019-5736 and its successors: a container must not be able to rewrite a Berth binary on the
/// host through `/proc/<pid>/exe` of a Berth process that works inside its namespaces (exec,
/// health checks, the initProcessEnabled reaper). The image's `/bin/sh` is `#!/proc/self/exe`, so
/// every CMD-SHELL check and `exec /bin/sh` re-executes whatever Berth ran in the container, and
/// an attacker process in the container holds `/proc/PID/exe` of everything it can see and tries
/// to reopen it for writing once the process has exited. The binaries used are copies, so a
/// successful attack on broken code hits only the copies. Docs/security.md lists this test.
@Suite(.serialized) struct ExeEscapeTests {
    /// The attacker (a static C program; see the file) and the binaries it must not change.
    static let attackerSource = TaskHarness.repoRoot + "/Tests/Fixtures/exe-attacker.c"

    static let binaries = ["berth", "berth-init", "berth-monitor", "berth-reaper"]

    @Test func containerCannotRewriteBerthBinariesThroughProcExe() throws {
        let h = try TaskHarness()
        let bin = h.root + "/bin"
        try Files.makeDirectories(bin)
        for name in Self.binaries {
            let bytes = try Files.readBytes(TaskHarness.repoRoot + "/.build/debug/" + name)
            try Files.writeAtomically(bin + "/" + name, bytes, mode: 0o755)
        }
        let before = try Self.binaries.map { SHA256.hex(try Files.readBytes(bin + "/" + $0)) }
        let berth = bin + "/berth"

        // The image: busybox, /bin/sh replaced by `#!/proc/self/exe`, and the attacker.
        let rootfs = h.root + "/evil"
        let made = try TaskHarness.exec(["/bin/bash", TaskHarness.repoRoot + "/Scripts/make-busybox-bundle.sh", rootfs], timeout: 60)
        try #require(made.status == 0, "make-busybox-bundle.sh: \(made.stderr)")
        try Self.compileAttacker(to: rootfs + "/attacker", work: h.root)
        unlink(rootfs + "/bin/sh")
        try Files.writeAtomically(rootfs + "/bin/sh", Array("#!/proc/self/exe\n".utf8), mode: 0o755)
        let imported = try TaskHarness.exec([berth, "image", "import", "--store", h.images, "evil:latest", rootfs], timeout: 120)
        try #require(imported.status == 0, "image import: \(imported.stderr)")

        // Health checks every 5 s run `/bin/sh -c true`; the attacker runs as PID 1's child
        // (initProcessEnabled: PID 1 is the reaper) for 22 s.
        let td = try h.write(#"""
        {"family": "exe-escape", "containerDefinitions": [{
          "name": "app", "image": "evil:latest", "essential": true, "memory": 64,
          "command": ["/attacker", "22"],
          "linuxParameters": {"initProcessEnabled": true},
          "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 5, "timeout": 2, "retries": 10}
        }]}
        """#)
        let taskId = "esc\(UInt32.random(in: 0...UInt32.max))"
        let snapshot = h.root + "/\(taskId).json"
        let observed = ObservedInits()
        let runArgs = [berth, "run", "--task-id", taskId, "--run-root", h.state, "--data-dir", h.data,
                       "--images", h.images, "--pull", "prefer-cached", "--snapshot", snapshot, td]
        let r = try TaskHarness.exec(runArgs, timeout: 90, waitFor: "HELD pid 1") { _, _ in
            // While the task runs: execs of `/bin/sh` (the script) and of a long-lived command,
            // each through berth-init; every berth-init the host sees must run from its sealed view.
            for i in 0..<4 {
                let args = i % 2 == 0 ? ["/bin/sh", "-c", "true"] : ["/bin/busybox", "sleep", "2"]
                let exec = Process()
                exec.executableURL = URL(fileURLWithPath: berth)
                exec.arguments = ["oci", "--root", h.state, "exec", "\(taskId)-app"] + args
                exec.standardOutput = FileHandle.nullDevice
                let err = Pipe()
                exec.standardError = err
                try? exec.run()
                while exec.isRunning {
                    observed.scan(bin)
                    usleep(20_000)
                }
                observed.note("exec \(args.joined(separator: " ")): status \(exec.terminationStatus) \(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
            }
        }
        let output = r.stdout + r.stderr
        #expect(!output.contains("ESCAPED"), "the container rewrote a host binary:\n\(output.suffix(2000))")
        #expect(output.contains("NOESCAPE"), "the attacker did not run to its end:\n\(output.suffix(2000))")
        let after = try Self.binaries.map { SHA256.hex(try Files.readBytes(bin + "/" + $0)) }
        #expect(after == before, "a Berth binary on the host changed while the container ran")
        #expect(observed.count > 0, "no berth-init was seen while execs ran: \(observed.notes)")
        #expect(observed.fromHostFile.isEmpty, "berth-init ran from its file on the host: \(observed.fromHostFile)")
        try h.expectCleanedUp(taskId)
    }

    /// Compile the attacker statically with the toolchain's clang (or cc).
    static func compileAttacker(to output: String, work: String) throws {
        let source = attackerSource
        let compilers = ["/opt/swift/usr/bin/clang", "/usr/bin/clang", "/usr/bin/cc"].filter { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(!compilers.isEmpty, "no C compiler (clang from the Swift toolchain, or cc) to build the attacker")
        let r = try TaskHarness.exec([compilers[0], "-static", "-O2", "-o", output, source], timeout: 120)
        try #require(r.status == 0, "compiling the attacker failed: \(r.stderr)")
    }
}

/// berth-init processes the host saw, and those whose executable was the file on the host instead
/// of its read-only overlay view (`/berth-init`) or sealed memfd copy (`/memfd:berth-init`).
final class ObservedInits: @unchecked Sendable {
    private var seen: Set<String> = []
    private(set) var fromHostFile: Set<String> = []
    var count: Int { seen.count }
    private(set) var notes: [String] = []

    func note(_ text: String) { notes.append(text) }

    func scan(_ binDir: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for pid in entries where Int32(pid) != nil {
            guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  status.hasPrefix("Name:\tberth-init"),
                  let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe") else { continue }
            // Only this test's processes: its copy, or the views of a copy started by them.
            if exe.hasPrefix(binDir) { fromHostFile.insert("pid \(pid): \(exe)") }
            if exe.hasPrefix(binDir) || exe == "/berth-init" || exe.hasPrefix("/memfd:berth-init") { seen.insert(pid) }
        }
    }
}
