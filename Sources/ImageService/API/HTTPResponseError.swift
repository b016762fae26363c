import HTTPProtocol

/// An error that knows how it is told to a client: an HTTP status, a stable machine-readable `code` and a message
/// a person understands. The router turns these into `{"error": {"code", "message"}}`; anything else becomes a 500
/// whose details go only to the log.
public protocol HTTPResponseError: Error {
    var status: HTTPStatus { get }
    var errorCode: String { get }
    var publicMessage: String { get }
    /// Extra response headers, e.g. `Retry-After` or `Allow`.
    var responseHeaders: HTTPHeaders { get }
}

extension HTTPResponseError {
    public var responseHeaders: HTTPHeaders { HTTPHeaders() }

    /// The JSON error response for this error.
    public func response() -> HTTPResponse {
        .error(status: status, code: errorCode, message: publicMessage, headers: responseHeaders)
    }
}
