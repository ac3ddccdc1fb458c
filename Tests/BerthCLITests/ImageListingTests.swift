import BerthOCI
import BerthImages
import BerthSys
import Testing
@testable import BerthCLI

/// `berth image ls` columns and times, and the argument errors of the image subcommands.
@Suite struct ImageListingTests {
    @Test func relativeTimesReadAsDockers() {
        let cases: [(Double, String)] = [
            (0.4, "Less than a second ago"), (1, "1 second ago"), (59, "59 seconds ago"), (60, "About a minute ago"),
            (119, "About a minute ago"), (120, "2 minutes ago"), (3600, "About an hour ago"), (7200, "2 hours ago"),
            (47 * 3600, "47 hours ago"), (2 * 86400, "2 days ago"), (13 * 86400, "13 days ago"), (14 * 86400, "2 weeks ago"),
            (90 * 86400, "3 months ago"), (800 * 86400, "2 years ago"),
        ]
        for (seconds, text) in cases { #expect(ImageListing.relative(seconds) == text, "\(seconds) s") }
    }

    @Test func rowsHaveDockersColumnsAndShortDigests() {
        let id = "sha256:" + String(repeating: "a", count: 64), digest = "sha256:" + String(repeating: "d", count: 64)
        let created = UTC.rfc3339(1_000_000)
        let images = [
            ImageRecord(name: "app", tag: "v1", id: id, layers: [], size: 1_500_000, created: created, digest: digest),
            ImageRecord(name: "local", tag: "latest", id: id, layers: [], size: 999, created: created),
        ]
        let rows = ImageListing.rows(images, now: 1_000_000 + 7200, fullDigests: false, noTrunc: false)
        #expect(rows[0] == ["REPOSITORY", "TAG", "IMAGE ID", "DIGEST", "SIZE", "CREATED"])
        #expect(rows[1] == ["app", "v1", "aaaaaaaaaaaa", "dddddddddddd", "1.5MB", "2 hours ago"])
        #expect(rows[2] == ["local", "latest", "aaaaaaaaaaaa", "<none>", "999B", "2 hours ago"])
        #expect(ImageListing.rows(images, now: 1_000_000, fullDigests: true, noTrunc: false)[1][3] == digest)
    }

    @Test func subcommandArgumentErrorsSayWhat() {
        func usage(_ args: [String]) -> String {
            do { _ = try ImageCommand.run(args); return "" } catch { return (error as? UsageError)?.message ?? "\(error)" }
        }
        #expect(usage(["save", "--format", "tarball", "a:1", "-o", "/tmp/x.tar"]).contains("oci-archive or docker-archive"))
        #expect(usage(["save", "a:1"]).contains("-o OUT.tar"))
        #expect(usage(["tag", "a:1"]).contains("SOURCE and TARGET"))
        #expect(usage(["ls", "--output", "yaml"]).contains("json or table"))
        #expect(usage(["bogus"]).contains("prune, save, pull, login or logout"))
    }
}
