/// Character rules for names, images and addresses.
enum Names {
    /// family, container, volume, service and cluster names: 1–255 of `[A-Za-z0-9_-]` (§8.2).
    static func isValidName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 255 && s.utf8.allSatisfy { isAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Port mapping names: ≤64 of `[a-z0-9_-]`, not starting with `-`.
    static func isValidPortName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 64 && !s.hasPrefix("-")
            && s.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// `repo[:tag]` (≤255 of letters, digits and `-_:./#`) or `repo@sha256:<64 hex>` (§1.3 image).
    static func isValidImage(_ s: String) -> Bool {
        let allowed: (UInt8) -> Bool = { b in
            isAlnum(b) || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ":")
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "/") || b == UInt8(ascii: "#")
        }
        if let at = s.firstIndex(of: "@") {
            let repo = s[..<at]
            let digest = s[s.index(after: at)...]
            guard !repo.isEmpty, repo.utf8.count <= 255, repo.utf8.allSatisfy(allowed) else { return false }
            let parts = digest.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let length = ["sha256": 64, "sha512": 128][String(parts[0])] else { return false }
            return parts[1].utf8.count == length && parts[1].utf8.allSatisfy(isLowerHex)
        }
        return !s.isEmpty && s.utf8.count <= 255 && s.utf8.allSatisfy(allowed)
    }

    static func isValidIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { p in
            !p.isEmpty && p.count <= 3 && p.allSatisfy(\.isASCIIDigit) && Int(p)! <= 255 && !(p.count > 1 && p.hasPrefix("0"))
        }
    }

    static func isValidIPv6(_ s: String) -> Bool {
        guard s.contains(":"), s.count <= 45 else { return false }
        var body = Substring(s)
        var groupsNeeded = 8
        if let lastColon = body.lastIndex(of: ":"), body[body.index(after: lastColon)...].contains(".") {
            guard isValidIPv4(String(body[body.index(after: lastColon)...])) else { return false }
            body = body[...lastColon]
            if body.hasSuffix(":") && !body.hasSuffix("::") { body = body.dropLast() }
            groupsNeeded = 6
        }
        let halves = String(body).components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ h: String) -> [Substring]? {
            if h.isEmpty { return [] }
            let g = h.split(separator: ":", omittingEmptySubsequences: false)
            return g.allSatisfy { !$0.isEmpty && $0.count <= 4 && $0.utf8.allSatisfy(isHex) } ? g : nil
        }
        guard let first = groups(halves[0]) else { return false }
        if halves.count == 1 { return first.count == groupsNeeded }
        guard let second = groups(halves[1]) else { return false }
        return first.count + second.count < groupsNeeded
    }

    static func isValidIP(_ s: String) -> Bool { isValidIPv4(s) || isValidIPv6(s) }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z")) || isDigit(b)
    }
    private static func isLowerAlnum(_ b: UInt8) -> Bool { (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || isDigit(b) }
    private static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
    private static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "f")) }
    private static func isLowerHex(_ b: UInt8) -> Bool { isDigit(b) || (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "f")) }
}

extension String {
    func components(separatedBy separator: String) -> [String] {
        var out: [String] = []
        var rest = Substring(self)
        while let r = rest.range(of: separator) {
            out.append(String(rest[..<r.lowerBound]))
            rest = rest[r.upperBound...]
        }
        out.append(String(rest))
        return out
    }
}

extension Substring {
    func range(of needle: String) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}
