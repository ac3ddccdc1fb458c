import BerthSys

/// A compiled seccomp program as init loads it: the runtime compiles `linux.seccomp` (BerthRuntime
/// `SeccompCompiler`, libseccomp) and init only reads the bytes (`InitConfig.seccomp`), so
/// berth-init does not link libseccomp.
public struct SeccompFilter: Sendable, Equatable {
    /// struct sock_filter[], 8 bytes each, host byte order (seccomp_export_bpf).
    public var program: [UInt8]
    /// SECCOMP_FILTER_FLAG_* for seccomp(2).
    public var flags: UInt32

    public var instructions: Int { program.count / 8 }

    public init(program: [UInt8], flags: UInt32) throws(InitError) {
        guard !program.isEmpty, program.count % 8 == 0, program.count / 8 <= 4096 else {
            throw InitError("seccomp", "compiled program of \(program.count) bytes is not 1...4096 BPF instructions")
        }
        self.program = program
        self.flags = flags
    }

    /// Reads the program `InitConfig.seccomp` names (a host path: read before any namespace).
    public static func load(_ ref: InitConfig.SeccompProgram?) throws -> SeccompFilter? {
        guard let ref else { return nil }
        let bytes: [UInt8]
        do { bytes = try Files.readBytes(ref.path) } catch { throw InitError("seccomp", "\(ref.path): \(error)") }
        return try SeccompFilter(program: bytes, flags: ref.flags)
    }
}
