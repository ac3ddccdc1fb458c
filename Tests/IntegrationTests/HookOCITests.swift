import BerthSys
import Foundation
import Glibc
import Testing

/// OCI hooks (runtime-spec config.md "POSIX-platform Hooks") through `berth oci` on real
/// containers: order, state on stdin, namespaces, failure semantics, timeouts, cleanup.
@Suite(.serialized) struct HookOCITests {
    static let kinds = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]

    /// A hook that appends `<kind> <mnt ns> <pid ns> <ppid>` and then the state from stdin to `log`.
    static func logger(_ kind: String, log: String, timeout: Int? = nil) -> [String: Any] {
        let script = "{ echo \"$0 $(readlink /proc/self/ns/mnt) $(readlink /proc/self/ns/pid) $PPID\"; cat; echo; } >> \(log)"
        var hook: [String: Any] = ["path": "/bin/sh", "args": ["sh", "-c", script, kind], "env": ["PATH=/usr/bin:/bin"]]
        if let timeout { hook["timeout"] = timeout }
        return hook
    }

    static func withHooks(_ hooks: [String: Any], bind: String? = nil) -> (inout [String: Any]) -> Void {
        { config in
            config["hooks"] = hooks
            if let bind {
                var mounts = config["mounts"] as! [[String: Any]]
                mounts.append(["destination": "/run", "type": "bind", "source": bind, "options": ["rbind", "rw"]])
                config["mounts"] = mounts
            }
        }
    }

    struct Entry {
        var kind: String
        var mnt: String
        var pidns: String
        var ppid: Int32
        var state: [String: Any]
    }

    static func entries(_ log: String) throws -> [Entry] {
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        var out: [Entry] = []
        var i = 0
        while i + 1 < lines.count {
            let head = lines[i].split(separator: " ").map(String.init)
            let state = try JSONSerialization.jsonObject(with: Data(lines[i + 1].utf8)) as? [String: Any] ?? [:]
            out.append(Entry(kind: head[0], mnt: head[1], pidns: head[2], ppid: Int32(head[3]) ?? -1, state: state))
            i += 2
        }
        return out
    }

    static func link(_ path: String) -> String { (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?" }

    @Test func everyHookRunsInOrderWithTheStateInTheRightNamespaces() throws {
        let h = try OCIHarness("hookorder")
        defer { h.cleanUp() }
        let logs = h.work + "/logs"
        try Files.makeDirectories(logs)
        let log = logs + "/log"
        var hooks: [String: Any] = [:]
        for kind in Self.kinds { hooks[kind] = [Self.logger(kind, log: kind == "startContainer" ? "/run/log" : log, timeout: 10)] }
        let bundle = try h.bundle(["sleep", "30"], edit: Self.withHooks(hooks, bind: logs))

        let created = try h.oci(["create", "--bundle", bundle, h.id])
        try #require(created.status == 0, "\(created.stderr)")
        let pid = try h.state().pid
        let containerMnt = Self.link("/proc/\(pid)/ns/mnt"), containerPid = Self.link("/proc/\(pid)/ns/pid")
        let started = try h.oci(["start", h.id])
        try #require(started.status == 0, "\(started.stderr)")
        #expect(try h.state().status == "running")
        try h.oci(["kill", h.id, "KILL"])
        #expect(h.waitFor(seconds: 10) { h.status() == "stopped" })
        let deleted = try h.oci(["delete", h.id])
        #expect(deleted.status == 0, "\(deleted.stderr)")

        let entries = try Self.entries(log)
        #expect(entries.map(\.kind) == Self.kinds)
        let hostMnt = Self.link("/proc/self/ns/mnt"), hostPid = Self.link("/proc/self/ns/pid")
        #expect(containerMnt != hostMnt && containerPid != hostPid)
        let statuses = ["prestart": "creating", "createRuntime": "creating", "createContainer": "creating",
                        "startContainer": "created", "poststart": "running", "poststop": "stopped"]
        for e in entries {
            #expect(e.state["id"] as? String == h.id, "\(e.kind)")
            #expect(e.state["bundle"] as? String == bundle, "\(e.kind)")
            #expect(e.state["status"] as? String == statuses[e.kind], "\(e.kind): \(e.state)")
            let statePid = (e.state["pid"] as? NSNumber)?.int32Value
            if e.kind == "createContainer" || e.kind == "startContainer" {
                // In the container's namespaces, started by its init (pid 1 there), as runc does.
                #expect(e.mnt == containerMnt && e.pidns == containerPid, "\(e.kind) \(e.mnt) \(e.pidns)")
                #expect(statePid == 1 && e.ppid == 1, "\(e.kind) pid \(String(describing: statePid)) ppid \(e.ppid)")
            } else {
                #expect(e.mnt == hostMnt && e.pidns == hostPid, "\(e.kind) \(e.mnt) \(e.pidns)")
                #expect(statePid == pid, "\(e.kind) pid \(String(describing: statePid)) != \(pid)")
            }
        }
        #expect(try h.leftovers(h.id).isEmpty)
    }

    /// Processes whose command line names the container's state directory (its monitor).
    static func processes(naming text: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc"))?.compactMap { name in
            guard Int32(name) != nil, let data = FileManager.default.contents(atPath: "/proc/\(name)/cmdline") else { return nil }
            let cmd = String(decoding: data.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            return cmd.contains(text) ? "\(name): \(cmd)" : nil
        } ?? []
    }

    @Test(arguments: ["prestart", "createRuntime", "createContainer"])
    func aFailingCreateHookFailsCreateAndLeavesNothingBehind(kind: String) throws {
        let h = try OCIHarness("hookfail\(kind.prefix(8).lowercased())")
        defer { h.cleanUp() }
        let log = h.work + "/log"
        let hooks: [String: Any] = [kind: [["path": "/bin/false"]], "poststop": [Self.logger("poststop", log: log)]]
        let bundle = try h.bundle(["sleep", "30"], edit: Self.withHooks(hooks))
        let r = try h.oci(["create", "--bundle", bundle, h.id])
        #expect(r.status != 0)
        #expect(r.stderr.contains("hooks.\(kind)[0] (/bin/false): exited with status 1"), "\(r.stderr)")
        let left = try h.leftovers(h.id)
        #expect(left.isEmpty, "\(left)")
        #expect(Self.processes(naming: h.root + "/" + h.id).isEmpty)
        // The lifecycle continues at "destroy", then poststop (runtime.md "Lifecycle" steps 12 and 13).
        #expect(try Self.entries(log).map(\.kind) == ["poststop"])
    }

    @Test func aHookPastItsTimeoutIsKilledAndCreateFails() throws {
        let h = try OCIHarness("hooktimeout")
        defer { h.cleanUp() }
        let hooks: [String: Any] = ["createRuntime": [["path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1]]]
        let bundle = try h.bundle(["sleep", "30"], edit: Self.withHooks(hooks))
        let began = Date()
        let r = try h.oci(["create", "--bundle", bundle, h.id])
        #expect(Date().timeIntervalSince(began) < 15)
        #expect(r.status != 0)
        #expect(r.stderr.contains("hooks.createRuntime[0] (/bin/sleep): did not finish within its timeout of 1s; killed"), "\(r.stderr)")
        #expect(try h.leftovers(h.id).isEmpty)
        #expect(Self.processes(naming: "sleep 30").filter { !$0.contains("berth") }.isEmpty)
    }

    @Test(arguments: ["startContainer", "poststart"])
    func aFailingStartHookFailsStartAndStopsTheContainer(kind: String) throws {
        let h = try OCIHarness("hookstart\(kind.prefix(5).lowercased())")
        defer { h.cleanUp() }
        // startContainer resolves in the container: busybox's false.
        let hooks: [String: Any] = [kind: [["path": "/bin/false"]]]
        let bundle = try h.bundle(["sleep", "30"], edit: Self.withHooks(hooks))
        let created = try h.oci(["create", "--bundle", bundle, h.id])
        try #require(created.status == 0, "\(created.stderr)")
        let r = try h.oci(["start", h.id])
        #expect(r.status != 0)
        #expect(r.stderr.contains("hooks.\(kind)[0] (/bin/false): exited with status 1"), "\(r.stderr)")
        #expect(h.waitFor(seconds: 10) { h.status() == "stopped" })
        #expect(try h.oci(["delete", h.id]).status == 0)
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func aFailingPoststopHookOnlyWarns() throws {
        let h = try OCIHarness("hookpoststop")
        defer { h.cleanUp() }
        let log = h.work + "/log"
        let hooks: [String: Any] = ["poststop": [["path": "/bin/false"], Self.logger("poststop", log: log)]]
        let bundle = try h.bundle(["true"], edit: Self.withHooks(hooks))
        let run = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("warning") && run.stderr.contains("hooks.poststop[0] (/bin/false): exited with status 1"), "\(run.stderr)")
        #expect(try Self.entries(log).map(\.kind) == ["poststop"])
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func runWithStartHooksGoesThroughCreateAndStart() throws {
        let h = try OCIHarness("hookrun")
        defer { h.cleanUp() }
        let logs = h.work + "/logs"
        try Files.makeDirectories(logs)
        let hooks: [String: Any] = ["startContainer": [Self.logger("startContainer", log: "/run/log")],
                                    "poststart": [Self.logger("poststart", log: logs + "/log")]]
        let bundle = try h.bundle(["true"], edit: Self.withHooks(hooks, bind: logs))
        let r = try h.oci(["run", "--bundle", bundle, h.id])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try Self.entries(logs + "/log").map(\.kind) == ["startContainer", "poststart"])
        #expect(try h.leftovers(h.id).isEmpty)
    }

    @Test func aRelativeHookPathOrZeroTimeoutIsRefused() throws {
        let h = try OCIHarness("hookinvalid")
        defer { h.cleanUp() }
        let hooks: [String: Any] = ["poststart": [["path": "bin/true"], ["path": "/bin/true", "timeout": 0]]]
        let bundle = try h.bundle(["true"], edit: Self.withHooks(hooks))
        let r = try h.oci(["create", "--bundle", bundle, h.id])
        #expect(r.status != 0)
        #expect(r.stderr.contains("hooks.poststart[0].path: \"bin/true\" is not an absolute path"), "\(r.stderr)")
        #expect(r.stderr.contains("hooks.poststart[1].timeout: 0 must be greater than zero"), "\(r.stderr)")
        #expect(try h.leftovers(h.id).isEmpty)
    }
}
