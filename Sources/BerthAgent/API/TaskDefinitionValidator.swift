import Foundation

/// Turns a RegisterTaskDefinition request into the task definition ECS stores (request
/// members, normalised as §1.2 says) or an ECS ClientException. The agent calls this seam;
/// `AgentTaskDefinitionValidator` covers the register-time rules the API layer must enforce,
/// and the integrator can swap in a BerthECS-backed validator with the same contract.
public protocol TaskDefinitionValidator: Sendable {
    func normalize(_ request: JSON) throws(APIError) -> JSON
}

public struct AgentTaskDefinitionValidator: TaskDefinitionValidator {
    public init() {}

    /// Request members that belong in the stored task definition (tags are kept apart).
    static let taskMembers = ["family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions", "volumes",
                              "placementConstraints", "requiresCompatibilities", "cpu", "memory", "pidMode", "ipcMode",
                              "proxyConfiguration", "inferenceAccelerators", "ephemeralStorage", "runtimePlatform", "enableFaultInjection"]

    public func normalize(_ request: JSON) throws(APIError) -> JSON {
        let p = Params(request)
        let family = try p.string("family") ?? ""
        guard !family.isEmpty else { throw .client("Family should not be null or empty.") }
        guard isValidName(family) else {
            throw .client("Family contains invalid characters: only letters, digits, '_' and '-' (1-255) are allowed.")
        }
        guard let containers = try p.objects("containerDefinitions"), !containers.isEmpty else {
            throw .client("Task definition must contain at least one container definition (containerDefinitions).")
        }
        guard containers.count <= 10 else { throw .client("Too many containers.") }
        let networkMode = try p.string("networkMode")
        if let networkMode, !["bridge", "host", "awsvpc", "none"].contains(networkMode) {
            throw .invalidParameter("networkMode must be one of bridge, host, awsvpc, none.")
        }
        let compat = try p.stringList("requiresCompatibilities") ?? []
        for c in compat where !["EC2", "FARGATE", "EXTERNAL", "MANAGED_INSTANCES"].contains(c) {
            throw .invalidParameter("Invalid requiresCompatibilities value '\(c)'.")
        }
        let taskCPU = try p.string("cpu").map { s throws(APIError) in try Self.cpuUnits(s) }
        let taskMemory = try p.string("memory").map { s throws(APIError) in try Self.memoryMiB(s) }
        if compat.contains("FARGATE") {
            guard let cpu = taskCPU else { throw .client("Fargate requires that 'cpu' be defined at the task level.") }
            guard let mem = taskMemory else { throw .client("Fargate requires that 'memory' be defined at the task level.") }
            guard networkMode == "awsvpc" else { throw .client("Fargate only supports network mode 'awsvpc'.") }
            guard Self.fargateSizeValid(cpu: cpu, memory: mem) else { throw .client("No Fargate configuration exists for given values: \(cpu) CPU, \(mem) memory") }
        }
        var names = Set<String>()
        var normalizedContainers: [JSON] = []
        var cpuSum = 0, reservationSum = 0, essentials = 0
        for c in containers {
            let name = try c.string("name") ?? ""
            guard !name.isEmpty else { throw .client("Container.name should not be null or empty.") }
            guard isValidName(name) else { throw .client("Container.name contains invalid characters.") }
            guard names.insert(name).inserted else { throw .client("Container names must be unique within a Task Definition.") }
            let image = try c.string("image") ?? ""
            guard !image.isEmpty else { throw .client("Container.image should not be null or empty.") }
            guard image.count <= 255, !image.contains(where: { $0.isWhitespace }) else { throw .client("Container.image contains invalid characters.") }
            let cpu = try c.int("cpu") ?? 0
            let memory = try c.int("memory")
            let reservation = try c.int("memoryReservation")
            let essential = try c.bool("essential") ?? true
            _ = try c.stringList("command")
            _ = try c.stringList("entryPoint")
            if essential { essentials += 1 }
            if memory == nil && reservation == nil && taskMemory == nil {
                throw .client("Invalid setting for container '\(name)'. At least one of 'memory' or 'memoryReservation' must be specified.")
            }
            if let memory, let reservation, memory < reservation {
                throw .client("Invalid setting for container '\(name)'. 'memory' must be greater than or equal to 'memoryReservation'.")
            }
            if let memory, let taskMemory, memory > taskMemory {
                throw .client("The 'memory' setting for container '\(name)' is greater than for the task.")
            }
            cpuSum += cpu
            reservationSum += reservation ?? 0
            normalizedContainers.append(try Self.normalizeContainer(c, cpu: cpu, essential: essential, networkMode: networkMode))
        }
        guard essentials > 0 else { throw .client("A task definition must have at least one essential container.") }
        if let taskCPU, cpuSum > taskCPU {
            throw .client("The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'.")
        }
        if let taskMemory, reservationSum > taskMemory {
            throw .client("The sum of all container 'memoryReservation' values cannot be greater than the value of the task 'memory'.")
        }
        for c in normalizedContainers {
            for dep in c["dependsOn"]?.arrayValue ?? [] {
                let target = dep["containerName"]?.stringValue ?? ""
                guard names.contains(target) else { throw .client("Cannot depend on container + '\(target)' because it does not exist") }
            }
        }
        var out: [(String, JSON)] = []
        for key in Self.taskMembers {
            switch key {
            case "containerDefinitions": out.append((key, .array(normalizedContainers)))
            case "cpu": if let taskCPU { out.append((key, .string(String(taskCPU)))) }
            case "memory": if let taskMemory { out.append((key, .string(String(taskMemory)))) }
            case "volumes", "placementConstraints": out.append((key, request[key].flatMap { $0.isNull ? nil : $0 } ?? []))
            default: if let v = request[key], !v.isNull { out.append((key, v)) }
            }
        }
        return .object(out)
    }

    static func normalizeContainer(_ c: Params, cpu: Int, essential: Bool, networkMode: String?) throws(APIError) -> JSON {
        var out = c.json
        out["cpu"] = .int(cpu)
        out["essential"] = .bool(essential)
        for key in ["portMappings", "environment", "mountPoints", "volumesFrom", "systemControls"] where out[key] == nil || out[key]!.isNull {
            out[key] = []
        }
        var mappings: [JSON] = []
        for m in try c.objects("portMappings") ?? [] {
            var mj = m.json
            guard let containerPort = try m.int("containerPort"), (0...65535).contains(containerPort) else {
                throw .client("Invalid 'containerPort' in \(m.path): must be between 0 and 65535.")
            }
            if let host = try m.int("hostPort"), !(0...65535).contains(host) { throw .client("Invalid 'hostPort' in \(m.path).") }
            let proto = try m.string("protocol") ?? "tcp"
            guard proto == "tcp" || proto == "udp" else { throw .invalidParameter("Invalid protocol '\(proto)' in \(m.path).") }
            mj["protocol"] = .string(proto)
            if mj["hostPort"] == nil, networkMode == "awsvpc" || networkMode == "host" { mj["hostPort"] = .int(containerPort) }
            mappings.append(mj)
        }
        out["portMappings"] = .array(mappings)
        return out
    }

    /// "1024", "1 vCPU", "0.25 vcpu" to CPU units.
    static func cpuUnits(_ text: String) throws(APIError) -> Int {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let n = Int(t), n > 0 { return n }
        if t.hasSuffix("vcpu"), let v = Double(t.dropLast(4).trimmingCharacters(in: .whitespaces)), v > 0, (v * 1024).rounded() == v * 1024 {
            return Int(v * 1024)
        }
        throw .client("Invalid 'cpu' setting for task: \(text.debugDescription).")
    }

    /// "512", "1GB", "0.5 GB" to MiB.
    static func memoryMiB(_ text: String) throws(APIError) -> Int {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let n = Int(t), n > 0 { return n }
        if t.hasSuffix("gb"), let v = Double(t.dropLast(2).trimmingCharacters(in: .whitespaces)), v > 0, (v * 1024).rounded() == v * 1024 {
            return Int(v * 1024)
        }
        throw .client("Invalid 'memory' setting for task: \(text.debugDescription).")
    }

    static func fargateSizeValid(cpu: Int, memory: Int) -> Bool {
        switch cpu {
        case 256: return [512, 1024, 2048].contains(memory)
        case 512: return (1024...4096).contains(memory) && memory % 1024 == 0
        case 1024: return (2048...8192).contains(memory) && memory % 1024 == 0
        case 2048: return (4096...16384).contains(memory) && memory % 1024 == 0
        case 4096: return (8192...30720).contains(memory) && memory % 1024 == 0
        case 8192: return (16384...61440).contains(memory) && memory % 4096 == 0
        case 16384: return (32768...122880).contains(memory) && memory % 8192 == 0
        default: return false
        }
    }
}
