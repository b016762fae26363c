import CSystemShims
import Glibc

/// A non-blocking TCP socket that owns its descriptor. It must be closed explicitly, once, on the thread that owns
/// it (the event loop); `deinit` asserts that it was.
final class Socket {
    let descriptor: Int32
    private var isOpen = true

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        assert(!isOpen, "socket \(descriptor) was never closed")
    }

    /// Opens a listening socket bound to `host:port` (IPv4; `port` 0 picks a free one) with `SO_REUSEADDR`.
    static func listening(host: String, port: Int, backlog: Int32 = 1024) throws(SystemError) -> Socket {
        let descriptor = try systemCall("socket") {
            Glibc.socket(
                AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        }
        let socket = Socket(descriptor: descriptor)
        do throws(SystemError) {
            try socket.setOption(SOL_SOCKET, SO_REUSEADDR, 1)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
                throw SystemError(call: "inet_pton(\(host))", errno: EINVAL)
            }
            _ = try systemCall("bind") {
                withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            _ = try systemCall("listen") { Glibc.listen(descriptor, backlog) }
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    /// The port this socket is bound to.
    func localPort() throws(SystemError) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = try systemCall("getsockname") {
            withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Accepts one pending connection, non-blocking, or nil when none is waiting.
    func accept() throws(SystemError) -> Socket? {
        let flags = Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
        switch try nonBlockingSystemCall("accept4", { imageproc_accept4(descriptor, flags) }) {
        case .processed(let client):
            let socket = Socket(descriptor: client)
            // Responses are written whole; waiting for more bytes (Nagle) would only add latency.
            try? socket.setOption(Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            return socket
        case .wouldBlock:
            return nil
        }
    }

    /// Reads into `buffer`; `.processed(0)` means the peer closed its side.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        try nonBlockingSystemCall("read") { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
    }

    /// Writes as much of `bytes` as the kernel takes now.
    func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) -> IOResult<Int> {
        // MSG_NOSIGNAL: a peer that went away must give EPIPE, not a SIGPIPE that kills the process.
        try nonBlockingSystemCall("send") { send(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends a FIN: the peer sees the end of the response, while its remaining bytes can still be read and dropped
    /// (a lingering close, so that a client still sending does not get a reset that destroys the response).
    func shutdownWrite() {
        _ = shutdown(descriptor, Int32(SHUT_WR))
    }

    private func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(SystemError) {
        var value = value
        _ = try systemCall("setsockopt") {
            setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
        }
    }

    /// Closes the descriptor. Safe to call once; a second call is a bug.
    func close() {
        precondition(isOpen, "socket \(descriptor) closed twice")
        isOpen = false
        // close(2) must not be retried on EINTR on Linux: the descriptor is already released.
        _ = Glibc.close(descriptor)
    }
}

@available(*, unavailable)
extension Socket: Sendable {}
