import BerthJSON
import Testing
@testable import BerthECS

@Suite struct InvalidCorpusPositionTests {
    /// Line/column agree with Python's json module on every invalid corpus document.
    @Test(arguments: [
        ("70-dg-firelens-multiline-unterminated-string.json", 3, 35),
        ("71-dg-awslogs-unbalanced-braces.json", 14, 1),
        ("72-dg-efs-placeholder-integer.json", 29, 42),
        ("73-dg-docker-volume-placeholder-boolean.json", 8, 33),
        ("74-dg-bind-mount-ellipsis.json", 3, 4),
        ("75-dg-fragment-key-only.json", 1, 23),
        ("76-agent-health-templated-start-period.json", 14, 13),
        ("77-firelens-dynatrace-missing-comma.json", 34, 20),
        ("78-user-terraform-tpl-healthcheck-typo.json", 5, 16),
    ])
    func invalidCorpusRejectedWithPosition(file: String, line: Int, column: Int) throws {
        let bytes = try Corpus.bytes("taskdefs/invalid/" + file)
        do {
            _ = try JSONValue.parse(bytes: bytes)
            Issue.record("\(file) accepted")
        } catch {
            #expect(error.line == line && error.column == column, "\(file): \(error)")
        }
    }

    @Test func everyInvalidCorpusFileIsCovered() throws {
        #expect(try Corpus.files("taskdefs/invalid").count == 9)
    }
}
