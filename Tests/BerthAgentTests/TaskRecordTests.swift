import BerthECS
import BerthJSON
import Foundation
import Testing
@testable import BerthAgent

/// The agent's typed task record: the merge of engine reports, and state files of earlier versions.
@Suite struct TaskMergeTests {
    let plan = TaskLaunchPlan(taskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/t1", taskId: "t1", clusterName: "default",
                              clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default",
                              taskDefinitionArn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1",
                              taskDefinition: ["family": "web", "containerDefinitions": [["name": "app", "image": "busybox"]]],
                              overrides: nil, region: "us-east-1", accountId: "000000000000")

    func task() -> ECSTask {
        ECSTask(taskArn: plan.taskArn, clusterArn: plan.clusterArn, taskDefinitionArn: plan.taskDefinitionArn,
                containers: [ECSContainer(containerArn: "c1", taskArn: plan.taskArn, name: "app", image: "busybox")], createdAt: 100)
    }

    func observation(_ status: TaskStatus, _ container: ContainerLastStatus) -> TaskObservation {
        TaskObservation(taskArn: plan.taskArn, lastStatus: status, containers: [ContainerObservation(name: "app", lastStatus: container)])
    }

    @Test func statusOnlyMovesForwardAndVersionCountsVisibleChanges() {
        var t = task()
        var running = observation(.running, .running)
        running.startedAt = 110
        #expect(TaskLifecycle.apply(running, to: &t, plan: plan))
        #expect(t.lastStatus == .running && t.containers[0].lastStatus == .running && t.startedAt == 110 && t.version == 2)
        // The same report again changes nothing, so no new version.
        #expect(!TaskLifecycle.apply(running, to: &t, plan: plan))
        #expect(t.version == 2)
        // A late report of an earlier state does not move the task back; timestamps are set once.
        var late = observation(.pending, .running)
        late.startedAt = 999
        #expect(!TaskLifecycle.apply(late, to: &t, plan: plan))
        #expect(t.lastStatus == .running && t.startedAt == 110)
    }

    @Test func stopCodeAndReasonAreSetOnce() {
        var t = TaskLifecycle.stopRequested(task(), code: .userInitiated, reason: "enough", at: 120)
        #expect(t.desiredStatus == .stopped && t.stopCode == .userInitiated && t.stoppingAt == 120 && t.version == 2)
        var exited = observation(.stopped, .stopped)
        exited.stopCode = .essentialContainerExited
        exited.stoppedReason = "Essential container in task exited"
        exited.stoppedAt = 130
        exited.containers[0].exitCode = 143
        #expect(TaskLifecycle.apply(exited, to: &t, plan: plan))
        #expect(t.lastStatus == .stopped && t.stopCode == .userInitiated && t.stoppedReason == "enough")
        #expect(t.stoppedAt == 130 && t.containers[0].exitCode == 143 && t.version == 3)
        // A second stop keeps the first code, reason and stoppingAt.
        t = TaskLifecycle.stopRequested(t, code: .serviceSchedulerInitiated, reason: "scale in", at: 140)
        #expect(t.stopCode == .userInitiated && t.stoppedReason == "enough" && t.stoppingAt == 120)
    }

    @Test func wireShapeRoundTrips() throws {
        var t = task()
        t.stopCode = .taskFailedToStart
        t.connectivity = .connected
        t.containers[0].networkBindings = [NetworkBinding(bindIP: "0.0.0.0", containerPort: 80, hostPort: 8080, protocol: "tcp")]
        let json = t.jsonValue
        #expect(json["stopCode"] == "TaskFailedToStart" && json["lastStatus"] == "PROVISIONING" && json["desiredStatus"] == "RUNNING")
        #expect(json["containers"]?.arrayValue?.first?["networkBindings"]?.arrayValue?.first?["hostPort"] == 8080)
        let (back, problems) = JSONRequest.decode(json, as: ECSTask.self)
        #expect(problems.isEmpty && back == t)
    }
}

@Suite struct OldStateFileTests {
    /// Keys sorted at every level: the old agent's member order is not part of the contract.
    func canonical(_ v: JSONValue?) -> String { v?.serialized(sortedKeys: true) ?? "absent" }

    func writeFixture(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir + "/tasks", withIntermediateDirectories: true)
        try OldStateFixture.stoppedFile.write(toFile: "\(dir)/tasks/\(OldStateFixture.stoppedId).json", atomically: true, encoding: .utf8)
        try OldStateFixture.runningFile.write(toFile: "\(dir)/tasks/\(OldStateFixture.runningId).json", atomically: true, encoding: .utf8)
    }

    @Test func aStoppedTaskIsDescribedAsTheOldAgentDescribedIt() throws {
        let dir = TempDir()
        try writeFixture(dir.path)
        let h = try Harness(dir: dir)
        let old = try JSONValue.parse(OldStateFixture.describeAnswer)["tasks"]!.arrayValue![0]
        let now = try h.call("DescribeTasks", ["tasks": [.string(OldStateFixture.stoppedId)], "include": ["TAGS"]])["tasks"]!.arrayValue![0]
        #expect(canonical(now) == canonical(old))
    }

    @Test func aRunningTaskOfAnOldFileKeepsItsMergedDefinitionAndIsMarkedLost() throws {
        let dir = TempDir()
        try writeFixture(dir.path)
        let h = try Harness(dir: dir)
        let r = try #require(h.backend.lock.withLock { h.backend.tasks[OldStateFixture.runningId] })
        // The old plan's definition has the overrides merged in: it is run as is, with none on top.
        #expect(r.plan.overrides == nil)
        #expect(r.plan.taskDefinition["containerDefinitions"]?.arrayValue?.first?["command"] == ["sleep", "500"])
        let old = try JSONValue.parse(OldStateFixture.describeAnswer)["tasks"]!.arrayValue![1]
        let now = try h.call("DescribeTasks", ["tasks": [.string(OldStateFixture.runningId)], "include": ["TAGS"]])["tasks"]!.arrayValue![0]
        // The fake engine keeps nothing across restarts: the task is STOPPED, the rest as it was.
        #expect(now["lastStatus"] == "STOPPED" && now["stopCode"] == "TerminationNotice" && now["version"] == .int((old["version"]?.intValue ?? 0) + 1))
        let changed: Set<String> = ["lastStatus", "desiredStatus", "stopCode", "stoppedReason", "stoppingAt", "executionStoppedAt", "stoppedAt",
                                    "version", "containers"]
        for key in old.objectValue!.keys where !changed.contains(key) {
            #expect(canonical(now[key]) == canonical(old[key]), "\(key)")
        }
        #expect(now["containers"]?.arrayValue?.map { $0["lastStatus"] } == ["STOPPED", "STOPPED"])
        #expect(now["containers"]?.arrayValue?.first?["memory"] == "128")
    }

    @Test func aNewPlanKeepsTheRegisteredDefinitionAndTypedOverridesAcrossARestart() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        let registered = try h.register("web")["taskDefinition"]!
        let overrides: JSONValue = ["containerOverrides": [["name": "app", "command": ["true"], "memory": 128]], "memory": "1GB"]
        let arn = try h.call("RunTask", ["taskDefinition": "web", "overrides": overrides])["tasks"]!.arrayValue![0]["taskArn"]!
        let id = String(arn.stringValue!.split(separator: "/").last!)
        let plan = try #require(h.backend.lock.withLock { h.backend.tasks[id]?.plan })
        #expect(plan.taskDefinition["containerDefinitions"] == registered["containerDefinitions"])
        #expect(plan.overrides?.containerOverrides?.first?.command == ["true"] && plan.overrides?.memory == "1GB")
        h.backend.flush()
        let h2 = try Harness(dir: dir)
        #expect(h2.backend.lock.withLock { h2.backend.tasks[id]?.plan } == plan)
    }
}

@Suite struct RunTaskOverrideTests {
    @Test func overridesAreParsedOnceAndCheckedWithTheDefinitionsRules() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir)
        _ = try h.call("RegisterTaskDefinition", ["family": "small", "memory": "256",
                                                  "containerDefinitions": [["name": "app", "image": "busybox", "memory": 64]]])
        func run(_ overrides: JSONValue) -> APIError? { h.error("RunTask", ["taskDefinition": "small", "overrides": overrides]) }
        let tooBig = run(["containerOverrides": [["name": "app", "memory": 512]]])
        #expect(tooBig?.type == "InvalidParameterException" && tooBig?.message.contains("With the overrides applied") == true)
        let named = run(["containerOverrides": [["name": "nope"]]])
        #expect(named?.message == "Override for container named nope is not a container in the TaskDefinition.")
        #expect(run(["containerOverrides": [["name": "app", "command": "true"]]])?.type == "SerializationException")
        #expect(run(["containerOverrides": [["name": "app", "comand": ["true"]]]])?.type == "InvalidParameterException")
        #expect(run(["cpu": "lots"])?.type == "ClientException")
        #expect(run(["containerOverrides": [["name": "app", "memory": 128]]]) == nil)
    }
}
