// berth-lb: run the load balancer data plane alone, from flags (Scripts/bench-lb.sh drives it).
//   berth-lb --listen HOST:PORT --kind http|tcp --target HOST:PORT [--target ...]
//            [--health-path PATH] [--algorithm round-robin|least-outstanding]
// Runs until killed.
import BerthLB
import Foundation

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("berth-lb: \(message)\n".utf8))
    exit(2)
}

func hostPort(_ text: String) -> (String, Int) {
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else { fail("\(text): expected HOST:PORT") }
    return (String(text[..<colon]), port)
}

var args = Array(CommandLine.arguments.dropFirst())
var listen: (String, Int)?
var kind = LBProtocol.http
var targets: [LBTarget] = []
var healthPath = "/"
var algorithm = LBAlgorithm.roundRobin
while !args.isEmpty {
    let flag = args.removeFirst()
    guard !args.isEmpty else { fail("\(flag) needs a value") }
    let value = args.removeFirst()
    switch flag {
    case "--listen": listen = hostPort(value)
    case "--kind":
        guard let k = LBProtocol(rawValue: value) else { fail("--kind must be http or tcp") }
        kind = k
    case "--target": let (h, p) = hostPort(value); targets.append(LBTarget(host: h, port: p))
    case "--health-path": healthPath = value
    case "--algorithm":
        switch value {
        case "least-outstanding": algorithm = .leastOutstanding
        case "round-robin": algorithm = .roundRobin
        default: fail("unknown algorithm \(value)")
        }
    default: fail("unknown flag \(flag)")
    }
}
guard let (host, port) = listen else { fail("--listen HOST:PORT is required") }
do {
    let lb = try LBDataPlane()
    let health = LBHealthCheck(protocolKind: kind, path: healthPath, intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2, matcher: "200-399")
    try lb.apply(listeners: [LBListenerSpec(id: "l", host: host, port: port, kind: kind, defaultGroup: "g")],
                 groups: [LBTargetGroupSpec(id: "g", protocolKind: kind, targets: targets, health: health, deregistrationDelaySeconds: 0, algorithm: algorithm)])
    FileHandle.standardOutput.write(Data("berth-lb: listening on \(host):\(lb.port(ofListener: "l") ?? port)\n".utf8))
    while true { sleep(3600) }
} catch {
    fail("\(error)")
}
