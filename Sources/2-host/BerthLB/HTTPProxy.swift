import BerthHTTP
import BerthSys
import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// The ALB side of the loop: requests in from clients, out to pooled backend connections.
extension Engine {
    func clientEvent(_ c: ClientConn, _ events: UInt32) {
        if events & (BERTH_EPOLLIN | BERTH_EPOLLHUP | BERTH_EPOLLERR) != 0, wantsRead(c) {
            switch Net.receive(c.fd, into: &c.input, scratch: scratch, max: Self.bufferCap) {
            case .failed: return closeClient(c)
            case .eof: c.peerClosed = true
            case .progress, .wouldBlock: break
            }
            c.lastActive = monotonicNow()
            pumpClient(c)
        }
        settleClient(c)
    }

    private func wantsRead(_ c: ClientConn) -> Bool {
        !c.closeAfter && !c.peerClosed && c.unprocessed < Self.bufferCap && (c.backend?.pendingOut ?? 0) < Self.bufferCap
    }

    /// Start the next request or stream more of the current request's body.
    func pumpClient(_ c: ClientConn) {
        while !c.closed {
            if c.inExchange {
                guard var counter = c.reqBody, let b = c.backend else { return }
                let n = counter.take(c.input, from: c.inPos)
                if counter.invalid { return closeClient(c) }
                b.out.append(contentsOf: c.input[c.inPos..<(c.inPos + n)])
                c.inPos += n
                if n > 0 { b.deadline = monotonicNow() + idleTimeout }
                c.reqBody = counter.done ? nil : counter
                if c.peerClosed, c.reqBody != nil { return closeClient(c) }
                flushBackend(b)
                if !b.closed { settleBackend(b) }
                return
            }
            if c.closeAfter { return }
            if c.inPos > 0 {
                c.input.removeFirst(c.inPos)
                c.inPos = 0
            }
            if c.input.isEmpty {
                if c.peerClosed { c.closeAfter = true }
                return
            }
            switch HTTPParser.parseHead(c.input, limits: parseLimits) {
            case .needMore:
                if c.peerClosed { c.closeAfter = true }
                return
            case .failed(let e):
                c.closeAfter = true
                c.listener.counters.countLocalAnswer(e.status < 500 ? e.status : 400)
                countersDirty = true
                c.out += LocalResponse.bytes(e.status < 500 ? e.status : 400, close: true)
                return
            case .head(let request, let bodyStart, let framing):
                c.inPos = bodyStart
                startExchange(c, request, framing)
            }
        }
    }

    private func startExchange(_ c: ClientConn, _ request: HTTPRequest, _ framing: HTTPBodyFraming) {
        c.inExchange = true
        var host: String?
        var connection: String?
        for (name, value) in request.headers {
            if Hop.equals(name.utf8, "host") { host = value } else if Hop.equals(name.utf8, "connection") { connection = value }
        }
        if !Hop.keepAlive(version: request.version, connection: connection) { c.closeAfter = true }
        let hasBody = framing != .length(0)
        let spec = c.listener.spec
        let groupID = spec.rules.isEmpty ? spec.defaultGroup : Router.group(for: spec, host: Router.hostName(host), path: request.path)
        guard let g = groups[groupID], let target = pick(g) else {
            if hasBody { c.closeAfter = true }
            return answerLocally(c, 503)
        }
        g.counters.countRequest(target)
        c.listener.counters.requests &+= 1
        countersDirty = true
        let head = forwardedHead(request, c)
        c.retryHead = hasBody ? nil : head
        c.tried = [target]
        var chosen = backend(for: g, target)
        while chosen == nil, let other = pickUntried(g, c) {
            c.tried.append(other)
            chosen = backend(for: g, other)
        }
        guard let b = chosen else {
            if hasBody { c.closeAfter = true }
            return answerLocally(c, 502)
        }
        switch framing {
        case .length(0): c.reqBody = nil
        case .length(let n): c.reqBody = BodyCounter(.length(n))
        case .chunked: c.reqBody = BodyCounter(.chunked)
        }
        b.oneShot = request.version == "HTTP/1.0"
        attach(c, b, method: request.method, head: head)
    }

    /// Another target for a request whose connection to the chosen one failed: the group's
    /// candidates this request has not tried yet, in round-robin order (nil when none is left).
    private func pickUntried(_ g: GroupState, _ c: ClientConn) -> LBTarget? {
        let rest = g.candidates.filter { !c.tried.contains($0) }
        guard !rest.isEmpty else { return nil }
        g.cursor &+= 1
        return rest[g.cursor % rest.count]
    }

    /// A connection to the target failed before it was established, so not one byte of the
    /// request reached it: send what was queued for it (head and any body so far) to another
    /// untried target of the group. ALB itself does not retry; a failed connect is the one
    /// case where retrying is safe for any method (Docs/load-balancer.md "Connect retry").
    private func retryElsewhere(_ c: ClientConn, _ failed: BackendConn) -> Bool {
        guard !failed.connected || failed.outPos == 0, !failed.forwardedAny, let g = groups[failed.group] else { return false }
        while let other = pickUntried(g, c) {
            c.tried.append(other)
            guard let fd = Net.connect(other.host, other.port) else { continue }
            let fresh = BackendConn(fd: fd, group: g.spec.id, target: other)
            fresh.oneShot = failed.oneShot
            set(fd, .backend(fresh))
            attach(c, fresh, method: failed.method, head: Array(failed.out[failed.outPos...]))
            return true
        }
        return false
    }

    private func attach(_ c: ClientConn, _ b: BackendConn, method: String, head: [UInt8]) {
        groups[b.group]?.outstanding[b.target, default: 0] += 1
        b.client = c
        c.backend = b
        b.method = method
        b.head = nil
        b.body = nil
        b.forwardedAny = false
        b.sentAt = monotonicNow()
        b.deadline = b.sentAt + idleTimeout
        b.out += head
        flushBackend(b)
        if !b.closed { settleBackend(b) }
    }

    /// An idle pooled connection to `target`, or a new one.
    private func backend(for g: GroupState, _ target: LBTarget) -> BackendConn? {
        let key = PoolKey(group: g.spec.id, target: target)
        while let b = pools[key]?.popLast() {
            if b.closed { continue }
            b.reused = true
            return b
        }
        guard let fd = Net.connect(target.host, target.port) else { return nil }
        let b = BackendConn(fd: fd, group: g.spec.id, target: target)
        set(fd, .backend(b))
        return b
    }

    /// The request head for the target: hop-by-hop fields dropped, X-Forwarded-* added as ALB does.
    /// Without a Connection field an HTTP/1.1 target keeps the connection open (pooled); a 1.0 one closes it.
    private func forwardedHead(_ r: HTTPRequest, _ c: ClientConn) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out += r.method.utf8
        out.append(0x20)
        out += r.target.utf8
        // An HTTP/1.0 client's request stays 1.0, so that the target answers without chunking.
        out += (r.version == "HTTP/1.0" ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n").utf8
        var priorFor: String?
        for (name, value) in r.headers {
            switch Hop.classify(name) {
            case .drop: continue
            case .forwardedFor: priorFor = value
            case .keep:
                out += name.utf8
                out += ": ".utf8
                out += value.utf8
                out += "\r\n".utf8
            }
        }
        out += "X-Forwarded-For: ".utf8
        if let priorFor { out += priorFor.utf8; out += ", ".utf8 }
        out += c.peerHost.utf8
        out += c.listener.forwardedTail
        return out
    }

    private func answerLocally(_ c: ClientConn, _ status: Int) {
        c.listener.counters.countLocalAnswer(status)
        countersDirty = true
        c.out += LocalResponse.bytes(status, close: c.closeAfter)
        c.inExchange = false
        c.reqBody = nil
    }

    func settleClient(_ c: ClientConn) {
        guard !c.closed else { return }
        if c.pendingOut > 0, Net.send(c.fd, &c.out, &c.outPos) == .failed { return closeClient(c) }
        if c.closeAfter, !c.inExchange, c.pendingOut == 0 { return closeClient(c) }
        var wanted: UInt32 = wantsRead(c) ? BERTH_EPOLLIN : 0
        if c.pendingOut > 0 { wanted |= BERTH_EPOLLOUT }
        watch(c.fd, &c.registered, wanted == 0 ? nil : wanted)
        // The client took what was queued: its backend may read again.
        if let b = c.backend, b.connected { settleBackend(b) }
    }

    func closeClient(_ c: ClientConn) {
        guard !c.closed else { return }
        c.closed = true
        if let b = c.backend {
            c.backend = nil
            b.client = nil
            groups[b.group]?.outstanding[b.target, default: 1] -= 1
            closeBackend(b)
        }
        set(c.fd, nil)
        close(c.fd)
    }

    // MARK: backend side

    func backendEvent(_ b: BackendConn, _ events: UInt32) {
        if !b.connected {
            if Net.socketError(b.fd) != 0 { return backendFailed(b) }
            if events & (BERTH_EPOLLOUT | BERTH_EPOLLERR | BERTH_EPOLLHUP) == 0 { return }
            b.connected = true
        }
        guard let c = b.client else {
            // Idle in the pool: the target closed it or sent something unasked.
            return closeIdleBackend(b)
        }
        if b.pendingOut > 0 {
            flushBackend(b)
            if b.closed { return }
            if b.pendingOut < Self.bufferCap, c.reqBody != nil { pumpClient(c) }
            if b.closed { return }
        }
        if events & (BERTH_EPOLLIN | BERTH_EPOLLHUP | BERTH_EPOLLERR) != 0, c.pendingOut < Self.bufferCap {
            switch Net.receive(b.fd, into: &b.input, scratch: scratch, max: Self.bufferCap) {
            case .failed: return backendFailed(b)
            case .eof: return backendEOF(b)
            case .progress: pumpBackend(b)
            case .wouldBlock: break
            }
        }
        if !b.closed { settleBackend(b) }
        if !c.closed { settleClient(c) }
    }

    func flushBackend(_ b: BackendConn) {
        guard b.connected, b.pendingOut > 0 else { return }
        if Net.send(b.fd, &b.out, &b.outPos) == .failed { backendFailed(b) }
    }

    func settleBackend(_ b: BackendConn) {
        guard !b.closed else { return }
        var wanted: UInt32 = 0
        if !b.connected || b.pendingOut > 0 { wanted |= BERTH_EPOLLOUT }
        if b.connected, b.client == nil || b.client!.pendingOut < Self.bufferCap { wanted |= BERTH_EPOLLIN }
        watch(b.fd, &b.registered, wanted == 0 ? nil : wanted)
    }

    /// Forward what the target sent: the head once, then the body up to its end.
    private func pumpBackend(_ b: BackendConn) {
        guard let c = b.client else { return }
        let now = monotonicNow()
        b.deadline = now + idleTimeout
        while b.head == nil {
            guard let end = ResponseHead.headEnd(b.input, from: b.inPos) else {
                if b.input.count - b.inPos > 64 * 1024 { backendFailed(b) }
                return
            }
            guard let h = ResponseHead.parse(b.input, from: b.inPos, end: end, requestMethod: b.method, closeClient: c.closeAfter) else {
                return backendFailed(b)
            }
            b.inPos = end
            if (100..<200).contains(h.status) {
                if h.status == 101 { return backendFailed(b) }  // protocol upgrades are not proxied
                c.out += h.forward
                continue
            }
            b.head = h
            groups[b.group]?.counters.countResponse(status: h.status, seconds: now - b.sentAt)
            countersDirty = true
            b.body = BodyCounter(h.framing)
            b.forwardedAny = true
            c.out += h.forward
        }
        guard var body = b.body else { return }
        let n = body.take(b.input, from: b.inPos)
        c.out.append(contentsOf: b.input[b.inPos..<(b.inPos + n)])
        b.inPos += n
        b.body = body
        if b.inPos == b.input.count {
            b.input.removeAll(keepingCapacity: true)
            b.inPos = 0
        }
        if body.invalid { return closeClient(c) }
        if body.done { finishExchange(c, b) }
    }

    private func finishExchange(_ c: ClientConn, _ b: BackendConn) {
        let g = groups[b.group]
        g?.outstanding[b.target, default: 1] -= 1
        c.backend = nil
        b.client = nil
        c.inExchange = false
        c.retryHead = nil
        let requestDone = c.reqBody == nil
        if !requestDone {
            c.closeAfter = true
            c.reqBody = nil
        }
        if b.head?.framing == .untilClose { c.closeAfter = true }
        let registered = g.map { !$0.removed && $0.draining[b.target] == nil } ?? false
        if requestDone, registered, !b.oneShot, b.head?.backendCloses == false, b.input.count == b.inPos {
            b.head = nil
            b.body = nil
            b.idleSince = monotonicNow()
            pools[PoolKey(group: b.group, target: b.target), default: []].append(b)
            settleBackend(b)
        } else {
            closeBackend(b)
        }
        settleClient(c)
        if !c.closed { pumpClient(c) }
    }

    private func backendEOF(_ b: BackendConn) {
        guard let c = b.client else { return closeIdleBackend(b) }
        if b.head != nil, b.body?.mode == .untilClose {
            c.closeAfter = true
            b.head?.backendCloses = true
            return finishExchange(c, b)
        }
        backendFailed(b)
    }

    /// The target refused, reset or closed before answering: retry once on a fresh connection
    /// when a reused one was closed under a bodiless request, else 502; mid-response: drop the client.
    func backendFailed(_ b: BackendConn) {
        guard let c = detachFailed(b) else { return }
        if b.reused, let head = c.retryHead, let g = groups[b.group], let fd = Net.connect(b.target.host, b.target.port) {
            let fresh = BackendConn(fd: fd, group: g.spec.id, target: b.target)
            fresh.oneShot = b.oneShot
            set(fd, .backend(fresh))
            attach(c, fresh, method: b.method, head: head)
            return
        }
        if !b.reused, !b.connected, retryElsewhere(c, b) { return }
        answerFailure(c, 502)
    }

    func backendTimedOut(_ b: BackendConn) {
        guard let c = detachFailed(b) else { return }
        answerFailure(c, 504)
    }

    /// Parts a failed backend from its client and closes it. The client is returned when it can
    /// still get an answer of its own; nil when there is none (idle backend) or the response was
    /// already under way (the client is dropped).
    private func detachFailed(_ b: BackendConn) -> ClientConn? {
        guard let c = b.client else { closeIdleBackend(b); return nil }
        c.backend = nil
        b.client = nil
        groups[b.group]?.outstanding[b.target, default: 1] -= 1
        closeBackend(b)
        if b.forwardedAny { closeClient(c); return nil }
        return c
    }

    /// The load balancer's own 502/504 for the request in flight; a request body not yet read
    /// ends the connection after it.
    private func answerFailure(_ c: ClientConn, _ status: Int) {
        if c.reqBody != nil { c.closeAfter = true }
        answerLocally(c, status)
        settleClient(c)
        if !c.closed { pumpClient(c); settleClient(c) }
    }

    func closeIdleBackend(_ b: BackendConn) {
        pools[PoolKey(group: b.group, target: b.target)]?.removeAll { $0 === b }
        closeBackend(b)
    }

    func closeBackend(_ b: BackendConn) {
        guard !b.closed else { return }
        b.closed = true
        set(b.fd, nil)
        close(b.fd)
    }
}
