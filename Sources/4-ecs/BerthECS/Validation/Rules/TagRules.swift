import BerthJSON

/// Resource tags (§8.2): at most 50, key 1–128 characters, value ≤256, `aws:` reserved.
enum TagRules {
    static func check(_ tags: [Tag], at path: JSONPath, _ diag: Diagnostics, exception: ECSExceptionName = .clientException) {
        if tags.count > 50 { diag.error(path, "Too many tags: at most 50 are allowed, got \(tags.count).", exception: exception) }
        for (i, tag) in tags.enumerated() {
            let p = path / i
            guard let key = tag.key else { diag.error(p / "key", "Tag key should not be null or empty.", exception: exception); continue }
            if key.isEmpty || key.count > 128 { diag.error(p / "key", "Tag key must be 1-128 characters, got \(key.count).", exception: exception) }
            if key.lowercased().hasPrefix("aws:") { diag.error(p / "key", "Tag keys starting with 'aws:' are reserved for AWS use.", exception: exception) }
            if let v = tag.value, v.count > 256 { diag.error(p / "value", "Tag value must be at most 256 characters, got \(v.count).", exception: exception) }
        }
    }
}
