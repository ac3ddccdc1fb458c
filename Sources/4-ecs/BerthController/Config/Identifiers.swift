/// Where new task and event ids come from. Injected so tests are deterministic; the agent
/// uses `RandomIdentifiers`.
public protocol IdentifierSource {
    /// 32 lowercase hex characters (the id part of a long-format task ARN).
    mutating func newTaskId() -> String
    /// A UUID string (ServiceEvent.id).
    mutating func newEventId() -> String
}

/// Random ids from any `RandomNumberGenerator` (default: the system one).
public struct RandomIdentifiers<G: RandomNumberGenerator>: IdentifierSource {
    public var generator: G
    public init(generator: G) { self.generator = generator }

    public mutating func newTaskId() -> String {
        hex(generator.next(), 16) + hex(generator.next(), 16)
    }

    public mutating func newEventId() -> String {
        var a = generator.next()
        var b = generator.next()
        a = (a & ~0xF000) | 0x4000  // version 4
        b = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000  // RFC 4122 variant
        let s = hex(a, 16) + hex(b, 16)
        return uuidFormat(s)
    }
}

extension RandomIdentifiers where G == SystemRandomNumberGenerator {
    public init() { self.init(generator: SystemRandomNumberGenerator()) }
}

/// Deterministic ids: task ids `0000…0001`, `0000…0002`, …; event ids likewise as UUIDs.
public struct SequentialIdentifiers: IdentifierSource, Codable, Sendable, Equatable {
    public var nextTask: UInt64
    public var nextEvent: UInt64
    public init(nextTask: UInt64 = 1, nextEvent: UInt64 = 1) {
        self.nextTask = nextTask
        self.nextEvent = nextEvent
    }

    public mutating func newTaskId() -> String {
        defer { nextTask += 1 }
        return hex(0, 16) + hex(nextTask, 16)
    }

    public mutating func newEventId() -> String {
        defer { nextEvent += 1 }
        return uuidFormat(hex(0, 16) + hex(nextEvent, 16))
    }
}

/// ECS deployment ids are `ecs-svc/` + 19 digits; real ones equal Int64.max minus the
/// creation time in milliseconds (e.g. ecs-svc/9223370564341623665 ↔ 2016-08-30). We do the
/// same, stepping down if the id is already taken, so ids are unique, deterministic and
/// sort newest-first.
public func makeDeploymentId(now: Timestamp, taken: Set<String>) -> String {
    let millis = Int64(max(0, min(now, 9_000_000_000)) * 1000)
    var value = Int64.max - millis
    while taken.contains(deploymentIdString(value)) { value -= 1 }
    return deploymentIdString(value)
}

private func deploymentIdString(_ value: Int64) -> String {
    let digits = String(value)
    return "ecs-svc/" + String(repeating: "0", count: max(0, 19 - digits.count)) + digits
}

private func hex(_ value: UInt64, _ width: Int) -> String {
    let s = String(value, radix: 16)
    return String(repeating: "0", count: max(0, width - s.count)) + s
}

private func uuidFormat(_ s: String) -> String {
    let c = Array(s)
    return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-"
        + String(c[16..<20]) + "-" + String(c[20..<32])
}
