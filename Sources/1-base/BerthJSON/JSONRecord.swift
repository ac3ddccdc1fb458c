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

/// One member of a `JSONRecord`: a key tied to a stored property, read and written the same way.
public struct JSONMember<Root>: Sendable {
    let read: @Sendable (inout Root, JSONObjectReader) throws(JSONShapeError) -> Void
    let write: @Sendable (Root, inout ObjectWriter) -> Void

    /// Present and not null.
    public static func required<T: JSONReadable & JSONEncodable & SendableMetatype>(_ key: String, _ property: WritableKeyPath<Root, T> & Sendable) -> Self {
        Self(read: { root, object throws(JSONShapeError) in root[keyPath: property] = try object.required(key) },
             write: { root, object in object.set(key, root[keyPath: property]) })
    }

    /// Absent or null reads as nil; nil is left out when written.
    public static func optional<T: JSONReadable & JSONEncodable & SendableMetatype>(_ key: String, _ property: WritableKeyPath<Root, T?> & Sendable) -> Self {
        Self(read: { root, object throws(JSONShapeError) in root[keyPath: property] = try object.optional(key) },
             write: { root, object in object.set(key, root[keyPath: property]) })
    }

    /// A string enum, through its raw value; an unknown value is an error naming the member.
    public static func required<T: RawRepresentable<String> & SendableMetatype>(_ key: String, raw property: WritableKeyPath<Root, T> & Sendable) -> Self {
        Self(read: { root, object throws(JSONShapeError) in root[keyPath: property] = try .named(object.required(key), at: object.path / key) },
             write: { root, object in object.set(key, root[keyPath: property].rawValue) })
    }

    public static func optional<T: RawRepresentable<String> & SendableMetatype>(_ key: String, raw property: WritableKeyPath<Root, T?> & Sendable) -> Self {
        Self(read: { root, object throws(JSONShapeError) in
                 root[keyPath: property] = try object.optional(key, as: String.self).map { text throws(JSONShapeError) in try .named(text, at: object.path / key) }
             },
             write: { root, object in object.set(key, root[keyPath: property]?.rawValue) })
    }
}
