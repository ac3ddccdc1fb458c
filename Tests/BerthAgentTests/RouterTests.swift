import BerthAgent
import BerthHTTP
import BerthJSON
import Testing

/// One endpoint, several AWS services: each request reaches the service it names and is
/// signed for that service.
@Suite struct RouterTests {
    struct Echo: JSONOperations {
        let signingService = "secretsmanager"
        let targetPrefix = "secretsmanager."
        let operations: Set<String> = ["GetSecretValue"]
        func call(_ operation: String, _ input: JSONValue) throws(APIError) -> JSONValue {
            ["op": .string(operation), "id": input["SecretId"] ?? .null]
        }
    }

    /// A Query-protocol service (form body, no X-Amz-Target), chosen by its SigV4 scope.
    struct Query: AgentAPI {
        let signingService = "elasticloadbalancing"
        let targetPrefixes: [String] = []
        func serve(_ request: HTTPRequest, trusted: Bool, requestId: String) -> HTTPResponse {
            HTTPResponse(status: 200, headers: [("Content-Type", "text/xml")], body: Array("<ok>\(String(decoding: request.body, as: UTF8.self))</ok>".utf8))
        }
        func refuse(_ error: APIError, requestId: String) -> HTTPResponse {
            HTTPResponse(status: error.status, headers: [("Content-Type", "text/xml")], body: Array("<Error><Code>\(error.type)</Code></Error>".utf8))
        }
    }

    static let creds = SigV4Credentials(accessKeyId: "AKIDTEST", secretAccessKey: "secret")
    static let now = 1_790_000_000.0

    static func router() -> APIRouter {
        let verifier = SigV4Verifier(region: "us-east-1", service: "ecs") { $0 == creds.accessKeyId ? creds.secretAccessKey : nil }
        return APIRouter(apis: [JSONProtocolAPI(Echo(), clock: { now }), Query()], verifier: verifier, clock: { now })
    }

    static func signed(service: String, headers: [(name: String, value: String)], body: String) -> HTTPRequest {
        let all = SigV4Signer(credentials: creds, region: "us-east-1", service: service)
            .sign(method: "POST", path: "/", headers: [("Host", "127.0.0.1:8845")] + headers, body: Array(body.utf8), now: now)
        return HTTPRequest(method: "POST", target: "/", headers: all, body: Array(body.utf8))
    }

    static let tcp = ConnectionInfo(trusted: false, listener: "tcp")

    @Test func jsonServiceIsChosenByTargetAndSignedForItsService() throws {
        let request = Self.signed(service: "secretsmanager", headers: [("X-Amz-Target", "secretsmanager.GetSecretValue"),
                                                                       ("Content-Type", "application/x-amz-json-1.1")], body: #"{"SecretId":"db"}"#)
        let answer = Self.router().handle(request, connection: Self.tcp)
        #expect(answer.status == 200)
        #expect(try JSONValue.parse(bytes: answer.body)["id"]?.stringValue == "db")
        // The same request signed for ECS is refused: the scope must name the routed service.
        let wrong = Self.signed(service: "ecs", headers: [("X-Amz-Target", "secretsmanager.GetSecretValue"),
                                                          ("Content-Type", "application/x-amz-json-1.1")], body: "{}")
        let refused = Self.router().handle(wrong, connection: Self.tcp)
        #expect(refused.status == 403)
        #expect(try JSONValue.parse(bytes: refused.body)["__type"]?.stringValue == "InvalidSignatureException")
    }

    @Test func queryServiceIsChosenByScopeAndAnswersInItsShape() throws {
        let request = Self.signed(service: "elasticloadbalancing", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                  body: "Action=DescribeLoadBalancers&Version=2015-12-01")
        let answer = Self.router().handle(request, connection: Self.tcp)
        #expect(answer.status == 200 && String(decoding: answer.body, as: UTF8.self).hasPrefix("<ok>Action=DescribeLoadBalancers"))
        var tampered = request
        tampered.body = Array("Action=DeleteLoadBalancer".utf8)
        let refused = Self.router().handle(tampered, connection: Self.tcp)
        #expect(refused.status == 403 && String(decoding: refused.body, as: UTF8.self).contains("<Code>InvalidSignatureException</Code>"))
    }

    @Test func unknownServicesAndUnsignedRequestsAreRefused() throws {
        let unknown = Self.signed(service: "ssm", headers: [("X-Amz-Target", "AmazonSSM.GetParameter")], body: "{}")
        #expect(try JSONValue.parse(bytes: Self.router().handle(unknown, connection: Self.tcp).body)["__type"]?.stringValue == "UnknownOperationException")
        let unsigned = HTTPRequest(method: "POST", target: "/", headers: [("X-Amz-Target", "AmazonSSM.GetParameter")], body: [])
        let answer = Self.router().handle(unsigned, connection: Self.tcp)
        #expect(answer.status == 403)
        #expect(try JSONValue.parse(bytes: answer.body)["__type"]?.stringValue == "MissingAuthenticationTokenException")
    }
}
