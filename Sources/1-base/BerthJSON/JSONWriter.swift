/// Writes JSON text straight into UTF-8 bytes: compact (wire, state files) or indented by two
/// spaces with one member per line (`--output json`). Object members keep their order unless
/// `sortedKeys` (the files JSONEncoder wrote with `.sortedKeys` before, read back by older readers).
/// Non-ASCII text is written as UTF-8; `/` is not escaped.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    public let pretty: Bool
    public let sortedKeys: Bool
    private var indent = 0

    public init(pretty: Bool = false, sortedKeys: Bool = false, capacity: Int = 256) {
        self.pretty = pretty
        self.sortedKeys = sortedKeys
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
        if items.isEmpty { bytes.append(contentsOf: "[]".utf8); return }
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
        if object.isEmpty { bytes.append(contentsOf: "{}".utf8); return }
        bytes.append(UInt8(ascii: "{"))
        indent += 1
        let members = sortedKeys ? object.members.sorted { $0.key < $1.key } : object.members
        for (i, member) in members.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            newline()
            writeString(member.key)
            bytes.append(UInt8(ascii: ":"))
            if pretty { bytes.append(0x20) }
            write(member.value)
        }
        indent -= 1
        newline()
        bytes.append(UInt8(ascii: "}"))
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
}
