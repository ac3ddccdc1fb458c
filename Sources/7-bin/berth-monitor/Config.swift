import CBerth

/// Where the container's stdio goes (mirrors BerthRuntime's StdioMode).
enum StdioKind {
    case inherit
    case null
    case logs
}

/// The configuration the runtime writes into a pipe the monitor has as fd 4 (read until EOF,
/// then closed; `MonitorProcess.configDescriptor`): one `key=value` per line.
///   init=/usr/local/bin/berth-init the executable that sets the container up (`<init> <state-dir>`)
///   init-fd=N                      the inherited sealed copy of it, which is what runs (Docs/security.md)
///   init-view=EMPTY_DIR            or: the monitor opens init through a read-only overlay of its
///                                  directory over EMPTY_DIR itself (berth_sealed_view; else a sealed copy)
///   stdio=inherit|null|logs
///   stdout=PATH  stderr=PATH       log files (logs mode)
///   max-bytes=N  max-files=N       rotation (0 bytes: never rotate)
///   oom-file=PATH                  cgroup file with an `oom_kill N` line (v1 memory.oom_control, v2 memory.events)
///   cgroup-dir=PATH                v2: start init inside this cgroup (clone3 CLONE_INTO_CGROUP)
///   cgroup-join=PATH               (repeated) files init's child writes "0" to when not started inside
struct MonitorConfig {
    var initPath = ""
    var initFd: Int32 = -1
    var initView = ""
    var stdio = StdioKind.inherit
    var stdoutPath = ""
    var stderrPath = ""
    var maxBytes: Int64 = 0
    var maxFiles = 1
    var oomFile = ""
    var cgroupDir = ""
    var cgroupJoin: [String] = []

    /// Read and parse the configuration from `fd` (closed after); on failure returns the reason.
    static func load(fd: Int32) -> (MonitorConfig?, String) {
        let read = IO.readAll(fd)
        let errno = berth_errno()
        _ = libcClose(fd)
        guard let bytes = read else { return (nil, "cannot read the configuration from fd \(fd) (errno \(errno))") }
        let path = "configuration"
        var config = MonitorConfig()
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            guard let eq = line.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let key = Array(line[line.startIndex..<eq])
            let value = line[(eq + 1)...]
            let text = Bytes.string(value)
            // Byte comparisons: String == needs Unicode tables that Embedded Swift does not link.
            if key == Array("init".utf8) {
                config.initPath = text
            } else if key == Array("init-fd".utf8) {
                config.initFd = Int32(Bytes.parseInt(value) ?? -1)
            } else if key == Array("init-view".utf8) {
                config.initView = text
            } else if key == Array("stdio".utf8) {
                if value.elementsEqual("inherit".utf8) { config.stdio = .inherit }
                else if value.elementsEqual("null".utf8) { config.stdio = .null }
                else if value.elementsEqual("logs".utf8) { config.stdio = .logs }
                else { return (nil, "\(path): unknown stdio mode \(text)") }
            } else if key == Array("stdout".utf8) {
                config.stdoutPath = text
            } else if key == Array("stderr".utf8) {
                config.stderrPath = text
            } else if key == Array("max-bytes".utf8) {
                config.maxBytes = Bytes.parseInt(value) ?? 0
            } else if key == Array("max-files".utf8) {
                config.maxFiles = Int(Bytes.parseInt(value) ?? 1)
            } else if key == Array("oom-file".utf8) {
                config.oomFile = text
            } else if key == Array("cgroup-dir".utf8) {
                config.cgroupDir = text
            } else if key == Array("cgroup-join".utf8) {
                config.cgroupJoin.append(text)
            }
        }
        if config.initPath.isEmpty { return (nil, "\(path): no init= line") }
        // Never fall back to the file on the host: only the sealed copy may run in the container.
        if config.initFd < 3 && config.initView.isEmpty { return (nil, "\(path): no init-fd= line (the sealed copy of \(config.initPath))") }
        if config.stdio == .logs && (config.stdoutPath.isEmpty || config.stderrPath.isEmpty) {
            return (nil, "\(path): logs mode needs stdout= and stderr=")
        }
        return (config, "")
    }
}
