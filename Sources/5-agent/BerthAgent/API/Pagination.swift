import BerthJSON
import Foundation

/// Opaque `nextToken`s: base64 of a small JSON document naming the next offset and the list
/// they belong to, so a token from one list call is refused by another.
enum Pagination {
    static func page<T>(_ items: [T], params: Params, list: String, defaultMax: Int = 100) throws(APIError) -> (items: [T], nextToken: String?) {
        let max = try params.maxResults(default: defaultMax)
        var start = 0
        if let token = try params.string("nextToken") {
            guard let offset = decode(token, list: list) else { throw .invalidParameter("Invalid nextToken.") }
            start = min(offset, items.count)
        }
        let end = min(start + max, items.count)
        let next = end < items.count ? encode(end, list: list) : nil
        return (Array(items[start..<end]), next)
    }

    /// The same with the token and page size given (services whose size member is `limit`).
    static func page<T>(_ items: [T], token: String?, limit: Int, list: String) throws(APIError) -> (items: [T], nextToken: String?) {
        var start = 0
        if let token {
            guard let offset = decode(token, list: list) else { throw .invalidParameter("The specified nextToken is invalid.") }
            start = min(offset, items.count)
        }
        let end = min(start + limit, items.count)
        return (Array(items[start..<end]), end < items.count ? encode(end, list: list) : nil)
    }

    static func encode(_ offset: Int, list: String) -> String {
        let doc: JSONValue = ["v": 1, "list": .string(list), "offset": .int(offset)]
        return Data(doc.serializedBytes()).base64EncodedString()
    }

    static func decode(_ token: String, list: String) -> Int? {
        guard token.count < 1024, let data = Data(base64Encoded: token),
              let doc = try? JSONValue.parse(bytes: Array(data)),
              doc["list"]?.stringValue == list, let offset = doc["offset"]?.intValue, offset >= 0 else { return nil }
        return offset
    }
}
