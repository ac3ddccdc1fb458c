/// Writing JSON without Codable, for the files the runtime writes on every container start
/// (init.json): JSONEncoder's first use in a process instantiates the Codable metadata of every
/// nested type. Output is compact with keys sorted, as JSONEncoder with `.sortedKeys` writes, and reads
/// back identically with JSONDecoder and `JSONTreeDecodable`.
public protocol JSONTreeEncodable {
    var jsonTree: JSONTree { get }
}

/// Builds an object; nil optionals are left out (as JSONEncoder does).
public struct JSONObjectBuilder {
    public var members: [(String, JSONTree)] = []

    public init() {}

    public mutating func add<T: JSONTreeEncodable>(_ key: String, _ value: T?) {
        if let value { members.append((key, value.jsonTree)) }
    }

    public var tree: JSONTree { .object(members) }
}

extension String: JSONTreeEncodable { public var jsonTree: JSONTree { .string(self) } }
extension Bool: JSONTreeEncodable { public var jsonTree: JSONTree { .bool(self) } }
extension Int: JSONTreeEncodable { public var jsonTree: JSONTree { .number(String(self)) } }
extension Int32: JSONTreeEncodable { public var jsonTree: JSONTree { .number(String(self)) } }
extension Int64: JSONTreeEncodable { public var jsonTree: JSONTree { .number(String(self)) } }
extension UInt32: JSONTreeEncodable { public var jsonTree: JSONTree { .number(String(self)) } }
extension UInt64: JSONTreeEncodable { public var jsonTree: JSONTree { .number(String(self)) } }

extension Array: JSONTreeEncodable where Element: JSONTreeEncodable {
    public var jsonTree: JSONTree { .array(map(\.jsonTree)) }
}

extension Dictionary: JSONTreeEncodable where Key == String, Value: JSONTreeEncodable {
    public var jsonTree: JSONTree { .object(map { ($0.key, $0.value.jsonTree) }) }
}

extension JSONTree {
    /// Compact JSON text, object keys sorted; `/` is not escaped.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        write(into: &out)
        return out
    }

    public func write(into out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let text): out.append(contentsOf: text.utf8)
        case .string(let s): Self.writeString(s, into: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (n, element) in elements.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                element.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (n, member) in members.sorted(by: { $0.0 < $1.0 }).enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.0, into: &out)
                out.append(UInt8(ascii: ":"))
                member.1.write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    public static func writeString(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for c in s.utf8 {
            switch c {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xF)])
            default: out.append(c)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
