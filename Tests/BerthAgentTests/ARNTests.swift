import Testing
@testable import BerthAgent

@Suite struct ARNTests {
    let arns = ARNFormat(region: "eu-central-1", account: "123456789012")

    @Test func formats() {
        #expect(arns.cluster("prod") == "arn:aws:ecs:eu-central-1:123456789012:cluster/prod")
        #expect(arns.taskDefinition("web", 3) == "arn:aws:ecs:eu-central-1:123456789012:task-definition/web:3")
        #expect(arns.task(cluster: "prod", id: "0123456789abcdef0123456789abcdef") == "arn:aws:ecs:eu-central-1:123456789012:task/prod/0123456789abcdef0123456789abcdef")
        #expect(arns.container(cluster: "c", taskId: "t", uuid: "u") == "arn:aws:ecs:eu-central-1:123456789012:container/c/t/u")
        let id = Ident.taskId()
        #expect(id.count == 32 && id.allSatisfy { "0123456789abcdef".contains($0) })
        let uuid = Ident.uuid()
        #expect(uuid.count == 36 && uuid.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    }

    @Test func parsing() {
        #expect(arns.clusterName("prod") == "prod")
        #expect(arns.clusterName(arns.cluster("prod")) == "prod")
        #expect(arns.clusterName("arn:aws:ecs:eu-central-1:123456789012:service/prod/x") == nil)
        #expect(arns.taskDefinitionRef("web")! == ("web", nil))
        #expect(arns.taskDefinitionRef("web:7")! == ("web", 7))
        #expect(arns.taskDefinitionRef(arns.taskDefinition("web", 2))! == ("web", 2))
        #expect(arns.taskDefinitionRef("web:x") == nil)
        #expect(arns.taskDefinitionRef("web:0") == nil)
        #expect(arns.taskId("abc")! == (nil, "abc"))
        #expect(arns.taskId(arns.task(cluster: "c", id: "abc"))! == ("c", "abc"))
        #expect(arns.taskId("arn:aws:ecs:r:a:task/legacy-uuid")! == (nil, "legacy-uuid"))
        #expect(arns.taskId("arn:aws:ecs:r:a:cluster/x") == nil)
    }
}
