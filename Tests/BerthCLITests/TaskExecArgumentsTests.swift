import BerthOCI
import BerthInit
import BerthJSON
import Testing
@testable import BerthCLI

/// `berth task exec` flags and the day-to-day CLI spellings (pure parts; the root tests in
/// IntegrationTests/TaskExecTests run them against real tasks).
@Suite struct TaskExecArgumentsTests {
    @Test func dashItIsDashIDashTAndOnlyBeforeTheCommand() throws {
        #expect(TaskCommand.expandShortFlags(["-it", "T", "--", "sh", "-it"]) == ["-i", "-t", "T", "--", "sh", "-it"])
        #expect(TaskCommand.expandShortFlags(["-ti", "T", "--", "x"]) == ["-i", "-t", "T", "--", "x"])
        let a = try Arguments(TaskCommand.expandShortFlags(["-it", "-u", "app", "-e", "A=1", "--env", "B=2", "-w", "/srv", "T", "--", "sh", "-c", "x"]),
                              spec: TaskCommand.spec)
        #expect(a.has("--interactive") && a.has("--tty"))
        #expect(a.positionals == ["T", "sh", "-c", "x"])
        let o = try ExecOverrides(a)
        #expect(o == ExecOverrides(user: "app", env: [("A", "1"), ("B", "2")], workdir: "/srv"))
    }

    @Test func overridesApplyOverTheContainersProcess() throws {
        var template = Spec.Process(args: ["sleep", "1000"], env: ["PATH=/bin", "FOO=bar", "KEEP=1"], cwd: "/tmp")
        template.user = Spec.User(uid: 65534, gid: 65534, umask: 0o027, additionalGids: [4], username: "nobody")
        template.noNewPrivileges = true
        // No overrides: the container's user, env, cwd and security settings; the new command.
        let same = ExecOverrides().apply(to: template, command: ["sh"])
        #expect(same.args == ["sh"] && same.user == template.user && same.env == template.env && same.cwd == "/tmp" && same.noNewPrivileges == true)
        let o = ExecOverrides(user: "0:0", env: [("FOO", "baz"), ("NEW", "x=y")], workdir: "/").apply(to: template, command: ["id"])
        #expect(o.user == Spec.User(umask: 0o027, username: "0:0"))
        #expect(o.env == ["PATH=/bin", "KEEP=1", "FOO=baz", "NEW=x=y"])
        #expect(o.cwd == "/" && o.terminal == nil)
    }

    @Test func badOverridesAreUsageErrorsNamingTheOption() {
        for (argv, option) in [(["--workdir", "tmp"], "--workdir"), (["--user", ""], "--user"), (["--user", "app:"], "--user"), (["--env", "NOEQUALS"], "--env")] {
            #expect(throws: UsageError.self) { try ExecOverrides(try Arguments(argv + ["T"], spec: TaskCommand.spec)) }
            do { _ = try ExecOverrides(try Arguments(argv + ["T"], spec: TaskCommand.spec)) } catch {
                #expect(error.message.contains(option), "\(error.message)")
            }
        }
    }

    @Test func taskLsShowsPublishedPorts() {
        let task: JSONValue = ["containers": [
            ["name": "web", "networkBindings": [["bindIP": "0.0.0.0", "hostPort": 8080, "containerPort": 80, "protocol": "tcp"],
                                                ["bindIP": "::", "hostPort": 8080, "containerPort": 80, "protocol": "tcp"]]],
            ["name": "dns", "networkBindings": [["bindIP": "127.0.0.1", "hostPort": 5353, "containerPort": 53, "protocol": "udp"]]],
            ["name": "none"],
        ]]
        #expect(TaskCommand.ports(task) == "0.0.0.0:8080->80/tcp, [::]:8080->80/tcp, 127.0.0.1:5353->53/udp")
        #expect(TaskCommand.ports(["containers": [["name": "a", "networkBindings": []]]]) == "")
        let awsvpc: JSONValue = ["containers": [["name": "a", "networkInterfaces": [["privateIpv4Address": "127.0.3.4"]]],
                                                ["name": "b", "networkInterfaces": [["privateIpv4Address": "127.0.3.4"]]]]]
        #expect(TaskCommand.address(awsvpc) == "127.0.3.4")
        #expect(TaskCommand.address(task) == "")
        #expect(throws: UsageError.self) { try TaskCommand.list(["--all", "--desired-status", "STOPPED"]) }
    }

    @Test func theImageStoreIsImagesOnEveryVerbAndStoreStillWorks() throws {
        let spec = Arguments.Spec(options: ["--images"])
        #expect(try Arguments(["--store", "/x"], spec: spec).value("--images") == "/x")
        #expect(try Arguments(["--store=/y"], spec: spec).value("--images") == "/y")
        #expect(try Arguments(["--images", "/z"], spec: spec).value("--images") == "/z")
        // Not where --images is not an option.
        #expect(throws: UsageError.self) { try Arguments(["--store", "/x"], spec: Arguments.Spec(options: ["--other"])) }
    }

    @Test func runCallsItsRuntimeRootRunRootAsTheAgentDoes() {
        do { _ = try RunCommand.run(["--state-dir", "/tmp/x", "td.json"]); Issue.record("accepted") } catch let e as UsageError {
            #expect(e.message.contains("--run-root"))
        } catch { Issue.record("\(error)") }
    }
}
