import BerthHTTP
import BerthJSON

/// One AWS service the agent answers on its endpoint (ECS, and services such as Secrets Manager
/// or CloudWatch Logs that apps inside tasks expect). `APIRouter` picks the service of a request
/// by its `X-Amz-Target` prefix (JSON protocols) or else by its SigV4 credential scope (Query
/// protocol), checks the signature for that service, and hands the request over.
public protocol AgentAPI: Sendable {
    /// The service name in SigV4 credential scopes ("ecs", "secretsmanager", "logs", ...).
    var signingService: String { get }
    /// `X-Amz-Target` prefixes this service answers (JSON protocols); empty for Query/XML ones.
    var targetPrefixes: [String] { get }
    /// Answer an authenticated (or trusted) request; never throws: errors are answers.
    func serve(_ request: HTTPRequest, trusted: Bool, requestId: String) -> HTTPResponse
    /// The answer for a request refused before `serve` (bad signature), in this protocol's shape.
    func refuse(_ error: APIError, requestId: String) -> HTTPResponse
}

/// The operations of a JSON 1.0/1.1 service (`POST /`, `X-Amz-Target: Prefix.Operation`, errors
/// as `{"__type", "message"}`).
public protocol JSONOperations: Sendable {
    var signingService: String { get }
    /// Public target prefix, e.g. `secretsmanager.`.
    var targetPrefix: String { get }
    /// `application/x-amz-json-1.1` or `-1.0`.
    var jsonVersion: String { get }
    var operations: Set<String> { get }
    func call(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue
}

extension JSONOperations {
    public var jsonVersion: String { "1.1" }
}

/// `AgentAPI` for any `JSONOperations`: target and body parsing, JSON answers.
public struct JSONProtocolAPI<Ops: JSONOperations>: AgentAPI {
    public let ops: Ops
    public let clock: @Sendable () -> Double
    public init(_ ops: Ops, clock: @escaping @Sendable () -> Double) {
        self.ops = ops
        self.clock = clock
    }

    public var signingService: String { ops.signingService }
    public var targetPrefixes: [String] { [ops.targetPrefix] }

    public func serve(_ request: HTTPRequest, trusted: Bool, requestId: String) -> HTTPResponse {
        do {
            let (op, body) = try JSONWire.parse(request, prefix: ops.targetPrefix, known: ops.operations)
            return JSONWire.answer(200, try ops.call(op, body), version: ops.jsonVersion, requestId: requestId, now: clock())
        } catch {
            return refuse(error, requestId: requestId)
        }
    }

    public func refuse(_ error: APIError, requestId: String) -> HTTPResponse {
        JSONWire.answer(error.status, error.body, version: ops.jsonVersion, requestId: requestId, now: clock())
    }
}

/// Reading and answering JSON-protocol requests, shared by every JSON service of the agent.
public enum JSONWire {
    /// The operation after `prefix` (which must be in `known`) and the body as a JSON object.
    public static func parse(_ request: HTTPRequest, prefix: String, known: Set<String>) throws(APIError) -> (String, JSONValue) {
        guard let target = request.header("X-Amz-Target"), target.hasPrefix(prefix) else {
            throw APIError("UnknownOperationException", "Missing or foreign X-Amz-Target header.")
        }
        let op = String(target.dropFirst(prefix.count))
        guard known.contains(op) else {
            throw APIError("UnknownOperationException", "Unknown or unsupported operation \(op.prefix(64)).")
        }
        return (op, try body(request))
    }

    /// The request body as a JSON object (`{}` when empty).
    public static func body(_ request: HTTPRequest) throws(APIError) -> JSONValue {
        if let type = request.header("Content-Type")?.lowercased(), !type.hasPrefix("application/x-amz-json-1."), !type.hasPrefix("application/json") {
            throw APIError.serialization("Content-Type must be application/x-amz-json-1.1, not \(type.prefix(64)).")
        }
        if request.body.isEmpty { return [:] }
        let body: JSONValue
        do { body = try JSONValue.parse(bytes: request.body, duplicateKeys: .keepLast) } catch {
            throw APIError.serialization("Request body is not valid JSON: \(error)")
        }
        guard case .object = body else { throw APIError.serialization("Request body must be a JSON object, got \(body.typeName).") }
        return body
    }

    public static func answer(_ status: Int, _ body: JSONValue, version: String = "1.1", requestId: String, now: Double) -> HTTPResponse {
        HTTPResponse(status: status, headers: [
            ("x-amzn-RequestId", requestId), ("Content-Type", "application/x-amz-json-\(version)"),
            ("Date", HTTPResponse.date(now)),
        ], body: body.serializedBytes())
    }
}
