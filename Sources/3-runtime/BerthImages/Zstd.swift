import CCompress

/// A zstd stream (RFC 8878) decompressed on demand with Debian's libzstd: the streaming API, so
/// memory stays bounded whatever the frame declares; concatenated frames are read in turn.
/// What comes out is charged to the import's budget by the tar unpacker, as gzip's is.
final class ZstdSource: DecompressingSource {
    private let stream: OpaquePointer

    init(_ input: ByteSource) throws {
        guard let s = ZSTD_createDStream() else { throw ImageError("zstd: out of memory") }
        stream = s
        // Refuse frames whose window would need more than 128 MiB (libzstd's default limit).
        ZSTD_DCtx_setParameter(stream, ZSTD_d_windowLogMax, 27)
        super.init(input, name: "zstd", emptyIsComplete: true)
    }

    deinit { ZSTD_freeDStream(stream) }

    override func decode(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, written: Int, atBoundary: Bool) {
        var i = ZSTD_inBuffer(src: input.baseAddress!, size: input.count, pos: 0)
        var o = ZSTD_outBuffer(dst: output.baseAddress!, size: output.count, pos: 0)
        let result = ZSTD_decompressStream(stream, &o, &i)
        if ZSTD_isError(result) != 0 {
            throw ImageError("zstd: \(String(cString: ZSTD_getErrorName(result))) (corrupt stream)")
        }
        // 0: the frame ended exactly here.
        return (i.pos, o.pos, result == 0)
    }
}

/// A gzip stream written with zlib (deflate level 6, as `gzip` and Docker use), for layers of a
/// saved image; `sink` receives the compressed bytes in order.
final class GzipWriter {
    private var stream = z_stream()
    private let sink: ([UInt8]) throws -> Void
    private var open = true

    init(level: Int32 = 6, sink: @escaping ([UInt8]) throws -> Void) throws {
        self.sink = sink
        guard berth_gzip_deflate_init(&stream, level) == Z_OK else { throw ImageError("zlib: deflateInit2 failed") }
    }

    deinit { if open { deflateEnd(&stream) } }

    func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        try run(bytes, flush: Z_NO_FLUSH)
    }

    /// Ends the stream (gzip trailer: CRC-32 and length).
    func finish() throws {
        try run([], flush: Z_FINISH)
        deflateEnd(&stream)
        open = false
    }

    private func run(_ input: [UInt8], flush: Int32) throws {
        var input = input
        var out = [UInt8](repeating: 0, count: 1 << 17)
        try input.withUnsafeMutableBytes { inp in
            stream.next_in = inp.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_in = uInt(inp.count)
            while true {
                let (rc, have) = out.withUnsafeMutableBytes { outp in
                    stream.next_out = outp.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(outp.count)
                    let rc = deflate(&stream, flush)
                    return (rc, outp.count - Int(stream.avail_out))
                }
                guard rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR else { throw ImageError("zlib: deflate failed (\(rc))") }
                if have > 0 { try sink(Array(out[0..<have])) }
                if flush == Z_FINISH ? rc == Z_STREAM_END : (stream.avail_in == 0 && have < out.count) { break }
            }
        }
    }
}
