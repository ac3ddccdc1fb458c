import BerthCgroups
import BerthECS
import BerthImages
import BerthRuntime

/// Turns a (validated) task definition into a runnable plan: resolves every image first (an
/// unknown image fails before anything is created), then translates each container.
public struct TaskPlanner {
    public var images: ImageStore
    public var layout: TaskLayout
    public var initBinary: String?
    /// pids.max of every container (`PidsLimit`).
    public var pidsLimit: Int64
    /// The host facts Docker's default seccomp profile depends on (architecture, kernel).
    public var seccompHost: DockerSeccomp.Host = .current
    /// The region awslogs-region must name, if any (`SpecBuilder.awslogsRegion`).
    public var awslogsRegion: String? = nil
    /// See `SpecBuilder.extraEnvironment`.
    public var extraEnvironment: [String: [(name: String, value: String)]] = [:]
    /// See `SpecBuilder.taskNameserver`.
    public var taskNameserver: String? = nil

    public init(images: ImageStore, layout: TaskLayout, initBinary: String? = nil, pidsLimit: Int64 = PidsLimit.defaultLimit) {
        self.images = images
        self.layout = layout
        self.initBinary = initBinary
        self.pidsLimit = pidsLimit
    }

    /// `provisioned`: the images `TaskImageSource.provision` chose (pulled or cached), one per
    /// container; nil = resolve each container's image in the store now.
    /// `secrets`: the values of the containers' `secrets`, resolved when the task starts.
    public func plan(_ td: TaskDefinitionInput, provisioned: ProvisionedImages? = nil, secrets: TaskSecrets = .none) throws -> (TaskPlan, [ContainerPrep]) {
        var resolved: [(ImageRecord, ImageConfigFile)] = []
        for (i, c) in td.containers.enumerated() {
            do {
                if let records = provisioned?.records, i < records.count {
                    resolved.append((records[i], try images.config(of: records[i])))
                } else {
                    resolved.append(try images.resolve(c.image ?? ""))
                }
            } catch let e as ImageError {
                throw TranslationError("containerDefinitions[\(i)].image", e.message, kind: .image)
            }
        }
        var builder = SpecBuilder(task: td, layout: layout, initBinary: initBinary, pidsLimit: pidsLimit)
        builder.seccompHost = seccompHost
        builder.secretEnvironment = secrets.environment
        builder.awslogsRegion = awslogsRegion
        builder.extraEnvironment = extraEnvironment
        builder.taskNameserver = taskNameserver
        var preps: [ContainerPrep] = []
        for i in td.containers.indices {
            let (record, config) = resolved[i]
            var prep = try builder.build(index: i, image: config.config, lowerDirs: images.lowerDirs(record))
            if td.pidMode == .task { prep.plan.shareNamespaces.append("pid") }
            if td.ipcMode == .task { prep.plan.shareNamespaces.append("ipc") }
            preps.append(prep)
        }
        return (TaskPlan(taskId: layout.taskId, containers: preps.map(\.plan)), preps)
    }

    /// Task-level cgroup limits from the task definition's `cpu` and `memory` strings.
    public static func taskResources(_ td: TaskDefinitionInput) -> CgroupResources {
        let cpu = td.cpu.flatMap { try? ResourceUnits.cpuUnits($0).get() }
        let mem = td.memory.flatMap { try? ResourceUnits.memoryMiB($0).get() }
        return TaskHost.taskResources(cpuUnits: cpu, memoryMiB: mem)
    }
}
