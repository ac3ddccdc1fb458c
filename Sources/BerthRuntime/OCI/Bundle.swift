import BerthSys
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// An OCI bundle directory: `config.json` plus (usually) `rootfs/`.
public enum Bundle {
    /// Read and decode `<bundle>/config.json`. Errors name the file and the JSON path
    /// (`config.json: process.args[1]: expected a string, found a number`) or, for bad JSON,
    /// the line and column the parser stopped at.
    public static func load(_ bundle: String) throws -> (path: String, spec: Spec) {
        let dir = absolute(bundle)
        let file = dir + "/config.json"
        let bytes: [UInt8]
        do { bytes = try Files.readBytes(file) } catch {
            throw BundleError("\(file): \(error.errno == ENOENT ? "no such file (is \(dir.debugDescription) an OCI bundle?)" : error.message)")
        }
        return (dir, try decode(bytes, file: file))
    }

    public static func decode(_ bytes: [UInt8], file: String) throws(BundleError) -> Spec {
        do {
            return try JSONDecoder().decode(Spec.self, from: Data(bytes))
        } catch let error as DecodingError {
            if case .dataCorrupted(let ctx) = error, ctx.codingPath.isEmpty, let syntax = JSONSyntax.firstError(in: bytes) {
                throw BundleError("\(file): invalid JSON at \(syntax)")
            }
            throw BundleError("\(file): \(describe(error))")
        } catch {
            throw BundleError("\(file): \(error)")
        }
    }

    /// `a/b` relative to the working directory, made absolute and without trailing slashes.
    public static func absolute(_ path: String) -> String {
        var p = path
        if !p.hasPrefix("/") {
            var buffer = [CChar](repeating: 0, count: 4096)
            let cwd = getcwd(&buffer, buffer.count) != nil
                ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "."
            p = p == "." ? cwd : cwd + "/" + p
        }
        var parts: [Substring] = []
        for c in p.split(separator: "/") where c != "." {
            if c == ".." { _ = parts.popLast() } else { parts.append(c) }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// A DecodingError as `path: problem`.
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let ctx):
            return "\(jsonPath(ctx.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let ctx):
            return "\(jsonPath(ctx.codingPath)): null where \(typeName(type)) is required"
        case .keyNotFound(let key, let ctx):
            return "\(jsonPath(ctx.codingPath + [key])): missing required field"
        case .dataCorrupted(let ctx):
            var message = ctx.debugDescription
            if let underlying = ctx.underlyingError { message += " \(underlying)" }
            return ctx.codingPath.isEmpty ? "invalid JSON: \(message)" : "\(jsonPath(ctx.codingPath)): \(message)"
        @unknown default:
            return "\(error)"
        }
    }

    static func jsonPath(_ path: [any CodingKey]) -> String {
        var out = ""
        for key in path {
            if let i = key.intValue { out += "[\(i)]" } else { out += out.isEmpty ? key.stringValue : "." + key.stringValue }
        }
        return out.isEmpty ? "(top level)" : out
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: return "an integer"
        case is UInt32.Type, is UInt64.Type: return "a non-negative integer"
        case is [String].Type: return "an array of strings"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "an object (\(name))"
        }
    }
}

public struct BundleError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
