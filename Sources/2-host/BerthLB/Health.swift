import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// Health checks from the load balancer's own place in the network: a TCP connect, or an HTTP GET
/// whose status the group's matcher accepts, each within the timeout.
extension Engine {
    func startProbe(_ g: GroupState, _ t: LBTarget, now: Double) {
        let h = g.spec.health
        let port: Int
        switch h.port {
        case .trafficPort: port = t.port
        case .number(let p): port = p
        }
        g.probing.insert(t)
        guard let fd = Net.connect(t.host, port) else {
            g.probing.remove(t)
            record(g, t, .failed("cannot connect"), started: now)
            return
        }
        let request: [UInt8]? = h.protocolKind == .http
            ? Array("GET \(h.path) HTTP/1.1\r\nHost: \(t.host):\(port)\r\nUser-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\n\r\n".utf8)
            : nil
        let p = Probe(fd: fd, group: g.spec.id, target: t, started: now, deadline: now + h.timeoutSeconds, request: request)
        set(fd, .probe(p))
        watch(fd, &p.registered, BERTH_EPOLLOUT)
    }

    func probeEvent(_ p: Probe, _ events: UInt32) {
        if !p.connected {
            let err = Net.socketError(p.fd)
            if err != 0 { return finishProbe(p, .failed(String(cString: strerror(err)).lowercased())) }
            p.connected = true
            guard var request = p.request else { return finishProbe(p, .success) }
            var pos = 0
            guard Net.send(p.fd, &request, &pos) == .progress else { return finishProbe(p, .failed("cannot send the request")) }
            watch(p.fd, &p.registered, BERTH_EPOLLIN)
            return
        }
        let io = Net.receive(p.fd, into: &p.input, scratch: scratch, max: 64 * 1024)
        if let lf = p.input.firstIndex(of: 0x0A) {
            let line = p.input[..<lf]
            guard line.count >= 12, line.starts(with: "HTTP/1.".utf8),
                  let code = Int(String(decoding: line[(line.startIndex + 9)..<(line.startIndex + 12)], as: UTF8.self)) else {
                return finishProbe(p, .failed("malformed response"))
            }
            let accepted = groups[p.group]?.matcher.accepts(code) ?? false
            return finishProbe(p, accepted ? .success : .codeMismatch(code))
        }
        if io == .eof || io == .failed || p.input.count > 16 * 1024 { finishProbe(p, .failed("connection closed before a response")) }
    }

    func finishProbe(_ p: Probe, _ result: ProbeResult) {
        set(p.fd, nil)
        close(p.fd)
        guard let g = groups[p.group] else { return }
        g.probing.remove(p.target)
        record(g, p.target, result, started: p.started)
    }

    private func record(_ g: GroupState, _ t: LBTarget, _ result: ProbeResult, started: Double) {
        guard let old = g.health[t] else { return }  // deregistered meanwhile
        let h = g.spec.health
        let new = old.after(result, healthyThreshold: h.healthyThreshold, unhealthyThreshold: h.unhealthyThreshold)
        g.health[t] = new
        g.nextProbe[t] = started + h.intervalSeconds
        if new.state != old.state || new.reason != old.reason {
            g.refreshCandidates()
            if new.state == .unhealthy { closeIdle(g.spec.id, t) }
            publish()
        }
    }
}
