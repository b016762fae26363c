/// Splits a buffered `multipart/form-data` body into parts (RFC 7578, RFC 2046 §5.1).
///
/// Interface commit: the implementation follows.
public enum MultipartParser {
    /// The `boundary` parameter of a `multipart/*` content type, or nil.
    public static func boundary(fromContentType contentType: String) -> String? {
        guard let mediaType = MediaType(parsing: contentType), mediaType.type == "multipart",
            let boundary = mediaType.parameter("boundary"), !boundary.isEmpty
        else { return nil }
        return boundary
    }

    /// The parts of `body`, in order.
    public static func parse(
        _ body: [UInt8], boundary: String, maxParts: Int = 32, maxPartHeaderBytes: Int = 8192
    ) throws(HTTPParseError) -> [MultipartPart] {
        fatalError("not implemented yet")
    }
}
