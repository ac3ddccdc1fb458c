/// Deployment circuit breaker (ecs-semantics §5.5).
extension Tick {
    mutating func evaluateCircuitBreaker() {
        guard let breaker = state.deploymentConfiguration.deploymentCircuitBreaker, breaker.enable,
            let index = primaryIndex
        else { return }
        let primary = state.deployments[index]
        guard primary.rolloutState == .inProgress, !primary.healthyTaskSeen,
            primary.failedTasks >= CircuitBreakerConfiguration.threshold(desired: state.desiredCount)
        else { return }
        state.deployments[index].rolloutState = .failed
        state.deployments[index].rolloutStateReason = ReasonText.breakerFailed
        state.deployments[index].updatedAt = now
        emit(EventMessage.deploymentFailed(name, deploymentId: primary.id))
        guard breaker.rollback else { return }
        // A rollback deployment that fails is not rolled back again (it would loop).
        guard primary.restoresDeploymentId == nil, let target = state.lastCompleted, target.id != primary.id
        else { return }
        state.addDeployment(
            taskDefinition: target.taskDefinition, now: now, restoring: target.id,
            reason: ReasonText.rollingBack(to: target.id))
        emit(EventMessage.rollingBack(name, deploymentId: target.id))
    }
}
