/// A struct read and written as one JSON object through a single list of members, so the keys,
/// which are required and the order they are written in are stated once per type. Reading
/// starts from `blank` and sets each member; a missing required member is an error naming it
/// (as `JSONObjectReader.required`), unknown keys are ignored, nil optionals are left out.
public protocol JSONRecord: JSONReadable, JSONEncodable {
    /// The value members are read into; every required member overwrites its part.
    static var blank: Self { get }
    /// Members in the order they are written.
    static var members: [JSONMember<Self>] { get }
}

extension JSONRecord {
    public init(json: JSONValue, path: JSONPath) throws(JSONShapeError) {
        let object = try JSONObjectReader(json, path: path)
        var value = Self.blank
        for member in Self.members { try member.read(&value, object) }
        self = value
    }

    public var jsonValue: JSONValue {
        var object = ObjectWriter()
        for member in Self.members { member.write(self, &object) }
        return object.value
    }
}

/// How a member reaches its stored property: `{ $1(&$0.field) }` hands the field of a root
/// to a body that reads or writes it. A closure, not a `WritableKeyPath`: every process on the
/// container start path (berth-oci, berth-init) is fresh, and instantiating a key path literal
/// costs a key-path object and the generic metadata of `WritableKeyPath<Root, Value>` (found by
/// demangling) for every member of every list it builds; a non-capturing closure costs nothing.
public typealias JSONAccess<Root, T> = @Sendable (inout Root, (inout T) -> Void) -> Void

/// One member of a `JSONRecord`: a key tied to a stored property, read and written the same way.
/// Lists read `.required("path", { $1(&$0.path) })`, `.optional("flags", { $1(&$0.flags) })`.
public struct JSONMember<Root>: Sendable {
    let read: @Sendable (inout Root, JSONObjectReader) throws(JSONShapeError) -> Void
    let write: @Sendable (Root, inout ObjectWriter) -> Void
    /// The JSON key (what a schema walk compares against a schema's properties).
    public let key: String
    /// The record the member's value is (or, for an array, whose elements are); nil for scalars,
    /// string maps and other leaves read as a whole. Looked up only when asked (no dynamic casts
    /// when the member lists are built on a start path).
    public var record: (any JSONRecord.Type)? { recordType() }
    private let recordType: @Sendable () -> (any JSONRecord.Type)?

    init<T: SendableMetatype>(_ key: String, _ type: T.Type,
                              read: @escaping @Sendable (inout Root, JSONObjectReader) throws(JSONShapeError) -> Void,
                              write: @escaping @Sendable (Root, inout ObjectWriter) -> Void) {
        self.read = read
        self.write = write
        self.key = key
        self.recordType = { (T.self as? any JSONRecord.Type) ?? (T.self as? any JSONRecordArray.Type)?.recordElement }
    }

    /// Present and not null.
    public static func required<T: JSONReadable & JSONEncodable & SendableMetatype>(_ key: String,
                                                                                   _ access: @escaping JSONAccess<Root, T>) -> Self {
        Self(key, T.self, read: { root, object throws(JSONShapeError) in
                 let value: T = try object.required(key)
                 access(&root) { $0 = value }
             },
             write: { root, object in object.set(key, value(in: root, access)) })
    }

    /// Absent or null reads as nil; nil is left out when written.
    public static func optional<T: JSONReadable & JSONEncodable & SendableMetatype>(_ key: String,
                                                                                   _ access: @escaping JSONAccess<Root, T?>) -> Self {
        Self(key, T.self, read: { root, object throws(JSONShapeError) in
                 let value: T? = try object.optional(key)
                 access(&root) { $0 = value }
             },
             write: { root, object in object.set(key, value(in: root, access) ?? nil) })
    }

    /// A string enum, through its raw value; an unknown value is an error naming the member.
    public static func required<T: RawRepresentable<String> & SendableMetatype>(_ key: String,
                                                                               raw access: @escaping JSONAccess<Root, T>) -> Self {
        Self(key, T.self, read: { root, object throws(JSONShapeError) in
                 let value: T = try .named(object.required(key), at: object.path / key)
                 access(&root) { $0 = value }
             },
             write: { root, object in object.set(key, value(in: root, access)?.rawValue) })
    }

    public static func optional<T: RawRepresentable<String> & SendableMetatype>(_ key: String,
                                                                               raw access: @escaping JSONAccess<Root, T?>) -> Self {
        Self(key, T.self, read: { root, object throws(JSONShapeError) in
                 let text: String? = try object.optional(key)
                 let value: T? = try text.map { text throws(JSONShapeError) in try .named(text, at: object.path / key) }
                 access(&root) { $0 = value }
             },
             write: { root, object in object.set(key, value(in: root, access)??.rawValue) })
    }

    /// The member's value in `root` (the accessor needs an inout root: it gets a copy).
    private static func value<T>(in root: Root, _ access: JSONAccess<Root, T>) -> T? {
        var copy = root
        var value: T?
        access(&copy) { value = $0 }
        return value
    }
}

/// Arrays of records, so a member's `record` names the element type (schema walks).
public protocol JSONRecordArray {
    static var recordElement: any JSONRecord.Type { get }
}

extension Array: JSONRecordArray where Element: JSONRecord {
    public static var recordElement: any JSONRecord.Type { Element.self }
}
