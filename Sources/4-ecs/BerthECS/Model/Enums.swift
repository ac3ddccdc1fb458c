/// String enumerations of the ECS API (values byte-for-byte as on the wire).

public enum NetworkMode: String, JSONEnum {
    case bridge, host, awsvpc, none
}

public enum Compatibility: String, JSONEnum {
    case ec2 = "EC2", fargate = "FARGATE", external = "EXTERNAL", managedInstances = "MANAGED_INSTANCES"
}

public enum PIDMode: String, JSONEnum { case host, task }

public enum IPCMode: String, JSONEnum { case host, task, none }

public enum TransportProtocol: String, JSONEnum { case tcp, udp }

public enum ApplicationProtocol: String, JSONEnum { case http, http2, grpc }

public enum EnvironmentFileType: String, JSONEnum { case s3 }

public enum DeviceCgroupPermission: String, JSONEnum { case read, write, mknod }

public enum UlimitName: String, JSONEnum {
    case core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack
}

public enum LogDriver: String, JSONEnum {
    case jsonFile = "json-file", syslog, journald, gelf, fluentd, awslogs, splunk, awsfirelens
}

public enum ContainerCondition: String, JSONEnum {
    case start = "START", complete = "COMPLETE", success = "SUCCESS", healthy = "HEALTHY"
}

public enum ResourceType: String, JSONEnum { case gpu = "GPU", inferenceAccelerator = "InferenceAccelerator" }

public enum FirelensConfigurationType: String, JSONEnum { case fluentd, fluentbit }

public enum VersionConsistency: String, JSONEnum { case enabled, disabled }

public enum Scope: String, JSONEnum { case task, shared }

public enum EFSTransitEncryption: String, JSONEnum { case enabled = "ENABLED", disabled = "DISABLED" }

public enum EFSAuthorizationConfigIAM: String, JSONEnum { case enabled = "ENABLED", disabled = "DISABLED" }

public enum CPUArchitecture: String, JSONEnum { case x86_64 = "X86_64", arm64 = "ARM64" }

public enum OSFamily: String, JSONEnum {
    case windowsServer2019Full = "WINDOWS_SERVER_2019_FULL"
    case windowsServer2019Core = "WINDOWS_SERVER_2019_CORE"
    case windowsServer2016Full = "WINDOWS_SERVER_2016_FULL"
    case windowsServer2004Core = "WINDOWS_SERVER_2004_CORE"
    case windowsServer2022Core = "WINDOWS_SERVER_2022_CORE"
    case windowsServer2022Full = "WINDOWS_SERVER_2022_FULL"
    case windowsServer2025Core = "WINDOWS_SERVER_2025_CORE"
    case windowsServer2025Full = "WINDOWS_SERVER_2025_FULL"
    case windowsServer20H2Core = "WINDOWS_SERVER_20H2_CORE"
    case linux = "LINUX"
}

public enum PlacementConstraintType: String, JSONEnum { case memberOf }

public enum ProxyConfigurationType: String, JSONEnum { case appmesh = "APPMESH" }

public enum TaskDefinitionStatus: String, JSONEnum {
    case active = "ACTIVE", inactive = "INACTIVE", deleteInProgress = "DELETE_IN_PROGRESS"
}
