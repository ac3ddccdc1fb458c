/// A JSON syntax error with the 1-based line and column (in characters) where it was found, and
/// the byte offset.
public struct JSONSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int
    public var message: String

    public init(line: Int, column: Int, offset: Int = 0, message: String) {
        self.line = line
        self.column = column
        self.offset = offset
        self.message = message
    }

    /// `line 12, column 5: expected ',' or '}' after object member`
    public var description: String { "line \(line), column \(column): \(message)" }
}

/// What the parser does with a member name that appears twice in one object.
public enum JSONDuplicateKeys: Sendable {
    /// A syntax error naming the key (task definitions, where a repeated key is a mistake).
    case reject
    /// The later value replaces the earlier one in place (as Go's encoding/json and JSONDecoder).
    case keepLast
}

extension JSONValue {
    /// Parses one JSON document (RFC 8259, UTF-8, optional BOM). Nesting deeper than `maxDepth`
    /// is rejected; duplicate keys as `duplicateKeys` says.
    public static func parse(bytes: some Collection<UInt8>, maxDepth: Int = 256,
                             duplicateKeys: JSONDuplicateKeys = .reject) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: Array(bytes), maxDepth: maxDepth, duplicateKeys: duplicateKeys)
        return try parser.parseDocument()
    }

    public static func parse(_ text: String, maxDepth: Int = 256,
                             duplicateKeys: JSONDuplicateKeys = .reject) throws(JSONSyntaxError) -> JSONValue {
        try parse(bytes: Array(text.utf8), maxDepth: maxDepth, duplicateKeys: duplicateKeys)
    }
}

struct JSONParser {
    private let bytes: [UInt8]
    private let maxDepth: Int
    private let duplicateKeys: JSONDuplicateKeys
    private var pos = 0
    private var depth = 0

    init(bytes: [UInt8], maxDepth: Int, duplicateKeys: JSONDuplicateKeys) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        self.duplicateKeys = duplicateKeys
    }

    mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
        skipWhitespace()
        if pos >= bytes.count { throw error("empty document; expected a JSON value") }
        let value = try parseValue()
        skipWhitespace()
        if pos < bytes.count {
            throw error("unexpected \(describeHere()) after the end of the JSON document")
        }
        return value
    }

    // MARK: values

    private mutating func parseValue() throws(JSONSyntaxError) -> JSONValue {
        guard pos < bytes.count else { throw error("unexpected end of input; expected a JSON value") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectWord("null"); return .null
        default: throw error("unexpected \(describeHere()); expected a JSON value")
        }
    }

    private mutating func enter() throws(JSONSyntaxError) {
        depth += 1
        if depth > maxDepth { throw error("nesting deeper than \(maxDepth) levels") }
    }

    private mutating func parseObject() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        pos += 1
        var object = JSONObject()
        var names = MemberNames()
        skipWhitespace()
        if peek(UInt8(ascii: "}")) { pos += 1; return .object(object) }
        while true {
            skipWhitespace()
            guard peek(UInt8(ascii: "\"")) else {
                throw error("expected a member name in double quotes, found \(describeHere())")
            }
            let keyStart = pos
            let key = try parseString()
            let earlier = names.index(of: key, in: object)
            if earlier != nil, duplicateKeys == .reject {
                pos = keyStart
                throw error("duplicate key \"\(key)\" in object")
            }
            skipWhitespace()
            guard peek(UInt8(ascii: ":")) else { throw error("expected ':' after member name \"\(key)\", found \(describeHere())") }
            pos += 1
            skipWhitespace()
            let value = try parseValue()
            if let earlier { object.replaceValue(at: earlier, value) } else { names.add(key, to: object); object.appendNew(key, value) }
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                pos += 1
                skipWhitespace()
                if peek(UInt8(ascii: "}")) { throw error("trailing ',' before '}' is not allowed in JSON") }
                continue
            }
            if peek(UInt8(ascii: "}")) { pos += 1; return .object(object) }
            throw error("expected ',' or '}' after object member, found \(describeHere())")
        }
    }

    private mutating func parseArray() throws(JSONSyntaxError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        pos += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if peek(UInt8(ascii: "]")) { pos += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            if peek(UInt8(ascii: ",")) {
                pos += 1
                skipWhitespace()
                if peek(UInt8(ascii: "]")) { throw error("trailing ',' before ']' is not allowed in JSON") }
                continue
            }
            if peek(UInt8(ascii: "]")) { pos += 1; return .array(items) }
            throw error("expected ',' or ']' after array element, found \(describeHere())")
        }
    }

    /// A string from its opening quote. One without escapes is one slice of the input (the common
    /// case: names, paths, IDs); escapes go through a buffer. ASCII needs no UTF-8 validation.
    private mutating func parseString() throws(JSONSyntaxError) -> String {
        let start = pos
        pos += 1
        let first = pos
        var high: UInt8 = 0
        while pos < bytes.count, bytes[pos] >= 0x20, bytes[pos] != UInt8(ascii: "\""), bytes[pos] != UInt8(ascii: "\\") {
            high |= bytes[pos]
            pos += 1
        }
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") {
            pos += 1
            return try text(bytes[first..<(pos - 1)], ascii: high < 0x80, start: start)
        }
        var buffer = Array(bytes[first..<pos])
        while true {
            guard pos < bytes.count else {
                pos = start
                throw error("unterminated string (no closing '\"')")
            }
            let b = bytes[pos]
            switch b {
            case UInt8(ascii: "\""):
                pos += 1
                return try text(buffer[...], ascii: false, start: start)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &buffer)
            case 0..<0x20:
                let what = b == 0x0A ? "line break" : b == 0x09 ? "tab" : "control character"
                throw error("raw \(what) inside a string (missing closing '\"'? write it as an escape)")
            default:
                buffer.append(b)
                pos += 1
            }
        }
    }

    private mutating func text(_ utf8: ArraySlice<UInt8>, ascii: Bool, start: Int) throws(JSONSyntaxError) -> String {
        let s = utf8.withUnsafeBufferPointer { ascii ? String(decoding: $0, as: UTF8.self) : String(validating: $0, as: UTF8.self) }
        guard let s else {
            pos = start
            throw error("string is not valid UTF-8")
        }
        return s
    }

    private mutating func parseEscape(into buffer: inout [UInt8]) throws(JSONSyntaxError) {
        pos += 1
        guard pos < bytes.count else { throw error("unterminated escape sequence") }
        let c = bytes[pos]
        pos += 1
        switch c {
        case UInt8(ascii: "\""): buffer.append(c)
        case UInt8(ascii: "\\"): buffer.append(c)
        case UInt8(ascii: "/"): buffer.append(c)
        case UInt8(ascii: "b"): buffer.append(0x08)
        case UInt8(ascii: "f"): buffer.append(0x0C)
        case UInt8(ascii: "n"): buffer.append(0x0A)
        case UInt8(ascii: "r"): buffer.append(0x0D)
        case UInt8(ascii: "t"): buffer.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard peek(UInt8(ascii: "\\")), pos + 1 < bytes.count, bytes[pos + 1] == UInt8(ascii: "u") else {
                    throw error("unpaired UTF-16 surrogate in \\u escape")
                }
                pos += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid UTF-16 surrogate pair in \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw error("unpaired UTF-16 surrogate in \\u escape")
            }
            guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape") }
            buffer.append(contentsOf: Array(String(Character(u)).utf8))
        default:
            pos -= 2
            throw error("invalid escape sequence '\\\(Character(Unicode.Scalar(c)))' in string")
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard pos < bytes.count, let digit = hexDigit(bytes[pos]) else {
                throw error("expected 4 hex digits after \\u")
            }
            value = value << 4 | digit
            pos += 1
        }
        return value
    }

    private func hexDigit(_ b: UInt8) -> UInt32? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(b - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONNumber {
        let start = pos
        if peek(UInt8(ascii: "-")) { pos += 1 }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("expected a digit in number") }
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, isDigit(bytes[pos]) { throw error("numbers must not have leading zeros") }
        } else {
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if peek(UInt8(ascii: ".")) {
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("expected a digit after '.' in number") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if peek(UInt8(ascii: "e")) || peek(UInt8(ascii: "E")) {
            pos += 1
            if peek(UInt8(ascii: "+")) || peek(UInt8(ascii: "-")) { pos += 1 }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw error("expected a digit in number exponent") }
            while pos < bytes.count, isDigit(bytes[pos]) { pos += 1 }
        }
        if pos < bytes.count, isWordByte(bytes[pos]) {
            pos = start
            throw error("unexpected \(describeHere()); expected a JSON value")
        }
        return JSONNumber(literal: String(decoding: bytes[start..<pos], as: UTF8.self))
    }

    private mutating func expectWord(_ word: String) throws(JSONSyntaxError) {
        let w = Array(word.utf8)
        let end = pos + w.count
        if end <= bytes.count, Array(bytes[pos..<end]) == w, end == bytes.count || !isWordByte(bytes[end]) {
            pos = end
            return
        }
        throw error("unexpected \(describeHere()); expected a JSON value")
    }

    // MARK: helpers

    /// Finds an earlier member of the same name. A 64-bit summary of the names seen (length, first
    /// and last byte) rules most keys out without comparing strings; a scan serves small objects, an
    /// index large ones, where scanning would be quadratic.
    private struct MemberNames {
        private var summary: UInt64 = 0
        private var index: [String: Int]?

        private static func bit(_ key: String) -> UInt64 {
            let utf8 = key.utf8
            return UInt64(1) << UInt64((utf8.count &* 7 &+ Int(utf8.first ?? 0) &+ Int(utf8.last ?? 0) &* 3) & 63)
        }

        func index(of key: String, in object: JSONObject) -> Int? {
            guard summary & Self.bit(key) != 0 else { return nil }
            if let index { return index[key] }
            return object.index(of: key)
        }

        /// Records `key`, about to be appended to `object`.
        mutating func add(_ key: String, to object: JSONObject) {
            summary |= Self.bit(key)
            if index == nil, object.count == 16 {
                var all: [String: Int] = [:]
                for (n, member) in object.members.enumerated() { all[member.key] = n }
                index = all
            }
            index?[key] = object.count
        }
    }

    private func peek(_ b: UInt8) -> Bool { pos < bytes.count && bytes[pos] == b }
    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    private func isWordByte(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z")) || b == UInt8(ascii: "_")
            || b == UInt8(ascii: "$") || b >= 0x80
    }

    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x09, 0x0A, 0x0D: pos += 1
            default: return
            }
        }
    }

    /// Describes the input at `pos` for messages: end of input, a bare word, or one character.
    private func describeHere() -> String {
        guard pos < bytes.count else { return "end of input" }
        if isWordByte(bytes[pos]) {
            var end = pos
            while end < bytes.count, end - pos < 40, isWordByte(bytes[end]) { end += 1 }
            return "word \"\(String(decoding: bytes[pos..<end], as: UTF8.self))\""
        }
        let b = bytes[pos]
        switch b {
        case 0x0A: return "line break"
        case 0..<0x20: return "control character"
        default: return "'\(Character(Unicode.Scalar(b)))'"
        }
    }

    /// Line and column of `pos`, counted only when an error is reported.
    private func position() -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        var i = 0
        let end = min(pos, bytes.count)
        while i < end {
            let b = bytes[i]
            if b == 0x0A {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1   // count characters, not UTF-8 continuation bytes
            }
            i += 1
        }
        return (line, column)
    }

    private func error(_ message: String) -> JSONSyntaxError {
        let p = position()
        return JSONSyntaxError(line: p.line, column: p.column, offset: pos, message: message)
    }
}
