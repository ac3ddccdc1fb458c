import BerthSys
import BerthTestSupport
import Foundation
import Testing

/// The image subcommands through the built `berth` binary: an archive imported, listed,
/// inspected, tagged, saved, removed, pruned, imported back from its own save and run as a task.
@Suite(.serialized) struct ImageCLITests {
    func berth(_ args: [String], _ h: TaskHarness) throws -> TaskHarness.Result {
        try TaskHarness.exec([TaskHarness.berth, "image"] + args + ["--store", h.images], timeout: 120)
    }

    @Test func saveRemoveImportBackAndRunTheSavedImage() throws {
        let h = try TaskHarness()
        let dir = try h.testArchives()
        #expect(try berth(["import", dir + "/single.tar"], h).status == 0)

        let ls = try berth(["ls"], h)
        #expect(ls.stdout.hasPrefix("REPOSITORY") && ls.stdout.contains("DIGEST") && ls.stdout.contains("demo"), "\(ls.stdout)")
        #expect(try berth(["ls", "-q"], h).stdout.split(separator: "\n").count == 2, "busybox, and demo's two tags are one image")
        let json = try berth(["ls", "--output", "json"], h).stdout
        #expect(json.contains("\"demo\"") && json.contains("\"also\"") && json.hasPrefix("["), "\(json)")
        let inspect = try berth(["inspect", "demo:v1"], h)
        #expect(inspect.status == 0 && inspect.stdout.contains("\"RepoTags\"") && inspect.stdout.contains("demo:also"), "\(inspect.stdout)")
        #expect(try berth(["tag", "demo:v1", "saved:1"], h).stdout.contains("tagged saved:1"))

        let out = h.root + "/saved.tar"
        let save = try berth(["save", "saved:1", out], h)
        #expect(save.status == 0 && save.stdout.contains("wrote \(out)"), "\(save.stderr)")
        #expect(sh("skopeo inspect oci-archive:\(out) >/dev/null") == 0)
        let rm = try berth(["rm", "demo:v1", "demo:also", "saved:1"], h)
        #expect(rm.status == 0 && rm.stdout.split(separator: "\n").count == 3, "\(rm.stderr)")
        #expect(try berth(["prune"], h).stdout.contains("reclaimed"))
        let back = try berth(["import", out], h)
        #expect(back.status == 0 && back.stdout.contains("imported saved:1"), "\(back.stderr)")

        let td = #"{"family": "saved", "containerDefinitions": [{"name": "main", "image": "saved:1", "essential": true, "memory": 64},"#
            + #" {"name": "check", "image": "saved:1", "essential": false, "memory": 64, "entryPoint": ["/bin/busybox", "sh", "-c"],"#
            + #" "command": ["test ! -e /one && echo one-is-gone; echo app=$APP"]}]}"#
        let r = try h.run(try h.write(td))
        #expect(r.stdout.contains("main  | two"), "CMD and the upper layer survive save and import:\n\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("one-is-gone") && r.stdout.contains("app=1"), "\(r.stdout)")
        try h.expectCleanedUp(r.taskId)
        let bad = try berth(["save", "--format", "tarball", "saved:1", "-o", h.root + "/x.tar"], h)
        #expect(bad.status != 0 && bad.stderr.contains("oci-archive or docker-archive") && !Files.exists(h.root + "/x.tar"))
    }
}
