import BerthSys
import BerthTestSupport
import CBerth
import Foundation
import Testing
@testable import BerthImages

/// `berth image save` (ImageStore.save): read back by skopeo and umoci, and by Berth's own import.
@Suite(.serialized) struct ImageSaveTests {
    let s = Scratch()
    var store: ImageStore { ImageStore(root: s.path + "/store") }
    static let cap: [UInt8] = [0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]

    init() throws {
        for tool in ["/usr/bin/skopeo", "/usr/bin/umoci"] {
            try #require(Files.exists(tool), "\(tool) is missing: Scripts/setup.sh --test installs it")
        }
    }

    /// A tree with every kind of entry a layer can hold, imported as rich:1 (Cmd and Env set).
    func richImage() throws -> ImageRecord {
        let src = s.path + "/src"
        let script = """
            set -e
            mkdir -p \(src)/bin \(src)/etc/deep/er \(src)/dev \(src)/ro
            cp /bin/busybox \(src)/bin/busybox && chmod 4755 \(src)/bin/busybox
            ln -s busybox \(src)/bin/sh && ln -s /etc/nowhere \(src)/dangling
            echo conf > \(src)/etc/conf && ln \(src)/etc/conf \(src)/etc/conf.hard
            echo x > \(src)/etc/deep/er/\(String(repeating: "n", count: 120))
            chown 1000:1001 \(src)/etc/conf && chmod 640 \(src)/etc/conf
            mknod \(src)/dev/null c 1 3 && mknod \(src)/dev/fifo p
            echo ro > \(src)/ro/file && chmod 555 \(src)/ro
            python3 -c "import os; os.setxattr('\(src)/etc/conf', 'user.note', b'hello'); os.setxattr('\(src)/bin/busybox', 'security.capability', bytes(\(Self.cap)))"
            """
        try #require(sh(script) == 0)
        return try store.importImage("rich:1", from: src, config: ImageConfig(Env: ["A=1"], Cmd: ["/bin/sh", "-c", "true"], WorkingDir: "/etc"))
    }

    @Test func skopeoAndUmociReadTheArchiveBackWithTheSameFiles() throws {
        _ = try richImage()
        try store.save(["rich:1"], to: s.path + "/out.tar")
        #expect(sh("skopeo inspect oci-archive:\(s.path)/out.tar:rich:1 > \(s.path)/inspect.json") == 0)
        #expect(try Files.read(s.path + "/inspect.json").contains("\"Layers\""))
        #expect(sh("skopeo copy -q oci-archive:\(s.path)/out.tar oci:\(s.path)/lay:t >/dev/null && umoci unpack --image \(s.path)/lay:t \(s.path)/b >/dev/null") == 0)
        let r = s.path + "/b/rootfs"
        #expect(sh("cmp /bin/busybox \(r)/bin/busybox && [ \"$(readlink \(r)/bin/sh)\" = busybox ] && [ \"$(readlink \(r)/dangling)\" = /etc/nowhere ]") == 0)
        #expect(sh("[ $(stat -c %i \(r)/etc/conf) = $(stat -c %i \(r)/etc/conf.hard) ] && [ $(stat -c %u:%g:%a \(r)/etc/conf) = 1000:1001:640 ]") == 0)
        #expect(sh("[ $(stat -c %a \(r)/bin/busybox) = 4755 ] && [ \"$(stat -c %F:%t:%T \(r)/dev/null)\" = 'character special file:1:3' ] && [ -p \(r)/dev/fifo ]") == 0)
        #expect(sh("[ $(stat -c %a \(r)/ro) = 555 ] && cat \(r)/etc/deep/er/\(String(repeating: "n", count: 120)) >/dev/null") == 0)
        #expect(LayerExporter.xattrSafe(r + "/etc/conf", "user.note") == Array("hello".utf8))
        #expect(LayerExporter.xattrSafe(r + "/bin/busybox", "security.capability") == Self.cap)
        #expect(sh("grep -q '\"/bin/sh\"' \(s.path)/b/config.json && grep -q '\"A=1\"' \(s.path)/b/config.json") == 0, "the config's Cmd and Env")
    }

    @Test func whiteoutsAndOpaqueDirectoriesAreWrittenBackAsOCIWhiteouts() throws {
        try #require(sh("cd \(s.path) && \(TestImages.archives)") == 0)
        let t = try store.importImages(nil, from: s.path + "/single.tar")[0]  // layer 2 deletes /one
        let l1 = TestTar(); l1.dir("o").file("o/old", "old")
        let l2 = TestTar(); l2.dir("o").file("o/.wh..wh..opq").file("o/new", "new")
        var lay = HandLayout(s.path + "/opq")
        lay.add(l1); lay.add(l2)
        try lay.write()
        _ = try store.importImage("opq:1", from: lay.dir)
        try store.save([t.reference.description, "opq:1"], to: s.path + "/two.tar")
        let script = """
            set -e; cd \(s.path)
            skopeo copy -q oci-archive:two.tar:demo:v1 oci:lay:a >/dev/null && umoci unpack --image lay:a a >/dev/null
            skopeo copy -q oci-archive:two.tar:opq:1 oci:lay:b >/dev/null && umoci unpack --image lay:b b >/dev/null
            [ "$(cat a/rootfs/two)" = two ] && [ ! -e a/rootfs/one ] && [ "$(cat b/rootfs/o/new)" = new ] && [ ! -e b/rootfs/o/old ]
            """
        #expect(sh(script) == 0)
    }

    @Test func saveThenImportRoundTripsConfigLayersAndFiles() throws {
        let rich = try richImage()
        try store.save(["rich:1"], to: s.path + "/out.tar")
        let second = ImageStore(root: s.path + "/second")
        let back = try second.importImages(nil, from: s.path + "/out.tar")
        #expect(back.map(\.reference.description) == ["rich:1"])
        // The layer digest is Berth's hash of every entry (kind, path, mode, owner, link, content, xattrs).
        #expect(back[0].layers == rich.layers, "the same files, owners, modes, links and xattrs")
        #expect(try second.resolve("rich:1").config.config == store.resolve("rich:1").config.config)
        // Compressed whole (gzip or zstd), without a name: recognised as an archive all the same.
        #expect(sh("cd \(s.path) && gzip -k out.tar && zstd -q out.tar -o out.tar.zst") == 0)
        for file in ["out.tar.gz", "out.tar.zst"] {
            let again = try ImageStore(root: s.path + "/" + file + ".store").importImages(nil, from: s.path + "/" + file)
            #expect(again.map(\.layers) == [rich.layers], "\(file)")
        }
        // Saved twice, the same bytes.
        try store.save(["rich:1"], to: s.path + "/again.tar")
        #expect(try Files.readBytes(s.path + "/out.tar") == Files.readBytes(s.path + "/again.tar"))
    }

    @Test func dockerArchiveFormatLoadsInSkopeoAndBerth() throws {
        let rich = try richImage()
        _ = try store.tag("rich:1", "docker.io/library/also:2")
        try store.save(["rich:1", "also:2"], to: s.path + "/d.tar", format: .dockerArchive)
        #expect(sh("skopeo inspect docker-archive:\(s.path)/d.tar:also:2 >/dev/null") == 0)
        let back = try ImageStore(root: s.path + "/second").importImages(nil, from: s.path + "/d.tar")
        #expect(Set(back.map(\.reference.description)) == ["rich:1", "also:2"] && back.allSatisfy { $0.layers == rich.layers })
    }

    @Test func aFailedSaveLeavesNothing() throws {
        _ = try richImage()
        try Files.makeDirectories(s.path + "/outdir")
        #expect { try store.save(["rich:1", "missing:1"], to: s.path + "/outdir/x.tar") } throws: {
            (($0 as? ImageError)?.message ?? "").contains("missing:1")
        }
        #expect(try Files.list(s.path + "/outdir").isEmpty)
        #expect(throws: ImageError.self) { try store.save(["rich:1"], to: s.path + "/no/such/dir/x.tar") }
        // A layer that cannot be read (a socket in the tree) fails the save after the layout was begun.
        let layer = store.layerPath(try store.resolve("rich:1").record.layers[0])
        #expect(sh("cd \(layer) && python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('sock')\"") == 0)
        #expect { try store.save(["rich:1"], to: s.path + "/outdir/y.tar") } throws: { (($0 as? ImageError)?.message ?? "").contains("socket") }
        #expect(try Files.list(s.path + "/outdir").isEmpty)
    }
}

extension LayerExporter {
    static func xattrSafe(_ path: String, _ name: String) -> [UInt8]? { (try? xattr(path, name)) ?? nil }
}
