import BerthJSON
import BerthSys

extension TaskLayout {
    /// The task's final record, kept with its logs until the task is released.
    public var finalRecordPath: String { "\(dataDir)/task.json" }
}

extension TaskRunner {
    /// The final record, kept with the logs (the runtime directory goes with the cleanup), so a
    /// task that ended just before its agent went down is still reported with its exit codes.
    func persistFinal(_ snapshot: TaskSnapshot) {
        guard let host, Files.isDirectory(host.layout.dataDir) else { return }
        try? Files.writeAtomically(host.layout.finalRecordPath, snapshot.recordBytes)
    }

    /// The final record of a task that ended (see `persistFinal`), if it is still kept.
    public static func finalRecord(_ layout: TaskLayout) -> TaskSnapshot? {
        guard let bytes = try? Files.readBytes(layout.finalRecordPath) else { return nil }
        return try? TaskSnapshot.read(json: bytes)
    }
}
