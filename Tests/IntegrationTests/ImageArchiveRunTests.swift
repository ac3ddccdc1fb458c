import BerthSys
import BerthTestSupport
import Foundation
import Testing

/// An image from `docker save`-style and oci archives, imported with the CLI, runs as a task:
/// its CMD, Env and layers (the upper layer's whiteout deleting /one) are what the container sees.
@Suite(.serialized) struct ImageArchiveRunTests {
    static let taskDefinition = #"""
        {"family": "archive", "containerDefinitions": [
          {"name": "main", "image": "IMAGE", "essential": true, "memory": 64,
           "dependsOn": [{"containerName": "check", "condition": "COMPLETE"}]},
          {"name": "check", "image": "IMAGE", "essential": false, "memory": 64,
           "entryPoint": ["/bin/busybox", "sh", "-c"],
           "command": ["test ! -e /one && echo one-is-gone; echo app=$APP"]}
        ]}
        """#

    func run(_ h: TaskHarness, _ image: String) throws -> TaskHarness.Run {
        try h.run(try h.write(Self.taskDefinition.replacingOccurrences(of: "IMAGE", with: image)))
    }

    @Test func importedDockerAndOCIArchivesRunAsTasks() throws {
        let h = try TaskHarness()
        let dir = try h.testArchives()
        let docker = try TaskHarness.exec([TaskHarness.berth, "image", "import", "--store", h.images, dir + "/single.tar"], timeout: 120)
        #expect(docker.status == 0 && docker.stdout.contains("imported demo:v1") && docker.stdout.contains("imported demo:also"), "\(docker.stderr)")
        let oci = try TaskHarness.exec([TaskHarness.berth, "image", "import", "--store", h.images, "ocidemo:v9", dir + "/oci.tar"], timeout: 120)
        #expect(oci.status == 0, "\(oci.stderr)")
        for image in ["demo:v1", "ocidemo:v9"] {
            let r = try run(h, image)
            #expect(r.stdout.contains("main  | two"), "\(image): CMD cat /two from the upper layer:\n\(r.stdout)\n\(r.stderr)")
            #expect(r.stdout.contains("check | one-is-gone") && r.stdout.contains("check | app=1"), "\(image):\n\(r.stdout)")
            #expect(r.exitCode("main") == 0 && r.status == 0)
            try h.expectCleanedUp(r.taskId)
        }
    }
}

extension TaskHarness {
    /// The archives of `TestImages.archives` (docker-archive and oci-archive made with skopeo and
    /// umoci), built under this harness's root; their directory.
    func testArchives() throws -> String {
        for tool in ["/usr/bin/skopeo", "/usr/bin/umoci"] {
            try #require(Files.exists(tool), "\(tool) is missing: Scripts/setup.sh --test installs it")
        }
        let dir = root + "/archives"
        try Files.makeDirectories(dir)
        try #require(sh("cd \(dir) && \(TestImages.archives)") == 0, "building the test archives failed")
        return dir
    }
}
