/// ELB's timers on the agent's `--time-scale`, as every service-controller timer is (pure):
/// the health check interval and timeout and the deregistration delay are multiplied by the
/// scale when handed to the data plane and to the service scheduler's drain. The interval and
/// the timeout keep a floor so that a tiny scale does not make the load balancer spin on probes.
public enum ELBTimeScale {
    /// The shortest health check interval and timeout after scaling (the data plane's timers tick every 50 ms).
    public static let minimumSeconds = 0.05

    /// The scaled interval (at least `minimumSeconds`) and timeout (at least `minimumSeconds`,
    /// at most the scaled interval, as ELB requires of the unscaled ones).
    public static func health(intervalSeconds: Int, timeoutSeconds: Int, scale: Double) -> (interval: Double, timeout: Double) {
        let interval = max(minimumSeconds, Double(intervalSeconds) * scale)
        let timeout = min(interval, max(minimumSeconds, Double(timeoutSeconds) * scale))
        return (interval, timeout)
    }

    /// The scaled deregistration delay (0 stays 0: no draining).
    public static func delay(_ seconds: Int, scale: Double) -> Double { max(0, Double(seconds) * scale) }
}
