/// An incremental HTTP/1.1 request parser (RFC 9112): bytes in, `.head` / `.request` / `.needMoreData` out, or a
/// typed error after which the connection must be closed.
///
/// Interface commit: the implementation follows.
public struct HTTPRequestParser: Sendable {
    public let limits: HTTPLimits

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Buffers bytes read from the connection. The bytes are copied; the caller may reuse its buffer at once.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        fatalError("not implemented yet")
    }

    /// Convenience for tests and callers that hold an array.
    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Parses as far as the buffered bytes allow.
    public mutating func next() throws(HTTPParseError) -> HTTPParserEvent {
        fatalError("not implemented yet")
    }
}
