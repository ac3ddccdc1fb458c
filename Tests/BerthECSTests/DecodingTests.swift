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
        #expect(problems.isEmpty)
        #expect(input?.containerDefinitions?.first?.ulimits == nil)
    }

    @Test func encodeRoundTrips() throws {
        let text = #"{"family":"f","networkMode":"awsvpc","containerDefinitions":[{"name":"a","image":"i","portMappings":[{"containerPort":80,"protocol":"tcp"}],"dockerLabels":{"b":"2","a":"1"}}],"cpu":"256"}"#
        let (input, problems) = try decode(text)
        #expect(problems.isEmpty)
        #expect(input?.jsonValue.serialized() == text.replacingOccurrences(of: #"{"b":"2","a":"1"}"#, with: #"{"a":"1","b":"2"}"#))
    }
}
