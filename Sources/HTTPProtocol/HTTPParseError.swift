/// Why a request could not be parsed: the status to answer, a stable machine `code` for the JSON error body and a
/// readable `message`. After any parse error the connection is answered (if nothing was sent yet) and closed, since
/// the framing of whatever follows cannot be trusted.
public struct HTTPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: HTTPStatus
    public var code: String
    public var message: String

    public init(status: HTTPStatus, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(status.code) \(code): \(message)" }

    /// Malformed syntax or framing → 400 `bad_request`.
    public static func badRequest(_ message: String) -> HTTPParseError {
        HTTPParseError(status: .badRequest, code: "bad_request", message: message)
    }

    /// A body larger than `HTTPLimits.maxBodyBytes` → 413 `payload_too_large`.
    public static func payloadTooLarge(_ message: String) -> HTTPParseError {
        HTTPParseError(status: .contentTooLarge, code: "payload_too_large", message: message)
    }

    /// A request line longer than `HTTPLimits.maxRequestLineBytes` → 414 `uri_too_long`.
    public static func uriTooLong(_ message: String) -> HTTPParseError {
        HTTPParseError(status: .uriTooLong, code: "uri_too_long", message: message)
    }

    /// Too many or too large header fields → 431 `header_fields_too_large`.
    public static func headerFieldsTooLarge(_ message: String) -> HTTPParseError {
        HTTPParseError(status: .requestHeaderFieldsTooLarge, code: "header_fields_too_large", message: message)
    }

    /// A transfer coding we do not implement → 501 `not_implemented`.
    public static func notImplemented(_ message: String) -> HTTPParseError {
        HTTPParseError(status: .notImplemented, code: "not_implemented", message: message)
    }

    /// A protocol version other than HTTP/1.0 and HTTP/1.1 → 505 `http_version_not_supported`.
    public static func versionNotSupported(_ message: String) -> HTTPParseError {
        HTTPParseError(status: .httpVersionNotSupported, code: "http_version_not_supported", message: message)
    }
}
