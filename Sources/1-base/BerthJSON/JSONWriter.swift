/// Writes JSON text straight into UTF-8 bytes: compact (wire, state files) or indented by two
/// spaces with one member per line (`--output json`). Object members keep their order unless
/// `sortedKeys` (the files JSONEncoder wrote with `.sortedKeys` before, read back by older readers).
/// Non-ASCII text is written as UTF-8; `/` is not escaped unless `encoderStyle` says so.
public struct JSONWriter {
    /// The pretty layout of Foundation's JSONEncoder (`"key" : value`, `/` as `\/` when
    /// `escapingSlashes`), for output that predates BerthJSON and that scripts and tests match.
    public struct EncoderStyle: Sendable {
        public var escapingSlashes: Bool
        public init(escapingSlashes: Bool) { self.escapingSlashes = escapingSlashes }
    }

    public private(set) var bytes: [UInt8] = []
    public let pretty: Bool
    public let sortedKeys: Bool
    public let encoderStyle: EncoderStyle?
    private var indent = 0

    public init(pretty: Bool = false, sortedKeys: Bool = false, encoderStyle: EncoderStyle? = nil, capacity: Int = 256) {
        self.pretty = pretty
        self.sortedKeys = sortedKeys
        self.encoderStyle = encoderStyle
        bytes.reserveCapacity(capacity)
    }

    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: bytes.append(contentsOf: "null".utf8)
        case .bool(let b): bytes.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): bytes.append(contentsOf: n.literal.utf8)
        case .string(let s): writeString(s)
        case .array(let items): writeArray(items)
        case .object(let object): writeObject(object)
        }
    }

    private mutating func writeArray(_ items: [JSONValue]) {
        if items.isEmpty { writeEmpty(UInt8(ascii: "["), UInt8(ascii: "]")); return }
        bytes.append(UInt8(ascii: "["))
        indent += 1
        for (i, item) in items.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            newline()
            write(item)
        }
        indent -= 1
        newline()
        bytes.append(UInt8(ascii: "]"))
    }

    private mutating func writeObject(_ object: JSONObject) {
        if object.isEmpty { writeEmpty(UInt8(ascii: "{"), UInt8(ascii: "}")); return }
        bytes.append(UInt8(ascii: "{"))
        indent += 1
        let members = sortedKeys ? object.members.sorted { $0.key < $1.key } : object.members
        for (i, member) in members.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            newline()
            writeString(member.key)
            if pretty, encoderStyle != nil { bytes.append(0x20) }
            bytes.append(UInt8(ascii: ":"))
            if pretty { bytes.append(0x20) }
            write(member.value)
        }
        indent -= 1
        newline()
        bytes.append(UInt8(ascii: "}"))
    }

    /// `[]` or `{}`; JSONEncoder's pretty text puts an empty line between them.
    private mutating func writeEmpty(_ open: UInt8, _ close: UInt8) {
        bytes.append(open)
        if pretty, encoderStyle != nil {
            bytes.append(0x0A)
            newline()
        }
        bytes.append(close)
    }

    private mutating func newline() {
        guard pretty else { return }
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(0x20, count: indent * 2))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A string in double quotes with JSON's escapes; other control characters as `\u00XX`.
    public mutating func writeString(_ s: String) {
        bytes.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: bytes.append(contentsOf: #"\""#.utf8)
            case 0x5C: bytes.append(contentsOf: #"\\"#.utf8)
            case 0x0A: bytes.append(contentsOf: #"\n"#.utf8)
            case 0x0D: bytes.append(contentsOf: #"\r"#.utf8)
            case 0x09: bytes.append(contentsOf: #"\t"#.utf8)
            case 0x08: bytes.append(contentsOf: #"\b"#.utf8)
            case 0x0C: bytes.append(contentsOf: #"\f"#.utf8)
            case 0x2F where encoderStyle?.escapingSlashes == true: bytes.append(contentsOf: #"\/"#.utf8)
            case 0..<0x20:
                bytes.append(contentsOf: #"\u00"#.utf8)
                bytes.append(Self.hex[Int(b >> 4)])
                bytes.append(Self.hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(0x22)
    }
}

extension JSONValue {
    /// JSON text; see `JSONWriter` for the layout.
    public func serialized(pretty: Bool = false, sortedKeys: Bool = false) -> String {
        String(decoding: serializedBytes(pretty: pretty, sortedKeys: sortedKeys), as: UTF8.self)
    }

    /// The serialized document as UTF-8 bytes.
    public func serializedBytes(pretty: Bool = false, sortedKeys: Bool = false) -> [UInt8] {
        var writer = JSONWriter(pretty: pretty, sortedKeys: sortedKeys)
        writer.write(self)
        return writer.bytes
    }

    /// Pretty, keys sorted, laid out as JSONEncoder's `[.prettyPrinted, .sortedKeys]` wrote it
    /// (see `JSONWriter.EncoderStyle`).
    public func encoderStyleBytes(escapingSlashes: Bool = true) -> [UInt8] {
        var writer = JSONWriter(pretty: true, sortedKeys: true, encoderStyle: .init(escapingSlashes: escapingSlashes))
        writer.write(self)
        return writer.bytes
    }
}
