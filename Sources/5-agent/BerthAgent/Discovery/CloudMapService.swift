import BerthJSON
import BerthSys
import Foundation

/// The agent's AWS Cloud Map: the resources (durable under `<state>/servicediscovery`), the
/// operations of the API (`CloudMapOperations.swift`) and the calls the ECS service scheduler
/// makes (`ensureService`, `syncOwned`). Every change is persisted, then `onChange` is called
/// (the agent pokes its service loop, which publishes a fresh DiscoverySnapshot).
public final class CloudMapService: @unchecked Sendable {
    let lock = NSLock()
    var resources: CMResources
    let dir: String?
    public let region: String
    public let account: String
    let clock: @Sendable () -> Double
    let log: @Sendable (String) -> Void
    private let changeLock = NSLock()
    private var onChangeHandler: (@Sendable () -> Void)?

    /// `stateDir` nil keeps everything in memory (tests).
    public init(stateDir: String?, region: String, account: String,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.dir = stateDir.map { $0 + "/servicediscovery" }
        self.region = region
        self.account = account
        self.clock = clock
        self.log = log
        resources = CMResources()
        if let dir {
            try Files.makeDirectories(dir, mode: 0o700)
            if let bytes = try? Files.readBytes(dir + "/resources.json") {
                do { resources = try CMResources(json: try JSONValue.parse(bytes: bytes), path: JSONPath()) } catch {
                    let aside = dir + "/resources.json.corrupt-\(Int(wallClockNow()))"
                    rename(dir + "/resources.json", aside)
                    log("\(dir)/resources.json is unreadable (\(error)); moved aside to \(aside)")
                }
            }
        }
    }

    /// Called after every change (outside the lock).
    public var onChange: (@Sendable () -> Void)? {
        get { changeLock.lock(); defer { changeLock.unlock() }; return onChangeHandler }
        set { changeLock.lock(); onChangeHandler = newValue; changeLock.unlock() }
    }

    func arn(_ resource: String) -> String { "arn:aws:servicediscovery:\(region):\(account):\(resource)" }

    static func randomId(_ prefix: String, count: Int = 16) -> String {
        let chars = Array("abcdefghijklmnopqrstuvwxyz234567")
        return prefix + String((0..<count).map { _ in chars.randomElement()! })
    }

    func read<T>(_ body: (CMResources) throws(APIError) -> T) throws(APIError) -> T {
        lock.lock(); defer { lock.unlock() }
        return try body(resources)
    }

    /// Change under the lock, persist, then tell `onChange`.
    func change<T>(_ body: (inout CMResources) throws(APIError) -> T) throws(APIError) -> T {
        lock.lock()
        var next = resources
        let result: T
        do { result = try body(&next) } catch { lock.unlock(); throw error }
        let changed = next != resources
        if changed {
            resources = next
            persist()
        }
        lock.unlock()
        if changed { onChange?() }
        return result
    }

    func persist() {
        guard let dir else { return }
        do { try Files.writeAtomically(dir + "/resources.json", resources.jsonValue.serializedBytes() + [0x0A], mode: 0o600) } catch {
            log("cannot save Cloud Map resources: \(error)")
        }
    }

    func newOperation(_ type: String, _ targets: [String: String], in r: inout CMResources) -> String {
        let id = Self.randomId("", count: 32) + "-" + Self.randomId("", count: 8)
        r.record(CMOperation(id: id, type: type, createdAt: clock(), targets: targets))
        return id
    }

    // MARK: for the ECS service scheduler

    public func snapshotResources() -> CMResources {
        lock.lock(); defer { lock.unlock() }
        return resources
    }

    public func namespace(_ idOrArnOrName: String) -> CMNamespace? {
        lock.lock(); defer { lock.unlock() }
        return resources.namespace(idOrArnOrName) ?? resources.namespaces.first { $0.name == idOrArnOrName }
    }

    public func service(_ idOrArn: String) -> CMService? {
        lock.lock(); defer { lock.unlock() }
        return resources.service(idOrArn)
    }

    /// The HTTP namespace of this name, created if absent (cluster `serviceConnectDefaults`).
    public func ensureHttpNamespace(_ name: String) throws(APIError) -> CMNamespace {
        try change { r throws(APIError) in
            if let ns = r.namespaces.first(where: { $0.name == name }) { return ns }
            try Self.checkNamespaceName(name, dns: false)
            let id = Self.randomId("ns-")
            let ns = CMNamespace(id: id, arn: arn("namespace/\(id)"), name: name, type: "HTTP", createdAt: clock())
            r.namespaces.append(ns)
            _ = newOperation("CREATE_NAMESPACE", ["NAMESPACE": id], in: &r)
            return ns
        }
    }

    /// The service of this name in a namespace, created as ECS does for Service Connect
    /// (no DNS records, custom health) if absent.
    public func ensureService(_ name: String, namespaceId: String) throws(APIError) -> CMService {
        try change { r throws(APIError) in
            if let s = r.services.first(where: { $0.name == name && $0.namespaceId == namespaceId }) { return s }
            guard r.namespace(namespaceId) != nil else { throw Self.namespaceNotFound(namespaceId) }
            let id = Self.randomId("srv-")
            let s = CMService(id: id, arn: arn("service/\(id)"), name: name, namespaceId: namespaceId, type: "HTTP",
                              customHealth: true, failureThreshold: 1, createdAt: clock())
            r.services.append(s)
            return s
        }
    }

    /// Make the instances `owner` registered be exactly `desired` (by service id): new ones
    /// registered, changed ones updated, the others deregistered. Returns true on a change.
    @discardableResult
    public func syncOwned(_ owner: String, _ desired: [String: [CMInstance]]) -> Bool {
        let before = snapshotResources()
        let next = Self.synced(before, owner: owner, desired: desired)
        guard next.instances != before.instances else { return false }
        do {
            try change { r throws(APIError) in
                let now = Self.synced(r, owner: owner, desired: desired)
                for (type, i) in Self.instanceChanges(from: r.instances, to: now.instances) {
                    _ = newOperation(type, ["SERVICE": i.serviceId, "INSTANCE": i.id], in: &r)
                }
                let touched = Set(Self.instanceChanges(from: r.instances, to: now.instances).map(\.1.serviceId))
                r.instances = now.instances
                for s in touched { r.bump(s) }
            }
        } catch { log("Cloud Map: \(error)") }
        return true
    }

    /// Pure: the resources with `owner`'s instances replaced by `desired` (services that no
    /// longer exist are skipped; an instance id another owner holds is left alone).
    static func synced(_ r: CMResources, owner: String, desired: [String: [CMInstance]]) -> CMResources {
        var out = r
        let existing = Set(r.services.map(\.id))
        out.instances.removeAll { i in i.owner == owner && !(desired[i.serviceId] ?? []).contains { $0.id == i.id } }
        for (serviceId, items) in desired.sorted(by: { $0.key < $1.key }) where existing.contains(serviceId) {
            for var item in items {
                item.serviceId = serviceId
                item.owner = owner
                if let i = out.instances.firstIndex(where: { $0.serviceId == serviceId && $0.id == item.id }) {
                    // AWS_INIT_HEALTH_STATUS is the health at registration; later changes are health only.
                    item.attributes["AWS_INIT_HEALTH_STATUS"] = out.instances[i].attributes["AWS_INIT_HEALTH_STATUS"] ?? item.attributes["AWS_INIT_HEALTH_STATUS"]
                    if out.instances[i].owner == owner { out.instances[i] = item }
                } else {
                    out.instances.append(item)
                }
            }
        }
        return out
    }

    /// Pure: REGISTER_INSTANCE for new or changed instances, DEREGISTER_INSTANCE for removed ones.
    static func instanceChanges(from old: [CMInstance], to new: [CMInstance]) -> [(String, CMInstance)] {
        func key(_ i: CMInstance) -> String { i.serviceId + "/" + i.id }
        let oldBy = Dictionary(old.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let newKeys = Set(new.map(key))
        var out: [(String, CMInstance)] = []
        for i in new where oldBy[key(i)].map({ $0.attributes != i.attributes }) ?? true { out.append(("REGISTER_INSTANCE", i)) }
        for i in old where !newKeys.contains(key(i)) { out.append(("DEREGISTER_INSTANCE", i)) }
        return out
    }

    // MARK: errors and names

    static func namespaceNotFound(_ id: String) -> APIError { APIError("NamespaceNotFound", "Namespace not found: \(id.prefix(256))") }
    static func serviceNotFound(_ id: String) -> APIError { APIError("ServiceNotFound", "Service not found: \(id.prefix(256))") }
    static func instanceNotFound(_ id: String) -> APIError { APIError("InstanceNotFound", "Instance not found: \(id.prefix(256))") }
    static func invalid(_ m: String) -> APIError { APIError("InvalidInput", m) }

    /// Namespace names: for DNS namespaces dot-separated labels of letters, digits, hyphens and
    /// underscores (1-63 each, 253 in all); for HTTP ones 1-1024 printable characters without spaces.
    static func checkNamespaceName(_ name: String, dns: Bool) throws(APIError) {
        if !dns {
            guard (1...1024).contains(name.count), name.unicodeScalars.allSatisfy({ (0x21...0x7E).contains($0.value) }) else {
                throw invalid("Name '\(name.prefix(256))' is not a valid HTTP namespace name: 1-1024 printable ASCII characters without spaces.")
            }
            return
        }
        guard (1...253).contains(name.count), name.split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isLabel) else {
            throw invalid("Name '\(name.prefix(256))' is not a valid DNS namespace name: dot-separated labels of letters, digits, hyphens and underscores, each 1-63 characters.")
        }
    }

    static func isLabel(_ l: Substring) -> Bool {
        !l.isEmpty && l.count <= 63 && l.first != "-" && l.last != "-"
            && l.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
