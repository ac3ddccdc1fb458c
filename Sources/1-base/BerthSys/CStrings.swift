/// C strings for optional arguments of the C shim (NULL when absent).
extension Optional where Wrapped == String {
    public func withOptionalCString<T>(_ body: (UnsafePointer<CChar>?) throws -> T) rethrows -> T {
        switch self {
        case .some(let string): return try string.withCString { try body($0) }
        case .none: return try body(nil)
        }
    }
}
