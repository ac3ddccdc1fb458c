import BerthInit
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The files of one container under the runtime root (`/run/berth/<id>/`, mode 0700):
///   state.json    ContainerState written by create (status is derived when read)
///   exit.json     ExitInfo written by the monitor when PID 1 exits
///   exec.fifo     present between create and start
///   init.json     InitConfig for `berth-init`
///   exec-*/       one directory per running `exec`
struct ContainerDir: Sendable {
    let root: String
    let id: String

    var path: String { root + "/" + id }
    var stateFile: String { path + "/state.json" }
    var exitFile: String { path + "/exit.json" }
    var execFifo: String { path + "/exec.fifo" }
    var initConfig: String { path + "/init.json" }
    /// Written by the monitor when init reports ready.
    var containerPidFile: String { path + "/container.pid" }

    var exists: Bool { Files.isDirectory(path) }

    func readState() throws -> ContainerState? {
        guard let bytes = try readIfPresent(stateFile) else { return nil }
        do {
            return try ContainerState.decode(json: bytes)
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
        return try? ExitInfo.decode(json: bytes)
    }

    func writeState(_ state: ContainerState) throws {
        try StateFile.replace(stateFile, state.jsonValue.serializedBytes(sortedKeys: true))
    }

    private func readIfPresent(_ file: String) throws(SysError) -> [UInt8]? {
        do { return try Files.readBytes(file) } catch {
            if error.errno == ENOENT { return nil }
            throw error
        }
    }
}

/// Files of the runtime's state directory. They live on tmpfs (/run) and, like the containers
/// they describe, do not survive a reboot; so no fsync (which only guards against power loss and
/// costs a disk flush per write where /run is disk-backed). A rename still makes every replace
/// atomic for readers and against a crash of the writer. The monitor writes exit.json the same way.
enum StateFile {
    /// Write a new file that nobody reads before the writer is done (O_EXCL: never reuse one).
    static func create(_ path: String, _ bytes: [UInt8]) throws(SysError) {
        let fd = try FileDescriptor.open(path, O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
        defer { fd.close() }
        try fd.writeAll(bytes)
    }

    /// Atomically replace `path` (write a temporary file next to it, put it in place). An existing
    /// file is swapped with the new one (renameat2 RENAME_EXCHANGE) and the old one unlinked: a
    /// rename over an existing file makes ext4 (auto_da_alloc) start writing the new file's data
    /// out at once, and whoever unlinks it later (`delete`) waits for that I/O, 0.3-3 ms per
    /// container where /run is on ext4. Readers see the old or the new file either way.
    static func replace(_ path: String, _ bytes: [UInt8]) throws(SysError) {
        let tmp = Files.temporaryName(for: path)
        do { try create(tmp, bytes) } catch {
            unlink(tmp)
            throw error
        }
        if berth_rename_exchange(tmp, path) == 0 {
            unlink(tmp)
            return
        }
        // No such file yet, or a file system without RENAME_EXCHANGE: a plain rename.
        try Sys.call("rename", detail: "\(tmp) to \(path)") { rename(tmp, path) }
    }
}
