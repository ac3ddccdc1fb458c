import BerthInit
import BerthJSON
import BerthSys
#if canImport(Glibc)
import Glibc
#endif

/// An OCI bundle directory: `config.json` plus (usually) `rootfs/`.
public enum Bundle {
    /// Read and decode `<bundle>/config.json`. Errors name the file and the JSON path
    /// (`config.json: process.args[1]: expected a string`) or, for bad JSON,
    /// the line and column the parser stopped at. `seccomp`: the profile's bytes, for the cache.
    public static func load(_ bundle: String) throws -> (path: String, spec: Spec, seccomp: SeccompSource?) {
        let dir = absolute(bundle)
        let file = dir + "/config.json"
        let bytes: [UInt8]
        do { bytes = try Files.readBytes(file) } catch {
            throw BundleError("\(file): \(error.errno == ENOENT ? "no such file (is \(dir.debugDescription) an OCI bundle?)" : error.message)")
        }
        let spec = try decode(bytes, file: file)
        return (dir, spec, SeccompSource(config: bytes, spec: spec))
    }

    /// Parsed (line and column of the first syntax error), then the fields are read with
    /// BerthJSON rather than JSONDecoder: no Codable metadata to instantiate on the start path.
    /// A repeated key keeps its last value, as runc's Go decoder does.
    public static func decode(_ bytes: [UInt8], file: String) throws(BundleError) -> Spec {
        let json: JSONValue
        do { json = try JSONValue.parse(bytes: bytes, duplicateKeys: .keepLast) } catch {
            throw BundleError("\(file): invalid JSON at \(error)")
        }
        // Schema fields Berth does not honour are refused by name (RefusedSpecFields).
        let refused = RefusedSpecFields.issues(in: json)
        if !refused.isEmpty { throw BundleError(refused.map { "\(file): \($0)" }.joined(separator: "\n")) }
        do { return try Spec(json: json, path: .root) } catch { throw BundleError("\(file): \(error)") }
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
}

public struct BundleError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
