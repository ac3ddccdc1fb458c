/// String enumerations of the service API.

public enum LaunchType: String, JSONEnum {
    case ec2 = "EC2", fargate = "FARGATE", external = "EXTERNAL", managedInstances = "MANAGED_INSTANCES"
}

public enum SchedulingStrategy: String, JSONEnum { case replica = "REPLICA", daemon = "DAEMON" }

public enum DeploymentControllerType: String, JSONEnum { case ecs = "ECS", codeDeploy = "CODE_DEPLOY", external = "EXTERNAL" }

public enum PropagateTags: String, JSONEnum { case taskDefinition = "TASK_DEFINITION", service = "SERVICE", none = "NONE" }

public enum AssignPublicIp: String, JSONEnum { case enabled = "ENABLED", disabled = "DISABLED" }

public enum PlacementStrategyType: String, JSONEnum { case random, spread, binpack }

public enum ServicePlacementConstraintType: String, JSONEnum { case distinctInstance, memberOf }

public enum DeploymentStrategy: String, JSONEnum {
    case rolling = "ROLLING", blueGreen = "BLUE_GREEN", linear = "LINEAR", canary = "CANARY"
}

public enum AvailabilityZoneRebalancing: String, JSONEnum { case enabled = "ENABLED", disabled = "DISABLED" }
