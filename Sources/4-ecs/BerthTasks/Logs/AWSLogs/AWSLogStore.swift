import BerthJSON
import BerthSys
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One CloudWatch log group as stored.
public struct AWSLogGroup: Sendable, Equatable {
    public var name: String
    /// Epoch milliseconds.
    public var creationTime: Int64
    public var retentionInDays: Int?
}

/// One log stream: its name, creation time and the times of its first and last events.
public struct AWSLogStream: Sendable, Equatable {
    public var name: String
    public var creationTime: Int64
    public var firstEventTimestamp: Int64?
    public var lastEventTimestamp: Int64?
}

/// One event: milliseconds since the epoch and the line (without its newline).
public struct AWSLogEvent: Sendable, Equatable {
    public var timestamp: Int64
    public var message: String
    public init(timestamp: Int64, message: String) {
        self.timestamp = timestamp
        self.message = message
    }
}

public struct AWSLogStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable { case notFound, alreadyExists, invalid }
    public var kind: Kind
    public var message: String
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
    public var description: String { message }
}

/// CloudWatch Logs on this host's disk, with no second copy of container output: an awslogs
/// container's output files *are* its stream's files (the task's `logs/<name>.stdout.log` is a
/// symbolic link to the stream's `stdout.log`, written by the container's monitor, never rotated).
///
///     <root>/<group>/group.json                 {"logGroupName", "creationTime", "retentionInDays"}
///     <root>/<group>/<stream>/stream.json       {"logStreamName", "creationTime"}
///     <root>/<group>/<stream>/stdout.log, stderr.log   the monitor's records (`<RFC3339 nanos> <stream> F|P <line>`)
///     <root>/<group>/<stream>/put.log           PutLogEvents, in the same record format
///
/// Names are percent-encoded into one path component. Directories 0700, files 0600 (root only).
/// Stream files outlive the task (they are outside its data directory) until DeleteLogGroup.
public final class AWSLogStore: Sendable {
    public let root: String
    private let lock = Mutex(())

    public init(root: String) {
        self.root = root
    }

    // MARK: groups

    public func createGroup(_ name: String, now: Int64) throws(AWSLogStoreError) {
        try Self.checkGroupName(name)
        try locked { () throws(AWSLogStoreError) in
            let dir = groupDir(name)
            if Files.exists(dir + "/group.json") { throw AWSLogStoreError(.alreadyExists, "The specified log group already exists") }
            try write(dir, file: "group.json", ["logGroupName": .string(name), "creationTime": .int(Int(now))])
        }
    }

    public func deleteGroup(_ name: String) throws(AWSLogStoreError) {
        try locked { () throws(AWSLogStoreError) in
            let dir = groupDir(name)
            guard Files.exists(dir + "/group.json") else { throw AWSLogStoreError(.notFound, "The specified log group does not exist.") }
            // Rename first, so the group is gone at once even if the removal is cut short.
            let doomed = "\(root)/.deleted-\(UInt64.random(in: 0...UInt64.max))"
            guard rename(dir, doomed) == 0 else { throw AWSLogStoreError(.invalid, "cannot remove \(dir): errno \(errno)") }
            try? Files.removeTree(doomed)
        }
    }

    public func group(_ name: String) -> AWSLogGroup? {
        guard let doc = read(groupDir(name) + "/group.json"), doc["logGroupName"]?.stringValue == name else { return nil }
        return AWSLogGroup(name: name, creationTime: Int64(doc["creationTime"]?.intValue ?? 0), retentionInDays: doc["retentionInDays"]?.intValue)
    }

    /// Every group, sorted by name (as DescribeLogGroups lists them).
    public func groups() -> [AWSLogGroup] {
        let dirs = (try? Files.subdirectories(root)) ?? []
        return dirs.filter { !$0.hasPrefix(".") }.compactMap { Self.decode($0).flatMap(group) }.sorted { $0.name < $1.name }
    }

    public func setRetention(_ name: String, days: Int?) throws(AWSLogStoreError) {
        try locked { () throws(AWSLogStoreError) in
            guard var g = group(name) else { throw AWSLogStoreError(.notFound, "The specified log group does not exist.") }
            g.retentionInDays = days
            try write(groupDir(name), file: "group.json", .obj([("logGroupName", .string(name)), ("creationTime", .int(Int(g.creationTime))),
                                                                ("retentionInDays", days.map { .int($0) })]))
        }
    }

    // MARK: streams

    /// Create a stream; `ifMissing` makes an existing one fine (a container restarted in its task).
    public func createStream(group: String, stream: String, now: Int64, ifMissing: Bool = false) throws(AWSLogStoreError) {
        try Self.checkStreamName(stream)
        try locked { () throws(AWSLogStoreError) in
            guard self.group(group) != nil else { throw AWSLogStoreError(.notFound, "The specified log group does not exist.") }
            let dir = streamDir(group, stream)
            if Files.exists(dir + "/stream.json") {
                if ifMissing { return }
                throw AWSLogStoreError(.alreadyExists, "The specified log stream already exists")
            }
            for file in ["stdout.log", "stderr.log"] where !Files.exists(dir + "/" + file) {
                try Self.makeDirectory(dir)
                let fd = open(dir + "/" + file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard fd >= 0 else { throw AWSLogStoreError(.invalid, "cannot create \(dir)/\(file): errno \(errno)") }
                close(fd)
            }
            try write(dir, file: "stream.json", ["logStreamName": .string(stream), "creationTime": .int(Int(now))])
        }
    }

    public func deleteStream(group: String, stream: String) throws(AWSLogStoreError) {
        try locked { () throws(AWSLogStoreError) in
            guard self.group(group) != nil else { throw AWSLogStoreError(.notFound, "The specified log group does not exist.") }
            let dir = streamDir(group, stream)
            guard Files.exists(dir + "/stream.json") else { throw AWSLogStoreError(.notFound, "The specified log stream does not exist.") }
            let doomed = "\(root)/.deleted-\(UInt64.random(in: 0...UInt64.max))"
            guard rename(dir, doomed) == 0 else { throw AWSLogStoreError(.invalid, "cannot remove \(dir): errno \(errno)") }
            try? Files.removeTree(doomed)
        }
    }

    /// The files an awslogs container's monitor writes (created by `createStream`).
    public func outputFiles(group: String, stream: String) -> (stdout: String, stderr: String) {
        let dir = streamDir(group, stream)
        return (dir + "/stdout.log", dir + "/stderr.log")
    }

    /// The streams of a group, sorted by name, with their first and last event times.
    public func streams(group: String) throws(AWSLogStoreError) -> [AWSLogStream] {
        guard self.group(group) != nil else { throw AWSLogStoreError(.notFound, "The specified log group does not exist.") }
        let dir = groupDir(group)
        let names = ((try? Files.subdirectories(dir)) ?? []).compactMap(Self.decode)
        return names.compactMap { name -> AWSLogStream? in
            guard let doc = read(streamDir(group, name) + "/stream.json") else { return nil }
            let events = self.readEvents(group: group, stream: name)
            return AWSLogStream(name: name, creationTime: Int64(doc["creationTime"]?.intValue ?? 0),
                                firstEventTimestamp: events.first?.timestamp, lastEventTimestamp: events.last?.timestamp)
        }.sorted { $0.name < $1.name }
    }

    /// Every event of a stream in time order (stdout, stderr and PutLogEvents merged).
    public func events(group: String, stream: String) throws(AWSLogStoreError) -> [AWSLogEvent] {
        guard self.group(group) != nil else { throw AWSLogStoreError(.notFound, "The specified log group does not exist.") }
        guard Files.exists(streamDir(group, stream) + "/stream.json") else { throw AWSLogStoreError(.notFound, "The specified log stream does not exist.") }
        return readEvents(group: group, stream: stream)
    }

    /// PutLogEvents: appended to the stream's `put.log`.
    public func put(group: String, stream: String, _ events: [AWSLogEvent]) throws(AWSLogStoreError) {
        _ = try self.events(group: group, stream: stream)
        var bytes: [UInt8] = []
        for e in events {
            for line in e.message.split(separator: "\n", omittingEmptySubsequences: false) {
                bytes += Array("\(UTC.rfc3339(nanos: e.timestamp * 1_000_000)) put F \(line)\n".utf8)
            }
        }
        try locked { () throws(AWSLogStoreError) in
            let path = streamDir(group, stream) + "/put.log"
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw AWSLogStoreError(.invalid, "cannot open \(path): errno \(errno)") }
            defer { close(fd) }
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                guard n > 0 else { throw AWSLogStoreError(.invalid, "cannot write \(path): errno \(errno)") }
                off += n
            }
        }
    }

    func readEvents(group: String, stream: String) -> [AWSLogEvent] {
        let dir = streamDir(group, stream)
        let follower = LogFollower(["stdout.log", "stderr.log", "put.log"].map { ("", dir + "/" + $0) })
        return follower.poll().map { line in
            AWSLogEvent(timestamp: Int64(((UTC.parseRFC3339(line.time) ?? 0) * 1000).rounded(.down)), message: line.text)
        }
    }

    // MARK: names and files

    /// CloudWatch's rules: group `[.\-_/#A-Za-z0-9]+`, 1-512; stream 1-512 without `:` or `*`.
    static func checkGroupName(_ name: String) throws(AWSLogStoreError) {
        let ok = name.utf8.allSatisfy { c in (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || ".-_/#".utf8.contains(c) }
        guard !name.isEmpty, name.utf8.count <= 512, ok else {
            throw AWSLogStoreError(.invalid, "1 validation error detected: Value '\(name)' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+ and have length between 1 and 512")
        }
        try checkLocalLength(name, "logGroupName")
    }

    static func checkStreamName(_ name: String) throws(AWSLogStoreError) {
        guard !name.isEmpty, name.utf8.count <= 512, !name.contains(":"), !name.contains("*") else {
            throw AWSLogStoreError(.invalid, "1 validation error detected: Value '\(name)' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]* and have length between 1 and 512")
        }
        try checkLocalLength(name, "logStreamName")
    }

    /// A name is one file name on disk: at most 255 bytes once encoded (a local limit).
    static func checkLocalLength(_ name: String, _ field: String) throws(AWSLogStoreError) {
        guard encode(name).utf8.count <= 255 else {
            throw AWSLogStoreError(.invalid, "\(field) \(name.prefix(64).debugDescription)...: Berth stores a name as one file name, which this one exceeds (255 bytes once '/' and '%' are encoded)")
        }
    }

    /// `/`, `%` and a leading `.` percent-encoded, so a name is one harmless path component.
    static func encode(_ name: String) -> String {
        var out = ""
        for (i, ch) in name.unicodeScalars.enumerated() {
            if ch == "/" || ch == "%" || (i == 0 && ch == ".") || ch.value < 0x20 {
                out += "%" + String(ch.value, radix: 16, uppercase: true).leftPadded(2)
            } else {
                out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    static func decode(_ component: String) -> String? {
        var bytes: [UInt8] = []
        var it = Array(component.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func groupDir(_ name: String) -> String { "\(root)/\(Self.encode(name))" }
    func streamDir(_ group: String, _ stream: String) -> String { "\(groupDir(group))/\(Self.encode(stream))" }

    private func locked<T>(_ body: () throws(AWSLogStoreError) -> T) throws(AWSLogStoreError) -> T {
        try lock.withLock { _ throws(AWSLogStoreError) in try body() }
    }

    static func makeDirectory(_ dir: String) throws(AWSLogStoreError) {
        do { try Files.makeDirectories(dir, mode: 0o700) } catch { throw AWSLogStoreError(.invalid, "cannot create \(dir): \(error)") }
    }

    private func write(_ dir: String, file: String, _ doc: JSONValue) throws(AWSLogStoreError) {
        try Self.makeDirectory(root)
        try Self.makeDirectory(dir)
        do { try Files.writeAtomically(dir + "/" + file, doc.serializedBytes(), mode: 0o600) } catch {
            throw AWSLogStoreError(.invalid, "cannot write \(dir)/\(file): \(error)")
        }
    }

    private func read(_ path: String) -> JSONValue? {
        guard let bytes = try? Files.readBytes(path) else { return nil }
        return try? JSONValue.parse(bytes: bytes)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
