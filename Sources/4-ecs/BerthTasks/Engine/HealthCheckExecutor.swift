import BerthInit
import BerthRuntime
import Dispatch
import Synchronization

/// Runs health-check commands inside containers. The engine never blocks on a check: it starts
/// one and picks the result up on a later step.
public protocol HealthCheckExecutor: Sendable {
    func run(_ runtime: any ContainerRuntime, id: String, process: Spec.Process, timeout: Double,
             done: @escaping @Sendable (Result<ExecResult, any Error>) -> Void)
}

/// Runs each check on a global dispatch queue (real runtime: exec blocks up to `timeout`).
public struct BackgroundHealthCheckExecutor: HealthCheckExecutor {
    public init() {}
    public func run(_ runtime: any ContainerRuntime, id: String, process: Spec.Process, timeout: Double,
                    done: @escaping @Sendable (Result<ExecResult, any Error>) -> Void) {
        DispatchQueue.global().async {
            done(Result { try runtime.exec(id, process: process, timeout: timeout) })
        }
    }
}

/// Runs the check synchronously (tests with a fake runtime whose exec returns at once).
public struct InlineHealthCheckExecutor: HealthCheckExecutor {
    public init() {}
    public func run(_ runtime: any ContainerRuntime, id: String, process: Spec.Process, timeout: Double,
                    done: @escaping @Sendable (Result<ExecResult, any Error>) -> Void) {
        done(Result { try runtime.exec(id, process: process, timeout: timeout) })
    }
}

/// Results handed from executor threads to the engine.
final class HealthInbox: Sendable {
    private let items = Mutex<[(name: String, generation: Int, result: Result<ExecResult, any Error>)]>([])
    func post(_ name: String, _ generation: Int, _ result: Result<ExecResult, any Error>) {
        items.withLock { $0.append((name, generation, result)) }
    }
    func drain() -> [(name: String, generation: Int, result: Result<ExecResult, any Error>)] {
        items.withLock { let all = $0; $0 = []; return all }
    }
}
