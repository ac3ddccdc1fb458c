import BerthController

/// Drives the controller against the simulated world with a fake clock.
struct Story {
    var state: ServiceState
    var world = SimulatedWorld()
    var ids = SequentialIdentifiers()
    var config: ControllerConfig
    var now: Double
    var lastActions: [ControllerAction] = []
    var allActions: [ControllerAction] = []
    var lastWake: Double?

    static let taskDefV1 = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1"
    static let taskDefV2 = "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2"

    init(
        desired: Int, minimum: Int = 100, maximum: Int = 200, breaker: CircuitBreakerConfiguration? = nil,
        grace: Int = 0, config: ControllerConfig = ControllerConfig(), now: Double = 1_700_000_000
    ) {
        let input = CreateServiceInput(
            serviceName: "web", serviceArn: "arn:aws:ecs:us-east-1:000000000000:service/default/web",
            clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/default", taskDefinition: Story.taskDefV1,
            desiredCount: desired,
            deploymentConfiguration: DeploymentConfiguration(
                minimumHealthyPercent: minimum, maximumPercent: maximum, deploymentCircuitBreaker: breaker),
            healthCheckGracePeriodSeconds: grace)
        self.state = try! createService(input, now: now)
        self.config = config
        self.now = now
    }

    /// Advance the clock, let the world move, reconcile, apply the actions.
    mutating func tick(_ dt: Double = 1) {
        now += dt
        world.advance(to: now)
        let result = reconcile(state, tasks: world.observed, now: now, config: config, ids: &ids)
        state = result.state
        lastActions = result.actions
        allActions += result.actions
        lastWake = result.wakeAt
        world.apply(result.actions, now: now)
    }

    /// Tick until `done` holds (checking `invariant` after every tick); false on timeout.
    @discardableResult
    mutating func run(
        dt: Double = 1, upTo limit: Int = 2_000, invariant: (Story) -> Void = { _ in },
        until done: (Story) -> Bool
    ) -> Bool {
        for _ in 0..<limit {
            tick(dt)
            invariant(self)
            if done(self) { return true }
        }
        return false
    }

    mutating func update(_ input: UpdateServiceInput) {
        state = try! updateService(state, input, now: now)
    }

    // MARK: views

    var live: [ObservedTask] { world.observed.filter { $0.lastStatus.isLive } }

    /// Independent of the controller: RUNNING, not being stopped, and HEALTHY (health
    /// check) or RUNNING for 40 s × timeScale.
    var healthy: [ObservedTask] {
        live.filter { t in
            guard t.lastStatus == .running, t.desiredStatus == .running else { return false }
            if t.hasHealthCheck { return t.healthStatus == .healthy }
            return now - t.startedAt! >= 40 * config.timeScale
        }
    }

    var messages: [String] { state.events.map(\.message) }

    var isSteady: Bool {
        state.deployments.count == 1 && state.primary?.rolloutState == .completed
            && state.runningCount == state.desiredCount && state.pendingCount == 0
    }

    var starts: [StartTaskOrder] {
        allActions.compactMap { if case .startTask(let o) = $0 { o } else { nil } }
    }

    var stops: [StopTaskOrder] {
        allActions.compactMap { if case .stopTask(let o) = $0 { o } else { nil } }
    }
}
