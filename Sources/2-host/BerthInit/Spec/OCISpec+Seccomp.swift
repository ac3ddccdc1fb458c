import BerthJSON

extension Spec {
    /// `linux.seccomp` (runtime-spec config-linux.md "Seccomp"). The runtime compiles it to a BPF
    /// program (BerthRuntime `SeccompCompiler`); init only loads the compiled bytes.
    public struct Seccomp: Codable, Sendable, Equatable {
        public var defaultAction: String
        public var defaultErrnoRet: UInt32?
        public var architectures: [String]?
        public var flags: [String]?
        public var listenerPath: String?
        public var listenerMetadata: String?
        public var syscalls: [SeccompSyscall]?

        public init(defaultAction: String, defaultErrnoRet: UInt32? = nil, architectures: [String]? = nil,
                    flags: [String]? = nil, listenerPath: String? = nil, listenerMetadata: String? = nil,
                    syscalls: [SeccompSyscall]? = nil) {
            self.defaultAction = defaultAction
            self.defaultErrnoRet = defaultErrnoRet
            self.architectures = architectures
            self.flags = flags
            self.listenerPath = listenerPath
            self.listenerMetadata = listenerMetadata
            self.syscalls = syscalls
        }
    }

    /// `linux.seccomp.syscalls[]`: an action for the named calls, optionally only when `args` match.
    public struct SeccompSyscall: Codable, Sendable, Equatable {
        public var names: [String]
        public var action: String
        public var errnoRet: UInt32?
        public var args: [SeccompArg]?

        public init(names: [String], action: String, errnoRet: UInt32? = nil, args: [SeccompArg]? = nil) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
        }
    }

    /// `linux.seccomp.syscalls[].args[]`: compare argument `index` with `value` (`op`: SCMP_CMP_*).
    public struct SeccompArg: Codable, Sendable, Equatable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64?
        public var op: String

        public init(index: UInt32, value: UInt64, valueTwo: UInt64? = nil, op: String) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }
}

extension Spec.Seccomp: JSONRecord {
    public static let blank = Spec.Seccomp(defaultAction: "")
    public static let members: [JSONMember<Spec.Seccomp>] = [
        .required("defaultAction", { $1(&$0.defaultAction) }), .optional("defaultErrnoRet", { $1(&$0.defaultErrnoRet) }),
        .optional("architectures", { $1(&$0.architectures) }), .optional("flags", { $1(&$0.flags) }),
        .optional("listenerPath", { $1(&$0.listenerPath) }), .optional("listenerMetadata", { $1(&$0.listenerMetadata) }),
        .optional("syscalls", { $1(&$0.syscalls) }),
    ]
}

extension Spec.SeccompSyscall: JSONRecord {
    public static let blank = Spec.SeccompSyscall(names: [], action: "")
    public static let members: [JSONMember<Spec.SeccompSyscall>] = [
        .required("names", { $1(&$0.names) }), .required("action", { $1(&$0.action) }),
        .optional("errnoRet", { $1(&$0.errnoRet) }), .optional("args", { $1(&$0.args) }),
    ]
}

extension Spec.SeccompArg: JSONRecord {
    public static let blank = Spec.SeccompArg(index: 0, value: 0, op: "")
    public static let members: [JSONMember<Spec.SeccompArg>] = [
        .required("index", { $1(&$0.index) }), .required("value", { $1(&$0.value) }), .optional("valueTwo", { $1(&$0.valueTwo) }),
        .required("op", { $1(&$0.op) }),
    ]
}
