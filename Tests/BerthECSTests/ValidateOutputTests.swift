import Testing
@testable import BerthECS

/// The lines `berth validate` prints (the command only reads the file and prints these).
@Suite struct ValidateOutputTests {
    @Test func validFileWithWarnings() throws {
        let r = try report(taskDef(web, #""taskRoleArn": "r""#))
        #expect(r.lines(for: "td.json") == [
            "td.json: warning: taskRoleArn: the containers get this role's credentials from the task metadata endpoint when --task-role-credentials (of berth agent or berth run) maps it (none otherwise).",
            "td.json: valid (1 warning)",
        ])
    }

    @Test func invalidFileListsEveryProblemAndNoVerdictLine() throws {
        let r = try report(taskDef(#"{"name": "a", "image": "i"}"#, #""taskRoleArn": "r""#))
        #expect(r.lines(for: "x.json") == [
            "x.json: containerDefinitions[0]: Invalid setting for container 'a'. At least one of 'memory' or 'memoryReservation' must be specified.",
            "x.json: warning: taskRoleArn: the containers get this role's credentials from the task metadata endpoint when --task-role-credentials (of berth agent or berth run) maps it (none otherwise).",
        ])
    }

    @Test func syntaxErrorHasLineAndColumn() throws {
        let r = ECSValidation.validateTaskDefinition(bytes: try Corpus.bytes("taskdefs/invalid/71-dg-awslogs-unbalanced-braces.json"))
        #expect(!r.isValid)
        #expect(r.lines(for: "f.json") == ["f.json:14:1: invalid JSON: expected ',' or ']' after array element, found end of input"])
    }

    @Test func hostSourcePathWithDotDotShowsTheCleanedPath() throws {
        let r = try report(taskDef(web, #""volumes": [{"name": "v", "host": {"sourcePath": "/srv/app/../data"}}]"#))
        #expect(r.lines(for: "td.json") == [
            "td.json: warning: volumes[0].host.sourcePath: host.sourcePath \"/srv/app/../data\" has '.' or '..' components; like Docker, Berth cleans it lexically and bind-mounts \"/srv/data\".",
            "td.json: valid (1 warning)",
        ])
    }

    @Test func plural() throws {
        #expect(try report(taskDef(web)).lines(for: "a") == ["a: valid (0 warnings)"])
    }
}

@Suite struct DocumentKindTests {
    @Test func serviceFilesAreCheckedAsCreateService() throws {
        let service = #"{"serviceName": "s", "taskDefinition": "t", "desiredCount": 1, "enableExecuteCommand": true, "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}}}"#
        let r = ECSValidation.validateDocument(bytes: Array(service.utf8))
        #expect(r.kind == .createService && r.isValid)
        #expect(r.lines(for: "s.json").last == "s.json: valid CreateService request (2 warnings)")
        let bad = ECSValidation.validateDocument(bytes: Array(#"{"serviceName": "s", "taskDefinition": "t"}"#.utf8))
        #expect(bad.lines(for: "b.json") == ["b.json: desiredCount: desiredCount is required for services with the REPLICA scheduling strategy."])
    }

    @Test func taskDefinitionsAndWrappersStayTaskDefinitions() throws {
        for file in ["taskdefs/61-cli-describe-output-wordpress.json", "taskdefs/03-dg-alpine-ping-readonly.json", "taskdefs/17-dg-firelens-dependson.json"] {
            #expect(ECSValidation.validateDocument(bytes: try Corpus.bytes(file)).kind == .taskDefinition, "\(file)")
        }
        let syntax = ECSValidation.validateDocument(bytes: Array("{".utf8))
        #expect(!syntax.isValid && syntax.lines(for: "x") == ["x:1:2: invalid JSON: expected a member name in double quotes, found end of input"])
    }
}
