/// Why the agent cannot start: its state directory is in use or a file of it is damaged.
public struct AgentStartError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
