/// A pull-based byte source (file, or a decompressor over one).
protocol ByteSource: AnyObject {
    /// Up to `n` bytes; fewer only at the end.
    func read(_ n: Int) throws -> [UInt8]
    /// Skip `n` bytes (fewer at the end).
    func skip(_ n: Int64) throws
}

extension ByteSource {
    func skip(_ n: Int64) throws {
        var left = n
        while left > 0 {
            let chunk = try read(Int(min(left, 1 << 16)))
            if chunk.isEmpty { return }
            left -= Int64(chunk.count)
        }
    }
}

extension BufferedInput: ByteSource {}

/// A decompressor as a `ByteSource`: reads its input in 128 KiB chunks and hands them with the
/// caller's buffer to `decode` (one codec step) until the buffer is full or the input ends; an
/// input that ends anywhere but at the end of a member or frame is "<name> stream truncated".
/// Memory stays bounded by the codec's window and the caller's read size, whatever the stream
/// claims; what comes out is charged to the import's budget by the tar unpacker.
class DecompressingSource: ByteSource {
    private let input: ByteSource
    private let name: String
    private var inBuf: [UInt8] = []
    private var inPos = 0
    private var finished = false
    /// True where the input may end: after a complete member or frame.
    private var atBoundary: Bool

    init(_ input: ByteSource, name: String, emptyIsComplete: Bool) {
        self.input = input
        self.name = name
        self.atBoundary = emptyIsComplete
    }

    /// One codec step from `input` into `output`: bytes consumed and written, and whether the
    /// stream is at a member or frame boundary afterwards. Subclasses implement it.
    func decode(_ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawBufferPointer) throws -> (consumed: Int, written: Int, atBoundary: Bool) {
        fatalError("DecompressingSource.decode is implemented by each codec")
    }

    final func read(_ n: Int) throws -> [UInt8] {
        guard n > 0, !finished else { return [] }
        var out = [UInt8](repeating: 0, count: n)
        var produced = 0
        while produced < n {
            if inPos == inBuf.count {
                inBuf = try input.read(1 << 17)
                inPos = 0
                if inBuf.isEmpty {
                    guard atBoundary else { throw ImageError("\(name) stream truncated") }
                    finished = true
                    break
                }
            }
            let step = try inBuf.withUnsafeBytes { inp in
                try out.withUnsafeMutableBytes { outp in
                    try decode(UnsafeRawBufferPointer(rebasing: inp[inPos...]), UnsafeMutableRawBufferPointer(rebasing: outp[produced...]))
                }
            }
            inPos += step.consumed
            produced += step.written
            atBoundary = step.atBoundary
        }
        out.removeLast(n - produced)
        return out
    }
}
