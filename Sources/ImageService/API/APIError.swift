import HTTPProtocol

/// The API's own refusals: bad input, missing resources, a busy service.
public struct APIError: HTTPResponseError, Sendable, Equatable {
    public var status: HTTPStatus
    public var errorCode: String
    public var publicMessage: String
    public var responseHeaders: HTTPHeaders

    public init(status: HTTPStatus, code: String, message: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.errorCode = code
        self.publicMessage = message
        self.responseHeaders = headers
    }

    static func notFound(_ message: String = "no such resource") -> APIError {
        APIError(status: .notFound, code: "not_found", message: message)
    }

    static func invalidParameter(_ name: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: "invalid_parameter", message: message)
    }

    static func badRequest(code: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: code, message: message)
    }

    static func methodNotAllowed(allowed: [HTTPMethod]) -> APIError {
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        return APIError(
            status: .methodNotAllowed, code: "method_not_allowed", message: "this resource allows \(names)",
            headers: ["Allow": names])
    }

    static func unavailable(code: String, _ message: String, retryAfter seconds: Int) -> APIError {
        APIError(status: .serviceUnavailable, code: code, message: message, headers: ["Retry-After": "\(seconds)"])
    }
}
