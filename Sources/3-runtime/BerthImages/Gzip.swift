import CCompress

/// A gzip stream (RFC 1952) decompressed on demand with Debian's zlib: header, CRC-32 and length
/// checked by zlib, concatenated members read in turn, memory bounded (zlib's 32 KiB window and
/// the caller's read size) whatever the stream claims. What comes out is charged to the import's
/// budget by the tar unpacker, so a gzip bomb stops at --max-image-size.
final class GzipSource: DecompressingSource {
    private let stream: UnsafeMutablePointer<z_stream>
    /// True once a member's trailer (CRC-32, length) was checked: the stream may end there.
    private var memberComplete = false

    init(_ input: ByteSource) throws {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard berth_gunzip_init(stream) == Z_OK else {
            stream.deallocate()
            throw ImageError("zlib: inflateInit2 failed (out of memory)")
        }
        super.init(input, name: "gzip", emptyIsComplete: false)
    }

    deinit {
        inflateEnd(stream)
        stream.deallocate()
    }

    override func decode(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, written: Int, atBoundary: Bool) {
        if memberComplete {
            // Another member follows (concatenated gzip): it must be gzip too.
            guard inflateReset(stream) == Z_OK else { throw ImageError("zlib: inflateReset failed") }
            memberComplete = false
        }
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let rc = inflate(stream, Z_NO_FLUSH)
        let consumed = input.count - Int(stream.pointee.avail_in)
        let written = output.count - Int(stream.pointee.avail_out)
        stream.pointee.next_in = nil
        stream.pointee.next_out = nil
        switch rc {
        case Z_OK, Z_BUF_ERROR: break
        case Z_STREAM_END: memberComplete = true
        case Z_MEM_ERROR: throw ImageError("gzip: out of memory")
        default:
            let reason = stream.pointee.msg.map { String(cString: $0) } ?? "error \(rc)"
            throw ImageError("gzip: \(reason) (corrupt archive)")
        }
        return (consumed, written, memberComplete)
    }
}
