import BerthHTTP
import Foundation

/// The AWS Query protocol's request side: a form-encoded body of `Action`, `Version` and
/// parameters, lists flattened as `Name.member.N` and structures as `Name.member.N.Field`.
public struct QueryParams: Sendable, Equatable {
    public var values: [String: String]

    public init(values: [String: String]) { self.values = values }

    /// Parse `a=b&c=d` (percent-encoding, `+` as space). The last of repeated keys wins.
    public static func parse(_ body: [UInt8]) throws(APIError) -> QueryParams {
        guard let text = String(bytes: body, encoding: .utf8) else { throw APIError("ValidationError", "Request body is not UTF-8.") }
        var values: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decode(kv[0]), let value = decode(kv.count > 1 ? kv[1] : "") else {
                throw APIError("ValidationError", "Request body is not valid form encoding near \(pair.prefix(64)).")
            }
            values[key] = value
        }
        return QueryParams(values: values)
    }

    static func decode(_ s: Substring) -> String? {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    public subscript(_ key: String) -> String? { values[key] }

    public func required(_ key: String) throws(APIError) -> String {
        guard let v = values[key], !v.isEmpty else { throw APIError("ValidationError", "1 validation error detected: Value null at '\(key)' failed to satisfy constraint: Member must not be null") }
        return v
    }

    public func int(_ key: String, _ range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let text = values[key] else { return nil }
        guard let v = Int(text), range.contains(v) else {
            throw APIError("ValidationError", "Value '\(text.prefix(32))' at '\(key)' failed to satisfy constraint: Member must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return v
    }

    public func bool(_ key: String) throws(APIError) -> Bool? {
        guard let text = values[key] else { return nil }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw APIError("ValidationError", "Value '\(text.prefix(32))' at '\(key)' is not a boolean")
        }
    }

    /// `Key.member.1`, `Key.member.2`, ... in index order.
    public func list(_ key: String) -> [String] {
        indexed(key).compactMap { values["\(key).member.\($0)"] }
    }

    /// `Key.member.N.Field` grouped by N: one parameter set per member, fields relative to it.
    public func structs(_ key: String) -> [QueryParams] {
        indexed(key).map { n in
            let prefix = "\(key).member.\(n)."
            return QueryParams(values: Dictionary(uniqueKeysWithValues: values.compactMap { k, v in
                k.hasPrefix(prefix) ? (String(k.dropFirst(prefix.count)), v) : nil
            }))
        }
    }

    func indexed(_ key: String) -> [Int] {
        let prefix = "\(key).member."
        var seen = Set<Int>()
        for k in values.keys where k.hasPrefix(prefix) {
            let rest = k.dropFirst(prefix.count)
            if let n = Int(rest.prefix { $0.isNumber }) { seen.insert(n) }
        }
        return seen.sorted()
    }

    /// Names of parameters that are not in `known` (top-level names before the first dot).
    public func unknown(_ known: Set<String>) -> [String] {
        Set(values.keys.map { String($0.split(separator: ".", maxSplits: 1)[0]) })
            .subtracting(known).subtracting(["Action", "Version"]).sorted()
    }
}

/// The Query protocol's answer side: XML documents as botocore's query parser reads them.
public indirect enum XMLNode: Sendable, Equatable {
    case leaf(String, String)
    case node(String, [XMLNode])

    /// `<Name><member>..</member>...</Name>`
    public static func members(_ name: String, _ items: [[XMLNode]]) -> XMLNode {
        .node(name, items.map { .node("member", $0) })
    }

    public static func strings(_ name: String, _ items: [String]) -> XMLNode {
        .node(name, items.map { .leaf("member", $0) })
    }

    public func render(into out: inout String) {
        switch self {
        case .leaf(let name, let value): out += "<\(name)>\(Self.escape(value))</\(name)>"
        case .node(let name, let children):
            out += "<\(name)>"
            for c in children { c.render(into: &out) }
            out += "</\(name)>"
        }
    }

    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// An ISO 8601 timestamp with milliseconds, as AWS's XML answers carry them.
    public static func timestamp(_ epoch: Double) -> String {
        let ms = Int((epoch * 1000).rounded())
        var t = time_t(ms / 1000)
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                      Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), ms % 1000)
    }
}

public enum QueryWire {
    /// `<ActionResponse xmlns=..><ActionResult>..</ActionResult><ResponseMetadata>..`
    public static func answer(_ action: String, _ result: [XMLNode], namespace: String, requestId: String, now: Double) -> HTTPResponse {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<\(action)Response xmlns=\"\(namespace)\">"
        XMLNode.node("\(action)Result", result).render(into: &xml)
        XMLNode.node("ResponseMetadata", [.leaf("RequestId", requestId)]).render(into: &xml)
        xml += "</\(action)Response>\n"
        return response(200, xml, requestId: requestId, now: now)
    }

    /// `<ErrorResponse><Error><Type>Sender</Type><Code>..</Code><Message>..</Message></Error><RequestId>..`
    public static func error(_ e: APIError, namespace: String, requestId: String, now: Double) -> HTTPResponse {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"\(namespace)\">"
        XMLNode.node("Error", [.leaf("Type", e.status >= 500 ? "Receiver" : "Sender"), .leaf("Code", e.type), .leaf("Message", e.message)])
            .render(into: &xml)
        XMLNode.leaf("RequestId", requestId).render(into: &xml)
        xml += "</ErrorResponse>\n"
        return response(e.status, xml, requestId: requestId, now: now)
    }

    static func response(_ status: Int, _ xml: String, requestId: String, now: Double) -> HTTPResponse {
        HTTPResponse(status: status, headers: [
            ("x-amzn-RequestId", requestId), ("Content-Type", "text/xml"), ("Date", HTTPResponse.date(now)),
        ], body: Array(xml.utf8))
    }
}
