import BerthSys
import CBerth
import Foundation
import Testing

/// `berth task exec` against a real task: a shell on a pseudo-terminal from the container's own
/// devpts (driven from a pty the test opens, as a user at a terminal would), stdin streamed with
/// -i, and the container's user, environment and working directory as defaults.
@Suite(.serialized) struct TaskExecTests {
    static let definition = """
        {"family":"exec-it","memory":"128","networkMode":"awsvpc","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
         "portMappings":[{"containerPort":8080}],
         "user":"nobody","workingDirectory":"/tmp","environment":[{"name":"FOO","value":"bar"}],
         "stopTimeout":2,"command":["sleep","1000"]}]}
        """

    /// The caller's side of a terminal: the test keeps the master, `berth` gets the slave as stdio.
    final class Terminal {
        let master: Int32
        let slave: Int32
        var seen = ""

        init(rows: UInt16, cols: UInt16) throws {
            var peer: Int32 = -1, index: Int32 = -1
            master = berth_pty_open("/dev/pts/ptmx", &peer, &index)
            try #require(master >= 0, "cannot open a pty: errno \(errno)")
            slave = peer
            _ = berth_set_winsize(master, rows, cols)
        }

        deinit {
            close(master)
            close(slave)
        }

        func type(_ text: String) { _ = text.withCString { write(master, $0, strlen($0)) } }

        /// Read until `done` holds for everything read so far (or fail after `timeout`).
        func read(until what: String, timeout: Double = 20, _ done: (String) -> Bool) throws {
            let deadline = Date().addingTimeInterval(timeout)
            while !done(seen) {
                guard Date() < deadline else {
                    Issue.record("no \(what) on the terminal within \(timeout)s; it shows: \(seen.debugDescription)")
                    throw CancellationError()
                }
                var p = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 200) > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = Glibc.read(master, &buffer, buffer.count)
                if n > 0 { seen += String(decoding: buffer[..<n], as: UTF8.self) }
            }
        }

        func read(until text: String, timeout: Double = 20) throws {
            try read(until: text.debugDescription, timeout: timeout) { $0.contains(text) }
        }

        /// Local modes of the caller's terminal (ECHO, ICANON set: cooked; cleared: raw).
        func localModes() -> tcflag_t {
            var t = termios()
            _ = tcgetattr(slave, &t)
            return t.c_lflag
        }
    }

    func startTask(_ h: AgentRealHarness) throws -> String {
        try h.startAgent()
        try h.register(Self.definition)
        let arn = try #require(try h.run("exec-it").first)
        try h.waitFor(arn, "RUNNING") { $0["lastStatus"] as? String == "RUNNING" }
        return arn
    }

    @Test func execItGivesAShellOnTheContainersOwnTerminal() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let arn = try startTask(h)
        let term = try Terminal(rows: 33, cols: 101)
        let cooked = term.localModes()
        #expect(cooked & tcflag_t(ECHO) != 0 && cooked & tcflag_t(ICANON) != 0)

        let p = Process()
        p.executableURL = URL(fileURLWithPath: TaskHarness.berth)
        p.arguments = ["task", "exec", "--socket", h.socket, "-it", arn, "--", "sh"]
        let handle = FileHandle(fileDescriptor: term.slave, closeOnDealloc: false)
        p.standardInput = handle
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        defer { if p.isRunning { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }

        // busybox sh's prompt for a non-root user ends in "$ ".
        try term.read(until: "$ ")
        #expect(term.localModes() & tcflag_t(ICANON | ECHO) == 0, "the caller's terminal is in raw mode while the exec runs")
        term.type("id -u; pwd; echo $FOO; tty; echo END-$((1+1))\r")
        try term.read(until: "END-2")
        let lines = term.seen.components(separatedBy: "\r\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("65534"), "the container's user (nobody): \(lines)")
        #expect(lines.contains("/tmp"), "the container's working directory: \(lines)")
        #expect(lines.contains("bar"), "the container's environment: \(lines)")
        #expect(lines.contains { $0.range(of: #"^/dev/pts/[0-9]+$"#, options: .regularExpression) != nil }, "a terminal of its own: \(lines)")

        // Window size from the caller's terminal, then a resize passed on with SIGWINCH.
        term.type("stty size\r")
        try term.read(until: "33 101")
        _ = berth_set_winsize(term.master, 40, 120)
        kill(p.processIdentifier, SIGWINCH)
        usleep(300_000)
        term.type("stty size\r")
        try term.read(until: "40 120")

        // Ctrl-C goes through the pty to the foreground process (sleep), not to berth.
        term.type("sleep 100\r")
        usleep(700_000)
        let interrupted = Date()
        term.type("\u{03}")
        term.type("echo AFTER-$((20+1))\r")
        try term.read(until: "AFTER-21", timeout: 15)
        #expect(Date().timeIntervalSince(interrupted) < 10)
        #expect(p.isRunning, "Ctrl-C must not end berth task exec")

        term.type("exit 3\r")
        let deadline = Date().addingTimeInterval(15)
        while p.isRunning && Date() < deadline { usleep(50_000) }
        #expect(!p.isRunning)
        p.waitUntilExit()
        #expect(p.terminationStatus == 3, "exit code of the shell: \(term.seen.suffix(300).debugDescription)")
        let restored = term.localModes()
        #expect(restored & tcflag_t(ECHO) != 0 && restored & tcflag_t(ICANON) != 0, "the caller's terminal is cooked again")
        // Nothing of the exec is left in the container's state directory.
        #expect(h.runtimeContainers().allSatisfy { ((try? Files.list(h.runRoot + "/" + $0)) ?? []).allSatisfy { !$0.hasPrefix("exec-") } })
    }

    @Test func execIStreamsStdinAndExitCode() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let arn = try startTask(h)
        let berth = TaskHarness.berth
        // stdin is piped to cat; its EOF closes cat's stdin; stderr is streamed separately.
        let r = try TaskHarness.exec(["/bin/sh", "-c", "printf 'one\\ntwo\\n' | \(berth) task exec --socket \(h.socket) -i \(arn) -- sh -c 'cat; echo err >&2; exit 4'"],
                                     timeout: 60)
        #expect(r.status == 4, "\(r.stderr)")
        #expect(r.stdout == "one\ntwo\n")
        #expect(r.stderr == "err\n")
        // A pipe is not a terminal inside the container; no stdin without -i.
        let notTerminal = try h.cli(["task", "exec", arn, "-it", "--", "true"])
        #expect(notTerminal.status == 2 && notTerminal.stderr.contains("not a terminal"), "\(notTerminal.stderr)")
        let t = try h.cli(["task", "exec", arn, "-i", "--", "sh", "-c", "test -t 0 && echo tty || echo notty"])
        #expect(t.stdout == "notty\n")
        let n = try TaskHarness.exec(["/bin/sh", "-c", "echo ignored | \(berth) task exec --socket \(h.socket) --user 0 \(arn) -- cat"], timeout: 60)
        #expect(n.status == 0 && n.stdout.isEmpty, "\(n.stdout) \(n.stderr)")
        // No descriptor of berth (or of the caller) reaches the process: only its 0, 1, 2 (the
        // shell's own; with "; :" it does not exec ls in its place).
        let fds = try h.cli(["task", "exec", arn, "-i", "--", "sh", "-c", "ls /proc/$$/fd; :"])
        #expect(fds.stdout.split(separator: "\n") == ["0", "1", "2"], "\(fds.stdout) \(fds.stderr)")
        let tfds = try h.cli(["task", "exec", arn, "-t", "--", "sh", "-c", "ls -l /proc/$$/fd; :"])
        #expect(tfds.stdout.contains("0 -> /dev/pts/") && !tfds.stdout.contains(" 3 -> "), "\(tfds.stdout) \(tfds.stderr)")
    }

    @Test func execRunsAsTheContainerUnlessOverridden() throws {
        let h = try AgentRealHarness()
        defer { h.cleanUp() }
        let arn = try startTask(h)
        let probe = ["sh", "-c", "echo $(id -u) $FOO $(pwd)"]
        // Through the agent (no -i/-t): the container's user, env and working directory.
        let d = try h.cli(["task", "exec", arn, "--"] + probe)
        #expect(d.status == 0 && d.stdout == "65534 bar /tmp\n", "\(d.stdout) \(d.stderr)")
        // Overridden, streamed by the CLI.
        let o = try h.cli(["task", "exec", arn, "--user", "0", "--env", "FOO=baz", "-w", "/", "--"] + probe)
        #expect(o.status == 0 && o.stdout == "0 baz /\n", "\(o.stdout) \(o.stderr)")
        let u = try h.cli(["task", "exec", arn, "-u", "nobody:nogroup", "--", "id"])
        #expect(u.stdout.hasPrefix("uid=65534") && u.stdout.contains("gid=65534"), "\(u.stdout) \(u.stderr)")
        // A command that is not there: the same clear error in every mode, nothing left running.
        for mode in [[], ["-i"], ["-t"]] {
            let missing = try h.cli(["task", "exec", arn] + mode + ["--", "no-such-command"])
            #expect(missing.status == 1 && missing.stderr.contains("\"no-such-command\": executable file not found in $PATH"), "\(mode): \(missing.stderr)")
        }
        let bad = try h.cli(["task", "exec", arn, "--workdir", "tmp", "--", "true"])
        #expect(bad.status == 2 && bad.stderr.contains("--workdir"), "\(bad.stderr)")

        // task ls: running tasks with their address and published ports; -a adds stopped ones.
        let id = AgentRealHarness.taskId(arn)
        let ls = try h.cli(["task", "ls"]).stdout
        let row = try #require(ls.split(separator: "\n").first { $0.hasPrefix(id) }, "\(ls)")
        let address = try #require(row.split(separator: " ").first { $0.hasPrefix("127.") && !$0.contains("->") }, "ADDRESS column: \(ls)")
        #expect(row.contains("\(address):8080->8080/tcp"), "\(ls)")
        try h.cli(["task", "stop", arn])
        try h.waitFor(arn, "STOPPED") { $0["lastStatus"] as? String == "STOPPED" }
        #expect(try !h.cli(["task", "ls"]).stdout.contains(id))
        let all = try h.cli(["task", "ls", "-a"]).stdout
        #expect(all.contains(id) && all.contains("STOPPED") && all.contains("PORTS"), "\(all)")
    }
}
