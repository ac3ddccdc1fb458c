import BerthSys
import CBerth
import BerthTestSupport
import Foundation
import Testing
@testable import BerthImages

/// An OCI layout built in Swift from hand-made layer tars: each layer given as (bytes, media type,
/// declared size override); the config names the diff_ids of the uncompressed tars when known.
struct HandLayout {
    let dir: String
    var layers: [(blob: [UInt8], mediaType: String, size: Int?)] = []
    var diffIDs: [String] = []

    init(_ dir: String) { self.dir = dir }

    mutating func add(_ tar: TestTar, mediaType: String = MediaType.ociLayer, compressed: [UInt8]? = nil, size: Int? = nil) {
        layers.append((compressed ?? tar.bytes, mediaType, size))
        diffIDs.append("sha256:" + SHA256.hex(tar.bytes))
    }

    func put(_ bytes: [UInt8]) throws -> String {
        let hex = SHA256.hex(bytes)
        try Files.writeAtomically(dir + "/blobs/sha256/" + hex, bytes)
        return "sha256:" + hex
    }

    func write() throws {
        try Files.makeDirectories(dir + "/blobs/sha256")
        let config = Array(#"{"architecture":"amd64","os":"linux","config":{"Cmd":["/x"]},"rootfs":{"type":"layers","diff_ids":[\#(diffIDs.map { "\"\($0)\"" }.joined(separator: ","))]}}"#.utf8)
        let c = try put(config)
        var descs: [String] = []
        for l in layers {
            let d = try put(l.blob)
            descs.append(#"{"mediaType":"\#(l.mediaType)","digest":"\#(d)","size":\#(l.size ?? l.blob.count)}"#)
        }
        let manifest = Array(#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(c)","size":\#(config.count)},"layers":[\#(descs.joined(separator: ","))]}"#.utf8)
        let m = try put(manifest)
        try Files.writeAtomically(dir + "/oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8))
        try Files.writeAtomically(dir + "/index.json", Array(#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(m)","size":\#(manifest.count),"annotations":{"org.opencontainers.image.ref.name":"v1"}}]}"#.utf8))
    }
}

func fileType(_ path: String) -> mode_t? {
    var st = stat()
    return lstat(path, &st) == 0 ? st.st_mode & S_IFMT : nil
}

func xattr(_ path: String, _ name: String) -> [UInt8]? {
    (try? LayerExporter.xattr(path, name)) ?? nil
}

/// Layer application on the real filesystem (root: device nodes, owners, trusted xattrs), issue 12
/// point 5: each rule with a hand-built tar; a refused layer leaves nothing in the store.
@Suite(.serialized) struct LayerSafetyTests {
    let s = Scratch()
    var store: ImageStore { ImageStore(root: s.path + "/store") }

    func importLayers(_ tars: [TestTar], warn: @escaping (String) -> Void = { _ in }) throws -> [String] {
        var lay = HandLayout(s.path + "/lay-\(UInt32.random(in: 0...UInt32.max))")
        for t in tars { lay.add(t) }
        try lay.write()
        let rec = try store.importImage("t:1", from: lay.dir, warn: warn)
        return rec.layers.map { store.layerPath($0) }
    }

    func expectRefused(_ tars: [TestTar], _ words: [String]) throws {
        var lay = HandLayout(s.path + "/bad-\(UInt32.random(in: 0...UInt32.max))")
        for t in tars { lay.add(t) }
        try lay.write()
        #expect { try store.importImage("bad:1", from: lay.dir) } throws: { error in
            let m = (error as? ImageError)?.message ?? "\(error)"
            let ok = words.allSatisfy { m.contains($0) } && m.contains("layer sha256:")
            if !ok { Issue.record("message \(m.debugDescription) lacks \(words) or the layer") }
            return true
        }
        #expect(try store.list().allSatisfy { $0.name != "bad" })
        #expect(((try? Files.list(s.path + "/store/layers")) ?? []).allSatisfy { !$0.hasPrefix(".import-") })
    }

    @Test func whiteoutsAndOpaqueDirectoriesWhateverTheirOrder() throws {
        let l1 = TestTar(); l1.dir("a").file("a/x", "x").file("a/y", "y").file("b", "b")
        let l2 = TestTar(); l2.dir("a").file("a/z", "z").file("a/.wh..wh..opq").file(".wh.b")
        let layers = try importLayers([l1, l2])
        var st = stat()
        #expect(lstat(layers[1] + "/b", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0, "the whiteout is overlayfs' 0/0 device")
        #expect(xattr(layers[1] + "/a", "trusted.overlay.opaque") == Array("y".utf8), "opaque though the marker came after a sibling")
        #expect(try Files.read(layers[1] + "/a/z") == "z" && !Files.exists(layers[1] + "/a/.wh..wh..opq"))
    }

    @Test func aWhiteoutNamingNoSiblingIsRefused() throws {
        for name in [".wh..", "d/.wh...", ".wh."] {
            let t = TestTar(); t.dir("d").file(name)
            try expectRefused([t], ["whiteout", name])
        }
    }

    @Test func hardLinksStayInsideTheLayer() throws {
        let ok = TestTar(); ok.file("f", "data").hardlink("g", to: "f").hardlink("./h", to: "./f")
        let layer = try importLayers([ok])[0]
        var a = stat(), b = stat()
        #expect(lstat(layer + "/f", &a) == 0 && lstat(layer + "/h", &b) == 0 && a.st_ino == b.st_ino)
        let up = TestTar(); up.hardlink("x", to: "../../etc/passwd")
        try expectRefused([up], [".."])
        let abs = TestTar(); abs.hardlink("x", to: "/etc/passwd")
        try expectRefused([abs], ["absolute"])
        let missing = TestTar(); missing.hardlink("x", to: "no/such/file")
        try expectRefused([missing], ["hard link x => no/such/file"])
        // Through a symlink that points out: resolved inside the layer, where nothing is.
        let viaLink = TestTar(); viaLink.symlink("etc", to: "/etc").hardlink("p", to: "etc/passwd")
        try expectRefused([viaLink], ["hard link p => etc/passwd"])
    }

    @Test func aSymlinkedDirectoryIsNeverFollowedOut() throws {
        let outside = s.path + "/outside"
        try Files.makeDirectories(outside)
        for target in [outside, "../../../../../../" + outside.dropFirst()] {
            let t = TestTar(); t.symlink("d", to: String(target)).file("d/pwned", "x")
            try expectRefused([t], ["d/pwned"])
            #expect(!Files.exists(outside + "/pwned"))
        }
    }

    @Test func devicesSetuidOwnersAndXattrsAsTheImageSays() throws {
        let cap: [UInt8] = [0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]  // cap_net_bind_service=ep
        let t = TestTar()
        t.device("null", major: 1, minor: 3).device("loop9", char: false, major: 7, minor: 9, mode: 0o660)
        t.file("suid", "#!", mode: 0o4755, uid: 1000, gid: 1001, xattrs: [("security.capability", cap), ("user.note", Array("hi".utf8))])
        t.file("forged", "", xattrs: [("trusted.overlay.opaque", Array("y".utf8))])
        var warnings: [String] = []
        let layer = try importLayers([t]) { warnings.append($0) }[0]
        var st = stat()
        #expect(lstat(layer + "/null", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR && berth_major(st.st_rdev) == 1 && berth_minor(st.st_rdev) == 3 && st.st_mode & 0o7777 == 0o666)
        #expect(lstat(layer + "/loop9", &st) == 0 && (st.st_mode & S_IFMT) == S_IFBLK && berth_major(st.st_rdev) == 7 && berth_minor(st.st_rdev) == 9)
        #expect(lstat(layer + "/suid", &st) == 0 && st.st_mode & 0o7777 == 0o4755 && st.st_uid == 1000 && st.st_gid == 1001)
        #expect(xattr(layer + "/suid", "security.capability") == cap, "kept after the chown that would clear it")
        #expect(xattr(layer + "/suid", "user.note") == Array("hi".utf8))
        #expect(xattr(layer + "/forged", "trusted.overlay.opaque") == nil)
        #expect(warnings.contains { $0.contains("forged") && $0.contains("trusted.overlay.opaque") })
    }

    @Test func duplicateEntriesLastWins() throws {
        let t = TestTar()
        t.file("f", "file first").dir("f", mode: 0o750).file("f/inside", "in")     // file replaced by a directory
        t.dir("d").file("d/old", "old").file("d", "now a file")                    // directory (with content) replaced by a file
        t.file("g", "one").file("g", "two")
        t.dir("m", mode: 0o700).dir("m", mode: 0o755)                              // both directories: attributes merge
        t.symlink("s", to: "f").file("s", "plain")
        let layer = try importLayers([t])[0]
        #expect(fileType(layer + "/f") == S_IFDIR)
        #expect(try Files.read(layer + "/f/inside") == "in")
        var st = stat()
        #expect(lstat(layer + "/f", &st) == 0 && st.st_mode & 0o7777 == 0o750)
        #expect(try Files.read(layer + "/d") == "now a file")
        #expect(try Files.read(layer + "/g") == "two")
        #expect(lstat(layer + "/m", &st) == 0 && st.st_mode & 0o7777 == 0o755)
        #expect(fileType(layer + "/s") == S_IFREG)
    }

    @Test func layerSizesAreCheckedAgainstTheDescriptor() throws {
        let t = TestTar(); t.file("a", "a")
        for (delta, word) in [(1, "shorter"), (-1, "longer")] {
            var lay = HandLayout(s.path + "/size\(delta)")
            lay.add(t, size: t.bytes.count + delta)
            try lay.write()
            #expect { try store.importImage("bad:1", from: lay.dir) } throws: { error in
                let m = (error as? ImageError)?.message ?? ""
                return m.contains(word) && m.contains("\(t.bytes.count + delta) bytes its descriptor declares") && m.contains("layer sha256:")
            }
        }
        #expect(try store.list().isEmpty)
    }

    @Test func zstdLayersAndZstdTarballs() throws {
        try #require(Files.exists("/usr/bin/zstd"), "zstd is missing: Scripts/setup.sh --test installs it")
        let t = TestTar(); t.dir("etc").file("etc/zstd", "squeezed\n").file(".wh.gone")
        try Files.writeAtomically(s.path + "/layer.tar", t.bytes)
        #expect(sh("zstd -q -19 \(s.path)/layer.tar -o \(s.path)/layer.tar.zst") == 0)
        let zst = try Files.readBytes(s.path + "/layer.tar.zst")
        var lay = HandLayout(s.path + "/zlay")
        lay.add(t, mediaType: MediaType.ociLayerZstd, compressed: zst)
        try lay.write()
        let rec = try store.importImage("z:1", from: lay.dir)
        #expect(try Files.read(store.layerPath(rec.layers[0]) + "/etc/zstd") == "squeezed\n")
        #expect(fileType(store.layerPath(rec.layers[0]) + "/gone") == S_IFCHR)
        // A zstd tarball given to import is recognised by its magic bytes.
        let tarball = try store.importImage("z:2", from: s.path + "/layer.tar.zst")
        #expect(try Files.read(store.layerPath(tarball.layers[0]) + "/etc/zstd") == "squeezed\n")
        // A corrupt zstd blob is an error naming the layer.
        var bad = zst; bad[bad.count / 2] ^= 0xff
        var badLay = HandLayout(s.path + "/zbad")
        badLay.add(t, mediaType: MediaType.ociLayerZstd, compressed: bad)
        try badLay.write()
        #expect { try store.importImage("z:3", from: badLay.dir) } throws: { (($0 as? ImageError)?.message ?? "").contains("layer sha256:") }
    }

    @Test func compressionBombsStopAtTheSizeLimit() throws {
        try #require(Files.exists("/usr/bin/zstd"), "zstd is missing: Scripts/setup.sh --test installs it")
        #expect(sh("cd \(s.path) && mkdir z && head -c 64M /dev/zero > z/zeros && tar -cf bomb.tar z && gzip -k -9 bomb.tar && zstd -q -19 bomb.tar -o bomb.tar.zst") == 0)
        // The bomb is stopped long before its diff_id could be checked.
        let plain = String(repeating: "0", count: 64)
        for (file, type) in [("bomb.tar.gz", MediaType.ociLayerGzip), ("bomb.tar.zst", MediaType.ociLayerZstd)] {
            var lay = HandLayout(s.path + "/" + file + ".lay")
            lay.layers.append((try Files.readBytes(s.path + "/" + file), type, nil))
            lay.diffIDs.append("sha256:" + plain)
            try lay.write()
            #expect { try store.importImage("bomb:1", from: lay.dir, limits: ImportLimits(maxImageSize: 8 << 20)) } throws: {
                (($0 as? ImageError)?.message ?? "").contains("exceeds --max-image-size")
            }
        }
        #expect(try store.list().isEmpty)
        #expect(try Files.list(s.path + "/store/layers").isEmpty)
    }
}
