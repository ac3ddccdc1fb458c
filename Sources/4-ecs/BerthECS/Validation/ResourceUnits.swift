/// Task-level `cpu` and `memory` strings as ECS accepts them ([M:RegisterTaskDefinitionRequest.cpu/memory], §1.5):
/// cpu is integer CPU units ("1024") or vCPUs ("1 vCPU", "0.25 vcpu", ".25 vcpu");
/// memory is integer MiB ("512") or GB ("1GB", "0.5 GB", ".5 gb"). Both normalise to the integer string.
public enum ResourceUnits {
    public enum ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not a recognised form.
        case badFormat(String)
        /// A unit form that does not give a whole number of units/MiB (e.g. "0.0001 vCPU").
        case notWhole(String)

        public var description: String {
            switch self {
            case .badFormat(let s): "\(quoted(s)) is not a valid value"
            case .notWhole(let s): "\(quoted(s)) does not convert to a whole number"
            }
        }
    }

    /// CPU units for a task `cpu` string.
    public static func cpuUnits(_ text: String) -> Result<Int, ParseError> {
        parse(text, unitNames: ["vcpu"])
    }

    /// MiB for a task `memory` string.
    public static func memoryMiB(_ text: String) -> Result<Int, ParseError> {
        parse(text, unitNames: ["gb"])
    }

    private static func parse(_ text: String, unitNames: [String]) -> Result<Int, ParseError> {
        let trimmed = text.trimmingWhitespace()
        let lower = trimmed.lowercased()
        guard let unit = unitNames.first(where: { lower.hasSuffix($0) }) else {
            guard !trimmed.isEmpty, trimmed.allSatisfy(\.isASCIIDigit), trimmed.count <= 9, let n = Int(trimmed) else {
                return .failure(.badFormat(text))
            }
            return .success(n)
        }
        let number = String(lower.dropLast(unit.count)).trimmingWhitespace()
        guard let scaled = decimalTimes1024(number) else { return .failure(.badFormat(text)) }
        guard let whole = scaled else { return .failure(.notWhole(text)) }
        return .success(whole)
    }

    /// `"0.25"` × 1024 exactly. nil: not a decimal; .some(nil): not a whole result.
    private static func decimalTimes1024(_ s: String) -> Int?? {
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard !s.isEmpty, parts.count <= 2 else { return nil }
        let intPart = String(parts[0])
        let fracPart = parts.count == 2 ? String(parts[1]) : ""
        guard intPart.allSatisfy(\.isASCIIDigit), fracPart.allSatisfy(\.isASCIIDigit),
            !(intPart.isEmpty && fracPart.isEmpty), intPart.count <= 6, fracPart.count <= 9
        else { return nil }
        if parts.count == 2 && fracPart.isEmpty { return nil }
        var scale = 1
        for _ in 0..<fracPart.count { scale *= 10 }
        let numerator = ((Int(intPart) ?? 0) * scale + (Int(fracPart) ?? 0)) * 1024
        return numerator % scale == 0 ? .some(numerator / scale) : .some(nil)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
