import BerthDNS
import Testing

/// The RFC 1035 codec on messages as real clients send them.
struct DNSMessageTests {
    /// A query as `dig web.local` sends it: RD, AD, one question, an EDNS0 OPT with a cookie option.
    static let digQuery: [UInt8] = [
        0x1a, 0x2b, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1,
        3, 0x77, 0x65, 0x62, 5, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0,  // web.local
        0, 1, 0, 1,
        0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 12,  // OPT, udp 1232, rdlen 12
        0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8,  // COOKIE
    ]

    @Test func parsesADigQueryWithEDNS() throws {
        let m = try DNSMessage.parse(Self.digQuery)
        #expect(m.id == 0x1a2b && !m.isResponse && m.recursionDesired && m.opcode == 0)
        #expect(m.questions == [DNSQuestion(name: "web.local", type: DNSType.a)])
        #expect(m.ednsUDPSize == 1232 && m.additional.isEmpty && m.udpLimit == 1232)
    }

    /// busybox nslookup: no EDNS, so answers stay within 512 bytes.
    @Test func parsesANslookupQuery() throws {
        var q = DNSMessage(id: 7)
        q.recursionDesired = true
        q.questions = [DNSQuestion(name: "Web.Local", type: DNSType.aaaa)]
        let m = try DNSMessage.parse(q.encode())
        #expect(m == q && m.udpLimit == 512)
    }

    @Test func readsCompressedNames() throws {
        // Answer: web.local A 127.128.0.5, name as a pointer to the question (offset 12); SRV target _x.web.local via a pointer too.
        var b: [UInt8] = [0, 1, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
                          3, 0x77, 0x65, 0x62, 5, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0, 0, 1, 0, 1]
        b += [0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 128, 0, 5]
        b += [0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 11, 0, 1, 0, 1, 0x1f, 0x90, 2, 0x5f, 0x78, 0xc0, 12]
        let m = try DNSMessage.parse(b)
        #expect(m.isResponse && m.answers.count == 2)
        #expect(m.answers[0] == DNSRecord.a("web.local", "127.128.0.5", ttl: 60))
        #expect(m.answers[1].data == .srv(priority: 1, weight: 1, port: 8080, target: "_x.web.local"))
    }

    @Test func refusesPointerLoopsAndCutMessages() throws {
        let loop: [UInt8] = [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]
        #expect(throws: DNSError.self) { try DNSMessage.parse(loop) }
        #expect(throws: DNSError.self) { try DNSMessage.parse(Array(Self.digQuery.prefix(20))) }
        let formErr = try #require(DNSMessage.formatError(for: Array(Self.digQuery.prefix(20))))
        #expect(formErr[0] == 0x1a && formErr[1] == 0x2b && formErr[3] & 0x0f == DNSRcode.formErr)  // same id
        #expect(DNSMessage.formatError(for: [1, 2]) == nil)
    }

    @Test func writesWithCompressionAndRoundTripsSRV() throws {
        var m = DNSMessage(id: 9)
        m.isResponse = true
        m.questions = [DNSQuestion(name: "web.local", type: DNSType.srv)]
        m.answers = [DNSRecord(name: "web.local", type: DNSType.srv, ttl: 10, data: .srv(priority: 1, weight: 1, port: 80, target: "127-128-0-5.web.local"))]
        m.additional = [DNSRecord.a("127-128-0-5.web.local", "127.128.0.5", ttl: 10)]
        let bytes = m.encode()
        #expect(try DNSMessage.parse(bytes) == m)
        // "web.local" is written once; later occurrences are 2-byte pointers.
        let name: [UInt8] = [3, 0x77, 0x65, 0x62, 5, 0x6c, 0x6f, 0x63, 0x61, 0x6c]
        #expect(occurrences(of: name, in: bytes) == 1)
    }

    @Test func truncatesOver512Bytes() throws {
        var m = DNSMessage(id: 3)
        m.isResponse = true
        m.questions = [DNSQuestion(name: "many.local", type: DNSType.a)]
        m.answers = (1...60).map { DNSRecord.a("many.local", "127.128.1.\($0)", ttl: 5) }
        let full = m.encode()
        #expect(full.count > 512)
        let cut = m.encode(limit: 512)
        let parsed = try DNSMessage.parse(cut)
        #expect(cut.count <= 512 && parsed.truncated && parsed.answers.count < 60 && !parsed.answers.isEmpty)
        #expect(try !DNSMessage.parse(m.encode(limit: 4096)).truncated)
    }

    func occurrences(of needle: [UInt8], in hay: [UInt8]) -> Int {
        guard hay.count >= needle.count else { return 0 }
        return (0...(hay.count - needle.count)).filter { Array(hay[$0..<($0 + needle.count)]) == needle }.count
    }
}

/// What the zone answers, and what it leaves to the host's resolvers.
struct DNSZoneTests {
    func query(_ name: String, _ type: UInt16) -> DNSMessage {
        var q = DNSMessage(id: 42)
        q.recursionDesired = true
        q.questions = [DNSQuestion(name: name, type: type)]
        return q
    }

    var zone: DNSZone {
        var z = DNSZone()
        z.addNamespace("local")
        z.addAddresses("web.local", ["127.128.0.5", "127.128.0.6"], ttl: 10)
        z.addServices("api.local", [DNSZone.Service(ip: "127.128.0.7", port: 8080)], ttl: 20)
        z.setAlias("web", ip: "127.127.0.1", ttl: 5)
        return z
    }

    @Test func answersKnownNamesCaseInsensitively() throws {
        let r = try #require(zone.answer(query("WEB.local.", DNSType.a)))
        #expect(r.rcode == DNSRcode.noError && r.authoritative && r.isResponse && r.id == 42 && r.recursionAvailable)
        #expect(r.answers == [DNSRecord.a("WEB.local.", "127.128.0.5", ttl: 10), DNSRecord.a("WEB.local.", "127.128.0.6", ttl: 10)])
        #expect(try #require(zone.answer(query("web", DNSType.a))).answers == [DNSRecord.a("web", "127.127.0.1", ttl: 5)])
    }

    @Test func answersSRVWithTargetsInAdditional() throws {
        let r = try #require(zone.answer(query("api.local", DNSType.srv)))
        #expect(r.answers == [DNSRecord(name: "api.local", type: DNSType.srv, ttl: 20, data: .srv(priority: 1, weight: 1, port: 8080, target: "127-128-0-7.api.local"))])
        #expect(r.additional == [DNSRecord.a("127-128-0-7.api.local", "127.128.0.7", ttl: 20)])
        #expect(try #require(zone.answer(query("127-128-0-7.api.local", DNSType.a))).answers.count == 1)
    }

    @Test func aaaaOfAKnownNameIsAnEmptyNoError() throws {
        let r = try #require(zone.answer(query("web.local", DNSType.aaaa)))
        #expect(r.rcode == DNSRcode.noError && r.answers.isEmpty)
    }

    @Test func unknownNamesUnderANamespaceAreNXDomainOthersForwarded() throws {
        #expect(try #require(zone.answer(query("nope.local", DNSType.a))).rcode == DNSRcode.nxDomain)
        #expect(try #require(zone.answer(query("a.b.local", DNSType.a))).rcode == DNSRcode.nxDomain)
        #expect(try #require(zone.answer(query("local", DNSType.a))).rcode == DNSRcode.noError)
        #expect(zone.answer(query("example.com", DNSType.a)) == nil)
        #expect(zone.answer(query("notlocal", DNSType.a)) == nil)
    }

    @Test func otherOpcodesAndQuestionCounts() throws {
        var q = query("web.local", DNSType.a)
        q.opcode = 2
        #expect(try #require(zone.answer(q)).rcode == DNSRcode.notImp)
        q.opcode = 0
        q.questions.append(q.questions[0])
        #expect(try #require(zone.answer(q)).rcode == DNSRcode.formErr)
    }
}
