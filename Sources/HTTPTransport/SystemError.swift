import Glibc

/// A system call that failed: its name and `errno`, captured at once.
public struct SystemError: Error, Sendable, Equatable, CustomStringConvertible {
    public var call: String
    public var errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    public var description: String { "\(call) failed: \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// The outcome of a call on a non-blocking descriptor.
enum IOResult<Value> {
    case processed(Value)
    case wouldBlock
}

/// Runs a system call on a non-blocking descriptor (`read`, `send`, `accept4`), retrying on `EINTR` and turning
/// `-1` into a `SystemError` (errno read before anything else can touch it). `EAGAIN`/`EWOULDBLOCK` come back as
/// `.wouldBlock`.
@inline(__always)
func nonBlockingSystemCall<T: FixedWidthInteger>(
    _ name: String, _ body: () -> T
) throws(SystemError) -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .processed(result) }
        let code = Glibc.errno
        switch code {
        case EINTR: continue
        case EAGAIN, EWOULDBLOCK: return .wouldBlock
        default: throw SystemError(call: name, errno: code)
        }
    }
}

/// Runs a system call that has no "try again later" (`socket`, `bind`, `epoll_ctl`), retrying on `EINTR` and
/// turning `-1` into a `SystemError`, `EAGAIN` included; returns the call's non-negative result.
@inline(__always)
func systemCall<T: FixedWidthInteger>(_ name: String, _ body: () -> T) throws(SystemError) -> T {
    switch try nonBlockingSystemCall(name, body) {
    case .processed(let value): return value
    case .wouldBlock: throw SystemError(call: name, errno: EAGAIN)
    }
}
