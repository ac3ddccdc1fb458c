import BerthJSON
import BerthHTTP
import Foundation

/// The ECS JSON 1.1 endpoint: `POST /` with `X-Amz-Target`, SigV4 on TCP, errors as
/// `{"__type", "message"}`, `x-amzn-RequestId` on every answer.
public final class APIRouter: HTTPHandler, @unchecked Sendable {
    public static let targetPrefix = "AmazonEC2ContainerServiceV20141113."
    /// The service name in SigV4 credential scopes.
    public static let signingService = "ecs"
    public static let privatePrefix = "Berth."
    let backend: ECSBackend
    let verifier: SigV4Verifier
    let clock: @Sendable () -> Double

    public init(backend: ECSBackend, verifier: SigV4Verifier, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.backend = backend
        self.verifier = verifier
        self.clock = clock
    }

    public func handle(_ request: HTTPRequest, connection: ConnectionInfo) -> HTTPResponse {
        let requestId = Ident.uuid()
        do {
            let (json, isPrivate, op) = try route(request, trusted: connection.trusted)
            let result = isPrivate ? try backend.callPrivate(op, json) : try backend.call(op, json)
            return respond(200, result, requestId: requestId)
        } catch {
            return respond(error.status, error.body, requestId: requestId)
        }
    }

    func route(_ request: HTTPRequest, trusted: Bool) throws(APIError) -> (JSONValue, Bool, String) {
        guard request.method == "POST" else {
            throw APIError("UnknownOperationException", "Only POST / is served (got \(request.method.prefix(16)) \(request.path.prefix(64))).", status: 404)
        }
        guard request.path == "/" else { throw APIError("UnknownOperationException", "Unknown path \(request.path.prefix(128)).", status: 404) }
        if !trusted, let failure = verifier.verify(request, now: clock()) {
            throw APIError(failure.type, failure.message, status: failure.status)
        }
        guard let target = request.header("X-Amz-Target") else {
            throw APIError("UnknownOperationException", "Missing X-Amz-Target header.")
        }
        let isPrivate: Bool
        let op: String
        if target.hasPrefix(Self.targetPrefix) {
            op = String(target.dropFirst(Self.targetPrefix.count))
            isPrivate = false
            guard ECSBackend.operations.contains(op) else {
                throw APIError("UnknownOperationException", "Unknown or unsupported operation \(op.prefix(64)).")
            }
        } else if target.hasPrefix(Self.privatePrefix) {
            op = String(target.dropFirst(Self.privatePrefix.count))
            isPrivate = true
        } else {
            throw APIError("UnknownOperationException", "Unknown X-Amz-Target \(target.prefix(128).debugDescription).")
        }
        if let type = request.header("Content-Type")?.lowercased(), !type.hasPrefix("application/x-amz-json-1.1"), !type.hasPrefix("application/json") {
            throw APIError.serialization("Content-Type must be application/x-amz-json-1.1, not \(type.prefix(64)).")
        }
        let body: JSONValue
        if request.body.isEmpty {
            body = [:]
        } else {
            do { body = try JSONValue.parse(bytes: request.body, duplicateKeys: .keepLast) } catch {
                throw APIError(error, doing: "Request body is not valid JSON")
            }
        }
        guard case .object = body else { throw APIError.serialization("Request body must be a JSON object, got \(body.typeName).") }
        return (body, isPrivate, op)
    }

    func respond(_ status: Int, _ body: JSONValue, requestId: String) -> HTTPResponse {
        HTTPResponse(status: status, headers: [
            ("x-amzn-RequestId", requestId), ("Content-Type", "application/x-amz-json-1.1"),
            ("Date", HTTPResponse.date(clock())),
        ], body: body.serializedBytes())
    }

    public func protocolError(_ error: HTTPProtocolError) -> HTTPResponse {
        var r = respond(error.status, APIError(error).body, requestId: Ident.uuid())
        r.close = true
        return r
    }
}
