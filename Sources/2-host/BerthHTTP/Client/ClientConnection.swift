import BerthSys
import CBerth
import CBerthTLS
#if canImport(Glibc)
import Glibc
#endif

/// One TCP connection, plain or TLS, with a read buffer and a per-read timeout.
final class ClientConnection {
    let origin: String
    let fd: Int32
    private var tls: OpaquePointer?
    private var buffer: [UInt8] = []
    private var position = 0
    let readTimeout: Double

    private init(origin: String, fd: Int32, tls: OpaquePointer?, readTimeout: Double) {
        self.origin = origin
        self.fd = fd
        self.tls = tls
        self.readTimeout = readTimeout
    }

    deinit {
        if let tls { berth_tls_free(tls) }
        close(fd)
    }

    /// Connect to `url`'s host and port within `connectTimeout`, with a TLS handshake for https
    /// (verifying the host name against the system CAs plus `caFiles`).
    static func open(_ url: HTTPURL, connectTimeout: Double, readTimeout: Double, caFiles: [String]) throws(HTTPFetchError) -> ClientConnection {
        let ip = try Resolver.ipv4(url.host, timeout: connectTimeout)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw HTTPFetchError(.connect, "\(url.authority): socket: \(String(cString: strerror(errno)))") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = url.port.bigEndian
        addr.sin_addr = Socket.ipv4(ip)!
        let rc = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let e = errno
            guard e == EINPROGRESS else { close(fd); throw HTTPFetchError(.connect, "cannot connect to \(url.authority) (\(ip)): \(String(cString: strerror(e)))") }
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let deadline = monotonicNow() + connectTimeout
            var ready: Int32 = 0
            repeat { ready = poll(&p, 1, Int32(max(0, deadline - monotonicNow()) * 1000)) } while ready < 0 && errno == EINTR
            guard ready > 0 else { close(fd); throw HTTPFetchError(.timeout, "cannot connect to \(url.authority) (\(ip)): timed out after \(Int(connectTimeout)) s") }
            var soError: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &len)
            guard soError == 0 else { close(fd); throw HTTPFetchError(.connect, "cannot connect to \(url.authority) (\(ip)): \(String(cString: strerror(soError)))") }
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var tls: OpaquePointer?
        if url.scheme == "https" {
            var err = [CChar](repeating: 0, count: 512)
            var isTLS: Int32 = 0
            let cStrings = caFiles.map { strdup($0) }
            defer { cStrings.forEach { free($0) } }
            var pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) }
            tls = pointers.withUnsafeMutableBufferPointer { buf in
                berth_tls_connect(fd, url.host, buf.baseAddress, Int32(caFiles.count), Int32(connectTimeout * 1000), &err, err.count, &isTLS)
            }
            if tls == nil {
                close(fd)
                let message = message(err)
                throw HTTPFetchError(isTLS != 0 ? .tls : (message.contains("timed out") ? .timeout : .connect), message)
            }
        }
        return ClientConnection(origin: url.origin, fd: fd, tls: tls, readTimeout: readTimeout)
    }

    func send(_ bytes: [UInt8]) throws(HTTPFetchError) {
        if let tls {
            var err = [CChar](repeating: 0, count: 256)
            let rc = bytes.withUnsafeBytes { berth_tls_write_all(tls, $0.baseAddress, $0.count, Int32(readTimeout * 1000), &err, err.count) }
            if rc != 0 { throw HTTPFetchError(.dropped, message(err)) }
            return
        }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 { offset += n; continue }
            if n < 0, errno == EINTR { continue }
            if n < 0, errno == EAGAIN {
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard poll(&p, 1, Int32(readTimeout * 1000)) > 0 else { throw HTTPFetchError(.timeout, "\(origin): send timed out") }
                continue
            }
            throw HTTPFetchError(.dropped, "\(origin): send failed: \(String(cString: strerror(errno)))")
        }
    }

    /// Up to `max` bytes: buffered ones first; an empty array at end of stream.
    func read(_ max: Int) throws(HTTPFetchError) -> [UInt8] {
        if position < buffer.count {
            let end = min(buffer.count, position + max)
            defer { position = end; if position == buffer.count { buffer.removeAll(keepingCapacity: true); position = 0 } }
            return Array(buffer[position..<end])
        }
        return try receive(max)
    }

    /// Read until `delimiter` appears (within `limit` bytes); returns everything up to and including it.
    func readUntil(_ delimiter: [UInt8], limit: Int) throws(HTTPFetchError) -> [UInt8]? {
        var searchFrom = position
        while true {
            if let i = find(delimiter, from: searchFrom) {
                let end = i + delimiter.count
                defer { position = end }
                return Array(buffer[position..<end])
            }
            searchFrom = Swift.max(position, buffer.count - delimiter.count + 1)
            guard buffer.count - position <= limit else { throw HTTPFetchError(.protocolError, "\(origin): response header line longer than \(limit) bytes") }
            let more = try receive(1 << 16)
            if more.isEmpty {
                if buffer.count == position { return nil }
                throw HTTPFetchError(.dropped, "\(origin): connection closed mid-response")
            }
            if position > 0 { buffer.removeFirst(position); searchFrom -= position; position = 0 }
            buffer += more
        }
    }

    private func find(_ d: [UInt8], from: Int) -> Int? {
        guard buffer.count >= d.count else { return nil }
        var i = Swift.max(from, position)
        while i + d.count <= buffer.count {
            if buffer[i] == d[0], buffer[i..<(i + d.count)].elementsEqual(d) { return i }
            i += 1
        }
        return nil
    }

    /// True if the peer has closed or sent something unexpected on an idle connection.
    var isStale: Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, 0) != 0 || position < buffer.count
    }

    private func receive(_ max: Int) throws(HTTPFetchError) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: max)
        let deadline = monotonicNow() + readTimeout
        while true {
            if let tls {
                var err = [CChar](repeating: 0, count: 256)
                let n = chunk.withUnsafeMutableBytes { berth_tls_read(tls, $0.baseAddress, $0.count, &err, err.count) }
                if n >= 0 { return Array(chunk[0..<n]) }
                if n == -1 { throw HTTPFetchError(.dropped, "\(origin): \(message(err))") }
            } else {
                let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n >= 0 { return Array(chunk[0..<n]) }
                if errno == EINTR { continue }
                if errno != EAGAIN { throw HTTPFetchError(.dropped, "\(origin): connection broken: \(String(cString: strerror(errno)))") }
            }
            guard Socket.waitReadable(fd, until: deadline) else {
                throw HTTPFetchError(.timeout, "\(origin): no data for \(Int(readTimeout)) s")
            }
        }
    }
}

/// The NUL-terminated message a C function wrote into `buffer`.
private func message(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
