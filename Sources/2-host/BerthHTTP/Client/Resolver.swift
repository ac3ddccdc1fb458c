import BerthSys
import CBerth
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Host names to IPv4 addresses without glibc's NSS modules (which a static executable cannot
/// load): a numeric address as it is, then /etc/hosts, then a DNS query to the first nameserver
/// of /etc/resolv.conf (UDP, A record).
public enum Resolver {
    public static func ipv4(_ host: String, hostsFile: String = "/etc/hosts", resolvConf: String = "/etc/resolv.conf",
                            timeout: Double = 5) throws(HTTPFetchError) -> String {
        if Socket.ipv4(host) != nil { return host }
        if host == "localhost" { return "127.0.0.1" }
        if let text = try? String(contentsOfFile: hostsFile, encoding: .utf8), let found = fromHosts(text, host) { return found }
        guard let conf = try? String(contentsOfFile: resolvConf, encoding: .utf8),
              let server = nameservers(conf).first else {
            throw HTTPFetchError(.connect, "cannot resolve \(host): not in \(hostsFile) and no nameserver in \(resolvConf)")
        }
        return try DNSQuery.a(host, server: server, timeout: timeout)
    }

    /// The first IPv4 address /etc/hosts gives `host`.
    static func fromHosts(_ text: String, _ host: String) -> String? {
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if fields.count >= 2, Socket.ipv4(fields[0]) != nil, fields.dropFirst().contains(where: { $0.lowercased() == host.lowercased() }) {
                return fields[0]
            }
        }
        return nil
    }

    static func nameservers(_ conf: String) -> [String] {
        conf.split(separator: "\n").compactMap { line in
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return f.count >= 2 && f[0] == "nameserver" && Socket.ipv4(String(f[1])) != nil ? String(f[1]) : nil
        }
    }
}

/// One DNS A query over UDP (RFC 1035), following CNAMEs inside the answer.
enum DNSQuery {
    static func a(_ host: String, server: String, timeout: Double) throws(HTTPFetchError) -> String {
        let id = UInt16.random(in: 0...UInt16.max)
        var q: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xff), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]
        for label in host.split(separator: ".") {
            let bytes = Array(label.utf8)
            guard !bytes.isEmpty, bytes.count < 64 else { throw HTTPFetchError(.connect, "cannot resolve \(host): bad name") }
            q.append(UInt8(bytes.count)); q += bytes
        }
        q += [0, 0, 1, 0, 1]
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw HTTPFetchError(.connect, "cannot resolve \(host): socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(53).bigEndian
        addr.sin_addr = Socket.ipv4(server)!
        let sent = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in q.withUnsafeBytes { sendto(fd, $0.baseAddress, q.count, 0, sa, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        }
        guard sent == q.count else { throw HTTPFetchError(.connect, "cannot resolve \(host): cannot reach nameserver \(server)") }
        let deadline = monotonicNow() + timeout
        var buf = [UInt8](repeating: 0, count: 1500)
        while true {
            guard Socket.waitReadable(fd, until: deadline) else { throw HTTPFetchError(.timeout, "cannot resolve \(host): nameserver \(server) did not answer") }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n >= 12 else { continue }
            let reply = Array(buf[0..<n])
            guard reply[0] == q[0], reply[1] == q[1] else { continue }
            if let ip = parseA(reply) { return ip }
            throw HTTPFetchError(.connect, "cannot resolve \(host): no such host (nameserver \(server))")
        }
    }

    /// The first A record of a reply.
    static func parseA(_ r: [UInt8]) -> String? {
        func u16(_ i: Int) -> Int { Int(r[i]) << 8 | Int(r[i + 1]) }
        guard r.count >= 12, r[3] & 0x0f == 0 else { return nil }
        let qd = u16(4), an = u16(6)
        var i = 12
        func skipName() -> Bool {
            while i < r.count {
                let len = Int(r[i])
                if len == 0 { i += 1; return true }
                if len & 0xc0 == 0xc0 { i += 2; return true }
                i += 1 + len
            }
            return false
        }
        for _ in 0..<qd { guard skipName() else { return nil }; i += 4 }
        for _ in 0..<an {
            guard skipName(), i + 10 <= r.count else { return nil }
            let type = u16(i), len = u16(i + 8)
            i += 10
            guard i + len <= r.count else { return nil }
            if type == 1, len == 4 { return "\(r[i]).\(r[i + 1]).\(r[i + 2]).\(r[i + 3])" }
            i += len
        }
        return nil
    }
}
