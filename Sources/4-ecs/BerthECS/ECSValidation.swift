import BerthJSON

/// Result of checking one task definition document.
public struct ValidationReport: Sendable, Equatable {
    /// Every error and warning, decoding problems first.
    public var problems: [Problem]
    /// The normalised definition (`TaskDefinitionInput.normalized()`); nil when the document is
    /// not valid JSON or not an object. Present even when there are errors (best effort).
    public var definition: TaskDefinitionInput?
    /// The JSON syntax error, when the bytes are not JSON.
    public var syntaxError: JSONSyntaxError?

    public var isValid: Bool { syntaxError == nil && definition != nil && !problems.hasErrors }
    public var errors: [Problem] { problems.errors }
    public var warnings: [Problem] { problems.warnings }

    /// The ECS error for a RegisterTaskDefinition call (ECS reports one problem per call): the
    /// first error decides the exception name. Messages that are ECS's own texts are returned
    /// byte for byte; Berth's own messages are prefixed with the JSON path. nil when valid.
    public var registerError: ECSError? {
        if let syntaxError {
            return ECSError(ECSError.serializationException, "Invalid JSON: \(syntaxError)")
        }
        guard let first = errors.first else { return nil }
        return ECSError(first.exception.rawValue, first.apiMessage)
    }
}

extension Problem {
    /// Beginnings of the messages that are ECS's own texts (§1.8), returned without a path.
    static let ecsTexts = [
        "Fargate requires", "No Fargate configuration exists", "Fargate only supports network mode",
        "When you are specifying container secrets", "Invalid setting for container '", "The sum of all container",
        "The 'memory' setting for container", "Container.name ", "Container.image ", "Container names must be unique",
        "Too many containers.", "Cannot depend on container + ", "A dependency container with SUCCESS or COMPLETE",
        "EphemeralStorage size should be", "When networkMode=", "hostname is not supported on container",
        "Tasks using the Fargate launch type do not support pidMode", "Invalid 'cpu' setting for task.",
        "Invalid 'memory' setting for task.", "Override for container named ", "Container Overrides length must be",
        "Specifying both a launch type and capacity provider strategy", "The daemon scheduling strategy does not support",
        "Placement constraints are not supported with FARGATE", "Placement strategies are not supported with FARGATE",
        "The specified capacity provider strategy cannot contain",
    ]

    /// The message as an API error body carries it: ECS texts verbatim, others as `path: message`.
    /// A message that already starts with its member's path is not prefixed again.
    public var apiMessage: String {
        if path.isRoot || Self.ecsTexts.contains(where: { message.hasPrefix($0) }) { return message }
        if message.hasPrefix("\(path) ") { return message }
        return "\(path): \(message)"
    }
}

/// Convenience entry points: bytes in, report out.
public enum ECSValidation {
    public static func validateTaskDefinition(bytes: some Collection<UInt8>, host: HostPlatform = .current) -> ValidationReport {
        let json: JSONValue
        do {
            json = try JSONValue.parse(bytes: bytes)
        } catch {
            return ValidationReport(problems: [], definition: nil, syntaxError: error)
        }
        return validateTaskDefinition(json, host: host)
    }

    /// Checks a RegisterTaskDefinition API request body: like `validateTaskDefinition`, but the
    /// describe-output form (wrapper, read-only members) is rejected as unknown parameters.
    public static func validateRegisterRequest(_ json: JSONValue, host: HostPlatform = .current) -> ValidationReport {
        validateTaskDefinition(json, host: host, acceptOutputForm: false)
    }

    /// Checks a parsed document (plain request, or describe/register output with its wrapper).
    public static func validateTaskDefinition(_ json: JSONValue, host: HostPlatform = .current, acceptOutputForm: Bool = true) -> ValidationReport {
        let doc = TaskDefinitionDocument.read(json, acceptOutputForm: acceptOutputForm)
        guard let input = doc.input else { return ValidationReport(problems: doc.problems, definition: nil, syntaxError: nil) }
        var problems = doc.problems
        let bytes = json.serialized().utf8.count
        if bytes > 65536 {
            problems.append(.error(doc.basePath, "Task definition is too large: \(bytes) bytes of JSON, the limit is 65536 (64 KiB)."))
        }
        problems += TaskDefinitionValidator.validate(input, basePath: doc.basePath, host: host)
        return ValidationReport(problems: problems, definition: input.normalized(), syntaxError: nil)
    }
}

extension ValidationReport {
    /// What `berth validate` prints for one file: `FILE:LINE:COLUMN: invalid JSON: ...` for syntax
    /// errors, else one `FILE: PATH: message` line per problem (warnings as `FILE: warning: PATH: ...`)
    /// and, when valid, `FILE: valid (N warnings)`.
    public func lines(for file: String) -> [String] {
        if let e = syntaxError { return ["\(file):\(e.line):\(e.column): invalid JSON: \(e.message)"] }
        var out = problems.map { "\(file): \($0)" }
        if isValid {
            let n = warnings.count
            out.append("\(file): valid (\(n) warning\(n == 1 ? "" : "s"))")
        }
        return out
    }
}
