import BerthAgent
import BerthCgroups
import BerthECS
import BerthHTTP
import BerthImages
import BerthJSON
import BerthOCI
import BerthRuntime
import BerthSys
import BerthTasks

/// `berth run`'s task metadata endpoint and task role credentials: the agent's
/// `TaskMetadataEndpoints` (same responder, listeners and environment) for the one task this
/// process runs, served while it runs. The task's documents come from `StandaloneTask` over the
/// runner's snapshots; host-network tasks reach a loopback port picked when `berth run` starts.
final class RunMetadata: @unchecked Sendable {
    let endpoints: TaskMetadataEndpoints
    let source = LazyMetadataSource()
    let plan: TaskLaunchPlan

    /// `keyFile`: the secret behind credentials ids and host tokens (kept in the run root, so that
    /// `--adopt` gives re-attached containers the same ids).
    init(taskId: String, file json: JSONValue, keyFile: String, roleCredentials: String?) throws {
        let roles = RoleCredentialStore(path: roleCredentials)
        do { try roles.validate() } catch { throw UsageError("option --task-role-credentials: \(error)") }
        plan = StandaloneTask.plan(taskId: taskId, taskDefinition: Self.request(json))
        endpoints = try TaskMetadataEndpoints(keyFile: keyFile, roles: roles, hostListen: .tcp(host: "127.0.0.1", port: 0), source: source,
                                              log: { printErrLine("berth run: " + $0) })
    }

    /// The definition itself when FILE is describe/register output (`{"taskDefinition": ...}`).
    static func request(_ json: JSONValue) -> JSONValue {
        if json["containerDefinitions"] == nil, let inner = json["taskDefinition"], inner.objectValue != nil { return inner }
        return json
    }

    var taskArn: String { plan.taskArn }

    /// What each container gets (`SpecBuilder.extraEnvironment`).
    func environment(_ td: TaskDefinitionInput) -> [String: [(name: String, value: String)]] { endpoints.environment(plan, td) }

    /// The task's network exists (before its containers start, or when re-attaching).
    func open(_ host: TaskHost) throws { try endpoints.open(plan.taskArn, host: host) }

    /// The runner exists: documents and stats follow it from now on.
    func attach(runner: TaskRunner, td: TaskDefinitionInput, layout: TaskLayout, images: ImageStore, provisioned: ProvisionedImages?,
                runtime: any ContainerRuntime, cgroups: any CgroupDriver, pidsLimit: Int64) {
        let (checked, bindings) = HostEngineAdapter.facts(td)
        var digests: [String: String] = [:]
        for (i, c) in td.containers.enumerated() {
            guard let name = c.name else { continue }
            if let records = provisioned?.records, i < records.count {
                digests[name] = ProvisionedImages.imageDigest(records[i])
            } else if let image = c.image, let record = try? images.resolve(image).record {
                digests[name] = ProvisionedImages.imageDigest(record)
            }
        }
        let now = HostEngineAdapter.now()
        var known = HostEngineAdapter.Known(plan: plan, launchedAt: now, readyAt: now, checked: checked, bindings: bindings,
                                            address: HostEngineAdapter.address(plan, td), digests: digests)
        known.pullStartedAt = provisioned?.pullStartedAt
        known.pullStoppedAt = provisioned?.pullStoppedAt
        let names = td.containers.compactMap(\.name)
        let hostNetworking = td.effectiveNetworkMode == .host
        let facts = known
        source.attach(StandaloneTask(plan: plan, createdAt: runner.snapshot().createdAt, observe: {
            HostEngineAdapter.observation(runner.snapshot(), facts)
        }, stats: {
            HostEngineAdapter.taskStats(rows: HostTaskEngine.stats(layout: layout, names: names, cgroups: cgroups), taskCgroup: layout.cgroupParent,
                                        cgroups: cgroups, detail: HostTaskEngine.cgroupDetail(layout: layout, names: names, cgroups: cgroups),
                                        procNetDev: HostTaskEngine.networkCounters(runner: runner, runtime: runtime),
                                        hostNetworking: hostNetworking, pidsLimit: pidsLimit)
        }))
    }

    /// The task stopped: its endpoint goes, then the server.
    func close() {
        endpoints.close(plan.taskArn)
        endpoints.stop()
    }
}
