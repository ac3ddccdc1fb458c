/// The seam between init's setup order and the kernel (Docs/init.md, "Syscall seam"): every
/// call that changes mounts, the root, namespaces or credentials goes through one of these
/// protocols. `LinuxSyscalls` is the real implementation (thin wrappers over the C shim through
/// `Sys.call`, so errors keep stage and errno); the unit tests drive the same setup code with a
/// recording double that can fail any call. Passed down as a generic parameter: no extra calls.
public typealias InitSyscalls = MountSyscalls & NamespaceSyscalls & CredentialSyscalls

/// The real calls.
public struct LinuxSyscalls {
    public init() {}
}
