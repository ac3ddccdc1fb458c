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
    /// Holds /proc/PID/exe of every process it can open (other than files of the container's own
    /// root filesystem); writes a marker into any it can reopen for writing. Prints HELD/ESCAPED lines; exits 0 after an escape, 1 after `seconds`.
    static let attackerSource = #"""
    #define _GNU_SOURCE
    #include <dirent.h>
    #include <fcntl.h>
    #include <stdio.h>
    #include <stdlib.h>
    #include <string.h>
    #include <sys/stat.h>
    #include <time.h>
    #include <unistd.h>
    static int held[256], nheld; static dev_t devs[256]; static ino_t inos[256];
    static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
    int main(int argc, char **argv) {
        double end = now() + (argc > 1 ? atof(argv[1]) : 30);
        pid_t self = getpid(); char path[64], target[256];
        struct stat root; stat("/", &root); /* the container's own files are its to change */
        while (now() < end) {
            DIR *d = opendir("/proc"); struct dirent *e;
            while (d && (e = readdir(d))) {
                if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
                int pid = atoi(e->d_name); if (pid == self) continue;
                snprintf(path, sizeof path, "/proc/%d/exe", pid);
                int fd = open(path, O_RDONLY | O_CLOEXEC); if (fd < 0) continue;
                struct stat st; int dup = fstat(fd, &st) < 0 || nheld >= 256 || st.st_dev == root.st_dev;
                for (int i = 0; !dup && i < nheld; i++) dup = devs[i] == st.st_dev && inos[i] == st.st_ino;
                if (dup) { close(fd); continue; }
                devs[nheld] = st.st_dev; inos[nheld] = st.st_ino; held[nheld++] = fd;
                memset(target, 0, sizeof target); snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
                if (readlink(path, target, 255) < 0) strcpy(target, "?");
                printf("HELD pid %d exe %s\n", pid, target); fflush(stdout);
            }
            if (d) closedir(d);
            for (int i = 0; i < nheld; i++) {
                snprintf(path, sizeof path, "/proc/self/fd/%d", held[i]);
                int w = open(path, O_WRONLY | O_CLOEXEC); if (w < 0) continue;
                memset(target, 0, sizeof target); readlink(path, target, 255);
                if (lseek(w, 0, SEEK_END) >= 0 && write(w, "BERTH-ESCAPE", 12) == 12) {
                    printf("ESCAPED wrote %s\n", target); fflush(stdout); return 0;
                }
                close(w);
            }
        }
        printf("NOESCAPE held %d\n", nheld); fflush(stdout); return 1;
    }
    """#

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
        let runArgs = [berth, "run", "--task-id", taskId, "--state-dir", h.state, "--data-dir", h.data,
                       "--images", h.images, "--snapshot", snapshot, td]
        let r = try TaskHarness.exec(runArgs, timeout: 90, waitFor: "HELD pid 1") { _, _ in
            // While the task runs: execs of `/bin/sh` (the script) and of a long-lived command,
            // each through berth-init; every berth-init the host sees must run from the sealed copy.
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
        let source = work + "/attacker.c"
        try Files.writeAtomically(source, Array(attackerSource.utf8))
        let compilers = ["/opt/swift/usr/bin/clang", "/usr/bin/clang", "/usr/bin/cc"].filter { FileManager.default.isExecutableFile(atPath: $0) }
        try #require(!compilers.isEmpty, "no C compiler (clang from the Swift toolchain, or cc) to build the attacker")
        let r = try TaskHarness.exec([compilers[0], "-static", "-O2", "-o", output, source], timeout: 120)
        try #require(r.status == 0, "compiling the attacker failed: \(r.stderr)")
    }
}

/// berth-init processes the host saw, and those whose executable was a file instead of a memfd.
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
            // Only this test's processes: its copy, or a memfd started by them.
            if exe.hasPrefix(binDir) { fromHostFile.insert("pid \(pid): \(exe)") }
            if exe.hasPrefix(binDir) || exe.hasPrefix("/memfd:berth-init") { seen.insert(pid) }
        }
    }
}
