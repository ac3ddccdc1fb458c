import BerthJSON
import BerthSys
import Foundation

/// A `WWW-Authenticate` challenge: `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
public struct AuthChallenge: Sendable, Equatable {
    public var scheme: String
    public var parameters: [String: String]

    public init(scheme: String, parameters: [String: String] = [:]) {
        self.scheme = scheme
        self.parameters = parameters
    }

    /// The first Bearer or Basic challenge of a header value; nil if there is none.
    public static func parse(_ header: String) -> AuthChallenge? {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard let space = text.firstIndex(of: " ") ?? (text.isEmpty ? nil : text.endIndex) else { return nil }
        let scheme = text[..<space].lowercased()
        guard scheme == "bearer" || scheme == "basic" else { return nil }
        var params: [String: String] = [:]
        var rest = Substring(text[space...])
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: eq)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if escaped { value.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { break } else { value.append(c) }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            params[key] = value
        }
        return AuthChallenge(scheme: scheme, parameters: params)
    }
}

/// A bearer token and when it stops being usable.
struct BearerToken: Sendable {
    var token: String
    var expires: Double

    /// From a token service's answer: `token` or `access_token`; `expires_in` seconds (60 when
    /// absent or smaller, as the spec says), counted from `now`.
    static func parse(_ body: [UInt8], now: Double) throws(PullError) -> BearerToken {
        guard let json = try? JSONValue.parse(bytes: body, duplicateKeys: .keepLast),
              let token = json["token"]?.stringValue ?? json["access_token"]?.stringValue, !token.isEmpty else {
            throw PullError(.unauthorized, "the token service's answer has no token")
        }
        let lifetime = max(60, json["expires_in"]?.doubleValue ?? 60)
        return BearerToken(token: token, expires: now + lifetime)
    }
}

/// Bearer tokens by realm, service and scope, reused until shortly before they expire.
final class TokenCache: @unchecked Sendable {
    private let lock = NSLock()
    private var tokens: [String: BearerToken] = [:]
    /// Tokens this close to expiry are fetched again.
    static let margin: Double = 10

    func get(_ key: String, now: Double) -> String? {
        lock.lock()
        defer { lock.unlock() }
        guard let t = tokens[key], t.expires - Self.margin > now else { return nil }
        return t.token
    }

    func put(_ key: String, _ token: BearerToken) {
        lock.lock()
        tokens[key] = token
        lock.unlock()
    }
}
