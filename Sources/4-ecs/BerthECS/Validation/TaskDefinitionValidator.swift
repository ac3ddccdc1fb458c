import BerthJSON

/// The machine Berth runs on, for rules that depend on it (runtimePlatform).
public struct HostPlatform: Sendable, Equatable {
    public var cpuArchitecture: CPUArchitecture

    public init(cpuArchitecture: CPUArchitecture) { self.cpuArchitecture = cpuArchitecture }

    public static var current: HostPlatform {
        #if arch(arm64)
        HostPlatform(cpuArchitecture: .arm64)
        #else
        HostPlatform(cpuArchitecture: .x86_64)
        #endif
    }
}

/// Checks a decoded RegisterTaskDefinition request against ECS's rules (§1.8 texts where ECS
/// has one, our own clear text where it does not) and Berth's local support. Reports every
/// problem at once; paths are relative to `basePath`.
public enum TaskDefinitionValidator {
    public static func validate(
        _ input: TaskDefinitionInput, basePath: JSONPath = .root, host: HostPlatform = .current
    ) -> [Problem] {
        let ctx = ValidationContext(input: input, base: basePath, host: host)
        TaskRules.check(ctx)
        ResourceRules.check(ctx)
        FargateRules.check(ctx)
        for (i, container) in input.containers.enumerated() {
            let c = ContainerContext(task: ctx, container: container, index: i)
            ContainerRules.check(c)
            NetworkRules.check(c)
            LinuxRules.check(c)
            HealthRules.check(c)
        }
        PortConflictRules.check(ctx)
        DependencyRules.check(ctx)
        LocalSupport.check(ctx)
        return ctx.diag.problems + ctx.notices.problems()
    }
}

/// Shared state of one validation run.
final class ValidationContext {
    let input: TaskDefinitionInput
    let base: JSONPath
    let host: HostPlatform
    let diag = Diagnostics()
    let notices = Notices()
    /// Task cpu units / memory MiB when given and well-formed.
    var taskCPU: Int?
    var taskMemory: Int?

    init(input: TaskDefinitionInput, base: JSONPath, host: HostPlatform) {
        self.input = input
        self.base = base
        self.host = host
        if let cpu = input.cpu, case .success(let n) = ResourceUnits.cpuUnits(cpu) { taskCPU = n }
        if let memory = input.memory, case .success(let n) = ResourceUnits.memoryMiB(memory) { taskMemory = n }
    }

    var fargate: Bool { input.requiresFargate }
    var networkMode: NetworkMode { input.effectiveNetworkMode }
    var containerNames: [String] { input.containers.compactMap(\.name) }

    func path(_ key: String) -> JSONPath { base / key }
    func error(_ path: JSONPath, _ message: String) { diag.error(path, message) }
}

/// One container being checked.
struct ContainerContext {
    let task: ValidationContext
    let container: ContainerDefinition
    let index: Int

    var path: JSONPath { task.base / "containerDefinitions" / index }
    func path(_ key: String) -> JSONPath { path / key }
    /// `'web'` for messages, or `'#2'` when the container has no name.
    var label: String { "'\(name)'" }
    var name: String {
        if let n = container.name, !n.isEmpty { return n }
        return "#\(index + 1)"
    }
    func error(_ path: JSONPath, _ message: String) { task.diag.error(path, message) }
}

/// Warnings about what Berth ignores or emulates: one per kind, however many places use it.
final class Notices {
    private var order: [String] = []
    private var entries: [String: (message: String, paths: [JSONPath])] = [:]

    func add(_ kind: String, _ path: JSONPath, _ message: String) {
        if entries[kind] == nil {
            order.append(kind)
            entries[kind] = (message, [path])
        } else {
            entries[kind]!.paths.append(path)
        }
    }

    func problems() -> [Problem] {
        order.map { kind in
            let e = entries[kind]!
            var message = e.message
            if e.paths.count > 1 {
                let more = e.paths.dropFirst()
                let shown = more.prefix(3).map(\.description).joined(separator: ", ")
                message += " (also at \(shown)\(more.count > 3 ? " and \(more.count - 3) more" : ""))"
            }
            return .warning(e.paths[0], message)
        }
    }
}
