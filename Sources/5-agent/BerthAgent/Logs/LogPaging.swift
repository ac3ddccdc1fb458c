import BerthJSON
import Foundation

/// CloudWatch Logs reading rules as pure functions of a stream's events.
public enum LogPaging {
    public struct Page: Equatable, Sendable {
        /// Indices into the stream's events, in time order.
        public var indices: [Int]
        public var nextForwardToken: String
        public var nextBackwardToken: String
    }

    /// GetLogEvents over `count` events, `matches(i)` the time window (and retention). A token
    /// names a position between events: `f/N` reads forward from event N, `b/N` backward from
    /// before it. At the end of the stream the same token comes back, as CloudWatch does.
    /// Without a token: the oldest `limit` events with `startFromHead`, else the newest `limit`.
    public static func getEvents(count: Int, matches: (Int) -> Bool, token: String?, startFromHead: Bool, limit: Int) throws(APIError) -> Page {
        var forward = startFromHead
        var position = startFromHead ? 0 : count
        if let token {
            guard let (f, n) = parse(token) else { throw .invalidParameter("The specified nextToken is invalid.") }
            forward = f
            position = min(n, count)
        }
        var picked: [Int] = []
        if forward {
            var i = position
            while i < count, picked.count < limit {
                if matches(i) { picked.append(i) }
                i += 1
            }
        } else {
            var i = position - 1
            while i >= 0, picked.count < limit {
                if matches(i) { picked.append(i) }
                i -= 1
            }
            picked.reverse()
        }
        guard let first = picked.first, let last = picked.last else {
            let same = forward ? "f" : "b"
            let t = "\(same)/\(pad(position))"
            return Page(indices: [], nextForwardToken: forward ? t : "f/\(pad(position))", nextBackwardToken: forward ? "b/\(pad(position))" : t)
        }
        return Page(indices: picked, nextForwardToken: "f/\(pad(last + 1))", nextBackwardToken: "b/\(pad(first))")
    }

    static func pad(_ n: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, 20 - s.count)) + s
    }

    static func parse(_ token: String) -> (Bool, Int)? {
        let parts = token.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "f" || parts[0] == "b", parts[1].count <= 20, parts[1].allSatisfy(\.isASCII), let n = Int(parts[1]), n >= 0 else { return nil }
        return (parts[0] == "f", n)
    }

    /// One event of FilterLogEvents' interleaved order: by time, then stream name, then position.
    public struct Key: Comparable, Sendable, Equatable {
        public var timestamp: Int64
        public var stream: String
        public var index: Int
        public static func < (a: Key, b: Key) -> Bool {
            (a.timestamp, a.stream, a.index) < (b.timestamp, b.stream, b.index)
        }

        /// A stable 56-digit id (as CloudWatch's), the same on every call: `aws logs tail
        /// --follow` drops events whose id it has shown.
        public var eventId: String {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for b in stream.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
            return pad(Int(timestamp)) + String(String(h).suffix(16)).leftPad(16) + pad(index)
        }
    }

    /// FilterLogEvents' nextToken: the key of the last event returned.
    public static func encode(_ key: Key, group: String) -> String {
        let doc: JSONValue = ["g": .string(group), "t": .int(Int(key.timestamp)), "s": .string(key.stream), "i": .int(key.index)]
        return Data(doc.serializedBytes()).base64EncodedString()
    }

    public static func decode(_ token: String, group: String) throws(APIError) -> Key {
        guard token.count < 4096, let data = Data(base64Encoded: token), let doc = try? JSONValue.parse(bytes: Array(data)),
              doc["g"]?.stringValue == group, let t = doc["t"]?.intValue, let s = doc["s"]?.stringValue, let i = doc["i"]?.intValue else {
            throw .invalidParameter("The specified nextToken is invalid.")
        }
        return Key(timestamp: Int64(t), stream: s, index: i)
    }
}

/// CloudWatch filter patterns, the simple-terms form: `ERROR`, `"two words"` (all must occur,
/// case-sensitive), `-term` (must not occur), `?a ?b` (any of them). JSON (`{...}`) and
/// space-delimited (`[...]`) patterns are refused.
public struct FilterPattern: Sendable, Equatable {
    var all: [String] = []
    var none: [String] = []
    var any: [String] = []

    public init(_ text: String?) throws(APIError) {
        let text = (text ?? "").trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("{") || text.hasPrefix("[") || text.hasPrefix("%") {
            throw .invalidParameter("filterPattern \(text.prefix(64).debugDescription): Berth supports simple term patterns (terms, \"quoted phrases\", -exclusions, ?alternatives), not JSON, space-delimited or regular-expression patterns.")
        }
        var terms: [String] = []
        var current = ""
        var quoted = false
        for ch in text {
            if ch == "\"" {
                quoted.toggle()
                continue
            }
            if ch == " " && !quoted {
                if !current.isEmpty { terms.append(current) }
                current = ""
            } else {
                current.append(ch)
            }
        }
        if quoted { throw .invalidParameter("filterPattern has an unbalanced quote.") }
        if !current.isEmpty { terms.append(current) }
        for t in terms {
            if t.hasPrefix("-"), t.count > 1 { none.append(String(t.dropFirst())) }
            else if t.hasPrefix("?"), t.count > 1 { any.append(String(t.dropFirst())) }
            else { all.append(t) }
        }
    }

    public func matches(_ message: String) -> Bool {
        all.allSatisfy { message.contains($0) } && !none.contains { message.contains($0) } && (any.isEmpty || any.contains { message.contains($0) })
    }
}

extension String {
    fileprivate func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
