import CBerth

/// Where the container's stdio goes (mirrors BerthRuntime's StdioMode).
enum StdioKind {
    case inherit
    case null
    case logs
}

/// The configuration the runtime writes into a pipe the monitor has as fd 4
/// (`MonitorProcess.configDescriptor`): one `key=value` per line, then a `spawn` line (cgroup v1)
/// or not; the rest once the container's cgroups exist, then a `start` line, and the pipe is closed.
///   init=/usr/local/bin/berth-init the executable that sets the container up (`<init> <state-dir>`)
///   init-fd=N                      the inherited sealed copy of it, which is what runs (Docs/security.md)
///   init-view=EMPTY_DIR            or: the monitor opens init through a read-only overlay of its
///                                  directory over EMPTY_DIR itself (berth_sealed_view; else a sealed copy)
///   start-fd=N                     the inherited read end of init's start pipe (init's `--start-fd`):
///                                  the runtime writes `config` and the cgroup files to join to it
///   stdio=inherit|null|logs
///   stdout=PATH  stderr=PATH       log files (logs mode)
///   max-bytes=N  max-files=N       rotation (0 bytes: never rotate)
///   spawn                          spawn init now, before the cgroups exist (v1: it joins them itself)
///   oom-file=PATH                  cgroup file with an `oom_kill N` line (v1 memory.oom_control, v2 memory.events)
///   cgroup-dir=PATH                v2: init is created inside this cgroup (clone3 CLONE_INTO_CGROUP)
///   cgroup-join=PATH               (repeated) files init's child writes "0" to where clone3 cannot place it
///   start                          the cgroups exist; without an earlier `spawn`, init is spawned now
/// A pipe closed before `start` means the runtime gave up (init, if spawned, is killed).
struct MonitorConfig {
    var initPath = ""
    var initFd: Int32 = -1
    var initView = ""
    var startFd: Int32 = -1
    var stdio = StdioKind.inherit
    var stdoutPath = ""
    var stderrPath = ""
    var maxBytes: Int64 = 0
    var maxFiles = 1
    var oomFile = ""
    var cgroupDir = ""
    var cgroupJoin: [String] = []

    /// Apply the `key=value` lines of the configuration; on failure returns the reason.
    mutating func apply(_ lines: [[UInt8]]) -> String? {
        let path = "configuration"
        for line in lines {
            guard let eq = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = Array(line[line.startIndex..<eq])
            let value = line[(eq + 1)...]
            let text = Bytes.string(value)
            // Byte comparisons: String == needs Unicode tables that Embedded Swift does not link.
            if key == Array("init".utf8) {
                initPath = text
            } else if key == Array("init-fd".utf8) {
                initFd = Int32(Bytes.parseInt(value) ?? -1)
            } else if key == Array("init-view".utf8) {
                initView = text
            } else if key == Array("start-fd".utf8) {
                startFd = Int32(Bytes.parseInt(value) ?? -1)
            } else if key == Array("stdio".utf8) {
                if value.elementsEqual("inherit".utf8) { stdio = .inherit }
                else if value.elementsEqual("null".utf8) { stdio = .null }
                else if value.elementsEqual("logs".utf8) { stdio = .logs }
                else { return "\(path): unknown stdio mode \(text)" }
            } else if key == Array("stdout".utf8) {
                stdoutPath = text
            } else if key == Array("stderr".utf8) {
                stderrPath = text
            } else if key == Array("max-bytes".utf8) {
                maxBytes = Bytes.parseInt(value) ?? 0
            } else if key == Array("max-files".utf8) {
                maxFiles = Int(Bytes.parseInt(value) ?? 1)
            } else if key == Array("oom-file".utf8) {
                oomFile = text
            } else if key == Array("cgroup-dir".utf8) {
                cgroupDir = text
            } else if key == Array("cgroup-join".utf8) {
                cgroupJoin.append(text)
            }
        }
        return nil
    }

    /// Read the configuration from `reader` up to its `spawn` or `start` line (true: `spawn`);
    /// on failure returns the reason.
    static func load(_ reader: inout ConfigReader) -> (MonitorConfig?, String, Bool) {
        let path = "configuration"
        guard let (lines, index) = reader.lines(until: ["spawn", "start"]) else {
            return (nil, "\(path): the runtime closed fd \(reader.fd) before its start line (errno \(reader.error))", false)
        }
        let marker = index == 0
        var config = MonitorConfig()
        if let why = config.apply(lines) { return (nil, why, marker) }
        if config.initPath.isEmpty { return (nil, "\(path): no init= line", marker) }
        // Never fall back to the file on the host: only the sealed copy may run in the container.
        if config.initFd < 3 && config.initView.isEmpty { return (nil, "\(path): no init-fd= line (the sealed copy of \(config.initPath))", marker) }
        if config.stdio == .logs && (config.stdoutPath.isEmpty || config.stderrPath.isEmpty) {
            return (nil, "\(path): logs mode needs stdout= and stderr=", marker)
        }
        return (config, "", marker)
    }
}

/// Lines from the configuration pipe, read as they come (the runtime writes `start` later).
struct ConfigReader {
    let fd: Int32
    var buffer: [UInt8] = []
    var eof = false
    var error: Int32 = 0

    init(fd: Int32) { self.fd = fd }

    /// The lines before the next line equal to `marker` (consumed); nil when the pipe ends or
    /// fails first, or holds more than the 64 KiB the runtime may write.
    mutating func lines(until marker: String) -> [[UInt8]]? {
        lines(until: [marker])?.lines
    }

    /// The lines before the next line equal to one of `markers`, and the index of that one.
    mutating func lines(until markers: [String]) -> (lines: [[UInt8]], marker: Int)? {
        let wanted = markers.map { Array($0.utf8) }
        var lines: [[UInt8]] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(buffer[0..<nl])
                buffer.removeSubrange(0...nl)
                if let i = wanted.firstIndex(of: line) { return (lines, i) }
                lines.append(line)
            }
            if eof || buffer.count > 65536 { return nil }
            let n = IO.read(fd, into: &chunk)
            if n < 0 { error = berth_errno(); eof = true }
            else if n == 0 { eof = true }
            else { buffer.append(contentsOf: chunk[0..<n]) }
        }
    }

    func close() { _ = libcClose(fd) }
}
