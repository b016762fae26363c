import Foundation
import Glibc

/// A response as read off the wire by `TestHTTPClient`.
struct TestResponse {
    var status: Int
    var headers: [(name: String, value: String)]
    var body: [UInt8]

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object.
    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw TestHTTPClient.Failure("body is not a JSON object: \(text)")
        }
        return object
    }
}

/// A deliberately plain HTTP/1.1 client over a blocking POSIX socket, so tests control every byte they send and see
/// every byte the server answers (pipelining, `100 Continue`, closed connections).
final class TestHTTPClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var closed = false

    init(port: Int, timeoutSeconds: Int = 20, configure: (Int32) -> Void = { _ in }) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure("socket: errno \(errno)") }
        configure(descriptor)
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            Glibc.close(descriptor)
            throw Failure("connect to port \(port): errno \(errno)")
        }
    }

    deinit {
        if !closed { Glibc.close(descriptor) }
    }

    func close() {
        if !closed { Glibc.close(descriptor) }
        closed = true
    }

    /// Opens a connection whose receive buffer is `bytes` (set before connecting, so the window stays small): a slow
    /// reader.
    convenience init(port: Int, receiveBufferBytes bytes: Int32, timeoutSeconds: Int = 20) throws {
        try self.init(
            port: port, timeoutSeconds: timeoutSeconds,
            configure: { descriptor in
                var size = bytes
                setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            })
    }

    /// Ends the connection with a TCP reset (SO_LINGER 0), as a client that crashed or was killed.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        close()
    }

    /// Reads until the server closes the connection (or resets it), and returns how many bytes came.
    func drainUntilClosed() -> Int {
        var total = buffer.count
        buffer.removeAll()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return total }
            total += count
        }
    }

    /// True when no byte arrives within `seconds` (nothing buffered either).
    func receivesNothing(for seconds: Double) -> Bool {
        guard buffer.isEmpty else { return false }
        var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, Int32(seconds * 1000)) == 0
    }

    /// Shuts down the sending side, as a client that has said all it will.
    func finishSending() {
        shutdown(descriptor, Int32(SHUT_WR))
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { throw Failure("send: errno \(errno)") }
            offset += written
        }
    }

    func send(_ text: String) throws {
        try send(Array(text.utf8))
    }

    /// Sends one request with `Content-Length` (when there is a body) and reads its response.
    func request(
        _ method: String, _ target: String, headers: [(String, String)] = [], body: [UInt8] = []
    ) throws -> TestResponse {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: localhost\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        try send(Array(head.utf8) + body)
        return try readResponse(forHead: method == "HEAD")
    }

    /// Reads one response; the body is read by `Content-Length` (none for HEAD, 1xx, 204, 304).
    func readResponse(forHead: Bool = false) throws -> TestResponse {
        let headEnd = try readUntil([0x0D, 0x0A, 0x0D, 0x0A])
        let headText = String(decoding: buffer[..<headEnd], as: UTF8.self)
        buffer.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
            throw Failure("bad status line: \(headText)")
        }
        let headers = lines.compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = TestResponse(status: status, headers: headers, body: [])
        let bodyless = forHead || (100..<200).contains(status) || status == 204 || status == 304
        if !bodyless, let length = response.header("Content-Length").flatMap(Int.init) {
            try fill(upTo: length)
            response.body = Array(buffer[..<length])
            buffer.removeFirst(length)
        }
        return response
    }

    /// True when the server has closed the connection (reads end of stream with nothing pending).
    func isClosedByServer() -> Bool {
        guard buffer.isEmpty else { return false }
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, 0) == 0
    }

    /// True when the server closes the connection within `seconds`; false if it stays open (without waiting out
    /// the read timeout).
    func isClosedByServer(within seconds: Double) -> Bool {
        guard buffer.isEmpty else { return false }
        var descriptor = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(seconds * 1000)) == 1 else { return false }
        return isClosedByServer()
    }

    private func readUntil(_ delimiter: [UInt8]) throws -> Int {
        var searchFrom = 0
        while true {
            if buffer.count >= delimiter.count {
                for index in searchFrom...(buffer.count - delimiter.count)
                where buffer[index..<index + delimiter.count].elementsEqual(delimiter) {
                    return index
                }
                searchFrom = buffer.count - delimiter.count + 1
            }
            try readMore()
        }
    }

    private func fill(upTo count: Int) throws {
        while buffer.count < count { try readMore() }
    }

    private func readMore() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw Failure(count == 0 ? "connection closed by the server" : "recv: errno \(errno)") }
        buffer.append(contentsOf: chunk[..<count])
    }
}
