import CBerth
#if canImport(Glibc)
import Glibc
#endif

/// A failed system call: which setup stage failed, the errno, and what it acted on.
/// Every raw call in Berth is wrapped so that its failure reads like
/// `mount /proc (proc): Operation not permitted (errno 1)`.
public struct SysError: Error, CustomStringConvertible, Equatable, Sendable {
    public var stage: String
    public var errno: Int32
    public var detail: String?

    public init(_ stage: String, errno: Int32 = berth_errno(), detail: String? = nil) {
        self.stage = stage
        self.errno = errno
        self.detail = detail
    }

    public var message: String { String(cString: strerror(errno)) }

    public var description: String {
        var s = stage
        if let detail { s += " \(detail)" }
        return "\(s): \(message) (errno \(errno))"
    }
}

/// The one place that retries on EINTR and turns -1 into a thrown SysError.
public enum Sys {
    /// Run `body` until it does not fail with EINTR; throw on any other failure (-1 return).
    @discardableResult
    public static func call<T: BinaryInteger>(_ stage: @autoclosure () -> String, detail: @autoclosure () -> String? = nil, _ body: () -> T) throws(SysError) -> T {
        while true {
            let rc = body()
            if rc != -1 { return rc }
            let e = berth_errno()
            if e == EINTR { continue }
            throw SysError(stage(), errno: e, detail: detail())
        }
    }

    /// Like `call` but returns the errno instead of throwing (for calls whose failure is expected).
    public static func attempt<T: BinaryInteger>(_ body: () -> T) -> (T, Int32) {
        while true {
            let rc = body()
            if rc != -1 { return (rc, 0) }
            let e = berth_errno()
            if e == EINTR { continue }
            return (rc, e)
        }
    }
}
