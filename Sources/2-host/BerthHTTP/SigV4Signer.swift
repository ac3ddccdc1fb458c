import BerthSys

/// Signs requests with SigV4 (header form), the client side of `SigV4Verifier`.
public struct SigV4Signer: Sendable {
    public var credentials: SigV4Credentials
    public var region: String
    public var service: String

    public init(credentials: SigV4Credentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    public func sign(method: String, path: String, headers: [(name: String, value: String)], body: [UInt8], now: Double) -> [(name: String, value: String)] {
        let amzDate = UTC.amzDate(now)
        let date = String(amzDate.prefix(8))
        var all = headers + [("X-Amz-Date", amzDate)]
        let request = HTTPRequest(method: method, target: path, headers: all, body: body)
        let signed = all.map { $0.name.lowercased() }.sorted()
        let canonical = SigV4Verifier.canonicalRequest(request, signedHeaders: signed)
        let scope = "\(date)/\(region)/\(service)/aws4_request"
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SHA256.hex(Array(canonical.utf8)))"
        let signature = SigV4Verifier.signature(secret: credentials.secretAccessKey, date: date, region: region, service: service, stringToSign: toSign)
        all.append(("Authorization", "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyId)/\(scope), SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)"))
        return all
    }
}
