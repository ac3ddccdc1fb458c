import BerthSys
import BerthTestSupport
import Foundation
import Testing
@testable import BerthImages

/// docker-archive and oci-archive import (Docs/tasks.md, "Image archives"), with the archives of
/// `TestImages.archives`.
@Suite(.serialized) struct ImageArchiveTests {
    /// Python helpers on the archives: merge docker-archives, gzip a layer in place, corrupt one,
    /// and the newer docker save (an OCI layout whose manifest.json names blobs/sha256/... files).
    static let python = #"""
        import gzip, hashlib, io, json, sys, tarfile
        def members(path):
            t = tarfile.open(path)
            return [(m, t.extractfile(m).read() if m.isfile() else None) for m in t.getmembers()]
        def write(path, entries):
            with tarfile.open(path, 'w') as t:
                for m, data in entries:
                    t.addfile(m, io.BytesIO(data) if data is not None else None)
        def put(entries, name, data):
            m = tarfile.TarInfo(name); m.size = len(data); entries.append((m, data))
        cmd, out, *ins = sys.argv[1:]
        if cmd == 'merge':
            entries, seen, manifest = [], set(), []
            for p in ins:
                for m, d in members(p):
                    if m.name == 'manifest.json': manifest += json.loads(d)
                    elif m.name not in seen and m.name != 'repositories': seen.add(m.name); entries.append((m, d))
            put(entries, 'manifest.json', json.dumps(manifest).encode()); write(out, entries)
        elif cmd in ('gzip-layer', 'corrupt-layer'):
            entries = members(ins[0]); layers = json.loads(dict((m.name, d) for m, d in entries)['manifest.json'])[0]['Layers']
            layer = layers[-1] if cmd == 'gzip-layer' else layers[0]  # the corrupt byte is in busybox's content
            for i, (m, d) in enumerate(entries):
                if m.name == layer:
                    n = len(d) // 2
                    d = gzip.compress(d) if cmd == 'gzip-layer' else d[:n] + bytes([d[n] ^ 1]) + d[n + 1:]
                    m.size = len(d); entries[i] = (m, d)
            write(out, entries)
        elif cmd == 'docker25':
            entries = members(ins[0]); files = dict((m.name, d) for m, d in entries)
            index = json.loads(files['index.json']); desc = index['manifests'][0]
            manifest = json.loads(files['blobs/sha256/' + desc['digest'][7:]])
            put(entries, 'manifest.json', json.dumps([{'Config': 'blobs/sha256/' + manifest['config']['digest'][7:],
                'RepoTags': ['new:25'], 'Layers': ['blobs/sha256/' + l['digest'][7:] for l in manifest['layers']]}]).encode())
            write(out, entries)
        """#

    final class Fixture {
        let s = Scratch()
        var dir: String { s.path }
        let store: ImageStore

        init() throws {
            for tool in ["/usr/bin/skopeo", "/usr/bin/umoci"] {
                try #require(Files.exists(tool), "\(tool) is missing: Scripts/setup.sh --test installs it")
            }
            store = ImageStore(root: s.path + "/store")
            try #require(sh("cd \(s.path) && \(TestImages.archives)") == 0, "building the test archives failed")
            s.write("archive.py", ImageArchiveTests.python)
        }

        func python(_ args: String) throws {
            try #require(sh("cd \(dir) && python3 archive.py \(args)") == 0)
        }

        func file(_ image: ImageRecord, _ path: String) -> String? {
            for layer in store.lowerDirs(image) {
                var st = stat()
                guard lstat(layer + path, &st) == 0 else { continue }
                return (st.st_mode & S_IFMT) == S_IFCHR ? nil : try? Files.read(layer + path)  // whiteout
            }
            return nil
        }

        /// Nothing of a failed import is left in the store.
        func expectEmpty() throws {
            #expect(try store.list().isEmpty)
            #expect(((try? Files.list(dir + "/store/layers")) ?? []).isEmpty)
            #expect(((try? Files.list(dir + "/store/blobs/sha256")) ?? []).isEmpty)
        }
    }

    @Test func dockerArchiveImportsEveryRepoTagWithItsConfig() throws {
        let f = try Fixture()
        let records = try f.store.importImages(nil, from: f.dir + "/single.tar")
        #expect(records.map(\.reference.description) == ["demo:v1", "demo:also"])
        let image = records[0]
        #expect(image.layers.count == 2 && records[1].layers == image.layers && records[1].id == image.id)
        #expect(f.file(image, "/two") == "two\n" && f.file(image, "/one") == nil, "the second layer's whiteout deletes /one")
        let (_, config) = try f.store.resolve("demo:v1")
        #expect(config.config.Cmd == ["/bin/busybox", "cat", "/two"] && config.config.Env?.contains("APP=1") == true)
        // With a NAME, the image of that name (or the only one) is imported under it.
        #expect(try f.store.importImages("renamed:1", from: f.dir + "/single.tar").map(\.layers) == [image.layers])
    }

    @Test func multiImageDockerArchiveSharesLayersAndSelectsByName() throws {
        let f = try Fixture()
        try f.python("merge multi.tar single.tar second.tar")
        let all = try f.store.importImages(nil, from: f.dir + "/multi.tar")
        #expect(all.map(\.reference.description) == ["demo:v1", "demo:also", "other:v2"])
        #expect(Array(all[2].layers.prefix(2)) == all[0].layers && all[2].layers.count == 3, "shared layers are stored once")
        #expect(try Files.list(f.dir + "/store/layers").count == 3)
        #expect(f.file(all[2], "/three") == "three\n")
        try f.store.remove("demo:v1")
        try f.store.remove("demo:also")
        try f.store.remove("other:v2")
        let picked = try f.store.importImages("other:v2", from: f.dir + "/multi.tar")
        #expect(picked.map(\.reference.description) == ["other:v2"] && picked[0].layers.count == 3)
        #expect { try f.store.importImages("nope:1", from: f.dir + "/multi.tar") } throws: {
            ($0 as? ImageError)?.message.contains("no image named nope:1") == true
        }
    }

    @Test func ociArchiveImportsByRefNameAndNeedsANameForABareTag() throws {
        let f = try Fixture()
        #expect(try f.store.importImages(nil, from: f.dir + "/named.tar").map(\.reference.description) == ["app:v3"])
        #expect { try f.store.importImages(nil, from: f.dir + "/oci.tar") } throws: {
            ($0 as? ImageError)?.message.contains("has no repository name (names: v9)") == true
        }
        let image = try f.store.importImage("mine:v9", from: f.dir + "/oci.tar")
        #expect(f.file(image, "/two") == "two\n" && f.file(image, "/one") == nil)
        #expect(try f.store.resolve("mine:v9").config.config.Cmd == ["/bin/busybox", "cat", "/two"])
    }

    @Test func gzipLayersAndGzipArchivesAndTheDocker25Layout() throws {
        let f = try Fixture()
        try f.python("gzip-layer gz-layer.tar single.tar")
        try f.python("docker25 docker25.tar oci.tar")
        #expect(sh("cd \(f.dir) && gzip -k single.tar") == 0)
        let plain = try f.store.importImage("plain:1", from: f.dir + "/single.tar")
        for (name, file) in [("gzlayer:1", "gz-layer.tar"), ("gzarchive:1", "single.tar.gz"), ("new:25", "docker25.tar")] {
            let image = try f.store.importImage(name, from: f.dir + "/" + file)
            #expect(image.layers == plain.layers, "\(file): same layers as the plain archive")
        }
        #expect(try f.store.importImages(nil, from: f.dir + "/docker25.tar").map(\.reference.description) == ["new:25"])
        #expect(!(try Files.list(f.dir + "/store/layers")).contains { $0.hasPrefix(".") }, "no temporary file left")
    }

    @Test func aCorruptLayerOrConfigIsRefusedAndLeavesNothing() throws {
        let f = try Fixture()
        try f.python("corrupt-layer bad-layer.tar single.tar")
        #expect { try f.store.importImages(nil, from: f.dir + "/bad-layer.tar") } throws: {
            ($0 as? ImageError)?.message.contains("does not match its diff_id") == true
        }
        try f.expectEmpty()
        // The docker25 layout names layers by blob digest: the same tar compressed differently fails that check.
        try f.python("docker25 docker25.tar oci.tar")
        #expect(sh("""
            cd \(f.dir) && mkdir x && tar -xf docker25.tar -C x && \
            for b in x/blobs/sha256/*; do if gzip -t $b 2>/dev/null; then zcat $b | gzip -1 -n > t && cat t > $b; fi; done && \
            (cd x && tar -cf ../bad25.tar *)
            """) == 0)
        #expect { try f.store.importImages(nil, from: f.dir + "/bad25.tar") } throws: {
            ($0 as? ImageError)?.message.contains("does not match its digest") == true
        }
        try f.expectEmpty()
        // A config whose content is not its name.
        #expect(sh("cd \(f.dir) && mkdir y && tar -xf single.tar -C y && chmod u+w y/*.json && sed -i 's/APP=1/APP=2/' y/*.json && (cd y && tar -cf ../bad-config.tar *)") == 0)
        #expect { try f.store.importImages(nil, from: f.dir + "/bad-config.tar") } throws: {
            ($0 as? ImageError)?.message.contains("corrupt config") == true
        }
        try f.expectEmpty()
    }

    @Test func anUnrecognisedArchiveIsRefusedAndARootfsTarStillImports() throws {
        let f = try Fixture()
        #expect(sh("cd \(f.dir) && mkdir -p z/etc && echo '{}' > z/index.json && echo x > z/etc/x && tar -cf odd.tar -C z . && gzip -k odd.tar && tar -cf root.tar -C z etc") == 0)
        for file in ["odd.tar", "odd.tar.gz"] {
            #expect { try f.store.importImages("odd:1", from: f.dir + "/" + file) } throws: {
                ($0 as? ImageError)?.message.contains("looks like an image archive (it has index.json)") == true
            }
            try f.expectEmpty()
        }
        let root = try f.store.importImage("root:1", from: f.dir + "/root.tar")
        #expect(f.file(root, "/etc/x") == "x\n")
        #expect { try f.store.importImages(nil, from: f.dir + "/root.tar") } throws: {
            ($0 as? ImageError)?.message.contains("give the image a NAME") == true
        }
    }
}
