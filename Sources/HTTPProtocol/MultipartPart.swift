/// One part of a `multipart/form-data` body (RFC 7578): its headers, the form field name and filename from its
/// `Content-Disposition`, and its bytes exactly as sent.
public struct MultipartPart: Sendable, Equatable {
    /// The form field name (`name=` of `Content-Disposition`).
    public var name: String?
    /// The client's filename, unsanitised: pass it through `sanitizedFilename` before storing or echoing it.
    /// `filename*=UTF-8''…` takes precedence over `filename=`.
    public var filename: String?
    /// The part's `Content-Type` as sent, if any. Never trust it for the format of an upload.
    public var contentType: String?
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(
        name: String?, filename: String?, contentType: String?, headers: HTTPHeaders, body: [UInt8]
    ) {
        self.name = name
        self.filename = filename
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}
