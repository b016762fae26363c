/// The sizes a request may reach before the parser refuses it. Every limit is checked while bytes arrive, so a
/// client cannot make the server buffer more than these plus one read.
public struct HTTPLimits: Sendable, Equatable {
    /// Longest request line, without its CRLF. Longer → 414.
    public var maxRequestLineBytes: Int
    /// Largest header section (all field lines with their CRLFs). Larger → 431. Also bounds a chunked body's trailers.
    public var maxHeaderBytes: Int
    /// Most header fields in one request. More → 431.
    public var maxHeaderCount: Int
    /// Largest body, declared or chunked. Larger → 413.
    public var maxBodyBytes: Int

    /// 50 MiB: a 100-megapixel JPEG at high quality, with room to spare.
    public static let defaultMaxBodyBytes = 50 * 1024 * 1024

    public init(
        maxRequestLineBytes: Int = 8 * 1024,
        maxHeaderBytes: Int = 16 * 1024,
        maxHeaderCount: Int = 100,
        maxBodyBytes: Int = defaultMaxBodyBytes
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }
}
