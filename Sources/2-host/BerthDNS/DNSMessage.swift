/// RFC 1035 messages: what the in-task resolver reads and writes (Docs/tasks.md, "Service
/// discovery inside tasks"). Names are read with compression pointers (loops refused) and
/// written with compression; an EDNS0 OPT record (RFC 6891) is kept as the sender's UDP size.

public struct DNSError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

public enum DNSType {
    public static let a: UInt16 = 1
    public static let ns: UInt16 = 2
    public static let cname: UInt16 = 5
    public static let soa: UInt16 = 6
    public static let aaaa: UInt16 = 28
    public static let srv: UInt16 = 33
    public static let opt: UInt16 = 41
    public static let any: UInt16 = 255
}

public enum DNSRcode {
    public static let noError: UInt8 = 0
    public static let formErr: UInt8 = 1
    public static let servFail: UInt8 = 2
    public static let nxDomain: UInt8 = 3
    public static let notImp: UInt8 = 4
}

public struct DNSQuestion: Sendable, Equatable {
    /// As sent (case kept), without the trailing dot; "" is the root.
    public var name: String
    public var type: UInt16
    public var qclass: UInt16
    public init(name: String, type: UInt16, qclass: UInt16 = 1) {
        self.name = name
        self.type = type
        self.qclass = qclass
    }
}

public enum DNSRData: Sendable, Equatable {
    case a(String)
    case srv(priority: UInt16, weight: UInt16, port: UInt16, target: String)
    case cname(String)
    /// Any other type, as its bytes (names inside are not expanded).
    case raw([UInt8])
}

public struct DNSRecord: Sendable, Equatable {
    public var name: String
    public var type: UInt16
    public var rclass: UInt16
    public var ttl: UInt32
    public var data: DNSRData
    public init(name: String, type: UInt16, rclass: UInt16 = 1, ttl: UInt32, data: DNSRData) {
        self.name = name
        self.type = type
        self.rclass = rclass
        self.ttl = ttl
        self.data = data
    }
    public static func a(_ name: String, _ ip: String, ttl: UInt32) -> DNSRecord { DNSRecord(name: name, type: DNSType.a, ttl: ttl, data: .a(ip)) }
}

public struct DNSMessage: Sendable, Equatable {
    public var id: UInt16
    public var isResponse = false
    public var opcode: UInt8 = 0
    public var authoritative = false
    public var truncated = false
    public var recursionDesired = false
    public var recursionAvailable = false
    public var rcode: UInt8 = 0
    public var questions: [DNSQuestion] = []
    public var answers: [DNSRecord] = []
    public var authority: [DNSRecord] = []
    /// Additional records other than OPT.
    public var additional: [DNSRecord] = []
    /// The EDNS0 UDP payload size of an OPT record (nil: no OPT).
    public var ednsUDPSize: UInt16?

    public init(id: UInt16) { self.id = id }

    /// Largest UDP answer the sender takes: 512 without EDNS (RFC 1035 4.2.1), else its size
    /// (at least 512, at most 4096).
    public var udpLimit: Int { ednsUDPSize.map { min(4096, max(512, Int($0))) } ?? 512 }

    // MARK: reading

    public static func parse(_ bytes: [UInt8]) throws(DNSError) -> DNSMessage {
        var r = Reader(bytes: bytes)
        let id = try r.u16()
        let flags = try r.u16()
        var m = DNSMessage(id: id)
        m.isResponse = flags & 0x8000 != 0
        m.opcode = UInt8((flags >> 11) & 0x0f)
        m.authoritative = flags & 0x0400 != 0
        m.truncated = flags & 0x0200 != 0
        m.recursionDesired = flags & 0x0100 != 0
        m.recursionAvailable = flags & 0x0080 != 0
        m.rcode = UInt8(flags & 0x000f)
        let qd = try r.u16(), an = try r.u16(), ns = try r.u16(), ar = try r.u16()
        for _ in 0..<qd { m.questions.append(DNSQuestion(name: try r.name(), type: try r.u16(), qclass: try r.u16())) }
        for _ in 0..<an { m.answers.append(try r.record()) }
        for _ in 0..<ns { m.authority.append(try r.record()) }
        for _ in 0..<ar {
            let rec = try r.record()
            if rec.type == DNSType.opt { m.ednsUDPSize = rec.rclass } else { m.additional.append(rec) }
        }
        return m
    }

    struct Reader {
        let bytes: [UInt8]
        var pos = 0

        mutating func u8() throws(DNSError) -> UInt8 {
            guard pos < bytes.count else { throw DNSError("message ends early (at byte \(pos))") }
            defer { pos += 1 }
            return bytes[pos]
        }
        mutating func u16() throws(DNSError) -> UInt16 { UInt16(try u8()) << 8 | UInt16(try u8()) }
        mutating func u32() throws(DNSError) -> UInt32 { UInt32(try u16()) << 16 | UInt32(try u16()) }

        /// A name at `pos`, following compression pointers (each must point backwards).
        mutating func name() throws(DNSError) -> String {
            var labels: [String] = []
            var at = pos
            var jumped = false
            var length = 0
            while true {
                guard at < bytes.count else { throw DNSError("name runs past the message (at byte \(at))") }
                let len = Int(bytes[at])
                if len & 0xc0 == 0xc0 {
                    guard at + 1 < bytes.count else { throw DNSError("compression pointer cut short (at byte \(at))") }
                    let target = (len & 0x3f) << 8 | Int(bytes[at + 1])
                    guard target < at else { throw DNSError("compression pointer at byte \(at) does not point backwards") }
                    if !jumped { pos = at + 2 }
                    jumped = true
                    at = target
                    continue
                }
                guard len & 0xc0 == 0 else { throw DNSError("unknown label type 0x\(String(len, radix: 16)) at byte \(at)") }
                if len == 0 {
                    if !jumped { pos = at + 1 }
                    break
                }
                guard at + 1 + len <= bytes.count else { throw DNSError("label runs past the message (at byte \(at))") }
                length += len + 1
                guard length <= 255 else { throw DNSError("name longer than 255 bytes") }
                labels.append(String(decoding: bytes[(at + 1)...(at + len)], as: UTF8.self))
                at += 1 + len
            }
            return labels.joined(separator: ".")
        }

        mutating func record() throws(DNSError) -> DNSRecord {
            let name = try name()
            let type = try u16(), rclass = try u16(), ttl = try u32()
            let len = Int(try u16())
            guard pos + len <= bytes.count else { throw DNSError("record data of \(name) runs past the message") }
            let end = pos + len
            let data: DNSRData
            switch type {
            case DNSType.a where len == 4:
                data = .a("\(bytes[pos]).\(bytes[pos + 1]).\(bytes[pos + 2]).\(bytes[pos + 3])")
            case DNSType.srv where len >= 7:
                var sub = self
                let p = try sub.u16(), w = try sub.u16(), port = try sub.u16()
                data = .srv(priority: p, weight: w, port: port, target: try sub.name())
            case DNSType.cname:
                var sub = self
                data = .cname(try sub.name())
            default:
                data = .raw(Array(bytes[pos..<end]))
            }
            pos = end
            return DNSRecord(name: name, type: type, rclass: rclass, ttl: ttl, data: data)
        }
    }

    // MARK: writing

    /// The wire form. With `limit`, records that do not fit are left out (answers last first,
    /// then authority and additional) and TC is set when an answer or authority record had to go.
    public func encode(limit: Int? = nil) -> [UInt8] {
        var m = self
        var out = m.encodeAll()
        guard let limit, out.count > limit else { return out }
        m.additional = []
        out = m.encodeAll()
        while out.count > limit, !(m.answers.isEmpty && m.authority.isEmpty) {
            if !m.authority.isEmpty { m.authority.removeLast() } else { m.answers.removeLast() }
            m.truncated = true
            out = m.encodeAll()
        }
        return out
    }

    func encodeAll() -> [UInt8] {
        var w = Writer()
        var flags: UInt16 = UInt16(opcode & 0x0f) << 11 | UInt16(rcode & 0x0f)
        if isResponse { flags |= 0x8000 }
        if authoritative { flags |= 0x0400 }
        if truncated { flags |= 0x0200 }
        if recursionDesired { flags |= 0x0100 }
        if recursionAvailable { flags |= 0x0080 }
        w.u16(id)
        w.u16(flags)
        w.u16(UInt16(questions.count))
        w.u16(UInt16(answers.count))
        w.u16(UInt16(authority.count))
        w.u16(UInt16(additional.count + (ednsUDPSize == nil ? 0 : 1)))
        for q in questions {
            w.name(q.name)
            w.u16(q.type)
            w.u16(q.qclass)
        }
        for r in answers + authority + additional { w.record(r) }
        if let size = ednsUDPSize {
            w.bytes += [0]  // root
            w.u16(DNSType.opt)
            w.u16(size)
            w.u32(0)
            w.u16(0)
        }
        return w.bytes
    }

    struct Writer {
        var bytes: [UInt8] = []
        /// Lower-cased suffix → offset of its first occurrence (targets of compression pointers).
        var offsets: [String: Int] = [:]

        mutating func u16(_ v: UInt16) { bytes += [UInt8(v >> 8), UInt8(v & 0xff)] }
        mutating func u32(_ v: UInt32) { u16(UInt16(v >> 16)); u16(UInt16(v & 0xffff)) }

        mutating func name(_ name: String) {
            var labels = name.split(separator: ".", omittingEmptySubsequences: true).map(String.init)
            while !labels.isEmpty {
                let suffix = labels.joined(separator: ".").lowercased()
                if let at = offsets[suffix] {
                    u16(0xc000 | UInt16(at))
                    return
                }
                if bytes.count < 0x4000 { offsets[suffix] = bytes.count }
                let label = Array(labels.removeFirst().utf8.prefix(63))
                bytes.append(UInt8(label.count))
                bytes += label
            }
            bytes.append(0)
        }

        mutating func record(_ r: DNSRecord) {
            name(r.name)
            u16(r.type)
            u16(r.rclass)
            u32(r.ttl)
            let lengthAt = bytes.count
            u16(0)
            switch r.data {
            case .a(let ip):
                let parts = ip.split(separator: ".").compactMap { UInt8($0) }
                bytes += parts.count == 4 ? parts : [0, 0, 0, 0]
            case .srv(let p, let weight, let port, let target):
                u16(p)
                u16(weight)
                u16(port)
                name(target)
            case .cname(let target):
                name(target)
            case .raw(let data):
                bytes += data
            }
            let len = bytes.count - lengthAt - 2
            bytes[lengthAt] = UInt8(len >> 8)
            bytes[lengthAt + 1] = UInt8(len & 0xff)
        }
    }

    /// The answer skeleton for a query: same id, question, opcode and RD; RA set.
    public func reply(rcode: UInt8 = DNSRcode.noError) -> DNSMessage {
        var m = DNSMessage(id: id)
        m.isResponse = true
        m.opcode = opcode
        m.recursionDesired = recursionDesired
        m.recursionAvailable = true
        m.rcode = rcode
        m.questions = questions
        m.ednsUDPSize = ednsUDPSize == nil ? nil : 1232
        return m
    }

    /// FORMERR for bytes that do not parse but have an id (nil: not even a header).
    public static func formatError(for bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { return nil }
        var m = DNSMessage(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        m.isResponse = true
        m.opcode = (bytes[2] >> 3) & 0x0f
        m.recursionDesired = bytes[2] & 1 != 0
        m.recursionAvailable = true
        m.rcode = DNSRcode.formErr
        return m.encode()
    }
}
