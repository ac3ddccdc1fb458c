import BerthJSON

/// Reads a task definition document as `aws ecs register-task-definition --cli-input-json`
/// accepts it, and also describe/register output (`{"taskDefinition": {...}, "tags": [...]}`
/// with read-only members, which are ignored with one warning).
public struct TaskDefinitionDocument: Sendable, Equatable {
    /// The request, as far as it could be read (nil only if the document is not an object).
    public var input: TaskDefinitionInput?
    /// Where the task definition sits in the document: root, or `taskDefinition` when wrapped.
    public var basePath: JSONPath
    /// Shape problems (types, unknown members, enum values, missing model-required members) and
    /// the warnings about wrappers and read-only members.
    public var problems: [Problem]

    /// Members of a returned `TaskDefinition` that a request cannot set.
    public static let readOnlyMembers = [
        "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
        "registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt",
    ]

    /// Decodes a parsed document. See `TaskDefinitionDocument.read`.
    public static func decode(_ json: JSONValue) -> (TaskDefinitionInput?, [Problem]) {
        let doc = read(json)
        return (doc.input, doc.problems)
    }

    /// With `acceptOutputForm` false (an API request body), the `taskDefinition` wrapper and the
    /// read-only members are not recognised and are reported as unknown parameters, as ECS does.
    public static func read(_ json: JSONValue, acceptOutputForm: Bool = true) -> TaskDefinitionDocument {
        let diag = Diagnostics()
        guard case .object(var root) = json else {
            diag.invalid(.root, rootTypeMessage(json))
            return TaskDefinitionDocument(input: nil, basePath: .root, problems: diag.problems)
        }
        var base = JSONPath.root
        var outerTags: [Tag]?
        if acceptOutputForm, case .object(let inner)? = root["taskDefinition"], !root.contains("family"),
            !root.contains("containerDefinitions")
        {
            let outer = ObjectReader(root, at: .root, diag)
            outerTags = outer("tags")
            outer.accept(["taskDefinition", "ResponseMetadata"])
            outer.finish()
            diag.warning(.root, "describe/register output wrapper {\"taskDefinition\": ...} unwrapped; the request is read from \"taskDefinition\"")
            root = inner
            base = .root / "taskDefinition"
        }
        let reader = ObjectReader(root, at: base, diag)
        let present = acceptOutputForm ? readOnlyMembers.filter { root.contains($0) } : []
        reader.accept(present)
        if !present.isEmpty {
            diag.warning(base, "read-only members of a registered task definition are ignored: " + present.joined(separator: ", "))
        }
        var input = TaskDefinitionInput(reading: reader)
        reader.finish()
        if let outerTags, !outerTags.isEmpty {
            if input.tags == nil || input.tags == [] { input.tags = outerTags }
        }
        return TaskDefinitionDocument(input: input, basePath: base, problems: diag.problems)
    }

    static func rootTypeMessage(_ json: JSONValue) -> String {
        if case .array(let items) = json, items.contains(where: { $0["image"] != nil || $0["name"] != nil }) {
            return "expected an object (a RegisterTaskDefinition request with \"family\" and \"containerDefinitions\"), "
                + "got an array; this looks like a bare containerDefinitions list (e.g. Terraform container_definitions): "
                + "wrap it as {\"family\": \"...\", \"containerDefinitions\": [...]}"
        }
        return "expected an object (a RegisterTaskDefinition request), got " + typeMessage(expected: "object", got: json)
            .replacingPrefix("invalid type: expected object, got ", with: "")
    }
}

extension String {
    func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
