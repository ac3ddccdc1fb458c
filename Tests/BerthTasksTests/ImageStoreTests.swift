import BerthSys
import Foundation
import Testing
@testable import BerthTasks

/// A scratch directory removed at the end of the test.
final class Scratch {
    let path: String
    init() {
        path = "/tmp/berth-tasks-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! Files.makeDirectories(path)
    }
    deinit { try? Files.removeTree(path) }
    func write(_ rel: String, _ text: String) {
        let full = path + "/" + rel
        try! Files.makeDirectories(String(full[..<full.lastIndex(of: "/")!]))
        try! Files.writeAtomically(full, Array(text.utf8))
    }
}

func sh(_ command: String) -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    try! p.run()
    p.waitUntilExit()
    return p.terminationStatus
}

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

    @Test func tarWithDotDotOrGzipIsRefusedAndLeavesNothing() throws {
        let s = Scratch()
        s.write("src/a", "a\n")
        #expect(sh("cd \(s.path)/src && tar -cf ../bad.tar --transform 's,^a,../a,' a 2>/dev/null; tar -czf ../z.tgz a") == 0)
        let store = ImageStore(root: s.path + "/store")
        #expect { try store.importImage("bad", from: s.path + "/bad.tar") } throws: { ($0 as? ImageError)?.message.contains("..") == true }
        #expect { try store.importImage("z", from: s.path + "/z.tgz") } throws: { ($0 as? ImageError)?.message.contains("gzip") == true }
        #expect(try Files.list(s.path + "/store/layers").isEmpty)
        #expect(try store.list().isEmpty)
    }
}

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
