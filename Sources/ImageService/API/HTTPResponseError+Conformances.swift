import HTTPProtocol
import Imaging
import PostgresClient

// How the errors of other layers are told to clients. The only place that maps them to statuses.

extension InvalidParameter: HTTPResponseError {
    public var status: HTTPStatus { .badRequest }
    public var errorCode: String { "invalid_parameter" }
    public var publicMessage: String { message }
}

extension InvalidCursor: HTTPResponseError {
    public var status: HTTPStatus { .badRequest }
    public var errorCode: String { "invalid_parameter" }
    public var publicMessage: String { "before must be a cursor returned as next by this list" }
}

extension ImageError: HTTPResponseError {
    /// At upload only the header is read: a wrong type is 415, an unreadable or oversized header 422.
    public var status: HTTPStatus {
        switch self.code {
        case .unsupportedFormat: .unsupportedMediaType
        case .corrupt, .truncated, .tooManyPixels, .tooComplex, .invalidArgument, .tooLargeForMemory:
            .unprocessableContent
        case .outOfMemory: .serviceUnavailable
        }
    }

    public var errorCode: String { code.rawValue }
    public var publicMessage: String { message }
}

extension JobAdmission.Refusal: HTTPResponseError {
    public var status: HTTPStatus { .tooManyRequests }
    public var errorCode: String { "backlog_full" }
    public var publicMessage: String { "too many images are waiting; try again later" }
    public var responseHeaders: HTTPHeaders { ["Retry-After": "30"] }
}

/// Only a database that cannot serve right now (``PostgresError/isUnavailable``: unreachable, full, read-only,
/// too slow) is the client's business (503, try again); any other PostgreSQL error is ours and stays a 500 with the
/// details in the log.
struct DatabaseUnavailable: HTTPResponseError {
    /// The `Retry-After` of every 503 the database causes, `/readyz`'s included.
    static let retryAfterSeconds = 5

    var status: HTTPStatus { .serviceUnavailable }
    var errorCode: String { "database_unavailable" }
    var publicMessage: String { "the database is unavailable; try again shortly" }
    var responseHeaders: HTTPHeaders { ["Retry-After": "\(Self.retryAfterSeconds)"] }
}
