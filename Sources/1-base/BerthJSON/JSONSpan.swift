/// Where a member's value lies in a document's bytes, found without building values: a cheap
/// identity for a large subtree (the seccomp cache hashes `linux.seccomp` as written).
public enum JSONSpan {
    /// The bytes of the value at `keys` (object members, outermost first) in `bytes`, which must
    /// already have parsed. A repeated key gives its last value (`JSONDuplicateKeys.keepLast`).
    /// Nil when a key is absent, when an object on the way is not an object, or when an object
    /// on the way has an escaped key (it might spell one of `keys`: only the parser knows).
    public static func find(_ keys: [String], in bytes: [UInt8]) -> Range<Int>? {
        var scanner = Scanner(bytes: bytes)
        scanner.skipSpace()
        var range: Range<Int>? = scanner.pos < bytes.count ? scanner.pos..<bytes.count : nil  // the document, not scanned
        for key in keys {
            guard let within = range, bytes[within.lowerBound] == UInt8(ascii: "{") else { return nil }
            range = scanner.lastMember(Array(key.utf8), of: within)
        }
        return range
    }

    private struct Scanner {
        let bytes: [UInt8]
        var pos = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x0A || bytes[pos] == 0x0D || bytes[pos] == 0x09 { pos += 1 }
        }

        /// The value starting at `pos` (after space); nil at the end.
        mutating func value() -> Range<Int>? {
            skipSpace()
            guard pos < bytes.count else { return nil }
            let start = pos
            switch bytes[pos] {
            case UInt8(ascii: "\""): _ = string()
            case UInt8(ascii: "{"), UInt8(ascii: "["): nested()
            default:
                while pos < bytes.count, !Self.ends(bytes[pos]) { pos += 1 }
            }
            return start..<pos
        }

        static func ends(_ b: UInt8) -> Bool {
            b == UInt8(ascii: ",") || b == UInt8(ascii: "}") || b == UInt8(ascii: "]") || b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09
        }

        /// Skips a string at `pos`; true when it holds an escape.
        mutating func string() -> Bool {
            var escaped = false
            pos += 1
            while pos < bytes.count, bytes[pos] != UInt8(ascii: "\"") {
                if bytes[pos] == UInt8(ascii: "\\") { escaped = true; pos += 1 }
                pos += 1
            }
            pos += 1
            return escaped
        }

        /// Skips an object or array at `pos` by depth, strings skipped whole.
        mutating func nested() {
            var depth = 0
            repeat {
                switch bytes[pos] {
                case UInt8(ascii: "\""): _ = string(); continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                default: break
                }
                pos += 1
            } while depth > 0 && pos < bytes.count
        }

        /// The last value of `key` among the members of the object at `object`.
        mutating func lastMember(_ key: [UInt8], of object: Range<Int>) -> Range<Int>? {
            pos = object.lowerBound + 1
            var found: Range<Int>?
            while true {
                skipSpace()
                guard pos < object.upperBound, bytes[pos] == UInt8(ascii: "\"") else { return found }
                let keyStart = pos + 1
                if string() { return nil }
                let name = bytes[keyStart..<(pos - 1)]
                skipSpace()
                pos += 1  // ':'
                guard let member = value() else { return nil }
                if name.elementsEqual(key) { found = member }
                skipSpace()
                if pos < object.upperBound, bytes[pos] == UInt8(ascii: ",") { pos += 1 }
            }
        }
    }
}
