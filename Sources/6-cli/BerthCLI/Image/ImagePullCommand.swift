import BerthImages
import BerthOCI
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `berth image pull [--platform P] [--quiet] REF`.
enum ImagePullCommand {
    static let usage = """
        usage: berth image pull [--platform OS/ARCH[/VARIANT]] [--quiet] [options] REF
        Pulls REF (nginx, nginx:1.27, ghcr.io/o/app:v1, reg:5000/app@sha256:...) into the store.
        """ + "\n" + RegistryOptions.usage

    static func run(_ args: [String]) throws -> Int32 {
        if args.contains("--help") || args.contains("-h") { print(usage); return 0 }
        let a = try Arguments(args, spec: .init(flags: ["--quiet", "-q"], options: RegistryOptions.names.union(["--platform"])))
        guard a.positionals.count == 1 else { throw UsageError(a.positionals.isEmpty ? "missing REF" : "too many arguments") }
        let platform = try a.value("--platform").map { p throws(UsageError) in
            do throws(ImageError) { return try Platform(parsing: p) } catch { throw UsageError("option --platform: \(error.message)") }
        }
        let puller = try RegistryOptions.puller(a)
        let quiet = a.has("--quiet") || a.has("-q")
        let display = PullDisplay(mode: quiet ? .quiet : (isatty(2) == 1 ? .terminal : .lines))
        do throws(PullError) {
            let record = try puller.pull(a.positionals[0], options: PullOptions(platform: platform)) { display.update($0) }
            display.finish()
            if quiet {
                print(record.digest ?? record.id)
            } else {
                print("pulled \(record.name):\(record.tag) digest \(record.digest ?? "-") id \(record.id) (\(formatSize(record.size)))")
            }
            return 0
        } catch {
            display.finish()
            printErr("berth: pull failed: \(error.message)")
            return 1
        }
    }
}

/// Per-layer progress on stderr: redrawn lines with bytes and rate on a terminal, one line per
/// change of phase otherwise, nothing when quiet.
final class PullDisplay: @unchecked Sendable {
    enum Mode { case terminal, lines, quiet }
    let mode: Mode
    private let lock = NSLock()
    private var order: [String] = []
    private var state: [String: (phase: PullProgress.Phase, done: Int64, total: Int64?, started: Double)] = [:]
    private var drawn = 0
    private var lastDraw: Double = 0

    init(mode: Mode) { self.mode = mode }

    func update(_ p: PullProgress) {
        guard mode != .quiet, let digest = p.digest else { return }
        lock.lock()
        defer { lock.unlock() }
        let previous = state[digest]
        if previous == nil { order.append(digest) }
        state[digest] = (p.phase, p.completedBytes, p.totalBytes, previous?.started ?? Date().timeIntervalSince1970)
        switch mode {
        case .lines:
            if previous?.phase != p.phase { FileHandle.standardError.write(Data((line(digest) + "\n").utf8)) }
        case .terminal:
            let now = Date().timeIntervalSince1970
            if previous?.phase != p.phase || now - lastDraw > 0.1 { redraw(); lastDraw = now }
        case .quiet: break
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if mode == .terminal { redraw() }
    }

    private func redraw() {
        var out = drawn > 0 ? "\u{1b}[\(drawn)A" : ""
        for digest in order { out += "\r\u{1b}[2K" + line(digest) + "\n" }
        drawn = order.count
        FileHandle.standardError.write(Data(out.utf8))
    }

    private func line(_ digest: String) -> String {
        guard let s = state[digest] else { return "" }
        let short = String(digest.split(separator: ":").last?.prefix(12) ?? "")
        switch s.phase {
        case .downloading:
            let elapsed = max(0.001, Date().timeIntervalSince1970 - s.started)
            let total = s.total.map { " / " + formatSize($0) } ?? ""
            return "\(short): downloading \(formatSize(s.done))\(total) (\(formatSize(Int64(Double(s.done) / elapsed)))/s)"
        case .alreadyPresent: return "\(short): already present"
        case .verifying: return "\(short): downloaded \(formatSize(s.done)), verified"
        case .extracting: return "\(short): extracting"
        case .done: return "\(short): done (\(formatSize(s.total ?? s.done)))"
        default: return "\(short): \(s.phase.rawValue)"
        }
    }
}
