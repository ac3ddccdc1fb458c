
/// The OCI runtime-spec 1.x `config.json` subset Berth honours. Unknown fields are ignored on
/// decode (as runc does); fields Berth cannot honour are rejected by `SpecValidator` with their path.
public struct Spec: Codable, Sendable, Equatable {
    public var ociVersion: String
    public var process: Process?
    public var root: Root?
    public var hostname: String?
    public var domainname: String?
    public var mounts: [Mount]?
    public var linux: Linux?
    public var annotations: [String: String]?
    /// Lifecycle hooks (OCISpec+Hooks.swift).
    public var hooks: Hooks? = nil

    public init(ociVersion: String = "1.0.2", process: Process? = nil, root: Root? = nil, hostname: String? = nil,
                domainname: String? = nil, mounts: [Mount]? = nil, linux: Linux? = nil, annotations: [String: String]? = nil) {
        self.ociVersion = ociVersion
        self.process = process
        self.root = root
        self.hostname = hostname
        self.domainname = domainname
        self.mounts = mounts
        self.linux = linux
        self.annotations = annotations
    }

    public struct Process: Codable, Sendable, Equatable {
        public var terminal: Bool?
        public var user: User
        public var args: [String]
        public var env: [String]?
        public var cwd: String
        public var capabilities: Capabilities?
        public var rlimits: [Rlimit]?
        public var noNewPrivileges: Bool?
        public var oomScoreAdj: Int?

        public init(terminal: Bool? = nil, user: User = User(), args: [String], env: [String]? = nil, cwd: String = "/",
                    capabilities: Capabilities? = nil, rlimits: [Rlimit]? = nil, noNewPrivileges: Bool? = nil, oomScoreAdj: Int? = nil) {
            self.terminal = terminal
            self.user = user
            self.args = args
            self.env = env
            self.cwd = cwd
            self.capabilities = capabilities
            self.rlimits = rlimits
            self.noNewPrivileges = noNewPrivileges
            self.oomScoreAdj = oomScoreAdj
        }
    }

    public struct User: Codable, Sendable, Equatable {
        public var uid: UInt32
        public var gid: UInt32
        public var umask: UInt32?
        public var additionalGids: [UInt32]?
        /// Berth extension (not in runtime-spec): a user name or "name:group" resolved in the
        /// rootfs's /etc/passwd and /etc/group at start, as ECS's `user` field needs.
        public var username: String?

        public init(uid: UInt32 = 0, gid: UInt32 = 0, umask: UInt32? = nil, additionalGids: [UInt32]? = nil, username: String? = nil) {
            self.uid = uid
            self.gid = gid
            self.umask = umask
            self.additionalGids = additionalGids
            self.username = username
        }
    }

    public struct Capabilities: Codable, Sendable, Equatable {
        public var bounding: [String]?
        public var effective: [String]?
        public var inheritable: [String]?
        public var permitted: [String]?
        public var ambient: [String]?

        public init(bounding: [String]? = nil, effective: [String]? = nil, inheritable: [String]? = nil,
                    permitted: [String]? = nil, ambient: [String]? = nil) {
            self.bounding = bounding
            self.effective = effective
            self.inheritable = inheritable
            self.permitted = permitted
            self.ambient = ambient
        }
    }

    public struct Rlimit: Codable, Sendable, Equatable {
        public var type: String
        public var soft: UInt64
        public var hard: UInt64
        public init(type: String, soft: UInt64, hard: UInt64) {
            self.type = type
            self.soft = soft
            self.hard = hard
        }
    }

    public struct Root: Codable, Sendable, Equatable {
        public var path: String
        public var readonly: Bool?
        public init(path: String, readonly: Bool? = nil) {
            self.path = path
            self.readonly = readonly
        }
    }

    public struct Mount: Codable, Sendable, Equatable {
        public var destination: String
        public var type: String?
        public var source: String?
        public var options: [String]?
        public init(destination: String, type: String? = nil, source: String? = nil, options: [String]? = nil) {
            self.destination = destination
            self.type = type
            self.source = source
            self.options = options
        }
    }

    public struct Linux: Codable, Sendable, Equatable {
        public var namespaces: [Namespace]?
        public var resources: Resources?
        public var cgroupsPath: String?
        public var maskedPaths: [String]?
        public var readonlyPaths: [String]?
        public var rootfsPropagation: String?
        public var sysctl: [String: String]?
        /// Device nodes to create in the container (Docs/init.md "Devices").
        public var devices: [Device]?
        /// The seccomp filter, compiled by the runtime and loaded by init (Docs/init.md).
        public var seccomp: Seccomp?
        /// User namespace mappings (need a new `user` namespace; Docs/init.md "User namespaces").
        public var uidMappings: [IDMapping]?
        public var gidMappings: [IDMapping]?

        public init(namespaces: [Namespace]? = nil, resources: Resources? = nil, cgroupsPath: String? = nil,
                    maskedPaths: [String]? = nil, readonlyPaths: [String]? = nil, rootfsPropagation: String? = nil,
                    sysctl: [String: String]? = nil, devices: [Device]? = nil, seccomp: Seccomp? = nil) {
            self.devices = devices
            self.seccomp = seccomp
            self.namespaces = namespaces
            self.resources = resources
            self.cgroupsPath = cgroupsPath
            self.maskedPaths = maskedPaths
            self.readonlyPaths = readonlyPaths
            self.rootfsPropagation = rootfsPropagation
            self.sysctl = sysctl
        }
    }

    /// `linux.uidMappings[]` / `gidMappings[]`: `size` ids from `containerID` map to `hostID`.
    public struct IDMapping: Codable, Sendable, Equatable {
        public var containerID: UInt32
        public var hostID: UInt32
        public var size: UInt32
        public init(containerID: UInt32, hostID: UInt32, size: UInt32) {
            self.containerID = containerID
            self.hostID = hostID
            self.size = size
        }
    }

    public struct Namespace: Codable, Sendable, Equatable {
        /// pid, network, mount, ipc, uts, user, cgroup, time
        public var type: String
        /// Join the namespace at this path instead of creating one.
        public var path: String?
        public init(type: String, path: String? = nil) {
            self.type = type
            self.path = path
        }
    }

    /// `linux.devices[]`: a device node for /dev.
    public struct Device: Codable, Sendable, Equatable {
        public var path: String
        public var type: String
        public var major: Int64?
        public var minor: Int64?
        /// Permission bits of the node (default 0666 as runc; only 0...0o777).
        public var fileMode: UInt32?
        public var uid: UInt32?
        public var gid: UInt32?
        public init(path: String, type: String, major: Int64? = nil, minor: Int64? = nil) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
        }
        public init(path: String, type: String, major: Int64?, minor: Int64?, fileMode: UInt32?, uid: UInt32?, gid: UInt32?) {
            self.init(path: path, type: type, major: major, minor: minor)
            self.fileMode = fileMode
            self.uid = uid
            self.gid = gid
        }
    }

    /// `linux.resources.devices[]`: one rule of the device cgroup's allow list.
    public struct DeviceCgroup: Codable, Sendable, Equatable {
        public var allow: Bool
        /// a (default), c or b.
        public var type: String?
        /// null: any.
        public var major: Int64?
        public var minor: Int64?
        /// r, w, m; default rwm.
        public var access: String?
        public init(allow: Bool, type: String? = nil, major: Int64? = nil, minor: Int64? = nil, access: String? = nil) {
            self.allow = allow
            self.type = type
            self.major = major
            self.minor = minor
            self.access = access
        }
    }

    public struct Resources: Codable, Sendable, Equatable {
        public var memory: Memory?
        public var cpu: CPU?
        public var pids: Pids?
        public var devices: [DeviceCgroup]?
        public init(memory: Memory? = nil, cpu: CPU? = nil, pids: Pids? = nil, devices: [DeviceCgroup]? = nil) {
            self.devices = devices
            self.memory = memory
            self.cpu = cpu
            self.pids = pids
        }
    }

    public struct Memory: Codable, Sendable, Equatable {
        public var limit: Int64?
        public var reservation: Int64?
        public var swap: Int64?
        public init(limit: Int64? = nil, reservation: Int64? = nil, swap: Int64? = nil) {
            self.limit = limit
            self.reservation = reservation
            self.swap = swap
        }
    }

    public struct CPU: Codable, Sendable, Equatable {
        public var shares: UInt64?
        public var quota: Int64?
        public var period: UInt64?
        public init(shares: UInt64? = nil, quota: Int64? = nil, period: UInt64? = nil) {
            self.shares = shares
            self.quota = quota
            self.period = period
        }
    }

    public struct Pids: Codable, Sendable, Equatable {
        public var limit: Int64
        public init(limit: Int64) { self.limit = limit }
    }
}
