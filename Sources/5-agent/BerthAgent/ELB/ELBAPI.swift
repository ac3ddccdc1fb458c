import BerthHTTP

/// Elastic Load Balancing v2 on the agent's endpoint: the Query protocol (form-encoded
/// `Action=...&Version=2015-12-01`, XML answers), chosen by the SigV4 scope `elasticloadbalancing`.
public struct ELBAPI: AgentAPI {
    public let service: ELBService
    public let clock: @Sendable () -> Double
    public init(_ service: ELBService, clock: @escaping @Sendable () -> Double) {
        self.service = service
        self.clock = clock
    }

    public var signingService: String { "elasticloadbalancing" }
    public var targetPrefixes: [String] { [] }

    public func serve(_ request: HTTPRequest, trusted: Bool, requestId: String) -> HTTPResponse {
        do throws(APIError) {
            let p = try QueryParams.parse(request.body)
            guard let action = p["Action"] else { throw APIError("MissingAction", "The request must contain the parameter Action.") }
            guard p["Version"] == "2015-12-01" else {
                throw APIError("InvalidAction", "Version '\((p["Version"] ?? "").prefix(32))' is not 2015-12-01 (Elastic Load Balancing v2).")
            }
            guard ELBService.actions.contains(action) else {
                throw APIError("InvalidAction", "The action \(action.prefix(64)) is not valid for this web service.")
            }
            return QueryWire.answer(action, try service.call(action, p), namespace: ELBService.namespace, requestId: requestId, now: clock())
        } catch {
            return refuse(error, requestId: requestId)
        }
    }

    public func refuse(_ error: APIError, requestId: String) -> HTTPResponse {
        QueryWire.error(error, namespace: ELBService.namespace, requestId: requestId, now: clock())
    }
}
