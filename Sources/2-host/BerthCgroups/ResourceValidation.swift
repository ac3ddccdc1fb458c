#if canImport(Glibc)
import Glibc
#endif

/// Range checks done before any directory is created, so bad input leaves nothing behind.
/// The ranges are the kernel's (cpu.shares 2...262144, CFS period 1 ms...1 s, quota >= 1 ms)
/// and Docker's rule that a reservation may not exceed the limit.
extension CgroupResources {
    public static let defaultCpuPeriod: UInt64 = 100_000
    public static let minimumMemory: Int64 = 4096

    public func validate() throws(CgroupError) {
        if let m = memoryLimit, m != -1, m < Self.minimumMemory {
            throw .invalidValue(field: "memoryLimit", value: String(m),
                                reason: "must be at least \(Self.minimumMemory) bytes (one page), or -1 for unlimited")
        }
        if let r = memoryReservation {
            if r < -1 {
                throw .invalidValue(field: "memoryReservation", value: String(r), reason: "must not be negative (-1: none)")
            }
            if let m = memoryLimit, m != -1, r > m {
                throw .invalidValue(field: "memoryReservation", value: String(r),
                                    reason: "must not exceed memoryLimit \(m)")
            }
        }
        if let swap = memorySwap {
            guard let m = memoryLimit, m != -1 else {
                throw .invalidValue(field: "memorySwap", value: String(swap), reason: "needs a memoryLimit")
            }
            if swap != -1 && swap < m {
                throw .invalidValue(field: "memorySwap", value: String(swap),
                                    reason: "must be at least memoryLimit \(m) (memory plus swap), or -1 for unlimited")
            }
        }
        if let sw = swappiness, sw > 100 {
            throw .invalidValue(field: "swappiness", value: String(sw), reason: "must be in 0...100")
        }
        if let s = cpuShares, !(2...262_144).contains(s) {
            throw .invalidValue(field: "cpuShares", value: String(s), reason: "must be in 2...262144")
        }
        if let p = cpuPeriod, !(1000...1_000_000).contains(p) {
            throw .invalidValue(field: "cpuPeriod", value: String(p),
                                reason: "must be in 1000...1000000 microseconds")
        }
        if let q = cpuQuota, q != -1, q < 1000 {
            throw .invalidValue(field: "cpuQuota", value: String(q),
                                reason: "must be at least 1000 microseconds, or -1 for unlimited")
        }
        if let p = pidsLimit, p != -1, p < 1 {
            throw .invalidValue(field: "pidsLimit", value: String(p), reason: "must be positive, or -1 for unlimited")
        }
        for (i, rule) in (devices ?? []).enumerated() {
            if let (field, message) = rule.problems().first {
                throw .invalidValue(field: "devices[\(i)].\(field)", value: rule.description, reason: message)
            }
        }
        for (field, value) in [("cpusetCpus", cpusetCpus), ("cpusetMems", cpusetMems)] {
            if let v = value, !Self.isCpuList(v) {
                throw .invalidValue(field: field, value: v.debugDescription,
                                    reason: "must be a list like \"0-3,5\"")
            }
        }
    }

    /// "0", "0-3", "0,2-3": digits, commas and ranges only.
    static func isCpuList(_ s: String) -> Bool {
        guard !s.isEmpty else { return false }
        for item in s.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = item.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), bounds.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isNumber } }) else {
                return false
            }
            if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a > b { return false }
        }
        return true
    }

    /// What the resources need from the kernel, for checking that the controllers exist.
    var neededControllers: [String] {
        var out: [String] = []
        if memoryLimit != nil || memoryReservation != nil || memorySwap != nil || swappiness != nil { out.append("memory") }
        if cpuShares != nil || cpuQuota != nil || cpuPeriod != nil { out.append("cpu") }
        if pidsLimit != nil { out.append("pids") }
        if cpusetCpus != nil || cpusetMems != nil { out.append("cpuset") }
        if devices != nil { out.append("devices") }
        return out
    }

    /// The CFS pair to write, or nil when neither quota nor period is set.
    var cfs: (quota: Int64?, period: UInt64)? {
        if cpuQuota == nil && cpuPeriod == nil { return nil }
        return (cpuQuota, cpuPeriod ?? Self.defaultCpuPeriod)
    }
}

/// cgroup v1 cpu.shares to v2 cpu.weight, the formula of runc 1.3.2+ / crun 1.23+
/// (opencontainers/cgroups fd95216): a quadratic in log2 space through (2, 1), (1024, 100),
/// (262144, 10000), so the v1 default 1024 maps to the v2 default 100.
public enum CpuWeight {
    public static func fromShares(_ shares: UInt64) -> UInt64 {
        if shares == 0 { return 0 }
        if shares <= 2 { return 1 }
        if shares >= 262_144 { return 10_000 }
        let l = log2(Double(shares))
        let exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0
        return UInt64((pow(10.0, exponent)).rounded(.up))
    }
}
