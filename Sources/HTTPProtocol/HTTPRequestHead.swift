/// The request line and header fields of one request, with its target already split and decoded.
///
/// The parser has validated the framing fields (`Content-Length`, `Transfer-Encoding`) before it hands a head out,
/// so they are consistent with the body that follows.
public struct HTTPRequestHead: Sendable {
    public var method: HTTPMethod
    /// The request-target exactly as received (`/images/1?x=%20`).
    public var target: String
    /// The percent-decoded path without the query (`/images/1`). Never contains NUL or a `..` segment.
    public var path: String
    /// The query's fields in order, percent-decoded with `+` as space; a field without `=` has an empty value.
    public var query: [(name: String, value: String)]
    public var version: HTTPVersion
    public var headers: HTTPHeaders

    /// Builds a head from a raw request-target, splitting and decoding it as the parser does.
    public init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = HTTPHeaders()
    ) throws(HTTPParseError) {
        self.init(
            method: method, target: target, parsed: try RequestTarget(parsing: target.utf8), version: version,
            headers: headers)
    }

    init(method: HTTPMethod, target: String, parsed: RequestTarget, version: HTTPVersion, headers: HTTPHeaders) {
        self.method = method
        self.target = target
        self.path = parsed.path
        self.query = parsed.query
        self.version = version
        self.headers = headers
    }

    /// Whether the connection may carry another request after this one: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive` (RFC 9112 §9.3).
    public var keepAlive: Bool {
        let options = connectionOptions
        if options.contains("close") { return false }
        if version == .http1_0 { return options.contains("keep-alive") }
        return version.major >= 1
    }

    /// Whether the client waits for `100 Continue` before sending its body. Ignored for HTTP/1.0 clients, which
    /// cannot know it (RFC 9110 §10.1.1).
    public var expectsContinue: Bool {
        guard version != .http1_0, let expect = headers["Expect"] else { return false }
        return expect.trimmingASCIIWhitespace().lowercased() == "100-continue"
    }

    private var connectionOptions: Set<String> {
        Set(FramingRules.listElements(headers.values(for: "Connection")).map { $0.lowercased() })
    }
}

extension HTTPRequestHead: Equatable {
    public static func == (lhs: HTTPRequestHead, rhs: HTTPRequestHead) -> Bool {
        lhs.method == rhs.method && lhs.target == rhs.target && lhs.path == rhs.path
            && lhs.query.elementsEqual(rhs.query) { $0.name == $1.name && $0.value == $1.value }
            && lhs.version == rhs.version && lhs.headers == rhs.headers
    }
}
