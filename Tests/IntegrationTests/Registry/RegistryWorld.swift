import BerthSys
import BerthTestSupport
import Foundation
import Testing

/// Registries on loopback for one test: an OCI layout made by registry_helper.py (3 gzip layers
/// with busybox, a whiteout and an opaque directory; tags v1, multi, armonly) pushed with skopeo
/// into a storage directory that each `docker-registry` started here serves (anonymous, htpasswd,
/// token, TLS), plus the helper's token service and cutting proxy. Every process is killed with
/// SIGKILL and the directory removed at the end, also when the test fails.
final class RegistryWorld: @unchecked Sendable {
    static let helper: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast()
        return parts.joined(separator: "/") + "/registry_helper.py"
    }()

    let root: String
    private var processes: [Process] = []
    /// The v1 (linux/amd64) manifest digest and its layer digests.
    let v1Digest: String
    let layerDigests: [String]
    /// The anonymous plain-HTTP registry the images were pushed to.
    private(set) var anonymousPort: UInt16 = 0

    var data: String { root + "/data" }

    init() throws {
        try #require(getuid() == 0, "registry integration tests run as root (they start servers and pull into stores)")
        for tool in ["/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/openssl", "/usr/bin/htpasswd", "/usr/bin/python3"] {
            try #require(Files.exists(tool), "\(tool) is missing: Scripts/setup.sh --test installs it")
        }
        root = "/tmp/berth-regtest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Files.makeDirectories(root)
        let layout = try TaskHarness.exec(["/usr/bin/python3", Self.helper, "layout", root + "/layout"], timeout: 60)
        try #require(layout.status == 0, "registry_helper.py layout: \(layout.stderr)")
        let info = try JSONSerialization.jsonObject(with: Data(layout.stdout.utf8)) as? [String: Any]
        v1Digest = info?["v1"] as? String ?? ""
        layerDigests = info?["layers"] as? [String] ?? []
        anonymousPort = try registry()
        for (tag, all) in [("v1", false), ("multi", true), ("armonly", true)] {
            let r = try TaskHarness.exec(["/usr/bin/skopeo", "copy", "-q", "--dest-tls-verify=false"] + (all ? ["--all"] : [])
                                         + ["oci:\(root)/layout:\(tag)", "docker://127.0.0.1:\(anonymousPort)/test/app:\(tag)"], timeout: 120)
            try #require(r.status == 0, "skopeo copy \(tag): \(r.stderr)")
        }
    }

    deinit {
        for p in processes where p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        try? Files.removeTree(root)
    }

    static func freePort() throws -> UInt16 {
        let (fd, port) = try Socket.listenTCP(host: "127.0.0.1", port: 0)
        close(fd)
        return port
    }

    /// A docker-registry serving `data` on a free loopback port, with `http`/`auth` YAML added.
    func registry(tls: (cert: String, key: String)? = nil, auth: String = "") throws -> UInt16 {
        let port = try Self.freePort()
        var yaml = """
            version: 0.1
            log:
              level: warn
            storage:
              filesystem:
                rootdirectory: \(data)
            http:
              addr: 127.0.0.1:\(port)

            """
        if let tls { yaml += "  tls:\n    certificate: \(tls.cert)\n    key: \(tls.key)\n" }
        yaml += auth
        let config = root + "/registry-\(port).yml"
        try Files.writeAtomically(config, Array(yaml.utf8))
        try start(["/usr/bin/docker-registry", "serve", config], log: root + "/registry-\(port).log")
        try waitForPort(port)
        return port
    }

    /// The helper's token service (Basic user:password) signing with a fresh key; its port and the
    /// registry `auth:` YAML that trusts it.
    func tokenService(user: String, password: String) throws -> (port: UInt16, auth: String) {
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", root + "/token.key", "-out", root + "/token.crt",
                     "-days", "2", "-subj", "/CN=berth test token issuer"])
        let portFile = root + "/token.port"
        try start(["/usr/bin/python3", Self.helper, "token", portFile, root + "/token.key", root + "/token.crt", user, password],
                  log: root + "/token.log")
        let port = try waitForPortFile(portFile)
        let auth = """
            auth:
              token:
                realm: http://127.0.0.1:\(port)/token
                service: berth-test-registry
                issuer: berth-test
                rootcertbundle: \(root)/token.crt

            """
        return (port, auth)
    }

    /// The helper's proxy in front of `target` that cuts blob responses after `cutAfter` bytes.
    func cuttingProxy(to target: UInt16, cutAfter: Int, always: Bool) throws -> UInt16 {
        let portFile = root + "/proxy-\(UInt32.random(in: 0...UInt32.max)).port"
        try start(["/usr/bin/python3", Self.helper, "proxy", portFile, String(target), String(cutAfter), always ? "always" : "once"],
                  log: portFile + ".log")
        return try waitForPortFile(portFile)
    }

    /// A test CA and a certificate for 127.0.0.1 it signed (ca.crt, server.crt, server.key under `root`).
    func makeCertificates() throws -> (ca: String, cert: String, key: String) {
        let d = root + "/tls"
        try Files.makeDirectories(d)
        try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/ca.key", "-out", d + "/ca.crt", "-days", "2", "-subj", "/CN=berth test CA"])
        try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", d + "/server.key", "-out", d + "/server.csr", "-subj", "/CN=127.0.0.1"])
        try Files.writeAtomically(d + "/ext", Array("subjectAltName=IP:127.0.0.1,DNS:localhost\n".utf8))
        try openssl(["x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key", "-CAcreateserial",
                     "-out", d + "/server.crt", "-days", "2", "-extfile", d + "/ext"])
        return (d + "/ca.crt", d + "/server.crt", d + "/server.key")
    }

    func htpasswd(user: String, password: String) throws -> String {
        let r = try TaskHarness.exec(["/usr/bin/htpasswd", "-Bbn", user, password], timeout: 30)
        try #require(r.status == 0, "htpasswd: \(r.stderr)")
        let path = root + "/htpasswd"
        try Files.writeAtomically(path, Array(r.stdout.utf8))
        return "auth:\n  htpasswd:\n    realm: berth-test\n    path: \(path)\n"
    }

    /// The file docker-registry keeps a blob in.
    func blobFile(_ digest: String) -> String {
        let hex = String(digest.dropFirst(7))
        return data + "/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    private func openssl(_ args: [String]) throws {
        let r = try TaskHarness.exec(["/usr/bin/openssl"] + args, timeout: 60)
        try #require(r.status == 0, "openssl \(args.joined(separator: " ")): \(r.stderr)")
    }

    private func start(_ argv: [String], log: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        processes.append(p)
    }

    private func waitForPort(_ port: UInt16) throws {
        for _ in 0..<200 {
            if let fd = try? Socket.connectTCP(host: "127.0.0.1", port: port) { close(fd); return }
            usleep(50_000)
        }
        Issue.record("nothing listens on 127.0.0.1:\(port) after 10 s")
        throw RegistryWorldError()
    }

    private func waitForPortFile(_ path: String) throws -> UInt16 {
        for _ in 0..<200 {
            if let text = try? Files.read(path), let port = UInt16(text) { try waitForPort(port); return port }
            usleep(50_000)
        }
        Issue.record("\(path) did not appear after 10 s")
        throw RegistryWorldError()
    }

    /// `berth image ARGS` with a private store, credential file and registries file under `root`.
    func berth(_ args: [String], store: String? = nil, stdin: String? = nil) throws -> TaskHarness.Result {
        let common = ["--store", store ?? root + "/store", "--auth-file", root + "/auth.json", "--registries", root + "/registries.json",
                      "--certs-dir", root + "/certs.d"]
        let sub = args[0]
        let options = sub == "pull" ? common : ["--auth-file", root + "/auth.json"]
        if let stdin {
            let script = "printf '%s' \"$BERTH_TEST_STDIN\" | \"$0\" \"$@\""
            setenv("BERTH_TEST_STDIN", stdin, 1)
            defer { unsetenv("BERTH_TEST_STDIN") }
            return try TaskHarness.exec(["/bin/sh", "-c", script, TaskHarness.berth, "image", sub] + options + Array(args.dropFirst()), timeout: 180)
        }
        return try TaskHarness.exec([TaskHarness.berth, "image", sub] + options + Array(args.dropFirst()), timeout: 180)
    }

    /// Names in the store's index and entries left in its layers and downloads directories.
    func storeContents(_ store: String? = nil) -> (images: String, layers: [String], downloads: [String]) {
        let s = store ?? root + "/store"
        let index = (try? Files.read(s + "/index.json")) ?? ""
        return (index, ((try? Files.list(s + "/layers")) ?? []).filter { !$0.hasPrefix(".") || $0.hasPrefix(".import-") },
                (try? Files.list(s + "/downloads")) ?? [])
    }
}

struct RegistryWorldError: Error {}
