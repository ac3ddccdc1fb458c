import BerthJSON
import BerthHTTP
import Foundation

/// The agent's AWS endpoint: `POST /`, SigV4 on TCP (the unix socket is trusted),
/// `x-amzn-RequestId` on every answer. Several AWS services share it, as they share one
/// `--endpoint-url`: a request goes to the service whose `X-Amz-Target` prefix it carries
/// (JSON protocols) or, without one, to the service its SigV4 credential scope names
/// (Query protocol). The signature is checked for that service.
public final class APIRouter: HTTPHandler, @unchecked Sendable {
    public static let targetPrefix = ECSAPI.targetPrefix
    /// ECS's service name in SigV4 credential scopes.
    public static let signingService = ECSAPI.signingServiceName
    public static let privatePrefix = ECSAPI.privatePrefix
    let apis: [any AgentAPI]
    let verifier: SigV4Verifier
    let clock: @Sendable () -> Double

    public init(apis: [any AgentAPI], verifier: SigV4Verifier, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.apis = apis
        self.verifier = verifier
        self.clock = clock
    }

    /// ECS alone.
    public convenience init(backend: ECSBackend, verifier: SigV4Verifier, clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.init(apis: [ECSAPI(backend: backend, clock: clock)], verifier: verifier, clock: clock)
    }

    public func handle(_ request: HTTPRequest, connection: ConnectionInfo) -> HTTPResponse {
        let requestId = Ident.uuid()
        let api: any AgentAPI
        do { api = try select(request) } catch {
            // An unsigned stranger learns nothing about the services: authentication failures first
            // (only a wrong method or path is answered before authentication, with a 404).
            var answer = error
            if error.status != 404, !connection.trusted, let failure = verifier.verify(request, now: clock(), service: SigV4Verifier.scopeService(request) ?? Self.signingService) {
                answer = APIError(failure.type, failure.message, status: failure.status)
            }
            return JSONWire.answer(answer.status, answer.body, requestId: requestId, now: clock())
        }
        if !connection.trusted, let failure = verifier.verify(request, now: clock(), service: api.signingService) {
            return api.refuse(APIError(failure.type, failure.message, status: failure.status), requestId: requestId)
        }
        return api.serve(request, trusted: connection.trusted, requestId: requestId)
    }

    /// The service a request is for.
    func select(_ request: HTTPRequest) throws(APIError) -> any AgentAPI {
        guard request.method == "POST" else {
            throw APIError("UnknownOperationException", "Only POST / is served (got \(request.method.prefix(16)) \(request.path.prefix(64))).", status: 404)
        }
        guard request.path == "/" else { throw APIError("UnknownOperationException", "Unknown path \(request.path.prefix(128)).", status: 404) }
        if let target = request.header("X-Amz-Target") {
            if let api = apis.first(where: { $0.targetPrefixes.contains { target.hasPrefix($0) } }) { return api }
            throw APIError("UnknownOperationException", "Unknown X-Amz-Target \(target.prefix(128).debugDescription).")
        }
        if let service = SigV4Verifier.scopeService(request),
           let api = apis.first(where: { $0.signingService == service && $0.targetPrefixes.isEmpty }) {
            return api
        }
        throw APIError("UnknownOperationException", "Missing X-Amz-Target header.")
    }

    public func protocolError(_ error: HTTPProtocolError) -> HTTPResponse {
        var r = JSONWire.answer(error.status, APIError(error).body, requestId: Ident.uuid(), now: clock())
        r.close = true
        return r
    }
}

/// The ECS JSON 1.1 API, plus Berth's private operations (`Berth.` prefix) the CLI uses.
public struct ECSAPI: AgentAPI {
    public static let targetPrefix = "AmazonEC2ContainerServiceV20141113."
    public static let signingServiceName = "ecs"
    public static let privatePrefix = "Berth."
    let backend: ECSBackend
    let clock: @Sendable () -> Double

    public init(backend: ECSBackend, clock: @escaping @Sendable () -> Double) {
        self.backend = backend
        self.clock = clock
    }

    public var signingService: String { Self.signingServiceName }
    public var targetPrefixes: [String] { [Self.targetPrefix, Self.privatePrefix] }

    public func serve(_ request: HTTPRequest, trusted: Bool, requestId: String) -> HTTPResponse {
        do {
            let isPrivate = request.header("X-Amz-Target")?.hasPrefix(Self.privatePrefix) == true
            if isPrivate {
                let target = request.header("X-Amz-Target") ?? ""
                let body = try JSONWire.body(request)
                return JSONWire.answer(200, try backend.callPrivate(String(target.dropFirst(Self.privatePrefix.count)), body),
                                          requestId: requestId, now: clock())
            }
            let (op, body) = try JSONWire.parse(request, prefix: Self.targetPrefix, known: Set(ECSBackend.operations))
            return JSONWire.answer(200, try backend.call(op, body), requestId: requestId, now: clock())
        } catch {
            return refuse(error, requestId: requestId)
        }
    }

    public func refuse(_ error: APIError, requestId: String) -> HTTPResponse {
        JSONWire.answer(error.status, error.body, requestId: requestId, now: clock())
    }
}
