import BerthJSON
import Testing
@testable import BerthECS

@Suite struct TaskOverrideTests {
    let host = HostPlatform(cpuArchitecture: .x86_64)

    func definition() throws -> TaskDefinitionInput {
        try #require(try report(taskDef(#"{"name": "app", "image": "i", "memory": 128, "command": ["serve"], "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}"#, #""memory": "512""#)).definition)
    }

    func overrides(_ text: String) throws -> TaskOverride {
        let (o, problems) = JSONRequest.decode(try JSONValue.parse(text), as: TaskOverride.self)
        #expect(problems.isEmpty, "\(problems)")
        return try #require(o)
    }

    @Test func applyMergesEnvironmentAndReplacesCommand() throws {
        let o = try overrides(#"{"containerOverrides": [{"name": "app", "command": ["migrate"], "environment": [{"name": "B", "value": "3"}, {"name": "C", "value": "4"}], "memory": 256}], "cpu": "0.5 vcpu"}"#)
        let d = try definition()
        #expect(o.validate(against: d, host: host).isEmpty)
        let applied = d.applying(o)
        let c = try #require(applied.containerDefinitions?.first)
        #expect(c.command == ["migrate"] && c.memory == 256 && applied.cpu == "512")
        #expect(c.environment?.map { "\($0.name!)=\($0.value!)" } == ["A=1", "B=3", "C=4"])
        #expect(d.containerDefinitions?.first?.command == ["serve"])
    }

    @Test func unknownContainerIsRejected() throws {
        let o = try overrides(#"{"containerOverrides": [{"name": "web", "command": ["x"]}]}"#)
        let problems = o.validate(against: try definition(), host: host)
        #expect(problems.map(\.description) == ["overrides.containerOverrides[0].name: Override for container named web is not a container in the TaskDefinition."])
        #expect(problems.first?.apiMessage == "Override for container named web is not a container in the TaskDefinition.")
    }

    @Test func overridesAreCheckedWithTheDefinitionsRules() throws {
        let o = try overrides(#"{"containerOverrides": [{"name": "app", "memory": 1024}]}"#)
        #expect(o.validate(against: try definition(), host: host).map(\.message) == [
            "With the overrides applied: The 'memory' setting for container 'app' is greater than for the task.",
        ])
    }

    @Test func tooLargeOverridesAreRejected() throws {
        let o = TaskOverride(containerOverrides: [ContainerOverride(name: "app", command: [String(repeating: "x", count: 9000)])])
        #expect(o.validate(against: try definition(), host: host).first?.message.hasPrefix("Container Overrides length must be at most 8192") == true)
    }

    @Test func shapeErrorsHavePaths() throws {
        let (_, problems) = JSONRequest.decode(try JSONValue.parse(#"{"containerOverrides": [{"name": "app", "cpu": "1"}]}"#), as: TaskOverride.self)
        #expect(problems.map(\.description) == ["containerOverrides[0].cpu: invalid type: expected integer, got string \"1\""])
    }
}
