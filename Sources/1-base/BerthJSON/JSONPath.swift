/// Where a value sits in a document: `containerDefinitions[1].healthCheck.retries`.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible, Comparable {
    public enum Component: Sendable, Hashable {
        case key(String)
        case index(Int)
    }

    public var components: [Component]

    public init(_ components: [Component] = []) { self.components = components }
    public static let root = JSONPath()

    public func appending(_ key: String) -> JSONPath { appending(.key(key)) }
    public func appending(_ index: Int) -> JSONPath { appending(.index(index)) }

    public func appending(_ component: Component) -> JSONPath {
        var path = self
        path.components.append(component)
        return path
    }
    public static func / (lhs: JSONPath, rhs: String) -> JSONPath { lhs.appending(rhs) }
    public static func / (lhs: JSONPath, rhs: Int) -> JSONPath { lhs.appending(rhs) }

    public var isRoot: Bool { components.isEmpty }

    /// Dotted form; the empty path prints as `(document)`.
    public var description: String {
        if components.isEmpty { return "(document)" }
        var out = ""
        for c in components {
            switch c {
            case .key(let k):
                if !out.isEmpty { out += "." }
                out += k
            case .index(let i):
                out += "[\(i)]"
            }
        }
        return out
    }

    public static func < (lhs: JSONPath, rhs: JSONPath) -> Bool { lhs.description < rhs.description }
}
