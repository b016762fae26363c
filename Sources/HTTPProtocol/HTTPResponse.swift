import Foundation

/// A response: status, header fields and the body, either whole (`body`) or read in parts (`bodySource`, for large
/// downloads). The server writes `serializedHead` and then the body (or only the head for `HEAD`, which keeps the
/// `Content-Length` of the `GET` body).
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    /// The whole body; empty when `bodySource` provides it.
    public var body: [UInt8]
    /// The body in parts, instead of `body`.
    public var bodySource: (any HTTPBodySource)?

    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose body is read from `source` as the client takes it.
    public init(status: HTTPStatus, headers: HTTPHeaders = HTTPHeaders(), bodySource source: any HTTPBodySource) {
        self.init(status: status, headers: headers)
        bodySource = source
    }

    /// The length of the body, whole or in parts.
    public var bodyCount: Int { bodySource?.count ?? body.count }

    /// `value` as a JSON body with `Content-Type: application/json` (unless `headers` has a `Content-Type`).
    /// Dates are ISO 8601 with fractional seconds, keys are sorted so the bytes are stable. A value that cannot be
    /// encoded is a programming error and yields a 500 error response instead.
    public static func json(
        _ status: HTTPStatus, _ value: some Encodable, headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        let headers = withJSONContentType(headers)
        do {
            return HTTPResponse(status: status, headers: headers, body: Array(try jsonEncoder().encode(value)))
        } catch {
            return .error(status: .internalServerError, code: "internal_error", message: "response encoding failed")
        }
    }

    /// The API's error body, exactly `{"error":{"code":"…","message":"…"}}`.
    public static func error(
        status: HTTPStatus, code: String, message: String, headers: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        let headers = withJSONContentType(headers)
        let envelope = ErrorEnvelope(error: .init(code: code, message: message))
        // Two strings cannot fail to encode; the fallback only keeps the signature non-throwing.
        let body = (try? jsonEncoder().encode(envelope)).map(Array.init) ?? Array(#"{"error":{}}"#.utf8)
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// The status line and header section, ending with the empty line.
    ///
    /// Fields are written in this order: the response's own headers; `Content-Length: bodyCount` unless
    /// `includeBodyLength` is false, the headers already have one, or the status forbids a body (1xx and 204 must
    /// not carry one; a 304's would have to be the 200's length, which it does not know, RFC 9110 §8.6);
    /// `Connection: close` when not keeping the connection alive (replacing any `Connection`
    /// field); `Date` unless present. CR, LF and NUL are dropped from names and values, so no header can split
    /// the response. An HTTP/1.0 client that asked for keep-alive needs `Connection: keep-alive` in `headers`.
    public func serializedHead(keepAlive: Bool, includeBodyLength: Bool = true, date: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.append(contentsOf: "HTTP/1.1 \(status.code) \(status.reasonPhrase)\r\n".utf8)
        for (name, value) in headers where keepAlive || !HTTPHeaders.namesMatch(name, "Connection") {
            Self.appendField(name, value, to: &out)
        }
        if includeBodyLength, !status.forbidsBody, !headers.contains("Content-Length") {
            Self.appendField("Content-Length", String(bodyCount), to: &out)
        }
        if !keepAlive {
            Self.appendField("Connection", "close", to: &out)
        }
        if !headers.contains("Date") {
            Self.appendField("Date", date, to: &out)
        }
        out.append(contentsOf: [0x0D, 0x0A])
        return out
    }

    /// The head followed by the body, for callers that write once.
    public func serialized(keepAlive: Bool, date: String) -> [UInt8] {
        serializedHead(keepAlive: keepAlive, date: date) + body
    }

    /// `headers` with `Content-Type: application/json` added unless the caller chose a type (`problem+json`).
    private static func withJSONContentType(_ headers: HTTPHeaders) -> HTTPHeaders {
        guard !headers.contains("Content-Type") else { return headers }
        var headers = headers
        headers.add(name: "Content-Type", value: "application/json")
        return headers
    }

    private static func appendField(_ name: String, _ value: String, to out: inout [UInt8]) {
        let unsafe: (UInt8) -> Bool = { $0 == 0x0D || $0 == 0x0A || $0 == 0x00 }
        out.append(contentsOf: name.utf8.lazy.filter { !unsafe($0) })
        out.append(contentsOf: ": ".utf8)
        out.append(contentsOf: value.utf8.lazy.filter { !unsafe($0) })
        out.append(contentsOf: [0x0D, 0x0A])
    }

    private static func jsonEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        return encoder
    }

    private struct ErrorEnvelope: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
        }
        var error: Detail
    }
}
