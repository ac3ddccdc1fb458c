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
