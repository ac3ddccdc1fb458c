import BerthSys
import Foundation

/// An access key pair that signs (client) or is accepted (server).
public struct SigV4Credentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public init(accessKeyId: String, secretAccessKey: String) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
    }
}

/// Why a request was refused before it reached an operation, shaped like AWS's answers.
public struct AuthFailure: Error, Sendable, Equatable {
    public var type: String
    public var status: Int
    public var message: String
}

/// AWS Signature Version 4 verification (header form) for one service and region.
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
public struct SigV4Verifier: Sendable {
    public var region: String
    public var service: String
    public var maxSkewSeconds: Double = 15 * 60
    public var lookup: @Sendable (String) -> String?

    public init(region: String, service: String, lookup: @escaping @Sendable (String) -> String?) {
        self.region = region
        self.service = service
        self.lookup = lookup
    }

    struct Authorization {
        var accessKey: String
        var date: String
        var region: String
        var service: String
        var terminator: String
        var signedHeaders: [String]
        var signature: String
    }

    public func verify(_ request: HTTPRequest, now: Double) -> AuthFailure? {
        verify(request, now: now, service: service)
    }

    /// Verify for `service` (one endpoint answering several AWS services checks each request
    /// against the service it is routed to).
    public func verify(_ request: HTTPRequest, now: Double, service: String) -> AuthFailure? {
        guard let header = request.header("Authorization") else {
            return AuthFailure(type: "MissingAuthenticationTokenException", status: 403, message: "Missing Authentication Token")
        }
        guard let auth = SigV4Verifier.parseAuthorization(header) else {
            return AuthFailure(type: "IncompleteSignatureException", status: 400,
                               message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters with algorithm AWS4-HMAC-SHA256. Authorization=\(header.prefix(64))")
        }
        guard let secret = lookup(auth.accessKey) else {
            return AuthFailure(type: "UnrecognizedClientException", status: 400, message: "The security token included in the request is invalid.")
        }
        guard auth.terminator == "aws4_request" else {
            return AuthFailure(type: "InvalidSignatureException", status: 403, message: "Credential should be scoped with a valid terminator: 'aws4_request', not '\(auth.terminator)'.")
        }
        guard auth.service == service else {
            return AuthFailure(type: "InvalidSignatureException", status: 403, message: "Credential should be scoped to correct service: '\(service)'. ")
        }
        guard auth.region == region else {
            return AuthFailure(type: "InvalidSignatureException", status: 403, message: "Credential should be scoped to a valid region. This agent's region is '\(region)'.")
        }
        guard let amzDate = request.header("X-Amz-Date") ?? request.header("Date"), let signedAt = UTC.parseAmzDate(amzDate) else {
            return AuthFailure(type: "IncompleteSignatureException", status: 400, message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard amzDate.hasPrefix(auth.date) else {
            return AuthFailure(type: "InvalidSignatureException", status: 403, message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(auth.date)' != '\(amzDate.prefix(8))'.")
        }
        if abs(now - signedAt) > maxSkewSeconds {
            return AuthFailure(type: "InvalidSignatureException", status: 403,
                               message: "Signature expired: \(amzDate) is now earlier than \(UTC.amzDate(now - maxSkewSeconds)) (\(UTC.amzDate(now)) - 15 min.)")
        }
        guard auth.signedHeaders.contains("host") else {
            return AuthFailure(type: "InvalidSignatureException", status: 403, message: "'Host' must be a signed header.")
        }
        let canonical = SigV4Verifier.canonicalRequest(request, signedHeaders: auth.signedHeaders)
        let scope = "\(auth.date)/\(auth.region)/\(auth.service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SHA256.hex(Array(canonical.utf8)))"
        let expected = SigV4Verifier.signature(secret: secret, date: auth.date, region: auth.region, service: auth.service, stringToSign: toSign)
        guard let given = Hex.decode(auth.signature), Hex.equalConstantTime(given, Hex.decode(expected)!) else {
            return AuthFailure(type: "InvalidSignatureException", status: 403,
                               message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
        }
        return nil
    }

    /// The service named in a request's SigV4 credential scope (`AKID/date/region/SERVICE/aws4_request`),
    /// how a Query-protocol request (no `X-Amz-Target`) says which API it is for.
    public static func scopeService(_ request: HTTPRequest) -> String? {
        request.header("Authorization").flatMap(parseAuthorization)?.service
    }

    static func parseAuthorization(_ header: String) -> Authorization? {
        guard header.hasPrefix("AWS4-HMAC-SHA256 ") else { return nil }
        var fields: [String: String] = [:]
        for part in header.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            fields[String(kv[0])] = String(kv[1])
        }
        guard let credential = fields["Credential"], let signed = fields["SignedHeaders"], let signature = fields["Signature"] else { return nil }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, !scope[0].isEmpty else { return nil }
        return Authorization(accessKey: scope[0], date: scope[1], region: scope[2], service: scope[3], terminator: scope[4],
                             signedHeaders: signed.split(separator: ";").map { $0.lowercased() }, signature: signature)
    }

    /// The canonical request of SigV4 step 1.
    public static func canonicalRequest(_ request: HTTPRequest, signedHeaders: [String]) -> String {
        var lines = [request.method, canonicalURI(request.path), canonicalQuery(request.query)]
        for name in signedHeaders {
            let values = request.headerValues(name).map { collapseSpaces($0.trimmingCharacters(in: .whitespaces)) }
            lines.append("\(name):\(values.joined(separator: ","))")
        }
        lines.append("")
        lines.append(signedHeaders.joined(separator: ";"))
        let payloadHash = request.header("X-Amz-Content-Sha256").flatMap { $0 == "UNSIGNED-PAYLOAD" ? $0 : $0.lowercased() }
        lines.append(payloadHash ?? SHA256.hex(request.body))
        return lines.joined(separator: "\n")
    }

    public static func signature(secret: String, date: String, region: String, service: String, stringToSign: String) -> String {
        let kDate = HMAC.sha256(key: Array("AWS4\(secret)".utf8), date)
        let kRegion = HMAC.sha256(key: kDate, region)
        let kService = HMAC.sha256(key: kRegion, service)
        let kSigning = HMAC.sha256(key: kService, "aws4_request")
        return Hex.encode(HMAC.sha256(key: kSigning, stringToSign))
    }

    static func canonicalURI(_ path: String) -> String {
        if path.isEmpty { return "/" }
        // Each segment decoded then encoded once more (non-S3 services double-encode).
        return path.split(separator: "/", omittingEmptySubsequences: false).map { seg in
            uriEncode(uriEncode(percentDecode(String(seg)), encodeSlash: true), encodeSlash: true)
        }.joined(separator: "/")
    }

    static func canonicalQuery(_ query: String) -> String {
        if query.isEmpty { return "" }
        var pairs: [(String, String)] = []
        for item in query.split(separator: "&") {
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let k = uriEncode(percentDecode(String(kv[0])), encodeSlash: true)
            let v = kv.count > 1 ? uriEncode(percentDecode(String(kv[1])), encodeSlash: true) : ""
            pairs.append((k, v))
        }
        pairs.sort { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        return pairs.map { (p: (String, String)) -> String in p.0 + "=" + p.1 }.joined(separator: "&")
    }

    static func uriEncode(_ s: String, encodeSlash: Bool) -> String {
        var out = ""
        for b in s.utf8 {
            let unreserved = (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x7E
            if unreserved {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else if b == 0x2F && !encodeSlash {
                out += "/"
            } else {
                out += "%" + Hex.encode([b]).uppercased()
            }
        }
        return out
    }

    static func percentDecode(_ s: String) -> String {
        s.removingPercentEncoding ?? s
    }

    static func collapseSpaces(_ s: String) -> String {
        var out = ""
        var lastSpace = false
        for c in s {
            if c == " " { if !lastSpace { out.append(c) }; lastSpace = true } else { out.append(c); lastSpace = false }
        }
        return out
    }
}
