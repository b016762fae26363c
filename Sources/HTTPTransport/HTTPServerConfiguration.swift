import HTTPProtocol

/// Where the HTTP server listens and the limits it enforces on every connection.
public struct HTTPServerConfiguration: Sendable {
    /// IPv4 address to bind; `0.0.0.0` for every interface. Loopback by default, as development servers do:
    /// reaching the service from elsewhere is a decision (see ``bindsLoopbackOnly``).
    public var host: String
    /// TCP port; 0 picks a free one (tests).
    public var port: Int
    /// Request line, header and body limits.
    public var limits: HTTPLimits
    /// Open connections beyond this are answered 503 and closed.
    public var maxConnections: Int
    /// Request-body bytes all connections together may hold at once (``BodyBudget``); at least the body limit.
    public var bodyBudgetBytes: Int
    /// Response bytes all connections together may have waiting for their clients before no connection starts a
    /// further request (each answer already begun is still sent in full: streamed ones a part at a time).
    public var outputBudgetBytes: Int
    /// A keep-alive connection with no request in progress is closed after this many seconds (sooner when the
    /// connection limit is reached and a new client needs its place).
    public var idleTimeout: Int64
    /// The whole header section must arrive within this many seconds of its first byte (slowloris), and a new
    /// connection's first request within this many seconds of the connection (idle sockets that hold slots).
    public var headerTimeout: Int64
    /// A body being read, or a response being written, must move at least `minimumTransferRate` bytes per second
    /// averaged over each window of this many seconds (``TransferRate``); so must a request waiting for the body
    /// budget be let in within one window.
    public var transferWindow: Int64
    /// See `transferWindow`.
    public var minimumTransferRate: Int

    /// Default for `host`.
    public static let defaultHost = "127.0.0.1"
    /// Default for `port`.
    public static let defaultPort = 8080
    /// Default for `bodyBudgetBytes`: five bodies at the default limit.
    public static let defaultBodyBudgetBytes = 256 * 1024 * 1024
    /// Default for `outputBudgetBytes`.
    public static let defaultOutputBudgetBytes = 64 * 1024 * 1024

    public init(
        host: String = defaultHost, port: Int = defaultPort, limits: HTTPLimits = HTTPLimits(),
        maxConnections: Int = 4096, bodyBudgetBytes: Int = defaultBodyBudgetBytes,
        outputBudgetBytes: Int = defaultOutputBudgetBytes, idleTimeout: Int64 = 60, headerTimeout: Int64 = 10,
        transferWindow: Int64 = 30, minimumTransferRate: Int = 1024
    ) {
        self.host = host
        self.port = port
        self.limits = limits
        self.maxConnections = maxConnections
        self.bodyBudgetBytes = bodyBudgetBytes
        self.outputBudgetBytes = outputBudgetBytes
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.transferWindow = transferWindow
        self.minimumTransferRate = minimumTransferRate
    }

    /// Whether only this machine can connect: `host` is a dotted IPv4 loopback address (127.0.0.0/8). Anything
    /// else counts as reachable, odd spellings included (`127.1`, which the listener refuses anyway).
    public var bindsLoopbackOnly: Bool {
        Self.isIPv4Address(host) && host.hasPrefix("127.")
    }

    /// Whether `text` is what the listener can bind: four decimal numbers 0-255 separated by dots, as `inet_pton`
    /// reads them (no `127.1`, no signs, no leading zeros; IPv6 is not served).
    public static func isIPv4Address(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { part in
                let digits = part.utf8.allSatisfy { (0x30...0x39).contains($0) }
                return digits && UInt8(part) != nil && (part.count == 1 || part.first != "0")
            }
    }
}
