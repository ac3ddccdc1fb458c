import BerthSys
import Foundation
import BerthTestSupport
import Testing
@testable import BerthImages


@Suite struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let long = Array(String(repeating: "a", count: 1000).utf8)
        var streamed = SHA256()
        streamed.update(long[0..<7])
        streamed.update(long[7..<500])
        streamed.update(long[500...])
        #expect(streamed.hexDigest() == SHA256.hex(long))
        #expect(SHA256.hex(long) == "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3")
    }
}

@Suite struct ImageReferenceTests {
    @Test func dockerHubFormsResolveToTheSameName() throws {
        for raw in ["busybox", "busybox:latest", "docker.io/library/busybox:latest", "docker.io/library/busybox"] {
            let r = try ImageReference(parsing: raw)
            #expect(r.name == "busybox" && r.tag == "latest")
        }
        let g = try ImageReference(parsing: "ghcr.io/org/app:v1.2")
        #expect(g.name == "ghcr.io/org/app" && g.tag == "v1.2")
        let port = try ImageReference(parsing: "localhost:5000/app")
        #expect(port.name == "localhost:5000/app" && port.tag == "latest")
        let d = try ImageReference(parsing: "app@sha256:" + String(repeating: "a", count: 64))
        #expect(d.digest != nil)
    }

    @Test func badReferencesAreRefused() {
        #expect(throws: ImageError.self) { try ImageReference(parsing: "Busybox") }
        #expect(throws: ImageError.self) { try ImageReference(parsing: "busybox:") }
        #expect(throws: ImageError.self) { try ImageReference(parsing: "app@sha256:xyz") }
        #expect(throws: ImageError.self) { try ImageReference(parsing: "") }
    }

    @Test func archivePathsAreNormalisedAndEscapesRefused() throws {
        #expect(try LayerEntry.normalize("./a//b/") == "a/b")
        #expect(try LayerEntry.normalize("./") == nil)
        #expect(throws: ImageError.self) { try LayerEntry.normalize("/etc/passwd") }
        #expect(throws: ImageError.self) { try LayerEntry.normalize("a/../../etc") }
    }
}

@Suite(.serialized) struct ImageStoreTests {
    @Test func importDirectoryListResolveRemove() throws {
        let s = Scratch()
        s.write("src/bin/tool", "#!/bin/sh\necho hi\n")
        s.write("src/etc/conf", "x=1\n")
        #expect(sh("cd \(s.path)/src && chmod 755 bin/tool && ln -s tool bin/alias && ln etc/conf etc/conf2 && mkdir -p empty") == 0)
        let store = ImageStore(root: s.path + "/store")
        let rec = try store.importImage("docker.io/library/demo:1", from: s.path + "/src",
                                        config: ImageConfig(Cmd: ["/bin/tool"], WorkingDir: "/etc"))
        #expect(rec.name == "demo" && rec.tag == "1" && rec.id.hasPrefix("sha256:"))
        let layer = store.lowerDirs(rec)[0]
        #expect(try Files.read(layer + "/bin/tool") == "#!/bin/sh\necho hi\n")
        #expect(Files.isDirectory(layer + "/empty"))
        var st = stat()
        #expect(lstat(layer + "/bin/alias", &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK)
        #expect(stat(layer + "/bin/tool", &st) == 0 && st.st_mode & 0o777 == 0o755)
        #expect(stat(layer + "/etc/conf2", &st) == 0 && st.st_nlink == 2)
        let (found, config) = try store.resolve("demo:1")
        #expect(found == rec)
        #expect(config.config.Cmd == ["/bin/tool"])
        #expect(config.config.Env == [ImageConfig.defaultPath])
        // Importing the same content again reuses the layer.
        let again = try store.importImage("demo:2", from: s.path + "/src")
        #expect(again.layers == rec.layers)
        #expect(try store.list().map(\.tag) == ["1", "2"])
        try store.remove("demo:1")
        #expect(Files.exists(layer))  // still used by demo:2
        try store.remove("demo:2")
        #expect(!Files.exists(layer))
        #expect(try store.list().isEmpty)
    }

    @Test func unknownImageIsCannotPullContainerError() throws {
        let s = Scratch()
        let store = ImageStore(root: s.path + "/store")
        do {
            _ = try store.resolve("nginx:1.27")
            Issue.record("expected an error")
        } catch let e as ImageError {
            #expect(e.message.hasPrefix("CannotPullContainerError: image \"nginx:1.27\" not found"))
        }
    }

    @Test func importTarWithLinksStaysInsideTheLayer() throws {
        let s = Scratch()
        s.write("src/dir/file", "content\n")
        // An absolute symlink is resolved inside the layer, as the container will see it.
        #expect(sh("cd \(s.path)/src && ln -s /dir in && ln dir/file dir/hard && tar --format=gnu -cf ../a.tar dir in") == 0)
        #expect(sh("mkdir -p \(s.path)/w/in && echo via-link > \(s.path)/w/in/x && cd \(s.path)/w && tar --format=gnu -rf ../a.tar in/x") == 0)
        let store = ImageStore(root: s.path + "/store")
        let rec = try store.importImage("t", from: s.path + "/a.tar")
        let layer = store.lowerDirs(rec)[0]
        #expect(try Files.read(layer + "/dir/hard") == "content\n")
        #expect(try Files.read(layer + "/dir/x") == "via-link\n")
    }

    @Test func symlinkPointingOutsideCannotBeWrittenThrough() throws {
        let s = Scratch()
        let outside = "/tmp/berth-escape-\(getpid())"
        #expect(sh("mkdir -p \(outside) \(s.path)/src && cd \(s.path)/src && ln -s \(outside) out && tar --format=gnu -cf ../a.tar out") == 0)
        #expect(sh("mkdir -p \(s.path)/w/out && echo pwned > \(s.path)/w/out/x && cd \(s.path)/w && tar --format=gnu -rf ../a.tar out/x") == 0)
        defer { try? Files.removeTree(outside) }
        let store = ImageStore(root: s.path + "/store")
        #expect(throws: ImageError.self) { try store.importImage("t", from: s.path + "/a.tar") }
        #expect(!Files.exists(outside + "/x"))
        #expect(try Files.list(s.path + "/store/layers").isEmpty)
    }

    @Test func tarWithDotDotIsRefusedAndLeavesNothing() throws {
        let s = Scratch()
        s.write("src/a", "a\n")
        #expect(sh("cd \(s.path)/src && tar -cf ../bad.tar --transform 's,^a,../a,' a 2>/dev/null") == 0)
        let store = ImageStore(root: s.path + "/store")
        #expect { try store.importImage("bad", from: s.path + "/bad.tar") } throws: { ($0 as? ImageError)?.message.contains("..") == true }
        #expect(try Files.list(s.path + "/store/layers").isEmpty)
        #expect(try store.list().isEmpty)
    }

    @Test func gzipTarballsImportLikePlainOnes() throws {
        let s = Scratch()
        // Binary (dynamic Huffman blocks with long matches), text, an empty file, stored blocks (-1 on random data).
        #expect(sh("""
            mkdir -p \(s.path)/src/bin && head -c 300000 /bin/busybox > \(s.path)/src/bin/blob && \
            seq 1 20000 > \(s.path)/src/numbers && : > \(s.path)/src/empty && head -c 70000 /dev/urandom > \(s.path)/src/random && \
            cd \(s.path)/src && tar -cf ../plain.tar . && gzip -9 -c ../plain.tar > ../best.tgz && gzip -1 -c ../plain.tar > ../fast.tgz
            """) == 0)
        let store = ImageStore(root: s.path + "/store")
        let plain = try store.importImage("x:plain", from: s.path + "/plain.tar")
        let best = try store.importImage("x:best", from: s.path + "/best.tgz")
        let fast = try store.importImage("x:fast", from: s.path + "/fast.tgz")
        #expect(best.layers == plain.layers && fast.layers == plain.layers, "same content, same layer digest")
        #expect(try Files.readBytes(store.lowerDirs(best)[0] + "/bin/blob") == Files.readBytes(s.path + "/src/bin/blob"))
        // A corrupted gzip stream is refused and leaves nothing.
        #expect(sh("cp \(s.path)/best.tgz \(s.path)/bad.tgz && printf 'XXXX' | dd of=\(s.path)/bad.tgz bs=1 seek=5000 conv=notrunc 2>/dev/null") == 0)
        #expect(throws: (any Error).self) { try store.importImage("x:bad", from: s.path + "/bad.tgz") }
        #expect(try store.list().count == 3)
    }
}

@Suite struct OCILayoutImportTests {
    /// Builds an OCI layout by hand: layer 1 (tar+gzip) with files, layer 2 (plain tar) with an OCI
    /// whiteout and an opaque directory marker; a config with Cmd/Env/WorkingDir.
    @Test func importsLayersWhiteoutsAndConfig() throws {
        let s = Scratch()
        let script = """
            set -e
            cd \(s.path)
            mkdir -p l1/etc l1/opq l2/etc l2/opq lay/blobs/sha256
            echo gone > l1/etc/removed; echo kept > l1/etc/kept; touch l1/opq/a
            touch l2/etc/.wh.removed l2/opq/.wh..wh..opq l2/opq/new
            (cd l1 && tar -cf ../l1.tar etc opq) && gzip -n -9 l1.tar
            (cd l2 && tar -cf ../l2.tar etc opq)
            put() { d=$(sha256sum "$1" | cut -d' ' -f1); cp "$1" lay/blobs/sha256/$d; echo $d; }
            L1=$(put l1.tar.gz); L2=$(put l2.tar)
            printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/app"],"Env":["PATH=/bin","APP=1"],"WorkingDir":"/opq"},"rootfs":{"type":"layers","diff_ids":[]}}' > config.json
            C=$(put config.json)
            printf '{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s"},{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s"}]}' $C $L1 $L2 > manifest.json
            M=$(put manifest.json)
            printf '{"imageLayoutVersion":"1.0.0"}' > lay/oci-layout
            printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","annotations":{"org.opencontainers.image.ref.name":"v1"}}]}' $M > lay/index.json
            """
        #expect(sh(script) == 0)
        let store = ImageStore(root: s.path + "/store")
        let rec = try store.importImage("app:v1", from: s.path + "/lay")
        #expect(rec.layers.count == 2)
        let (_, config) = try store.resolve("app:v1")
        #expect(config.config.Cmd == ["/bin/app"] && config.config.WorkingDir == "/opq")
        #expect(config.config.Env?.contains("APP=1") == true)
        let dirs = store.lowerDirs(rec)  // top first
        var st = stat()
        #expect(lstat(dirs[0] + "/etc/removed", &st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR && st.st_rdev == 0)
        #expect(try Files.read(dirs[1] + "/etc/kept") == "kept\n")
        #expect(Files.exists(dirs[0] + "/opq/new") && !Files.exists(dirs[0] + "/opq/.wh..wh..opq"))
        #expect(sh("python3 -c \"import os,sys; sys.exit(os.getxattr('\(dirs[0])/opq', 'trusted.overlay.opaque') != b'y')\"") == 0)
        // A tampered blob is refused by its digest.
        #expect(sh("cd \(s.path)/lay/blobs/sha256 && for f in *; do if tar -tf $f >/dev/null 2>&1; then echo extra >> $f; fi; done") == 0)
        #expect(throws: ImageError.self) { try store.importImage("app:v2", from: s.path + "/lay") }
    }
}


@Suite struct ImportLimitsTests {
    @Test func flagsParseWithErrorsNamingThem() throws {
        #expect(try ImportLimits.parseMaxSize("100m") == 100 << 20)
        #expect(try ImportLimits.parseMaxSize("none") == nil)
        #expect(try ImportLimits.parseReserve("5%") == .percent(5))
        #expect(try ImportLimits.parseReserve("1GiB") == .bytes(1 << 30))
        #expect(try ImportLimits.parseCount("50", option: "--max-image-files") == 50)
        #expect { try ImportLimits.parseMaxSize("lots") } throws: { ($0 as? ImageError)?.message.hasPrefix("option --max-image-size: \"lots\" is not a size") == true }
        #expect { try ImportLimits.parseMaxSize("0") } throws: { ($0 as? ImageError)?.message.contains("--max-image-size") == true }
        #expect { try ImportLimits.parseReserve("100%") } throws: { ($0 as? ImageError)?.message.contains("--min-free-space: \"100%\" is not a percentage") == true }
        #expect { try ImportLimits.parseCount("0", option: "--max-path-depth") } throws: { ($0 as? ImageError)?.message.contains("--max-path-depth") == true }
        let d = ImportLimits()
        #expect(d.maxImageSize == nil && d.minFreeSpace == .percent(5) && d.maxFiles == 1_000_000 && d.maxPathDepth == 256)
    }
}
