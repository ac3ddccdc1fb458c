/// Follows 301, 302, 303, 307 and 308 (at most `limit` hops) for GET and HEAD; the
/// Authorization header is dropped when a redirect leaves the original scheme, host or port (a
/// registry's blob store on another host must not see its credentials).
public struct FollowRedirects: HTTPTransport {
    public let inner: HTTPTransport
    public var limit: Int

    public init(_ inner: HTTPTransport, limit: Int = 8) {
        self.inner = inner
        self.limit = limit
    }

    public func send(_ request: ClientRequest) throws(HTTPFetchError) -> ClientResponse {
        var current = request
        for _ in 0...limit {
            let response = try inner.send(current)
            guard [301, 302, 303, 307, 308].contains(response.status), current.method == "GET" || current.method == "HEAD" else { return response }
            guard let location = response.header("Location") else { return response }
            response.body.close()
            guard let next = current.url.resolving(location) else {
                throw HTTPFetchError(.redirect, "\(current.url): redirect to an unusable location \(location.debugDescription)")
            }
            if next.origin != request.url.origin { current.setHeader("Authorization", nil) }
            current.url = next
        }
        throw HTTPFetchError(.redirect, "\(request.url): more than \(limit) redirects")
    }
}
