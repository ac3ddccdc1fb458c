/// Every top-level command, in the order `berth help` lists them. One line per command file.
enum Commands {
    static let all: [any CLICommand.Type] = [
        VersionCommand.self,
        ValidateCommand.self,
        RunCommand.self,
        ImageCommand.self,
        CgroupCommand.self,
        OCICommand.self,
        AgentCommand.self,
        TaskCommand.self,
        TaskDefCommand.self,
        ClusterCommand.self,
        ServiceCommand.self,
    ]
}

struct VersionCommand: CLICommand {
    static let name = "version"
    static let summary = "print Berth's version"
    static let usage = "usage: berth version"
    static func run(_ args: [String]) throws -> Int32 {
        print("berth \(berthVersion)")
        return 0
    }
}

public let berthVersion = "0.1.0"
