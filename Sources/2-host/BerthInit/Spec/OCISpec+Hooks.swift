import BerthJSON

extension Spec {
    /// `hooks` (runtime-spec config.md "POSIX-platform Hooks"): programs run at points of the
    /// lifecycle with the container's state on stdin. Where each kind runs: Docs/init.md "Hooks".
    public struct Hooks: Codable, Sendable, Equatable {
        /// Deprecated; run by the runtime before `createRuntime`, in the runtime's namespaces.
        public var prestart: [Hook]?
        /// Run by the runtime once the container's namespaces and mounts exist, before pivot_root.
        public var createRuntime: [Hook]?
        /// Run by init in the container's namespaces after the mounts, before pivot_root.
        public var createContainer: [Hook]?
        /// Run by init inside the container after `start`, just before the process execs.
        public var startContainer: [Hook]?
        /// Run by the runtime after the process exec'd, before `start` returns.
        public var poststart: [Hook]?
        /// Run by the runtime after the container is destroyed, before `delete` returns.
        public var poststop: [Hook]?

        public init(prestart: [Hook]? = nil, createRuntime: [Hook]? = nil, createContainer: [Hook]? = nil,
                    startContainer: [Hook]? = nil, poststart: [Hook]? = nil, poststop: [Hook]? = nil) {
            self.prestart = prestart
            self.createRuntime = createRuntime
            self.createContainer = createContainer
            self.startContainer = startContainer
            self.poststart = poststart
            self.poststop = poststop
        }

        public var isEmpty: Bool {
            [prestart, createRuntime, createContainer, startContainer, poststart, poststop].allSatisfy { ($0 ?? []).isEmpty }
        }
    }

    /// One hook: `path` (absolute) run with `args` (argv, `[path]` when absent) and exactly `env`,
    /// killed after `timeout` seconds if given.
    public struct Hook: Codable, Sendable, Equatable {
        public var path: String
        public var args: [String]?
        public var env: [String]?
        public var timeout: Int?

        public init(path: String, args: [String]? = nil, env: [String]? = nil, timeout: Int? = nil) {
            self.path = path
            self.args = args
            self.env = env
            self.timeout = timeout
        }
    }
}

extension Spec.Hooks: JSONRecord {
    public static let blank = Spec.Hooks()
    public static let members: [JSONMember<Spec.Hooks>] = [
        .optional("prestart", { $1(&$0.prestart) }), .optional("createRuntime", { $1(&$0.createRuntime) }),
        .optional("createContainer", { $1(&$0.createContainer) }), .optional("startContainer", { $1(&$0.startContainer) }),
        .optional("poststart", { $1(&$0.poststart) }), .optional("poststop", { $1(&$0.poststop) }),
    ]
}

extension Spec.Hook: JSONRecord {
    public static let blank = Spec.Hook(path: "")
    public static let members: [JSONMember<Spec.Hook>] = [
        .required("path", { $1(&$0.path) }), .optional("args", { $1(&$0.args) }), .optional("env", { $1(&$0.env) }),
        .optional("timeout", { $1(&$0.timeout) }),
    ]
}
