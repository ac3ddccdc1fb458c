import Foundation
import Testing
@testable import BerthAgent

@Suite struct ServiceTests {
    func serviceTasks(_ h: Harness, desired: String = "RUNNING") throws -> [JSON] {
        let arns = try h.call("ListTasks", ["serviceName": "web", "desiredStatus": .string(desired)])["taskArns"]?.arrayValue ?? []
        if arns.isEmpty { return [] }
        return try h.call("DescribeTasks", ["tasks": .array(arns)])["tasks"]?.arrayValue ?? []
    }

    @Test func controllerDecisionsBecomeTasksAndSurviveRestart() throws {
        let dir = TempDir()
        let clock = ManualClock()
        do {
            let h = try Harness(dir: dir.path, clock: clock)
            _ = try h.register("web")
            let created = try h.call("CreateService", ["serviceName": "web", "taskDefinition": "web", "desiredCount": 2])["service"]!
            let deployment = created["deployments"]!.arrayValue![0]["id"]!
            var tasks = try serviceTasks(h)
            #expect(tasks.count == 2)
            #expect(tasks.allSatisfy { $0["startedBy"] == deployment && $0["group"] == "service:web" })
            clock.advance(2)
            h.backend.refreshFromEngine()
            h.backend.tickServices()
            let s = try h.call("DescribeServices", ["services": ["web"]])["services"]!.arrayValue![0]
            #expect(s["runningCount"] == 2 && s["pendingCount"] == 0)
            #expect(try h.call("DescribeClusters")["clusters"]?.arrayValue?.first?["activeServicesCount"] == 1)
            // A user stopping a service task gets it replaced.
            _ = try h.call("StopTask", ["task": tasks[0]["taskArn"]!])
            clock.advance(2)
            h.backend.refreshFromEngine()
            h.backend.tickServices()
            tasks = try serviceTasks(h)
            #expect(tasks.count == 2)
        }
        // Restart: the fake engine lost the tasks; the controller starts new ones.
        let h = try Harness(dir: dir.path, clock: clock)
        #expect(try serviceTasks(h).isEmpty)
        h.backend.tickServices()
        let tasks = try serviceTasks(h)
        #expect(tasks.count == 2 && tasks.allSatisfy { $0["lastStatus"] == "PROVISIONING" || $0["lastStatus"] == "PENDING" })
        let s = try h.call("DescribeServices", ["services": ["web"]])["services"]!.arrayValue![0]
        #expect(s["status"] == "ACTIVE" && s["desiredCount"] == 2)
    }

    @Test func deleteDrainsToInactive() throws {
        let dir = TempDir()
        let h = try Harness(dir: dir.path)
        _ = try h.register("web")
        _ = try h.call("CreateService", ["serviceName": "web", "taskDefinition": "web", "desiredCount": 1])
        #expect(h.error("DeleteService", ["service": "web"])?.type == "InvalidParameterException")
        #expect(h.error("DeleteCluster", ["cluster": "default"])?.type == "InvalidParameterException")
        #expect(try h.call("DeleteService", ["service": "web", "force": true])["service"]?["status"] == "DRAINING")
        for _ in 0..<5 {
            h.clock.advance(1)
            h.backend.refreshFromEngine()
            h.backend.tickServices()
        }
        let s = try h.call("DescribeServices", ["services": ["web"]])["services"]!.arrayValue![0]
        #expect(s["status"] == "INACTIVE")
        #expect(try h.call("ListServices")["serviceArns"] == [])
        #expect(h.error("UpdateService", ["service": "web", "desiredCount": 1])?.type == "ServiceNotFoundException")
        // The name can be used again.
        #expect(try h.call("CreateService", ["serviceName": "web", "taskDefinition": "web", "desiredCount": 0])["service"]?["status"] == "ACTIVE")
    }
}
