import BerthJSON
import BerthHTTP
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// A small ECS JSON 1.1 client for the CLI: one request per call over the agent's unix
/// socket (trusted, unsigned) or over TCP with a SigV4 signature.
public struct AgentClient: Sendable {
    public enum Endpoint: Sendable {
        case unix(String)
        case tcp(host: String, port: UInt16, credentials: SigV4Credentials, region: String)
    }

    public let endpoint: Endpoint
    public var timeoutSeconds: Double = 60

    public init(_ endpoint: Endpoint) { self.endpoint = endpoint }

    /// An ECS error answer, or a transport failure (type `ConnectionError`).
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var type: String
        public var message: String
        public var status: Int
        public var description: String { "\(type): \(message)" }
    }

    /// Call an ECS operation (`RunTask`) or an agent-private one (`Berth.GetTaskLogs`).
    public func call(_ operation: String, _ input: JSONValue = [:]) throws(Failure) -> JSONValue {
        let target = operation.hasPrefix("Berth.") ? operation : APIRouter.targetPrefix + operation
        let body = input.serializedBytes()
        let http = self.http
        var headers: [(name: String, value: String)] = [
            ("Host", http.hostHeader), ("Content-Type", "application/x-amz-json-1.1"), ("X-Amz-Target", target),
        ]
        if case .tcp(_, _, let creds, let region) = endpoint {
            headers = SigV4Signer(credentials: creds, region: region, service: APIRouter.signingService)
                .sign(method: "POST", path: "/", headers: headers, body: body, now: wallClockNow())
        }
        let (status, responseBody) = try send(http, headers, body)
        let json: JSONValue
        do { json = try JSONValue.parse(bytes: responseBody, duplicateKeys: .keepLast) } catch {
            throw Failure(type: "SerializationException", message: "agent answered HTTP \(status) with a body that is not JSON: \(error)", status: status)
        }
        if status != 200 {
            let type = json["__type"]?.stringValue ?? "HTTP\(status)"
            throw Failure(type: type, message: json["message"]?.stringValue ?? "", status: status)
        }
        return json
    }

    var http: HTTPClient {
        switch endpoint {
        case .unix(let path): return HTTPClient(.unix(path), timeoutSeconds: timeoutSeconds)
        case .tcp(let host, let port, _, _): return HTTPClient(.tcp(host: host, port: port), timeoutSeconds: timeoutSeconds)
        }
    }

    /// One POST to the agent; a transport failure becomes a `ConnectionError`.
    func send(_ http: HTTPClient, _ headers: [(name: String, value: String)], _ body: [UInt8]) throws(Failure) -> (status: Int, body: [UInt8]) {
        do {
            return try http.send(method: "POST", path: "/", headers: headers, body: body)
        } catch {
            throw Failure(type: "ConnectionError", message: message(error), status: 0)
        }
    }

    func message(_ failure: HTTPClient.Failure) -> String {
        switch failure {
        case .connect(let error):
            guard case .unix(let path) = endpoint, error.errno == ENOENT || error.errno == ECONNREFUSED else { return "\(error)" }
            return "\(error) (is `berth agent` running? socket \(path))"
        case .send: return "could not send the request"
        case .timeout: return "no answer from the agent within \(Int(timeoutSeconds)) seconds"
        case .incomplete: return "the agent closed the connection without a complete answer"
        }
    }
}
