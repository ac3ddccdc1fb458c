import BerthJSON

/// One container of a task definition ([M:ContainerDefinition], all members, model order).
public struct ContainerDefinition: JSONShape, Sendable, Equatable {
    public var name: String?
    public var image: String?
    public var repositoryCredentials: RepositoryCredentials?
    public var cpu: Int?
    public var memory: Int?
    public var memoryReservation: Int?
    public var links: [String]?
    public var portMappings: [PortMapping]?
    public var essential: Bool?
    public var restartPolicy: ContainerRestartPolicy?
    public var entryPoint: [String]?
    public var command: [String]?
    public var environment: [KeyValuePair]?
    public var environmentFiles: [EnvironmentFile]?
    public var mountPoints: [MountPoint]?
    public var volumesFrom: [VolumeFrom]?
    public var linuxParameters: LinuxParameters?
    public var secrets: [Secret]?
    public var dependsOn: [ContainerDependency]?
    public var startTimeout: Int?
    public var stopTimeout: Int?
    public var versionConsistency: VersionConsistency?
    public var hostname: String?
    public var user: String?
    public var workingDirectory: String?
    public var disableNetworking: Bool?
    public var privileged: Bool?
    public var readonlyRootFilesystem: Bool?
    public var dnsServers: [String]?
    public var dnsSearchDomains: [String]?
    public var extraHosts: [HostEntry]?
    public var dockerSecurityOptions: [String]?
    public var interactive: Bool?
    public var pseudoTerminal: Bool?
    public var dockerLabels: [String: String]?
    public var ulimits: [Ulimit]?
    public var logConfiguration: LogConfiguration?
    public var healthCheck: HealthCheck?
    public var systemControls: [SystemControl]?
    public var resourceRequirements: [ResourceRequirement]?
    public var firelensConfiguration: FirelensConfiguration?
    public var credentialSpecs: [String]?

    public init(name: String? = nil, image: String? = nil) { self.name = name; self.image = image }

    public init(reading r: ObjectReader) {
        name = r("name"); image = r("image"); repositoryCredentials = r("repositoryCredentials")
        cpu = r("cpu"); memory = r("memory"); memoryReservation = r("memoryReservation")
        links = r("links"); portMappings = r("portMappings"); essential = r("essential"); restartPolicy = r("restartPolicy")
        entryPoint = r("entryPoint"); command = r("command"); environment = r("environment")
        environmentFiles = r("environmentFiles"); mountPoints = r("mountPoints"); volumesFrom = r("volumesFrom")
        linuxParameters = r("linuxParameters"); secrets = r("secrets"); dependsOn = r("dependsOn")
        startTimeout = r("startTimeout"); stopTimeout = r("stopTimeout"); versionConsistency = r("versionConsistency")
        hostname = r("hostname"); user = r("user"); workingDirectory = r("workingDirectory")
        disableNetworking = r("disableNetworking"); privileged = r("privileged"); readonlyRootFilesystem = r("readonlyRootFilesystem")
        dnsServers = r("dnsServers"); dnsSearchDomains = r("dnsSearchDomains"); extraHosts = r("extraHosts")
        dockerSecurityOptions = r("dockerSecurityOptions"); interactive = r("interactive"); pseudoTerminal = r("pseudoTerminal")
        dockerLabels = r("dockerLabels"); ulimits = r("ulimits"); logConfiguration = r("logConfiguration")
        healthCheck = r("healthCheck"); systemControls = r("systemControls"); resourceRequirements = r("resourceRequirements")
        firelensConfiguration = r("firelensConfiguration"); credentialSpecs = r("credentialSpecs")
    }

    public func write(to w: inout ObjectWriter) {
        w.set("name", name); w.set("image", image); w.set("repositoryCredentials", repositoryCredentials)
        w.set("cpu", cpu); w.set("memory", memory); w.set("memoryReservation", memoryReservation)
        w.set("links", links); w.set("portMappings", portMappings); w.set("essential", essential); w.set("restartPolicy", restartPolicy)
        w.set("entryPoint", entryPoint); w.set("command", command); w.set("environment", environment)
        w.set("environmentFiles", environmentFiles); w.set("mountPoints", mountPoints); w.set("volumesFrom", volumesFrom)
        w.set("linuxParameters", linuxParameters); w.set("secrets", secrets); w.set("dependsOn", dependsOn)
        w.set("startTimeout", startTimeout); w.set("stopTimeout", stopTimeout); w.set("versionConsistency", versionConsistency)
        w.set("hostname", hostname); w.set("user", user); w.set("workingDirectory", workingDirectory)
        w.set("disableNetworking", disableNetworking); w.set("privileged", privileged); w.set("readonlyRootFilesystem", readonlyRootFilesystem)
        w.set("dnsServers", dnsServers); w.set("dnsSearchDomains", dnsSearchDomains); w.set("extraHosts", extraHosts)
        w.set("dockerSecurityOptions", dockerSecurityOptions); w.set("interactive", interactive); w.set("pseudoTerminal", pseudoTerminal)
        w.set("dockerLabels", dockerLabels); w.set("ulimits", ulimits); w.set("logConfiguration", logConfiguration)
        w.set("healthCheck", healthCheck); w.set("systemControls", systemControls); w.set("resourceRequirements", resourceRequirements)
        w.set("firelensConfiguration", firelensConfiguration); w.set("credentialSpecs", credentialSpecs)
    }

    /// `essential` defaults to true.
    public var isEssential: Bool { essential ?? true }
}
