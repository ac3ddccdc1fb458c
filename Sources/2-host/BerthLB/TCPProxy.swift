import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The NLB side of the loop: a byte stream per flow, to a target chosen by the flow hash; half-close passes through.
extension Engine {
    func startFlow(_ l: ListenerState, _ fd: Int32) {
        let peer = Net.peer(fd)
        guard let g = groups[l.spec.defaultGroup],
              var t = Balance.flowHash(g.candidates, clientHost: peer.host, clientPort: peer.port, listenerPort: l.port) else {
            close(fd)  // NLB resets a flow it cannot forward
            return
        }
        var tried = [t]
        var connected = Net.connect(t.host, t.port)
        while connected == nil, let next = g.candidates.first(where: { !tried.contains($0) }) {
            tried.append(next)
            t = next
            connected = Net.connect(t.host, t.port)
        }
        guard let bfd = connected else {
            close(fd)
            return
        }
        let f = Flow(clientFD: fd, backendFD: bfd, group: g.spec.id, target: t, now: monotonicNow())
        f.tried = tried
        g.outstanding[t, default: 0] += 1
        g.counters.countFlow(t)
        l.counters.newFlows &+= 1
        countersDirty = true
        set(fd, .flowClient(f))
        set(bfd, .flowBackend(f))
        settleFlow(f)
    }

    func flowEvent(_ f: Flow, _ events: UInt32) {
        f.lastActive = monotonicNow()
        if !f.connected {
            if Net.socketError(f.backendFD) != 0 { return retryFlow(f) ? settleFlow(f) : closeFlow(f) }
            if Int(f.backendFD) < table.count, case .flowBackend? = table[Int(f.backendFD)], events & (BERTH_EPOLLOUT | BERTH_EPOLLERR | BERTH_EPOLLHUP) != 0 {
                f.connected = true
            }
        }
        if !f.clientEOF, f.toBackend.count - f.toBackendPos < Self.bufferCap {
            switch Net.receive(f.clientFD, into: &f.toBackend, scratch: scratch, max: Self.bufferCap) {
            case .failed: return closeFlow(f)
            case .eof: f.clientEOF = true
            case .progress, .wouldBlock: break
            }
        }
        if f.connected, !f.backendEOF, f.toClient.count - f.toClientPos < Self.bufferCap {
            switch Net.receive(f.backendFD, into: &f.toClient, scratch: scratch, max: Self.bufferCap) {
            case .failed: return closeFlow(f)
            case .eof: f.backendEOF = true
            case .progress, .wouldBlock: break
            }
        }
        settleFlow(f)
    }

    /// The connect to the flow's target failed, so nothing of the client's bytes reached it: move
    /// the flow to another candidate it has not tried (as the ALB side does for a request); false
    /// when none connects.
    private func retryFlow(_ f: Flow) -> Bool {
        guard let g = groups[f.group] else { return false }
        while true {
            let rest = g.candidates.filter { !f.tried.contains($0) }
            guard !rest.isEmpty else { return false }
            g.cursor &+= 1
            let t = rest[g.cursor % rest.count]
            f.tried.append(t)
            guard let bfd = Net.connect(t.host, t.port) else { continue }
            watch(f.backendFD, &f.backendRegistered, nil)
            set(f.backendFD, nil)
            close(f.backendFD)
            g.outstanding[f.target, default: 1] -= 1
            g.outstanding[t, default: 0] += 1
            f.backendFD = bfd
            f.target = t
            set(bfd, .flowBackend(f))
            return true
        }
    }

    private func settleFlow(_ f: Flow) {
        guard !f.closed else { return }
        if f.connected, f.toBackendPos < f.toBackend.count, Net.send(f.backendFD, &f.toBackend, &f.toBackendPos) == .failed { return closeFlow(f) }
        if f.toClientPos < f.toClient.count, Net.send(f.clientFD, &f.toClient, &f.toClientPos) == .failed { return closeFlow(f) }
        if f.connected, f.clientEOF, !f.backendShut, f.toBackendPos == f.toBackend.count {
            shutdown(f.backendFD, Int32(SHUT_WR))
            f.backendShut = true
        }
        if f.backendEOF, !f.clientShut, f.toClientPos == f.toClient.count {
            shutdown(f.clientFD, Int32(SHUT_WR))
            f.clientShut = true
        }
        if f.clientShut, f.backendShut { return closeFlow(f) }
        var c: UInt32 = 0, b: UInt32 = 0
        if !f.clientEOF, f.toBackend.count - f.toBackendPos < Self.bufferCap { c |= BERTH_EPOLLIN }
        if f.toClientPos < f.toClient.count { c |= BERTH_EPOLLOUT }
        if !f.connected || f.toBackendPos < f.toBackend.count { b |= BERTH_EPOLLOUT }
        if f.connected, !f.backendEOF, f.toClient.count - f.toClientPos < Self.bufferCap { b |= BERTH_EPOLLIN }
        watch(f.clientFD, &f.clientRegistered, c == 0 ? nil : c)
        watch(f.backendFD, &f.backendRegistered, b == 0 ? nil : b)
    }

    func closeFlow(_ f: Flow) {
        guard !f.closed else { return }
        f.closed = true
        groups[f.group]?.outstanding[f.target, default: 1] -= 1
        set(f.clientFD, nil)
        set(f.backendFD, nil)
        close(f.clientFD)
        close(f.backendFD)
    }
}
