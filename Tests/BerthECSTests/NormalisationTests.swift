import BerthJSON
import Testing
@testable import BerthECS

@Suite struct NormalisationTests {
    @Test(arguments: [
        ("256", 256), ("1024", 1024), ("1 vCPU", 1024), ("1 vcpu", 1024), ("1vcpu", 1024), ("0.25 vCPU", 256),
        (".25 vcpu", 256), ("0.5 vCPU", 512), ("2 vCPU", 2048), ("16 vCPU", 16384), (" 512 ", 512), ("0.125 vcpu", 128),
    ])
    func cpuForms(text: String, units: Int) {
        #expect(ResourceUnits.cpuUnits(text) == .success(units))
    }

    @Test(arguments: [
        ("512", 512), ("1GB", 1024), ("1 GB", 1024), ("2gb", 2048), ("0.5 GB", 512), (".5 gb", 512), ("0.5GB", 512), ("30 GB", 30720),
    ])
    func memoryForms(text: String, mib: Int) {
        #expect(ResourceUnits.memoryMiB(text) == .success(mib))
    }

    @Test(arguments: ["", "abc", "1 core", "1.5", "-256", "256 MiB", "1e3", "0x100", "1.2.3 vCPU", ". vcpu", "1. vcpu"])
    func rejectedForms(text: String) {
        #expect(throws: ResourceUnits.ParseError.self) { try ResourceUnits.cpuUnits(text).get() }
        #expect(throws: ResourceUnits.ParseError.self) { try ResourceUnits.memoryMiB(text).get() }
    }

    @Test func fractionsThatAreNotWholeAreRejected() {
        #expect(ResourceUnits.cpuUnits("0.0001 vCPU") == .failure(.notWhole("0.0001 vCPU")))
    }

    @Test func normalisedDefinitionMatchesWhatECSReturns() throws {
        let r = try report(taskDef(#"{"name": "a", "image": "i", "portMappings": [{"containerPort": 80}]}"#,
                                   #""networkMode": "awsvpc", "cpu": ".25 vcpu", "memory": "0.5 GB""#))
        #expect(r.isValid)
        let d = try #require(r.definition)
        #expect(d.cpu == "256" && d.memory == "512")
        let c = try #require(d.containerDefinitions?.first)
        #expect(c.cpu == 0 && c.essential == true && c.environment == [] && c.mountPoints == [] && c.volumesFrom == [])
        #expect(c.portMappings?.first?.hostPort == 80 && c.portMappings?.first?.protocol == .tcp)
        #expect(d.volumes == [] && d.placementConstraints == [])
    }

    @Test func bridgeKeepsDynamicHostPort() throws {
        let r = try report(taskDef(#"{"name": "a", "image": "i", "memory": 64, "portMappings": [{"containerPort": 80}]}"#))
        #expect(r.definition?.containerDefinitions?.first?.portMappings?.first?.hostPort == nil)
        #expect(r.definition?.networkMode == nil)
    }

    @Test func fargateTable() {
        #expect(FargateSizes.table.map(\.memory.count) == [3, 4, 7, 13, 23, 12, 12])
        #expect(FargateSizes.table.map(\.memory.count).reduce(0, +) == 74)
        #expect(FargateSizes.isValid(cpu: 16384, memory: 122880))
        #expect(!FargateSizes.isValid(cpu: 8192, memory: 18432))
        #expect(!FargateSizes.isValid(cpu: 32768, memory: 65536))
    }

    @Test func registeredFormCarriesServerFields() throws {
        let r = try report(taskDef(web, #""networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "1 vCPU", "memory": "2GB", "tags": [{"key": "k", "value": "v"}]"#))
        #expect(r.isValid, "\(r.problems)")
        let reg = RegisteredTaskDefinition(definition: try #require(r.definition), region: "us-east-1", account: "000000000000",
                                           revision: 3, registeredAt: 1_700_000_000.5)
        let json = reg.responseBody(includeTags: true)
        let td = try #require(json["taskDefinition"])
        #expect(td["taskDefinitionArn"] == "arn:aws:ecs:us-east-1:000000000000:task-definition/f:3")
        #expect(td["revision"] == 3 && td["status"] == "ACTIVE" && td["cpu"] == "1024" && td["memory"] == "2048")
        #expect(td["compatibilities"] == ["EC2", "EXTERNAL", "FARGATE"])
        #expect(td["registeredAt"] == .number(JSONNumber(literal: "1700000000.5")))
        #expect(td["tags"] == nil)
        #expect(json["tags"] == [["key": "k", "value": "v"]])
        // describe output reads back as the same definition
        let back = ECSValidation.validateTaskDefinition(json, host: HostPlatform(cpuArchitecture: .x86_64))
        #expect(back.isValid && back.definition == r.definition)
        #expect(back.warnings.count == 2)
    }
}

@Suite struct RuntimeDefaultsTests {
    @Test func containerDefaults() {
        var c = ContainerDefinition(name: "a", image: "i")
        #expect(c.effectiveStopTimeout == 30 && c.cpuShares == 2 && c.isEssential)
        c.stopTimeout = 5
        c.cpu = 1_000_000
        #expect(c.effectiveStopTimeout == 5 && c.cpuShares == 262_144)
        c.stopTimeout = 0
        #expect(c.effectiveStopTimeout == 30)
    }

    @Test func healthCheckForms() {
        #expect(HealthCheck(command: ["CMD", "/bin/check", "-v"]).test == .exec(["/bin/check", "-v"]))
        #expect(HealthCheck(command: ["CMD-SHELL", "curl -f localhost || exit 1"]).test == .shell("curl -f localhost || exit 1"))
        #expect(HealthCheck(command: ["NONE"]).test == .none)
        #expect(HealthCheck(command: ["curl", "x"]).test == .exec(["curl", "x"]))
        let h = HealthCheck(command: ["CMD", "true"])
        #expect(h.effectiveInterval == 30 && h.effectiveTimeout == 5 && h.effectiveRetries == 3 && h.effectiveStartPeriod == 0)
    }

    @Test func registeredRoundTrip() throws {
        let input = try #require(try report(taskDef(web)).definition)
        var reg = RegisteredTaskDefinition(definition: input, region: "us-east-1", account: "000000000000", revision: 7,
                                           registeredAt: 1_700_000_000.25, registeredBy: "arn:aws:iam::000000000000:root")
        reg.status = .inactive
        reg.deregisteredAt = 1_700_000_100
        let back = try #require(RegisteredTaskDefinition.decode(try JSONValue.parse(reg.responseBody(includeTags: false).serialized())))
        #expect(back == reg)
        #expect(back.familyRevision == "f:7")
    }
}
