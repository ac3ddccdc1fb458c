import BerthImages
import BerthJSON
import BerthCgroups
import BerthECS
import BerthOCI
import BerthRuntime
import BerthSecrets
import BerthSys
import BerthTasks
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// `berth run FILE`: one ECS task in the foreground, like `docker compose up` for one task.
struct RunCommand: CLICommand {
    static let name = "run"
    static let summary = "run one ECS task definition in the foreground (logs, Ctrl-C stops it)"
    static let usage = """
        usage: berth run [options] FILE

        Validates FILE (a RegisterTaskDefinition JSONValue document), starts its containers in dependsOn
        order, streams their output as `name | line`, and stops the task the ECS way on Ctrl-C or
        SIGTERM (SIGTERM, stopTimeout, SIGKILL; reverse dependency order). Ends with a summary of
        exit codes, reasons, stopCode and stoppedReason. Exit status: the first essential
        container's exit code; 2 if FILE is invalid (nothing is started); 1 if the task failed to start.

        options:
          --task-id ID       task id (default: 32 random hex digits)
          --run-root DIR     runtime state (default /run/berth; as berth agent --run-root)
          --data-dir DIR     task data: logs, volumes (default /var/lib/berth)
          --images DIR       image store (default /var/lib/berth/images)
          --pids-limit N     pids.max of every container: processes and threads it may have
                             (default 2048, as Podman; -1 or max: no limit)
          --pull POLICY      when to pull images from their registries: default (pull, and use
                             the cached image if that fails), always, once, prefer-cached
                             (Docker's missing), never (the local store only); default:
                             prefer-cached
          --registries FILE  mirrors and insecure registries (default /etc/berth/registries.json)
          --auth-file FILE   registry credentials, also the names repositoryCredentials refers
                             to (default /var/lib/berth/auth.json; `berth image login`)
          --certs-dir DIR    extra CA certificates, DIR/HOST[:PORT]/*.crt (default /etc/berth/certs.d)
          --secrets-dir DIR  the local Secrets Manager / Parameter Store that secrets[].valueFrom and
                             repositoryCredentials resolve against (default /var/lib/berth/secrets,
                             the agent's; fill it with `aws secretsmanager` / `aws ssm` on the agent)
          --explain          print each container's OCI spec (and its pids.max) before starting;
                             secret values show as <secret NAME from VALUEFROM>
          --quiet            no container output, only the summary
          --snapshot FILE    write the final task (containers, exit codes, reasons, stopCode) as JSONValue
          --task-role-credentials FILE
                             role ARN -> credentials, as berth agent takes it: a taskRoleArn's
                             containers get them from the task metadata endpoint, which every
                             container of the task reaches (ECS_CONTAINER_METADATA_URI_V4) while
                             berth run runs
          --adopt            with --task-id of a task whose `berth run` died (e.g. was SIGKILLed):
                             re-attach to its running containers instead of starting new ones
        """

    static func run(_ args: [String]) throws -> Int32 {
        if args.contains(where: { $0 == "--state-dir" || $0.hasPrefix("--state-dir=") }) {
            throw UsageError("option --state-dir: berth run calls its runtime state directory --run-root, as berth agent does (where --state-dir is the agent's own state)")
        }
        // Block SIGINT/SIGTERM/SIGHUP before any thread exists; they are read from a signalfd.
        let sigfd = [SIGINT, SIGTERM, SIGHUP].withUnsafeBufferPointer { berth_signalfd($0.baseAddress, Int32($0.count)) }
        // A closed stdout (`berth run ... | head`) must not kill berth before it has cleaned up.
        signal(SIGPIPE, SIG_IGN)
        let a = try Arguments(args, spec: .init(flags: ["--explain", "--quiet", "--adopt"],
                                                options: ["--task-id", "--run-root", "--data-dir", "--images", "--snapshot", "--time-scale", "--pids-limit", "--pull",
                                                          "--registries", "--auth-file", "--certs-dir", "--secrets-dir", "--task-role-credentials"]))
        let file = try a.positional(0, "FILE")
        let pidsLimit = try Self.pidsLimit(a)
        guard a.positionals.count == 1 else { throw UsageError("one task definition FILE at a time") }

        let bytes: [UInt8]
        do { bytes = try Files.readBytes(file) } catch {
            printErr("berth run: \(file): cannot read: \(error.message)")
            return 2
        }
        let report = ECSValidation.validateTaskDefinition(bytes: bytes)
        if let syntax = report.syntaxError {
            printErr("\(file):\(syntax.line):\(syntax.column): invalid JSON: \(syntax.message)")
            return 2
        }
        for p in report.problems { printErr("\(file): " + (p.isError ? "" : "warning: ") + "\(p.path): \(p.message)") }
        guard report.isValid, let td = report.definition else {
            printErr("berth run: \(file) is not a valid task definition (\(report.errors.count) problem\(report.errors.count == 1 ? "" : "s")); nothing was started")
            return 2
        }
        guard geteuid() == 0 else {
            printErr("berth run: must run as root (containers need namespaces, mounts and cgroups)")
            return 1
        }

        let taskId = a.value("--task-id") ?? randomTaskId()
        guard taskId.count <= 64, taskId.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }), taskId.first?.isLetter == true || taskId.first?.isNumber == true else {
            throw UsageError("option --task-id: \(taskId.debugDescription) must be 1-64 letters, digits, '-' or '_'")
        }
        let layout = TaskLayout(taskId: taskId, runRoot: a.value("--run-root") ?? "/run/berth", dataRoot: a.value("--data-dir") ?? "/var/lib/berth")
        let adopting = a.has("--adopt")
        if adopting {
            guard a.value("--task-id") != nil else { throw UsageError("--adopt needs --task-id of the task to re-attach to") }
            guard TaskRunner.record(layout) != nil else {
                printErr("berth run: no record of task \(taskId) in \(layout.taskDir) (nothing to adopt)")
                return 1
            }
        } else if Files.exists(layout.taskDir) {
            printErr("berth run: task \(taskId) already exists (\(layout.taskDir)); use --adopt to re-attach to it")
            return 1
        }
        let imagesRoot = a.value("--images") ?? ImageStore.defaultRoot
        let images = ImageStore(root: imagesRoot)
        let puller = try ImagePulls.makeImagePuller(imagesRoot: imagesRoot, args: a)
        let policy = try ImagePulls.policy(a.value("--pull"), option: "option --pull", registry: puller != nil)
        let berthPath = LinuxRuntime.currentExecutable()
        let reaper = berthPath.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/") + "/berth-reaper"
        var planner = TaskPlanner(images: images, layout: layout, initBinary: Files.exists(reaper) ? reaper : nil, pidsLimit: pidsLimit)
        // The task metadata endpoint (and task role credentials), served by this process.
        try Files.makeDirectories(layout.runRoot)
        let metadata = try RunMetadata(taskId: taskId, file: try JSONValue.parse(bytes: bytes), keyFile: layout.runRoot + "/metadata.key",
                                       roleCredentials: a.value("--task-role-credentials"))
        defer { metadata.close() }
        planner.extraEnvironment = metadata.environment(td)

        var plan: TaskPlan, preps: [ContainerPrep]
        var provisioned: ProvisionedImages? = nil
        let secretsDir = a.value("--secrets-dir") ?? SecretStore.defaultRoot
        let resolver = SecretResolver(store: SecretStore(root: secretsDir))
        do {
            // As ECS: secrets and registry auth before the images; adopting re-attaches to what
            // runs (its images are in the store already; a secret gone since leaves its variable
            // unset for a container restarted later).
            let secrets = adopting ? ((try? TaskSecrets.resolve(td, with: resolver)) ?? .none) : try TaskSecrets.resolve(td, with: resolver)
            provisioned = adopting ? nil : try pullImages(td, source: ImagePulls.source(
                imagesRoot: imagesRoot, dataRoot: layout.dataRoot, policy: policy, puller: puller), quiet: a.has("--quiet"), secrets: secrets)
            (plan, preps) = try planner.plan(td, provisioned: provisioned, secrets: secrets)
        } catch {
            printErr("berth run: task failed to start (TaskFailedToStart): \(error)")
            return 1
        }
        // Hidden, for tests: scale every engine duration (health interval/timeout/startPeriod,
        // startTimeout, stopTimeout, restartAttemptPeriod); user input was validated unscaled.
        if let raw = a.value("--time-scale") {
            guard let f = Double(raw), f > 0, f <= 1 else { throw UsageError("option --time-scale: \(raw) is not in (0, 1]") }
            plan = plan.scaled(by: f)
        }
        if a.has("--explain") { explain(preps, td) }

        let cgroups = try Cgroups.driver()
        var host = TaskHost(layout: layout, networkMode: td.effectiveNetworkMode, cgroups: cgroups,
                            resources: TaskPlanner.taskResources(td))
        host.ports = PublishedPort.from(td)
        let runtime = LinuxRuntime(root: layout.runRoot, cgroups: cgroups)
        let quiet = a.has("--quiet")
        let onEvent: @Sendable (TaskEvent) -> Void = { event in
            if !quiet || event.isProblem { printErr(eventLine(event)) }
        }
        let runner: TaskRunner
        if adopting, let record = TaskRunner.record(layout) {
            for i in plan.containers.indices {
                plan.containers[i].networkBindings = record.container(plan.containers[i].name)?.networkBindings ?? []
            }
            runner = TaskRunner(adopting: plan, record: record, runtime: runtime, host: host, onEvent: onEvent)
            printErr("berth: re-attached to task \(taskId) (\(record.lastStatus.rawValue))")
            if record.lastStatus != .stopped {
                do { try metadata.open(host) } catch { printErr("berth run: \(error)") }
            }
        } else {
            do {
                let published = try host.prepare(preps)
                plan.setNetworkBindings(published)
                try metadata.open(host)
                for p in published where !a.has("--quiet") {
                    printErr("berth: \(p.container): published \(p.bindIP):\(p.hostPort) -> \(p.containerPort)/\(p.protocol)")
                }
            } catch {
                for p in host.cleanup(containerNames: plan.containers.map(\.name)) { printErr("berth run: cleanup: \(p)") }
                printErr("berth run: task failed to start (TaskFailedToStart): \(error)")
                return 1
            }
            runner = TaskRunner(plan: plan, runtime: runtime, host: host, onEvent: onEvent)
        }
        metadata.attach(runner: runner, td: td, layout: layout, images: images, provisioned: provisioned, runtime: runtime, cgroups: cgroups,
                        pidsLimit: pidsLimit)
        let names = plan.containers.map(\.name)
        let follower = LogFollower(names.flatMap { [($0, layout.stdoutLog($0)), ($0, layout.stderrLog($0))] })
        let printer = LogPrinter(containers: names, color: isatty(1) == 1)
        runner.start()
        var interrupts = 0
        while true {
            if !quiet { for line in follower.poll() { print(printer.format(line)) } }
            fflush(nil)
            if runner.snapshot().lastStatus == .stopped && runner.isDone { break }
            if waitSignal(sigfd, timeoutMs: 50) {
                interrupts += 1
                if interrupts == 1 {
                    printErr("berth run: stopping task \(taskId) (SIGTERM, then SIGKILL after each container's stopTimeout); Ctrl-C again to kill now")
                    runner.stop(.userInitiated, reason: ECSText.userStopped)
                } else {
                    runner.killNow()
                }
            }
        }
        let final = runner.wait()
        if !quiet { for line in follower.finish() { print(printer.format(line)) } }
        // Every container line (stdout, buffered when it is a pipe) before the summary (stderr).
        fflush(nil)
        for p in runner.cleanupErrors { printErr("berth run: cleanup: \(p)") }
        printSummary(final)
        if let path = a.value("--snapshot") {
            try Files.writeAtomically(path, final.jsonValue.encoderStyleBytes())
        }
        return exitStatus(final)
    }

    /// The task's images as the pull policy says, with a line per pull on stderr.
    static func pullImages(_ td: TaskDefinitionInput, source: TaskImageSource, quiet: Bool, secrets: TaskSecrets) throws -> ProvisionedImages {
        let started = source.clock()
        let out = try source.provision(td, willPull: { reference in
            if !quiet { printErr("berth: pulling \(reference)") }
        }, secrets: secrets)
        if !quiet, let end = out.pullStoppedAt {
            printErr("berth: images pulled in \(Int(((end - started) * 1000).rounded())) ms")
        }
        for reference in out.fellBack { printErr("berth: pulling \(reference) failed; using the cached image") }
        return out
    }

    /// `--pids-limit` of `berth run` and `berth agent` (`PidsLimit`).
    static func pidsLimit(_ a: Arguments) throws(UsageError) -> Int64 {
        guard let raw = a.value("--pids-limit") else { return PidsLimit.defaultLimit }
        switch PidsLimit.parse(raw) {
        case .success(let n): return n
        case .failure(let e): throw UsageError("option \(e.path): \(e.message)")
        }
    }

    static func randomTaskId() -> String {
        (0..<32).map { _ in String(Int.random(in: 0..<16), radix: 16) }.joined()
    }

    /// True if a signal arrived within the timeout.
    static func waitSignal(_ fd: Int32, timeoutMs: Int32) -> Bool {
        guard fd >= 0 else { usleep(UInt32(timeoutMs) * 1000); return false }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, timeoutMs) > 0 else { return false }
        var info = [UInt8](repeating: 0, count: 128)
        return Glibc.read(fd, &info, 128) == 128
    }

    static func eventLine(_ e: TaskEvent) -> String {
        "berth: " + (e.container.map { "\($0): " } ?? "task ") + e.message
    }

    /// Each container's spec, with the values of its secrets replaced by where they come from.
    static func explain(_ preps: [ContainerPrep], _ td: TaskDefinitionInput) {
        for (i, var p) in preps.enumerated() {
            let secrets = i < td.containers.count ? td.containers[i].secrets ?? [] : []
            let env = p.plan.spec.process?.env?.map { entry in
                let name = String(entry.prefix { $0 != "=" })
                guard let s = secrets.last(where: { $0.name == name }) else { return entry }
                return "\(name)=<secret \(name) from \(s.valueFrom ?? "")>"
            }
            p.plan.spec.process?.env = env
            let pids = p.plan.spec.linux?.resources?.pids.map { $0.limit == PidsLimit.unlimited ? "max" : String($0.limit) } ?? "unset"
            print("# container \(p.plan.name): essential=\(p.plan.essential) stopTimeout=\(Int(p.plan.stopTimeout))s pids.max=\(pids) lowerdirs=\(p.lowerDirs.joined(separator: ":"))")
            if let seccomp = p.plan.spec.linux?.seccomp {
                print("# seccomp: " + DockerSeccomp.summary(seccomp, bounding: p.plan.spec.process?.capabilities?.bounding ?? []))
            } else {
                print("# seccomp: none")
            }
            print(String(decoding: p.plan.spec.jsonValue.encoderStyleBytes(escapingSlashes: false), as: UTF8.self))
        }
    }

    static func printSummary(_ s: TaskSnapshot) {
        var rows = [["CONTAINER", "ESSENTIAL", "STATUS", "EXIT", "HEALTH", "RESTARTS", "REASON"]]
        for c in s.containers {
            rows.append([c.name, c.essential ? "yes" : "no", c.lastStatus.rawValue, c.exitCode.map(String.init) ?? "-",
                         c.healthStatus.rawValue, String(c.restartCount), c.reason ?? ""])
        }
        printErr("")
        for line in tableLines(rows) { printErr(line) }
        printErr("task \(s.taskId): \(s.lastStatus.rawValue), stopCode \(s.stopCode?.rawValue ?? "-"), stoppedReason \"\(s.stoppedReason ?? "")\"")
    }

    /// docker run convention: the exit code of the essential container that ended the task, else
    /// the first essential container's.
    static func exitStatus(_ s: TaskSnapshot) -> Int32 {
        if s.stopCode == .taskFailedToStart && s.containers.allSatisfy({ $0.startedAt == nil }) { return 1 }
        if let name = s.stoppedByContainer, let c = s.container(name), let code = c.exitCode { return code }
        guard let first = s.containers.first(where: \.essential) else { return 0 }
        return first.exitCode ?? 1
    }
}

func tableLines(_ rows: [[String]]) -> [String] {
    guard let first = rows.first else { return [] }
    var widths = [Int](repeating: 0, count: first.count)
    for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
    return rows.map { r in
        r.enumerated().map { i, c in i == r.count - 1 ? c : c + String(repeating: " ", count: widths[i] - c.count + 3) }.joined()
    }
}
