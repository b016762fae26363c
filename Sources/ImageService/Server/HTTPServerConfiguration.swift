/// Where the HTTP server listens and the limits it enforces on every connection.
public struct HTTPServerConfiguration: Sendable {
    /// IPv4 address to bind; `0.0.0.0` for every interface.
    public var host: String
    /// TCP port; 0 picks a free one (tests).
    public var port: Int
    /// Request line, header and body limits.
    public var limits: HTTPLimits
    /// Open connections beyond this are answered 503 and closed.
    public var maxConnections: Int
    /// A keep-alive connection with no request in progress is closed after this many seconds.
    public var idleTimeout: Int64
    /// The whole header section must arrive within this many seconds of its first byte (slowloris).
    public var headerTimeout: Int64
    /// A body, or a response being written, must make progress at least this often (seconds).
    public var progressTimeout: Int64

    public init(
        host: String = "0.0.0.0", port: Int = 8080, limits: HTTPLimits = HTTPLimits(), maxConnections: Int = 4096,
        idleTimeout: Int64 = 60, headerTimeout: Int64 = 10, progressTimeout: Int64 = 30
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.progressTimeout = progressTimeout
    }
}
