import BerthController
import BerthECS
import BerthHTTP
import BerthJSON

extension APIError {
    /// The ECS answer for an error from below the API: the one place that decides the
    /// exception type and HTTP status of engine, controller and model errors. `doing` names
    /// what failed ("Logs are not available") and prefixes the message.
    public init(_ error: any Error, doing: String? = nil) {
        let message = doing.map { "\($0): \(error)" } ?? "\(error)"
        switch error {
        case let e as APIError: self = e
        case let e as ServiceError: self.init(e.type, e.message)
        case let e as ECSError: self.init(e.name, e.message)
        case is JSONSyntaxError: self.init("SerializationException", message)
        case let e as HTTPProtocolError: self.init(Self.answer(forHTTPStatus: e.status), e.message, status: e.status)
        case let e as EngineError:
            let (type, status) = Self.answer(for: e.kind)
            self.init(type, message, status: status)
        default: self.init("ServerException", message, status: 500)
        }
    }

    /// A request the HTTP layer refused: too large, malformed, too slow, or the server busy.
    static func answer(forHTTPStatus status: Int) -> String {
        switch status {
        case 413, 400, 431: "SerializationException"
        case 408: "RequestTimeoutException"
        case 503: "ThrottlingException"
        default: "ClientException"
        }
    }

    /// ECS's exception for each kind of engine failure: the caller's mistake is a 400, the
    /// host's trouble a ServerException (500).
    static func answer(for kind: EngineError.Kind) -> (type: String, status: Int) {
        switch kind {
        case .invalidTaskDefinition, .imageNotFound: ("ClientException", 400)
        case .notFound: ("InvalidParameterException", 400)
        case .resourceInitialization, .resourceExhausted, .internal: ("ServerException", 500)
        }
    }
}
