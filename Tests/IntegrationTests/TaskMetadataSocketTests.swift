import BerthRuntime
import BerthSys
import Foundation
import Glibc
import Testing

/// `TaskMetadataSocket` in a network namespace of the test's own (`berth netns-create`), with
/// clients in it through nsenter: 169.254.170.2:80 reaches the listener, and with sk_lookup the
/// namespace's port 80 stays free for the task.
@Suite(.serialized) struct TaskMetadataSocketTests {
    static func withNamespace(_ body: (String) throws -> Void) throws {
        try #require(getuid() == 0, "network namespaces need root")
        let dir = "/tmp/berth-mdsock-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try Files.makeDirectories(dir)
        defer {
            try? Netns.remove(dir + "/ns")
            try? Files.removeTree(dir)
        }
        let r = try TaskHarness.exec([TaskHarness.berth, "netns-create", dir + "/ns"], timeout: 30)
        try #require(r.status == 0, "netns-create: \(r.stderr)")
        try body(dir + "/ns")
    }

    /// Answer one HTTP request on the listening socket with `text`.
    static func answerOnce(_ fd: Int32, _ text: String) -> Thread {
        let t = Thread {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 10_000) == 1 else { return }
            let c = accept(fd, nil, nil)
            guard c >= 0 else { return }
            var buf = [UInt8](repeating: 0, count: 4096)
            _ = read(c, &buf, buf.count)
            let reply = Array("HTTP/1.0 200 OK\r\nContent-Length: \(text.utf8.count)\r\n\r\n\(text)".utf8)
            _ = reply.withUnsafeBytes { write(c, $0.baseAddress, $0.count) }
            close(c)
        }
        t.start()
        return t
    }

    static func curl(_ ns: String, _ url: String) throws -> String {
        try TaskHarness.exec(["/usr/bin/nsenter", "--net=\(ns)", "/usr/bin/curl", "-s", "-m", "5", url], timeout: 20).stdout
    }

    static let bind80 = "import socket,sys\ns=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ntry:\n s.bind(('0.0.0.0', 80))\nexcept OSError as e:\n print('refused', e.errno, flush=True); sys.exit(0)\ns.listen(); print('bound', flush=True)\nc,_=s.accept(); c.recv(100); c.sendall(b'HTTP/1.0 200 OK\\r\\nContent-Length: 3\\r\\n\\r\\napp'); c.close()\n"

    @Test func steeredListenerLeavesPort80ToTheTask() throws {
        try Self.withNamespace { ns in
            let socket = try TaskMetadataSocket.open(netnsPath: ns)
            defer { socket.closeLink(); close(socket.listenFD) }
            #expect(socket.portSteeringUnavailable == nil && socket.linkFD >= 0)
            // The task's own server on 0.0.0.0:80 binds, and keeps its connections to 127.0.0.1.
            let app = Process()
            app.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
            app.arguments = ["--net=\(ns)", "/usr/bin/python3", "-c", Self.bind80]
            let out = Pipe()
            app.standardOutput = out
            try app.run()
            defer { if app.isRunning { app.terminate() }; app.waitUntilExit() }
            let first = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
            #expect(first.hasPrefix("bound"), "the task could not listen on port 80: \(first)")
            let endpoint = Self.answerOnce(socket.listenFD, "endpoint")
            #expect(try Self.curl(ns, "http://169.254.170.2/") == "endpoint")
            #expect(try Self.curl(ns, "http://127.0.0.1/") == "app")
            while endpoint.isExecuting { usleep(10_000) }
        }
    }

    @Test func withoutSteeringTheListenerHoldsPort80Itself() throws {
        try Self.withNamespace { ns in
            let socket = try TaskMetadataSocket.open(netnsPath: ns, steer: false)
            defer { socket.closeLink(); close(socket.listenFD) }
            #expect(socket.linkFD == -1)
            #expect(socket.portSteeringUnavailable?.contains("sk_lookup") == true)
            let endpoint = Self.answerOnce(socket.listenFD, "endpoint")
            #expect(try Self.curl(ns, "http://169.254.170.2/") == "endpoint")
            while endpoint.isExecuting { usleep(10_000) }
            // The documented cost: the task cannot take port 80 of every address.
            let r = try TaskHarness.exec(["/usr/bin/nsenter", "--net=\(ns)", "/usr/bin/python3", "-c", Self.bind80], timeout: 20)
            #expect(r.stdout.hasPrefix("refused 98"), "\(r.stdout) \(r.stderr)")
        }
    }
}
