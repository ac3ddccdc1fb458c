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

/// gzip (RFC 1952) over DEFLATE (RFC 1951), decoded on demand with CRC-32 and length checks.
/// Canonical Huffman decoding in the style of zlib's `puff`: small and dependency-free.
final class GzipSource: ByteSource {
    private let input: ByteSource
    private var inBuf: [UInt8] = []
    private var inPos = 0
    private var bitBuf: UInt32 = 0
    private var bitCnt = 0

    private var out: [UInt8] = []
    private var outPos = 0
    private var window: [UInt8] = []
    private var crc: UInt32 = 0xffff_ffff
    private var size: UInt32 = 0

    private enum State { case header, blockStart, stored(Int), huffman(Huffman, Huffman), trailer, done }
    private var state = State.header
    private var lastBlock = false

    init(_ input: ByteSource) { self.input = input }

    func read(_ n: Int) throws -> [UInt8] {
        while out.count - outPos < n {
            if case .done = state { break }
            try step()
        }
        let take = min(n, out.count - outPos)
        let chunk = Array(out[outPos..<(outPos + take)])
        outPos += take
        if outPos > 1 << 20 { out.removeFirst(outPos); outPos = 0 }
        return chunk
    }

    // MARK: input

    private func byte() throws -> UInt8 {
        if inPos == inBuf.count {
            inBuf = try input.read(1 << 16)
            inPos = 0
            guard !inBuf.isEmpty else { throw ImageError("gzip stream truncated") }
        }
        defer { inPos += 1 }
        return inBuf[inPos]
    }

    private func atEnd() throws -> Bool {
        if inPos < inBuf.count { return false }
        inBuf = try input.read(1 << 16)
        inPos = 0
        return inBuf.isEmpty
    }

    private func bits(_ need: Int) throws -> Int {
        while bitCnt < need {
            bitBuf |= UInt32(try byte()) << UInt32(bitCnt)
            bitCnt += 8
        }
        let v = Int(bitBuf & ((1 << UInt32(need)) - 1))
        bitBuf >>= UInt32(need)
        bitCnt -= need
        return v
    }

    // MARK: output

    private func emit(_ b: UInt8) {
        out.append(b)
        window.append(b)
        crc = Self.crcTable[Int((crc ^ UInt32(b)) & 0xff)] ^ (crc >> 8)
        size &+= 1
    }

    // MARK: decoding

    private func step() throws {
        switch state {
        case .header:
            guard try byte() == 0x1f, try byte() == 0x8b else { throw ImageError("not a gzip stream") }
            guard try byte() == 8 else { throw ImageError("gzip: unsupported compression method") }
            let flags = try byte()
            for _ in 0..<6 { _ = try byte() }
            if flags & 4 != 0 { let len = Int(try byte()) | Int(try byte()) << 8; for _ in 0..<len { _ = try byte() } }
            if flags & 8 != 0 { while try byte() != 0 {} }
            if flags & 16 != 0 { while try byte() != 0 {} }
            if flags & 2 != 0 { _ = try byte(); _ = try byte() }
            crc = 0xffff_ffff
            size = 0
            lastBlock = false
            state = .blockStart
        case .blockStart:
            if lastBlock { state = .trailer; return }
            lastBlock = try bits(1) == 1
            switch try bits(2) {
            case 0:
                bitBuf = 0; bitCnt = 0
                let len = Int(try byte()) | Int(try byte()) << 8
                let nlen = Int(try byte()) | Int(try byte()) << 8
                guard len == (~nlen & 0xffff) else { throw ImageError("gzip: corrupt stored block") }
                state = .stored(len)
            case 1: state = .huffman(Self.fixedLit, Self.fixedDist)
            case 2: state = try dynamicTables()
            default: throw ImageError("gzip: invalid block type")
            }
        case .stored(let left):
            if left == 0 { state = .blockStart; return }
            let n = min(left, 1 << 15)
            for _ in 0..<n { emit(try byte()) }
            state = .stored(left - n)
            trimWindow()
        case .huffman(let lit, let dist):
            for _ in 0..<4096 {
                let sym = try decode(lit)
                if sym < 256 { emit(UInt8(sym)); continue }
                if sym == 256 { state = .blockStart; break }
                let li = sym - 257
                guard li < 29 else { throw ImageError("gzip: bad length code") }
                let len = Self.lenBase[li] + (try bits(Self.lenExtra[li]))
                let ds = try decode(dist)
                guard ds < 30 else { throw ImageError("gzip: bad distance code") }
                let d = Self.distBase[ds] + (try bits(Self.distExtra[ds]))
                guard d <= window.count else { throw ImageError("gzip: distance too far back") }
                let start = window.count - d
                for k in 0..<len { emit(window[start + k]) }
            }
            trimWindow()
        case .trailer:
            bitBuf = 0; bitCnt = 0
            var stored: UInt32 = 0, isize: UInt32 = 0
            for i in 0..<4 { stored |= UInt32(try byte()) << UInt32(8 * i) }
            for i in 0..<4 { isize |= UInt32(try byte()) << UInt32(8 * i) }
            guard stored == ~crc, isize == size else { throw ImageError("gzip: CRC or length mismatch (corrupt archive)") }
            state = try atEnd() ? .done : .header   // concatenated members
        case .done:
            return
        }
    }

    private func trimWindow() {
        if window.count > 1 << 17 { window.removeFirst(window.count - (1 << 15)) }
    }

    private func dynamicTables() throws -> State {
        let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var lengths = [Int](repeating: 0, count: 19)
        for i in 0..<ncode { lengths[order[i]] = try bits(3) }
        let lencode = try Huffman(lengths)
        var all: [Int] = []
        while all.count < nlen + ndist {
            let sym = try decode(lencode)
            switch sym {
            case 0..<16: all.append(sym)
            case 16:
                guard let prev = all.last else { throw ImageError("gzip: repeat with no previous length") }
                all += Array(repeating: prev, count: 3 + (try bits(2)))
            case 17: all += Array(repeating: 0, count: 3 + (try bits(3)))
            default: all += Array(repeating: 0, count: 11 + (try bits(7)))
            }
        }
        guard all.count == nlen + ndist else { throw ImageError("gzip: too many code lengths") }
        return .huffman(try Huffman(Array(all[0..<nlen])), try Huffman(Array(all[nlen...])))
    }

    private func decode(_ h: Huffman) throws -> Int {
        var code = 0, first = 0, index = 0
        for len in 1...15 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count
            first += count
            first <<= 1
            code <<= 1
        }
        throw ImageError("gzip: invalid Huffman code")
    }

    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]
        init(_ lengths: [Int]) throws {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            var offs = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offs[len + 1] = offs[len] + counts[len] }
            for (sym, l) in lengths.enumerated() where l != 0 {
                symbols[offs[l]] = sym
                offs[l] += 1
            }
        }
    }

    static let lenBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lenExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                           4097, 6145, 8193, 12289, 16385, 24577]
    static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let fixedLit = try! Huffman((0..<288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })
    static let fixedDist = try! Huffman([Int](repeating: 5, count: 30))
    static let crcTable: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xedb8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }
}
