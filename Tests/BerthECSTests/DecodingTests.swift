import BerthJSON
import Testing
@testable import BerthECS

@Suite struct DecodingTests {
    func decode(_ text: String) throws -> (TaskDefinitionInput?, [Problem]) {
        TaskDefinitionDocument.decode(try JSONValue.parse(text))
    }

    @Test func wrongTypeIsReportedWithPath() throws {
        let (input, problems) = try decode("""
            {"family": "f", "containerDefinitions": [{"name": "a", "image": "busybox"},
              {"name": "b", "image": "busybox", "healthCheck": {"command": ["CMD", "true"], "retries": "3"}}]}
            """)
        #expect(input?.containerDefinitions?.count == 2)
        #expect(problems.count == 1)
        #expect(problems.first?.path.description == "containerDefinitions[1].healthCheck.retries")
        #expect(problems.first?.message == "invalid type: expected integer, got string \"3\"")
        #expect(problems.first?.exception == .invalidParameterException)
    }

    @Test func unknownMemberSuggestsTheRightName() throws {
        let (_, problems) = try decode("""
            {"family": "f", "containerDefinitions": [{"name": "a", "image": "i", "healthcheck": {"command": ["CMD", "true"]}}]}
            """)
        #expect(problems.map(\.description) == [
            "containerDefinitions[0].healthcheck: unknown parameter \"healthcheck\": not part of the ECS API for this object; did you mean \"healthCheck\"?"
        ])
    }

    @Test func nullMeansAbsent() throws {
        let (input, problems) = try decode(#"{"family": "f", "containerDefinitions": [{"name": "a", "image": "i", "ulimits": null}]}"#)
        #expect(problems.map(\.description) == [
            "warning: containerDefinitions[0].ulimits: null is treated as if the member were absent (the AWS CLI would reject it: \"Invalid type for parameter\")"
        ])
        #expect(input?.containerDefinitions?.first?.ulimits == nil)
    }

    @Test func encodeRoundTrips() throws {
        let text = #"{"family":"f","networkMode":"awsvpc","containerDefinitions":[{"name":"a","image":"i","portMappings":[{"containerPort":80,"protocol":"tcp"}],"dockerLabels":{"b":"2","a":"1"}}],"cpu":"256"}"#
        let (input, problems) = try decode(text)
        #expect(problems.isEmpty)
        #expect(input?.jsonValue.serialized() == text.replacingOccurrences(of: #"{"b":"2","a":"1"}"#, with: #"{"a":"1","b":"2"}"#))
    }
}

@Suite struct RegisterRequestTests {
    @Test func apiRequestsDoNotAcceptTheOutputForm() throws {
        let wrapped = try JSONValue.parse(#"{"taskDefinition": {"family": "f", "containerDefinitions": [{"name": "a", "image": "i", "memory": 64}]}}"#)
        let r = ECSValidation.validateRegisterRequest(wrapped, host: HostPlatform(cpuArchitecture: .x86_64))
        #expect(!r.isValid)
        #expect(r.registerError?.name == "InvalidParameterException")
        #expect(r.errors.map(\.path.description).contains("taskDefinition"))
        let readOnly = try JSONValue.parse(#"{"family": "f", "revision": 3, "containerDefinitions": [{"name": "a", "image": "i", "memory": 64}]}"#)
        let r2 = ECSValidation.validateRegisterRequest(readOnly, host: HostPlatform(cpuArchitecture: .x86_64))
        #expect(r2.errors.map(\.description) == ["revision: unknown parameter \"revision\": not part of the ECS API for this object"])
        #expect(ECSValidation.validateTaskDefinition(readOnly, host: HostPlatform(cpuArchitecture: .x86_64)).isValid)
    }
}
