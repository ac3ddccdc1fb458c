import BerthJSON

/// `berth validate` input: a task definition (request or describe output) or a CreateService
/// request, told apart by their members.
public struct DocumentReport: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case taskDefinition = "task definition"
        case createService = "CreateService request"
    }

    public var kind: Kind
    public var problems: [Problem]
    public var syntaxError: JSONSyntaxError?
    /// False when the document could not be read as the kind at all (not JSON, not an object).
    public var decoded: Bool

    public var isValid: Bool { syntaxError == nil && decoded && !problems.hasErrors }
    public var warnings: [Problem] { problems.warnings }

    /// `FILE:LINE:COLUMN: invalid JSON: ...`, or one `FILE: [warning: ]PATH: message` line per
    /// problem and, when valid, `FILE: valid (N warnings)` (`valid CreateService request (...)`
    /// for services).
    public func lines(for file: String) -> [String] {
        if let e = syntaxError { return ["\(file):\(e.line):\(e.column): invalid JSON: \(e.message)"] }
        var out = problems.map { "\(file): \($0)" }
        if isValid {
            let n = warnings.count
            let what = kind == .createService ? "valid CreateService request" : "valid"
            out.append("\(file): \(what) (\(n) warning\(n == 1 ? "" : "s"))")
        }
        return out
    }
}

extension ECSValidation {
    /// Members only a CreateService request has.
    static let serviceMembers = ["serviceName", "desiredCount", "schedulingStrategy", "deploymentController",
                                 "loadBalancers", "launchType", "deploymentConfiguration", "serviceRegistries"]

    /// True for an object that has CreateService members and no task definition members.
    public static func looksLikeServiceRequest(_ json: JSONValue) -> Bool {
        guard let o = json.objectValue, !o.contains("family"), !o.contains("containerDefinitions") else { return false }
        if let td = o["taskDefinition"], td.objectValue != nil { return false }
        return serviceMembers.contains(where: o.contains)
    }

    /// Checks a file's bytes as a task definition or, when it looks like one, a CreateService request.
    public static func validateDocument(bytes: some Collection<UInt8>, host: HostPlatform = .current) -> DocumentReport {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes: bytes)
        } catch {
            return DocumentReport(kind: .taskDefinition, problems: [], syntaxError: error, decoded: false)
        }
        if looksLikeServiceRequest(json) {
            let (request, problems) = ServiceDocument.decodeCreate(json)
            let all = problems + (request.map(ServiceValidator.validate) ?? [])
            return DocumentReport(kind: .createService, problems: all, syntaxError: nil, decoded: request != nil)
        }
        let r = validateTaskDefinition(json, host: host)
        return DocumentReport(kind: .taskDefinition, problems: r.problems, syntaxError: nil, decoded: r.definition != nil)
    }
}
