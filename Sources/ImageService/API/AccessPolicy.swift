import HTTPProtocol

/// Who may call the API from where: optional bearer tokens and optional CORS for browser pages on other origins.
/// Both off by default (local use); tokens are required for anything reachable from outside.
///
/// Tokens guard routes, not path prefixes: every route is registered with a ``RouteAccess``, and the router asks
/// for a token on each route that is not declared public, against the one canonical path (``RequestTarget``).
public struct AccessPolicy: Sendable {
    /// Accepted bearer tokens; empty means the API is open.
    private let tokens: [[UInt8]]
    /// Origins allowed to call from a browser (`https://app.example`), or `*`; empty means no CORS headers at all.
    public let allowedOrigins: Set<String>

    static let allowedRequestHeaders = "Authorization, Content-Type, Idempotency-Key, X-Image-Metadata, X-Request-Id"
    static let exposedResponseHeaders = "Location, Retry-After, ETag, Content-Disposition, X-Request-Id"

    /// Whether the API answers without a token (no tokens configured).
    public var isOpen: Bool { tokens.isEmpty }

    public init(tokens: [String] = [], allowedOrigins: Set<String> = []) {
        self.tokens = tokens.filter { !$0.isEmpty }.map { Array($0.utf8) }
        self.allowedOrigins = allowedOrigins
    }

    /// Whether a request for a route of `access` may go on with this `Authorization` field.
    func permits(_ access: RouteAccess, authorization: String?) -> Bool {
        access == .public || tokens.isEmpty || permits(authorization: authorization)
    }

    /// Whether `Authorization` holds one of the tokens. Every token is compared over the full length of what was
    /// presented, lengths included, so the time taken says nothing about how much of a guess was right.
    func permits(authorization: String?) -> Bool {
        guard let authorization, authorization.utf8.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            return false
        }
        let presented = Array(authorization.utf8.dropFirst(7))
        var matched = false
        for token in tokens {
            var difference = token.count ^ presented.count
            for index in 0..<presented.count {
                difference |= Int(token[index % token.count] ^ presented[index])
            }
            matched = matched || difference == 0
        }
        return matched
    }

    static let unauthorized = APIError(
        status: .unauthorized, code: "unauthorized", message: "this API needs Authorization: Bearer <token>",
        headers: ["WWW-Authenticate": "Bearer realm=\"imageproc\""])

    /// The CORS headers for a request from `origin`, or none when that origin is not allowed.
    func corsHeaders(origin: String?) -> HTTPHeaders {
        guard let origin, allowedOrigins.contains(origin) || allowedOrigins.contains("*") else { return HTTPHeaders() }
        return [
            "Access-Control-Allow-Origin": allowedOrigins.contains("*") ? "*" : origin,
            "Access-Control-Expose-Headers": Self.exposedResponseHeaders,
            "Vary": "Origin",
        ]
    }
}

/// Whether a route needs the API token. Routes are protected unless they say otherwise.
public enum RouteAccess: Sendable, Equatable {
    /// Open to anyone: health, metrics, the page, the contract.
    case `public`
    /// Needs `Authorization: Bearer <token>` whenever tokens are configured.
    case token
}
