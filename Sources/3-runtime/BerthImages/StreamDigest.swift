import CCrypto

/// SHA-256 over a large stream (a blob while it downloads, an uncompressed layer while it is
/// unpacked) through OpenSSL's libcrypto, which uses the CPU's SHA extensions: several times
/// faster than BerthSys' portable `SHA256`, which stays for small things and the small binaries.
final class StreamDigest {
    private let context: OpaquePointer

    /// Fails only when libcrypto cannot allocate a context or has no SHA-256 (a broken OpenSSL
    /// configuration).
    init() throws(ImageError) {
        guard let c = EVP_MD_CTX_new() else { throw ImageError("libcrypto: cannot allocate a SHA-256 context") }
        guard EVP_DigestInit_ex(c, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(c)
            throw ImageError("libcrypto: SHA-256 is not available (check the OpenSSL configuration)")
        }
        context = c
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    /// "sha256:<hex>" of what was hashed so far (the stream may go on); "" if libcrypto could not
    /// copy the context (out of memory), which matches no digest.
    var digest: String {
        guard let copy = EVP_MD_CTX_new() else { return "" }
        defer { EVP_MD_CTX_free(copy) }
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard EVP_MD_CTX_copy_ex(copy, context) == 1, EVP_DigestFinal_ex(copy, &out, &length) == 1, length == 32 else { return "" }
        return "sha256:" + Self.hex(out)
    }

    private static let digits = Array("0123456789abcdef".utf8)

    static func hex(_ bytes: [UInt8]) -> String {
        var chars: [UInt8] = []
        chars.reserveCapacity(bytes.count * 2)
        for b in bytes { chars.append(digits[Int(b >> 4)]); chars.append(digits[Int(b & 15)]) }
        return String(decoding: chars, as: UTF8.self)
    }
}
