import BerthJSON
import BerthSys
import BerthTestSupport
import Foundation
import Testing
@testable import BerthImages

/// tag, rm -f, prune and inspect on a real store.
@Suite(.serialized) struct ImageManageTests {
    let s = Scratch()
    var store: ImageStore { ImageStore(root: s.path + "/store") }

    func image(_ ref: String, _ text: String) throws -> ImageRecord {
        s.write("src-\(text)/file", text)
        return try store.importImage(ref, from: s.path + "/src-\(text)", config: ImageConfig(Cmd: ["/file"]))
    }

    @Test func tagAddsANameAndReplacesWhatTheTargetNamed() throws {
        let a = try image("a:1", "a")
        let b = try image("b:1", "b")
        let t = try store.tag("a:1", "docker.io/library/b:1")
        #expect(t.reference.description == "b:1" && t.id == a.id && t.layers == a.layers)
        #expect(try store.list().map(\.reference.description) == ["a:1", "b:1"])
        #expect(!Files.exists(store.layerPath(b.layers[0])), "b's old layer is no longer used and is gone")
        #expect(throws: ImageError.self) { try store.tag("missing:1", "x:1") }
        #expect(throws: ImageError.self) { try store.tag("a:1", "x@sha256:" + String(repeating: "a", count: 64)) }
    }

    @Test func removeRefusesAMountedImageUnlessForcedAndPruneKeepsItsLayers() throws {
        let a = try image("a:1", "a")
        let layer = store.layerPath(a.layers[0])
        let m = s.path + "/mnt"
        try Files.makeDirectories(m + "/merged")
        try #require(sh("mount -t overlay overlay -o lowerdir=\(layer):\(s.path)/src-a \(m)/merged") == 0)
        defer { _ = sh("umount \(m)/merged 2>/dev/null") }
        #expect { try store.remove("a:1") } throws: { (($0 as? ImageError)?.message ?? "").contains("in use") }
        #expect(try store.prune(allUnused: true).images.isEmpty, "--all keeps an image a container has mounted")
        let removed = try store.remove("a:1", force: true)
        #expect(removed.id == a.id)
        #expect(try store.list().isEmpty)
        #expect(Files.exists(layer), "a mounted layer stays")
        #expect(try store.prune().layers == 0)
        #expect(sh("umount \(m)/merged") == 0)
        let report = try store.prune()
        #expect(report.layers == 1 && report.bytes >= 1 && !Files.exists(layer))
    }

    @Test func pruneRemovesUnreferencedContentAndLeftoverTemporaries() throws {
        let a = try image("a:1", "a")
        s.write("store/layers/.import-999-1/junk", "0123456789")
        s.write("store/layers/" + String(repeating: "f", count: 64) + "/orphan", "orphan")
        s.write("store/blobs/sha256/" + String(repeating: "e", count: 64), "{}")
        s.write("store/blobs/sha256/x.tmp.42", "half")
        let report = try store.prune()
        #expect(report.layers == 1 && report.blobs == 1 && report.temporaries == 2)
        #expect(report.bytes == 10 + 6 + 2 + 4)
        #expect(try store.list().map(\.id) == [a.id] && Files.exists(store.layerPath(a.layers[0])))
        let all = try store.prune(allUnused: true)
        #expect(all.images.map(\.id) == [a.id] && all.layers == 1)
        #expect(try store.list().isEmpty)
    }

    @Test func inspectIsDockerShaped() throws {
        let a = try image("a:1", "a")
        _ = try store.tag("a:1", "ghcr.io/o/a:2")
        let (records, config) = try store.inspect("a:1")
        let json = ImageInspection(records: records, config: config).jsonValue
        let o = try JSONObjectReader(json, path: JSONPath())
        #expect(try o.required("Id") as String == a.id)
        #expect(try o.required("RepoTags") as [String] == ["a:1", "ghcr.io/o/a:2"])
        #expect(try o.required("RepoDigests") as [String] == [])
        #expect(try o.required("Architecture") as String == "amd64" && o.required("Os") as String == "linux")
        #expect(try o.required("Size") as Int64 == a.size)
        let cfg = try JSONObjectReader(o.raw("Config")!, path: JSONPath())
        #expect(try cfg.required("Cmd") as [String] == ["/file"])
        let rootfs = try JSONObjectReader(o.raw("RootFS")!, path: JSONPath())
        #expect(try rootfs.required("Layers") as [String] == a.layers)
        #expect(throws: ImageError.self) { try store.inspect("nope:1") }
    }
}
