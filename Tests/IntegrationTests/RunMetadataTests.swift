import BerthSys
import Foundation
import Testing

/// `berth run` serves its task's metadata endpoint and task role credentials itself (the agent's
/// responder): busybox wget from inside the task, for awsvpc and host networking.
@Suite(.serialized) struct RunMetadataTests {
    static let role = "arn:aws:iam::000000000000:role/runner"

    static let script = """
        echo "TASK $(wget -qO- $ECS_CONTAINER_METADATA_URI_V4/task)"
        echo "SELF $(wget -qO- $ECS_CONTAINER_METADATA_URI_V4)"
        if [ -n "$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI" ]; then
          echo "CREDS $(wget -qO- http://169.254.170.2$AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)"
        else
          echo "CREDS $(wget -qO- --header "Authorization: $AWS_CONTAINER_AUTHORIZATION_TOKEN" $AWS_CONTAINER_CREDENTIALS_FULL_URI)"
        fi
        """

    static func taskDefinition(_ family: String, _ mode: String) -> String {
        let command = String(data: try! JSONSerialization.data(withJSONObject: ["sh", "-c", script]), encoding: .utf8)!
        return """
            {"family": "\(family)", "networkMode": "\(mode)", "cpu": "256", "memory": "256", "taskRoleArn": "\(role)",
             "containerDefinitions": [{"name": "app", "image": "busybox:latest", "essential": true, "command": \(command)}]}
            """
    }

    @Test(arguments: ["awsvpc", "host"]) func berthRunServesMetadataAndRoleCredentials(mode: String) throws {
        let h = try TaskHarness()
        let roles = h.root + "/roles.json"
        try Files.writeAtomically(roles, Array("""
            {"\(Self.role)": {"accessKeyId": "AKIARUN", "secretAccessKey": "runsecret", "sessionToken": "runtoken",
                              "expiration": "2030-01-01T00:00:00Z"}}
            """.utf8))
        let family = "run-md-\(mode)"
        let r = try h.run(try h.write(Self.taskDefinition(family, mode)), extra: ["--task-role-credentials", roles])
        #expect(r.status == 0, "\(r.stderr)")
        let task = try TaskMetadataTests.object(r.stdout, "TASK")
        #expect((task["TaskARN"] as? String)?.hasSuffix("/\(r.taskId)") == true, "\(task)")
        #expect(task["Family"] as? String == family)
        #expect(task["Revision"] as? String == "1")
        let containers = try #require(task["Containers"] as? [[String: Any]], "\(task)")
        #expect(containers.map { $0["Name"] as? String } == ["app"])
        #expect(containers.first?["KnownStatus"] as? String == "RUNNING")
        #expect(containers.first?["Image"] as? String == "busybox:latest")
        let me = try TaskMetadataTests.object(r.stdout, "SELF")
        #expect((me["DockerId"] as? String)?.hasPrefix(r.taskId + "-") == true, "\(me)")
        let creds = try TaskMetadataTests.object(r.stdout, "CREDS")
        #expect(creds["AccessKeyId"] as? String == "AKIARUN", "\(creds)")
        #expect(creds["SecretAccessKey"] as? String == "runsecret")
        #expect(creds["Token"] as? String == "runtoken")
        #expect(creds["RoleArn"] as? String == Self.role)
        try h.expectCleanedUp(r.taskId)
    }
}
