import BerthJSON

/// Container health checks (§2.1).
enum HealthRules {
    static func check(_ c: ContainerContext) {
        guard let hc = c.container.healthCheck else { return }
        let p = c.path("healthCheck")
        if let command = hc.command { checkCommand(c, command, p / "command") }
        range(c, hc.interval, 5...300, p / "interval", "interval")
        range(c, hc.timeout, 2...60, p / "timeout", "timeout")
        range(c, hc.retries, 1...10, p / "retries", "retries")
        range(c, hc.startPeriod, 0...300, p / "startPeriod", "startPeriod")
    }

    private static func range(_ c: ContainerContext, _ value: Int?, _ r: ClosedRange<Int>, _ p: JSONPath, _ name: String) {
        if let value, !r.contains(value) {
            c.error(p, "healthCheck \(name) must be between \(r.lowerBound) and \(r.upperBound)\(name == "retries" ? "" : " seconds"), got \(value).")
        }
    }

    private static func checkCommand(_ c: ContainerContext, _ command: [String], _ p: JSONPath) {
        guard let first = command.first else {
            c.error(p, "healthCheck command should not be empty: use [\"CMD\", \"program\", \"args\"...] or [\"CMD-SHELL\", \"shell command\"].")
            return
        }
        switch first {
        case "CMD":
            if command.count < 2 || command[1].isEmpty { c.error(p, "healthCheck command [\"CMD\", ...] needs a program to run after \"CMD\".") }
        case "CMD-SHELL":
            if command.count != 2 || command[1].trimmingWhitespace().isEmpty {
                c.error(p, "healthCheck command [\"CMD-SHELL\", ...] takes exactly one shell command string after \"CMD-SHELL\".")
            }
        case "NONE":
            if command.count > 1 { c.error(p, "healthCheck command [\"NONE\"] takes no arguments.") }
        default:
            c.task.diag.warning(p / 0, "healthCheck command does not start with \"CMD\" or \"CMD-SHELL\"; it is run as [\"CMD\", ...] (the program is executed directly).")
        }
    }
}
