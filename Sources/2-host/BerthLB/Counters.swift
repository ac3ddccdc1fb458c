/// Traffic counters of the data plane, cumulative since a listener or group appeared (a group
/// or listener made again starts from zero). The event loop owns and bumps them without a
/// lock; `LBDataPlane.counters()` reads a snapshot the loop publishes at its tick.

/// One target of a group.
public struct LBTargetCounters: Sendable, Hashable {
    /// HTTP requests forwarded to the target.
    public var requests: UInt64 = 0
    /// TCP flows opened to the target.
    public var newFlows: UInt64 = 0
    public init(requests: UInt64 = 0, newFlows: UInt64 = 0) {
        self.requests = requests
        self.newFlows = newFlows
    }
}

/// One target group: what ELB publishes per target group (RequestCount, HTTPCode_Target_*,
/// TargetResponseTime; NewFlowCount for NLB).
public struct LBGroupCounters: Sendable, Hashable {
    /// Requests for which a target was chosen (ELB's RequestCount).
    public var requests: UInt64 = 0
    public var newFlows: UInt64 = 0
    /// Responses of the targets by class: 2XX, 3XX, 4XX, 5XX.
    public var target2xx: UInt64 = 0
    public var target3xx: UInt64 = 0
    public var target4xx: UInt64 = 0
    public var target5xx: UInt64 = 0
    /// Seconds from the request sent to the target until its response head arrived, summed,
    /// and how many responses that is (ELB's TargetResponseTime).
    public var responseTimeSum: Double = 0
    public var responseTimeCount: UInt64 = 0
    public var targets: [LBTarget: LBTargetCounters] = [:]
    public init() {}
}

/// One listener: requests it took and the answers the load balancer made itself.
public struct LBListenerCounters: Sendable, Hashable {
    public var requests: UInt64 = 0
    public var newFlows: UInt64 = 0
    /// 4XX answered by the load balancer (a request it could not parse).
    public var elb4xx: UInt64 = 0
    /// 5XX answered by the load balancer (502 no connection, 503 no target, 504 timeout).
    public var elb5xx: UInt64 = 0
    public init() {}
}

public struct LBCounters: Sendable, Hashable {
    /// By listener id.
    public var listeners: [String: LBListenerCounters] = [:]
    /// By group id.
    public var groups: [String: LBGroupCounters] = [:]
    public init(listeners: [String: LBListenerCounters] = [:], groups: [String: LBGroupCounters] = [:]) {
        self.listeners = listeners
        self.groups = groups
    }
}

extension LBGroupCounters {
    /// A forwarded HTTP request (loop thread).
    mutating func countRequest(_ t: LBTarget) {
        requests &+= 1
        targets[t, default: LBTargetCounters()].requests &+= 1
    }

    mutating func countFlow(_ t: LBTarget) {
        newFlows &+= 1
        targets[t, default: LBTargetCounters()].newFlows &+= 1
    }

    /// A target's final response head arrived `seconds` after its request was sent.
    mutating func countResponse(status: Int, seconds: Double) {
        switch status / 100 {
        case 2: target2xx &+= 1
        case 3: target3xx &+= 1
        case 4: target4xx &+= 1
        case 5: target5xx &+= 1
        default: break
        }
        responseTimeSum += max(0, seconds)
        responseTimeCount &+= 1
    }
}

extension LBListenerCounters {
    mutating func countLocalAnswer(_ status: Int) {
        if status >= 500 { elb5xx &+= 1 } else if status >= 400 { elb4xx &+= 1 }
    }
}
