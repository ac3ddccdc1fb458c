import BerthSys
import Foundation
import Testing

/// `berth run` with stdout and stderr on one pipe (`2>&1 | tee`, CI logs): every container line
/// comes before the final summary, including lines written just before the task stopped.
@Suite(.serialized) struct RunOutputOrderTests {
    @Test func everyContainerLineComesBeforeTheSummary() throws {
        let h = try TaskHarness()
        let file = try h.write("""
            {"family":"run-order","memory":"64","containerDefinitions":[{"name":"app","image":"busybox:latest","essential":true,
             "command":["sh","-c","for i in 1 2 3 4 5; do echo line-$i; done; printf no-newline-at-the-end"]}]}
            """)
        let taskId = "tt\(UInt32.random(in: 0...UInt32.max))"
        let command = [TaskHarness.berth, "run", "--task-id", taskId, "--run-root", h.state, "--data-dir", h.data, "--images", h.images,
                       "--pull", "prefer-cached", file].joined(separator: " ")
        let r = try TaskHarness.exec(["/bin/sh", "-c", command + " 2>&1"], timeout: 120)
        #expect(r.status == 0, "\(r.stdout)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let summary = try #require(lines.firstIndex { $0.hasPrefix("task \(taskId): STOPPED") }, "\(r.stdout)")
        for text in ["line-1", "line-5", "no-newline-at-the-end"] {
            let at = try #require(lines.firstIndex { $0.hasSuffix(text) }, "\(text) missing: \(r.stdout)")
            #expect(at < summary, "\(text) after the summary: \(r.stdout)")
        }
        try h.expectCleanedUp(taskId)
    }
}
