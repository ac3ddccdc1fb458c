import BerthImages
import BerthSys
import CBerth
import Foundation
import Testing

/// `berth image import` against its limits (Docs/tasks.md, "Import limits"): a gzip bomb, a store
/// on a small filesystem, entry count and path depth; and device nodes made as containerd makes them.
/// Archives are generated here by python3's tarfile from streams of zeros (no blobs in the repository).
@Suite(.serialized) struct ImageImportLimitsTests {
    final class Store {
        let root = "/tmp/berth-imgtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var store: String { root + "/store" }
        init() throws {
            try #require(getuid() == 0, "image import tests mount a tmpfs and make device nodes: run as root")
            try #require(Files.exists(TaskHarness.berth), "build first: \(TaskHarness.berth) is missing")
            try Files.makeDirectories(root)
        }
        deinit { try? Files.removeTree(root) }

        func python(_ script: String, _ args: [String] = []) throws {
            let r = try TaskHarness.exec(["/usr/bin/python3", "-c", script] + args, timeout: 300)
            try #require(r.status == 0, "python3 failed: \(r.stderr)")
        }

        func importImage(_ ref: String, _ source: String, _ extra: [String] = [], store: String? = nil) throws -> TaskHarness.Result {
            try TaskHarness.exec([TaskHarness.berth, "image", "import", "--store", store ?? self.store] + extra + [ref, source], timeout: 300)
        }

        /// Every path under the store, and a small image imported first so the store is not empty.
        func seed() throws -> [String] {
            try Files.makeDirectories(root + "/seed/etc")
            try Files.writeAtomically(root + "/seed/etc/hello", Array("hi\n".utf8))
            #expect(try importImage("seed:1", root + "/seed").status == 0)
            return try tree(store)
        }

        func tree(_ dir: String) throws -> [String] {
            (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String] ?? []).filter { $0 != "lock" }.sorted()
        }
    }

    /// A tar of one file of `size` zero bytes, streamed (python's tarfile reads the zeros in chunks).
    static let zerosTar = """
        import sys, tarfile
        class Zeros:
            def __init__(self, n): self.n = n
            def read(self, k=-1):
                k = self.n if k < 0 else min(k, self.n); self.n -= k; return bytes(k)
        out, size = sys.argv[1], int(sys.argv[2])
        t = tarfile.open(out, 'w:gz' if out.endswith('gz') else 'w', **({'compresslevel': 9} if out.endswith('gz') else {}))
        i = tarfile.TarInfo('data/zeros'); i.size = size
        t.addfile(i, Zeros(size)); t.close()
        """

    @Test func gzipBombStopsAtMaxImageSizeAndLeavesNothing() throws {
        let s = try Store()
        let before = try s.seed()
        try s.python(Self.zerosTar, [s.root + "/bomb.tgz", String(64 << 20)])
        let r = try s.importImage("bomb:1", s.root + "/bomb.tgz", ["--max-image-size", "8m"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("image exceeds --max-image-size 8 MiB after"), "\(r.stderr)")
        #expect(try s.tree(s.store) == before, "the store changed: no partial layer or temporary file may be left")
        #expect(!r.stdout.contains("imported"))
    }

    /// The store on a 64 MiB tmpfs; a 62 MiB image comes through a FIFO from a writer that reads
    /// statvfs before every 64 KiB it writes, so the least free space seen during the import is known.
    @Test func smallFilesystemKeepsItsReserveFree() throws {
        let s = try Store()
        let mnt = s.root + "/small"
        try Files.makeDirectories(mnt)
        try Sys.call("mount tmpfs", detail: mnt) { mount("tmpfs", mnt, "tmpfs", 0, "size=64m") }
        defer { umount2(mnt, Int32(MNT_DETACH)) }
        let fifo = s.root + "/image.tar"
        try Sys.call("mkfifo", detail: fifo) { mkfifo(fifo, 0o600) }
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        writer.arguments = ["-c", Self.sampledWriter, fifo, mnt, String(62 << 20)]
        let out = Pipe()
        writer.standardOutput = out
        try writer.run()
        let r = try s.importImage("big:1", fifo, store: mnt + "/store")
        let unblock = open(fifo, O_RDONLY | O_NONBLOCK)  // in case the import never opened it
        writer.waitUntilExit()
        if unblock >= 0 { close(unblock) }
        let least = Int64(String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        var fs = statvfs()
        try Sys.call("statvfs", detail: mnt) { statvfs(mnt, &fs) }
        let reserve = Int64(fs.f_blocks) * Int64(fs.f_frsize) / 100 * 5
        #expect(r.status != 0)
        #expect(r.stderr.contains("import would leave less than --min-free-space 5 % (3.2 MiB) free on the filesystem of \(mnt)/store"), "\(r.stderr)")
        #expect(least >= reserve - (256 << 10), "free space fell to \(least) bytes during the import; the reserve is \(reserve)")
        let left = try s.tree(mnt + "/store")
        #expect(left.filter { $0 != "layers" }.isEmpty, "left behind: \(left)")
    }

    static let sampledWriter = """
        import os, sys, tarfile
        fifo, fs, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
        least = None
        def sample():
            global least
            st = os.statvfs(fs); free = st.f_bavail * st.f_frsize
            least = free if least is None else min(least, free)
        i = tarfile.TarInfo('zeros'); i.size = size
        try:
            with open(fifo, 'wb', buffering=0) as out:
                out.write(i.tobuf(format=tarfile.USTAR_FORMAT))
                left, zeros = size, bytes(65536)
                while left > 0:
                    sample(); n = min(left, 65536); out.write(zeros[:n]); left -= n
                out.write(bytes((512 - size % 512) % 512 + 1024))
        except BrokenPipeError:
            pass
        sample()
        print(least)
        """

    @Test func pathDepthAndEntryCountAreLimited() throws {
        let s = try Store()
        let before = try s.seed()
        let deep = (0..<257).map { _ in "d" }.joined(separator: "/") + "/file"
        try s.python("import sys, tarfile, io\nt = tarfile.open(sys.argv[1], 'w', format=tarfile.PAX_FORMAT)\n"
            + "i = tarfile.TarInfo(sys.argv[2]); i.size = 2; t.addfile(i, io.BytesIO(b'x\\n')); t.close()", [s.root + "/deep.tar", deep])
        let d = try s.importImage("deep:1", s.root + "/deep.tar")  // the default limit, 256
        #expect(d.status != 0)
        #expect(d.stderr.contains("path deeper than 256 components (--max-path-depth, it has 258)"), "\(d.stderr)")
        try s.python("import sys, tarfile, io\nt = tarfile.open(sys.argv[1], 'w')\n"
            + "for n in range(60):\n  i = tarfile.TarInfo('f%d' % n); t.addfile(i, io.BytesIO(b''))\nt.close()", [s.root + "/many.tar"])
        let m = try s.importImage("many:1", s.root + "/many.tar", ["--max-image-files", "50"])
        #expect(m.status != 0)
        #expect(m.stderr.contains("image has more than 50 entries (--max-image-files); stopped at \"f50\""), "\(m.stderr)")
        #expect(try s.tree(s.store) == before)
        #expect(try s.importImage("many:1", s.root + "/many.tar", ["--max-image-files", "60"]).status == 0)
    }

    @Test func deviceNodesAndFifosAreCreated() throws {
        let s = try Store()
        try s.python("""
            import sys, tarfile
            t = tarfile.open(sys.argv[1], 'w')
            c = tarfile.TarInfo('dev/null2'); c.type = tarfile.CHRTYPE; c.devmajor, c.devminor, c.mode = 1, 3, 0o666
            b = tarfile.TarInfo('dev/loop9'); b.type = tarfile.BLKTYPE; b.devmajor, b.devminor, b.mode = 7, 9, 0o660
            p = tarfile.TarInfo('run/pipe'); p.type = tarfile.FIFOTYPE; p.mode, p.uid = 0o620, 1000
            for i in (c, b, p): t.addfile(i)
            t.close()
            """, [s.root + "/dev.tar"])
        let r = try s.importImage("dev:1", s.root + "/dev.tar")
        #expect(r.status == 0, "\(r.stderr)")
        let layer = try #require(try Files.list(s.store + "/layers").first { !$0.hasPrefix(".") })
        var st = stat()
        #expect(lstat(s.store + "/layers/\(layer)/dev/null2", &st) == 0 && st.st_mode & S_IFMT == S_IFCHR
                && berth_major(st.st_rdev) == 1 && berth_minor(st.st_rdev) == 3 && st.st_mode & 0o7777 == 0o666)
        #expect(lstat(s.store + "/layers/\(layer)/dev/loop9", &st) == 0 && st.st_mode & S_IFMT == S_IFBLK && berth_major(st.st_rdev) == 7 && berth_minor(st.st_rdev) == 9)
        #expect(lstat(s.store + "/layers/\(layer)/run/pipe", &st) == 0 && st.st_mode & S_IFMT == S_IFIFO
                && st.st_mode & 0o7777 == 0o620 && st.st_uid == 1000)
    }
}

@Suite(.serialized) struct ImageDeviceNodeTests {
    /// A device node that came with an image exists in the container but cannot be opened: the
    /// rootfs overlay is mounted nodev (there is no devices cgroup to stop it otherwise).
    @Test func deviceNodesFromAnImageCannotBeOpenedInTheContainer() throws {
        let h = try TaskHarness()
        let (record, _) = try ImageStoreFixture.busyboxLayer(h.images)
        let src = h.root + "/devimage"
        let made = try TaskHarness.exec(["/bin/sh", "-c", "cp -a \(record) \(src) && mknod -m 666 \(src)/node c 1 5"], timeout: 60)  // 1:5: zero
        try #require(made.status == 0, "\(made.stderr)")
        let imported = try TaskHarness.exec([TaskHarness.berth, "image", "import", "--store", h.images, "--cmd", "/bin/sh", "devimg:1", src], timeout: 120)
        try #require(imported.status == 0, "\(imported.stderr)")
        let td = try h.write("""
            {"family": "devnode", "containerDefinitions": [{"name": "probe", "image": "devimg:1", "essential": true, "memory": 64,
             "command": ["sh", "-c", "ls -l /node; head -c 4 /node >/dev/null && echo OPENED || echo REFUSED"]}]}
            """)
        let r = try h.run(td)
        #expect(r.stdout.contains("probe | c"), "the node is in the image:\n\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("REFUSED") && !r.stdout.contains("OPENED"), "\(r.stdout)\(r.stderr)")
        try h.expectCleanedUp(r.taskId)
    }
}

enum ImageStoreFixture {
    /// The layer directory of busybox:latest in a store, read from its index.
    static func busyboxLayer(_ store: String) throws -> (String, String) {
        let index = try JSONSerialization.jsonObject(with: Data(try Files.readBytes(store + "/index.json"))) as? [String: Any]
        let images = index?["images"] as? [[String: Any]] ?? []
        let busybox = try #require(images.first { $0["name"] as? String == "busybox" })
        let layer = try #require((busybox["layers"] as? [String])?.first)
        return (store + "/layers/" + layer.dropFirst(7), layer)
    }
}
