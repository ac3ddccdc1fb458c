import BerthTestSupport
import Foundation
import Testing
@testable import BerthTasks

@Suite struct LogFollowerTests {
    @Test func parsesMonitorRecordsAndFollowsRotation() throws {
        let s = Scratch()
        let out = s.path + "/web.stdout.log", err = s.path + "/web.stderr.log"
        s.write("web.stdout.log", "2026-01-01T00:00:01.000000000Z stdout F hello\n2026-01-01T00:00:03.000000000Z stdout P part\n2026-01-01T00:00:03.100000000Z stdout F ia")
        s.write("web.stderr.log", "2026-01-01T00:00:02.000000000Z stderr F oops\n")
        let f = LogFollower([("web", out), ("web", err)])
        #expect(f.poll().map(\.text) == ["hello", "oops"])
        // Partial records are joined; an incomplete record waits for its newline; rotation is followed.
        let fd = open(out, O_WRONLY | O_APPEND)
        _ = write(fd, "l\n", 2)
        close(fd)
        #expect(f.poll().map(\.text) == ["partial"])
        #expect(rename(out, out + ".1") == 0)
        s.write("web.stdout.log", "2026-01-01T00:00:04.000000000Z stdout F after rotation\n")
        #expect(f.poll().map(\.text) == ["after rotation"])
        let p = LogPrinter(containers: ["web", "sidecar"], color: false)
        #expect(p.format(LogLine(container: "web", time: "", stream: "stdout", text: "x")) == "web     | x")
    }
}
