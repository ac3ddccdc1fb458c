/// An absolute http or https URL as the client needs it: scheme, host, port and the request
/// target (path and query). IPv6 literals are given in brackets.
public struct HTTPURL: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var host: String
    public var port: UInt16
    /// Path and query, starting with `/`.
    public var target: String

    public init(scheme: String, host: String, port: UInt16? = nil, target: String = "/") {
        self.scheme = scheme
        self.host = host
        self.port = port ?? (scheme == "https" ? 443 : 80)
        self.target = target.hasPrefix("/") ? target : "/" + target
    }

    public init?(string: String) {
        guard let sep = string.range(of: "://") else { return nil }
        let scheme = string[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = string[sep.upperBound...]
        let slash = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<slash]
        var target = String(rest[slash...])
        if target.hasPrefix("?") || target.isEmpty { target = "/" + target }
        if let hash = target.firstIndex(of: "#") { target = String(target[..<hash]) }
        guard let (host, port) = Self.splitAuthority(String(authority), defaultPort: scheme == "https" ? 443 : 80) else { return nil }
        self.init(scheme: scheme, host: host, port: port, target: target)
    }

    /// `host[:port]` (userinfo is refused) → host and port.
    static func splitAuthority(_ authority: String, defaultPort: UInt16) -> (String, UInt16)? {
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = authority, port = defaultPort
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") { guard let p = UInt16(after.dropFirst()) else { return nil }; port = p } else if !after.isEmpty { return nil }
        } else if let colon = authority.lastIndex(of: ":") {
            guard let p = UInt16(authority[authority.index(after: colon)...]) else { return nil }
            host = String(authority[..<colon]); port = p
        }
        guard !host.isEmpty else { return nil }
        return (host.lowercased(), port)
    }

    /// `host` or `host:port` when the port is not the scheme's default (the Host header).
    public var authority: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (scheme == "https" ? 443 : 80) ? h : "\(h):\(port)"
    }

    /// The connection this URL needs: scheme, host and port.
    public var origin: String { "\(scheme)://\(host):\(port)" }

    public var description: String { "\(scheme)://\(authority)\(target)" }

    /// A `Location` header resolved against this URL (absolute, absolute-path or relative).
    public func resolving(_ location: String) -> HTTPURL? {
        if location.contains("://") { return HTTPURL(string: location) }
        if location.hasPrefix("//") { return HTTPURL(string: scheme + ":" + location) }
        var copy = self
        if location.hasPrefix("/") {
            copy.target = location
        } else {
            let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0]
            let dir = path.lastIndex(of: "/").map { path[...$0] } ?? "/"
            copy.target = dir + location
        }
        return copy
    }

    /// `a=b&c=d` with each value percent-encoded (RFC 3986 unreserved characters left as they are).
    public static func query(_ items: [(String, String)]) -> String {
        items.map { "\(percentEncode($0.0))=\(percentEncode($0.1))" }.joined(separator: "&")
    }

    public static func percentEncode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if c.isASCII && (c.isLetter || c.isNumber || "-._~".contains(c)) { out.append(c) } else { out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2) }
        }
        return out
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
