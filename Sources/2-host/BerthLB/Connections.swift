/// The connection objects the event loop owns (only its thread touches them).

final class ListenerState {
    let fd: Int32
    var spec: LBListenerSpec
    let port: Int
    /// The end of every forwarded request head.
    let forwardedTail: [UInt8]
    var counters = LBListenerCounters()
    init(fd: Int32, spec: LBListenerSpec, port: Int) {
        self.fd = fd
        self.spec = spec
        self.port = port
        forwardedTail = Array("\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Port: \(port)\r\n\r\n".utf8)
    }
}

/// A client of an HTTP listener.
final class ClientConn {
    let fd: Int32
    let listener: ListenerState
    let peerHost: String
    var input: [UInt8] = []
    var inPos = 0
    var out: [UInt8] = []
    var outPos = 0
    var backend: BackendConn?
    /// The rest of the request body still to stream to the backend.
    var reqBody: BodyCounter?
    /// A request is being answered.
    var inExchange = false
    /// The head sent for a request without a body: sent again on a fresh connection when a reused one was closed under us.
    var retryHead: [UInt8]?
    /// Targets the current request was sent to or whose connect failed (a failed connect is retried on another one).
    var tried: [LBTarget] = []
    var closeAfter = false
    var peerClosed = false
    var lastActive: Double
    var registered: UInt32?
    var closed = false

    init(fd: Int32, listener: ListenerState, peerHost: String, now: Double) {
        self.fd = fd
        self.listener = listener
        self.peerHost = peerHost
        lastActive = now
    }

    var pendingOut: Int { out.count - outPos }
    var unprocessed: Int { input.count - inPos }
}

/// A connection to a target of an HTTP group: serving one client's request, or idle in the pool.
final class BackendConn {
    let fd: Int32
    let group: String
    let target: LBTarget
    var connected = false
    var out: [UInt8] = []
    var outPos = 0
    var input: [UInt8] = []
    var inPos = 0
    var client: ClientConn?
    var method = "GET"
    var head: ResponseHead?
    var body: BodyCounter?
    var forwardedAny = false
    var reused = false
    /// The request was HTTP/1.0 (no keep-alive asked of the target): not pooled afterwards.
    var oneShot = false
    /// 504 when no byte of the response arrives by then (ALB's idle timeout).
    var deadline = Double.infinity
    /// When the current request was handed to the target (TargetResponseTime).
    var sentAt = 0.0
    var idleSince = 0.0
    var registered: UInt32?
    var closed = false

    init(fd: Int32, group: String, target: LBTarget) {
        self.fd = fd
        self.group = group
        self.target = target
    }

    var pendingOut: Int { out.count - outPos }
}

/// A TCP listener's connection and its target connection.
final class Flow {
    let clientFD: Int32
    /// The target and its connection; replaced when the connect fails (TCPProxy.swift `retryFlow`).
    var backendFD: Int32
    let group: String
    var target: LBTarget
    /// Targets this flow tried to connect to.
    var tried: [LBTarget] = []
    var connected = false
    var toBackend: [UInt8] = []
    var toBackendPos = 0
    var toClient: [UInt8] = []
    var toClientPos = 0
    var clientEOF = false
    var backendEOF = false
    var clientShut = false
    var backendShut = false
    var clientRegistered: UInt32?
    var backendRegistered: UInt32?
    var closed = false
    var lastActive: Double

    init(clientFD: Int32, backendFD: Int32, group: String, target: LBTarget, now: Double) {
        self.clientFD = clientFD
        self.backendFD = backendFD
        self.group = group
        self.target = target
        lastActive = now
    }
}

/// One health check under way.
final class Probe {
    let fd: Int32
    let group: String
    let target: LBTarget
    let started: Double
    let deadline: Double
    let request: [UInt8]?
    var connected = false
    var input: [UInt8] = []
    var registered: UInt32?

    init(fd: Int32, group: String, target: LBTarget, started: Double, deadline: Double, request: [UInt8]?) {
        self.fd = fd
        self.group = group
        self.target = target
        self.started = started
        self.deadline = deadline
        self.request = request
    }
}

enum Endpoint {
    case listener(ListenerState)
    case client(ClientConn)
    case backend(BackendConn)
    case flowClient(Flow)
    case flowBackend(Flow)
    case probe(Probe)
}

/// A target group as the loop runs it.
final class GroupState {
    var spec: LBTargetGroupSpec
    var matcher: Matcher
    var targets: [LBTarget]
    var health: [LBTarget: HealthRecord] = [:]
    /// Deregistered targets and when their remaining connections are closed.
    var draining: [LBTarget: Double] = [:]
    var outstanding: [LBTarget: Int] = [:]
    var nextProbe: [LBTarget: Double] = [:]
    var probing = Set<LBTarget>()
    var cursor = 0
    var removed = false
    /// Candidates cached between health changes.
    var candidates: [LBTarget] = []
    var counters = LBGroupCounters()

    init(spec: LBTargetGroupSpec, matcher: Matcher) {
        self.spec = spec
        self.matcher = matcher
        targets = []
    }

    func refreshCandidates() { candidates = Balance.candidates(targets, health: health) }
}
