import CCompress

/// A gzip stream (RFC 1952) decompressed on demand with Debian's zlib: header, CRC-32 and length
/// checked by zlib, concatenated members read in turn, memory bounded (zlib's 32 KiB window and
/// the caller's read size) whatever the stream claims. What comes out is charged to the import's
/// budget by the tar unpacker, so a gzip bomb stops at --max-image-size.
final class GzipSource: ByteSource {
    private let input: ByteSource
    private let stream: UnsafeMutablePointer<z_stream>
    private var inBuf: [UInt8] = []
    private var inPos = 0
    private var finished = false
    /// True once a member's trailer (CRC-32, length) was checked: the stream may end there.
    private var memberComplete = false

    init(_ input: ByteSource) throws {
        self.input = input
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard berth_gunzip_init(stream) == Z_OK else {
            stream.deallocate()
            throw ImageError("zlib: inflateInit2 failed (out of memory)")
        }
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    func read(_ n: Int) throws -> [UInt8] {
        guard n > 0, !finished else { return [] }
        var out = [UInt8](repeating: 0, count: n)
        var produced = 0
        while produced < n {
            if inPos == inBuf.count {
                inBuf = try input.read(1 << 17)
                inPos = 0
                if inBuf.isEmpty {
                    guard memberComplete else { throw ImageError("gzip stream truncated") }
                    finished = true
                    break
                }
            }
            if memberComplete {
                // Another member follows (concatenated gzip): it must be gzip too.
                guard inflateReset(stream) == Z_OK else { throw ImageError("zlib: inflateReset failed") }
                memberComplete = false
            }
            let (rc, consumed, written) = inBuf.withUnsafeMutableBytes { inp in
                out.withUnsafeMutableBytes { outp in
                    stream.pointee.next_in = inp.baseAddress!.assumingMemoryBound(to: Bytef.self) + inPos
                    stream.pointee.avail_in = uInt(inp.count - inPos)
                    stream.pointee.next_out = outp.baseAddress!.assumingMemoryBound(to: Bytef.self) + produced
                    stream.pointee.avail_out = uInt(n - produced)
                    let rc = inflate(stream, Z_NO_FLUSH)
                    let consumed = inp.count - inPos - Int(stream.pointee.avail_in)
                    let written = n - produced - Int(stream.pointee.avail_out)
                    stream.pointee.next_in = nil
                    stream.pointee.next_out = nil
                    return (rc, consumed, written)
                }
            }
            inPos += consumed
            produced += written
            switch rc {
            case Z_OK, Z_BUF_ERROR: continue
            case Z_STREAM_END: memberComplete = true
            case Z_MEM_ERROR: throw ImageError("gzip: out of memory")
            default:
                let reason = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
                throw ImageError("gzip: \(reason) (corrupt archive)")
            }
        }
        out.removeLast(n - produced)
        return out
    }
}
