import BerthSys
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The files of one container under the runtime root (`/run/berth/<id>/`, mode 0700):
///   state.json    ContainerState written by create (status is derived when read)
///   exit.json     ExitInfo written by the monitor when PID 1 exits
///   exec.fifo     present between create and start
///   init.json     InitConfig for `berth init`
///   monitor.conf  the monitor's configuration
///   exec-*/       one directory per running `exec`
struct ContainerDir: Sendable {
    let root: String
    let id: String

    var path: String { root + "/" + id }
    var stateFile: String { path + "/state.json" }
    var exitFile: String { path + "/exit.json" }
    var execFifo: String { path + "/exec.fifo" }
    var initConfig: String { path + "/init.json" }
    var monitorConfig: String { path + "/monitor.conf" }
    /// Written by the monitor when init reports ready.
    var containerPidFile: String { path + "/container.pid" }

    var exists: Bool { Files.isDirectory(path) }

    func readState() throws -> ContainerState? {
        guard let bytes = try readIfPresent(stateFile) else { return nil }
        do {
            return try JSONDecoder().decode(ContainerState.self, from: Data(bytes))
        } catch {
            throw RuntimeError.sys(SysError("decode", errno: EINVAL, detail: "\(stateFile): \(error)"))
        }
    }

    /// The pid the monitor recorded at `ready`, or nil.
    func readContainerPid() -> Int32? {
        guard let bytes = try? readIfPresent(containerPidFile) else { return nil }
        return Int32(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: " \n"))
    }

    func readExit() -> ExitInfo? {
        guard let bytes = try? readIfPresent(exitFile) else { return nil }
        return try? JSONDecoder().decode(ExitInfo.self, from: Data(bytes))
    }

    func writeState(_ state: ContainerState) throws {
        try Files.writeAtomically(stateFile, try JSONCoding.encode(state), mode: 0o600)
    }

    private func readIfPresent(_ file: String) throws(SysError) -> [UInt8]? {
        do { return try Files.readBytes(file) } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
    }
}

/// JSON helpers shared by the runtime's state files.
enum JSONCoding {
    static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }
}
