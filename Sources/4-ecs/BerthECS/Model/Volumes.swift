import BerthJSON

/// Task volumes and their cloud/host configurations.

public struct HostVolumeProperties: JSONShape, Sendable, Equatable {
    public var sourcePath: String?
    public init(sourcePath: String? = nil) { self.sourcePath = sourcePath }
    public init(reading r: ObjectReader) { sourcePath = r("sourcePath") }
    public func write(to w: inout ObjectWriter) { w.set("sourcePath", sourcePath) }
}

public struct DockerVolumeConfiguration: JSONShape, Sendable, Equatable {
    public var scope: Scope?
    public var autoprovision: Bool?
    public var driver: String?
    public var driverOpts: [String: String]?
    public var labels: [String: String]?
    public init(scope: Scope? = nil) { self.scope = scope }
    public init(reading r: ObjectReader) {
        scope = r("scope"); autoprovision = r("autoprovision"); driver = r("driver"); driverOpts = r("driverOpts"); labels = r("labels")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("scope", scope); w.set("autoprovision", autoprovision); w.set("driver", driver)
        w.set("driverOpts", driverOpts); w.set("labels", labels)
    }
}

public struct EFSAuthorizationConfig: JSONShape, Sendable, Equatable {
    public var accessPointId: String?
    public var iam: EFSAuthorizationConfigIAM?
    public init() {}
    public init(reading r: ObjectReader) { accessPointId = r("accessPointId"); iam = r("iam") }
    public func write(to w: inout ObjectWriter) { w.set("accessPointId", accessPointId); w.set("iam", iam) }
}

public struct EFSVolumeConfiguration: JSONShape, Sendable, Equatable {
    public var fileSystemId: String?
    public var rootDirectory: String?
    public var transitEncryption: EFSTransitEncryption?
    public var transitEncryptionPort: Int?
    public var authorizationConfig: EFSAuthorizationConfig?
    public init() {}
    public init(reading r: ObjectReader) {
        fileSystemId = r.required("fileSystemId"); rootDirectory = r("rootDirectory"); transitEncryption = r("transitEncryption")
        transitEncryptionPort = r("transitEncryptionPort"); authorizationConfig = r("authorizationConfig")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("fileSystemId", fileSystemId); w.set("rootDirectory", rootDirectory); w.set("transitEncryption", transitEncryption)
        w.set("transitEncryptionPort", transitEncryptionPort); w.set("authorizationConfig", authorizationConfig)
    }
}

public struct FSxWindowsFileServerAuthorizationConfig: JSONShape, Sendable, Equatable {
    public var credentialsParameter: String?
    public var domain: String?
    public init() {}
    public init(reading r: ObjectReader) { credentialsParameter = r.required("credentialsParameter"); domain = r.required("domain") }
    public func write(to w: inout ObjectWriter) { w.set("credentialsParameter", credentialsParameter); w.set("domain", domain) }
}

public struct FSxWindowsFileServerVolumeConfiguration: JSONShape, Sendable, Equatable {
    public var fileSystemId: String?
    public var rootDirectory: String?
    public var authorizationConfig: FSxWindowsFileServerAuthorizationConfig?
    public init() {}
    public init(reading r: ObjectReader) {
        fileSystemId = r.required("fileSystemId"); rootDirectory = r.required("rootDirectory")
        authorizationConfig = r.required("authorizationConfig")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("fileSystemId", fileSystemId); w.set("rootDirectory", rootDirectory); w.set("authorizationConfig", authorizationConfig)
    }
}

public struct Volume: JSONShape, Sendable, Equatable {
    public var name: String?
    public var host: HostVolumeProperties?
    public var dockerVolumeConfiguration: DockerVolumeConfiguration?
    public var efsVolumeConfiguration: EFSVolumeConfiguration?
    /// S3 Files volumes (newer than most tooling): kept as given and echoed.
    public var s3filesVolumeConfiguration: JSONValue?
    public var fsxWindowsFileServerVolumeConfiguration: FSxWindowsFileServerVolumeConfiguration?
    public var configuredAtLaunch: Bool?
    public init(name: String? = nil, host: HostVolumeProperties? = nil) { self.name = name; self.host = host }
    public init(reading r: ObjectReader) {
        name = r("name"); host = r("host"); dockerVolumeConfiguration = r("dockerVolumeConfiguration")
        efsVolumeConfiguration = r("efsVolumeConfiguration"); s3filesVolumeConfiguration = r.rawObject("s3filesVolumeConfiguration")
        fsxWindowsFileServerVolumeConfiguration = r("fsxWindowsFileServerVolumeConfiguration"); configuredAtLaunch = r("configuredAtLaunch")
    }
    public func write(to w: inout ObjectWriter) {
        w.set("name", name); w.set("host", host); w.set("dockerVolumeConfiguration", dockerVolumeConfiguration)
        w.set("efsVolumeConfiguration", efsVolumeConfiguration); w.set("s3filesVolumeConfiguration", s3filesVolumeConfiguration)
        w.set("fsxWindowsFileServerVolumeConfiguration", fsxWindowsFileServerVolumeConfiguration)
        w.set("configuredAtLaunch", configuredAtLaunch)
    }

    /// What Berth does with this volume.
    public enum Kind: Sendable, Equatable {
        /// Bind mount of a host path (`sourcePath` cleaned lexically, see `HostPath`).
        case hostPath(String)
        /// A directory Berth creates for the task and removes when it stops (`host: {}`, name only,
        /// or a docker volume with scope `task`).
        case taskScoped
        /// A named local volume that outlives the task (docker volume with scope `shared`).
        case shared
        /// EFS, FSx, S3 Files or configuredAtLaunch (EBS): not available on one host.
        case cloudOnly
    }

    public var kind: Kind {
        if efsVolumeConfiguration != nil || fsxWindowsFileServerVolumeConfiguration != nil
            || s3filesVolumeConfiguration != nil || configuredAtLaunch == true
        {
            return .cloudOnly
        }
        if let path = host?.sourcePath, !path.isEmpty { return .hostPath(HostPath.clean(path)) }
        if dockerVolumeConfiguration?.scope == .shared { return .shared }
        return .taskScoped
    }
}
