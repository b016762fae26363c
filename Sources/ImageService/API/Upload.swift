import Foundation
import HTTPProtocol

/// An image upload taken out of whichever body shape the client sent: `multipart/form-data` (field `file`, optional
/// field `metadata`), JSON (`{"image": "<base64>", "filename", "metadata"}`), or the raw image bytes. Metadata may
/// also come in the `X-Image-Metadata` header.
struct Upload: Sendable {
    /// The largest metadata object accepted, in bytes of JSON.
    static let maxMetadataBytes = 4096
    /// How deeply arrays and objects may nest in metadata, the object itself being level 1. Responses wrap metadata
    /// a few levels deeper, and a JSON encoder gives up at some depth (512 in Foundation's): past it, a job's status
    /// and every list page holding it would fail.
    static let maxMetadataDepth = 16

    var bytes: [UInt8]
    var filename: String?
    /// Compact JSON text of an object, or nil.
    var metadata: String?

    init(_ request: HTTPRequest) throws(APIError) {
        let contentType = request.head.headers["Content-Type"].flatMap(MediaType.init(parsing:))
        var metadataText = request.head.headers["X-Image-Metadata"]
        switch contentType?.essence {
        case "multipart/form-data":
            guard let boundary = contentType?.parameter("boundary"), !boundary.isEmpty else {
                throw .badRequest(code: "invalid_body", "multipart/form-data needs a boundary parameter")
            }
            let parts: [MultipartPart]
            do {
                parts = try MultipartParser.parse(request.body, boundary: boundary)
            } catch {
                throw .badRequest(code: "invalid_body", error.message)
            }
            guard let file = parts.first(where: { $0.name == "file" }) else {
                throw .badRequest(code: "missing_file", "the form has no field named file")
            }
            bytes = file.body
            filename = file.filename.flatMap(sanitizedFilename)
            if let part = parts.first(where: { $0.name == "metadata" }) {
                metadataText = String(decoding: part.body, as: UTF8.self)
            }
        case _ where contentType?.isJSON == true:
            let body = try JSONUploadBody(parsing: request.body, maxMetadataDepth: Self.maxMetadataDepth)
            bytes = body.image
            filename = body.filename.flatMap(sanitizedFilename)
            if let value = body.metadata {
                // The body's metadata wins over the header's, as the form field's does.
                metadata = try Self.validatedMetadata(value)
                metadataText = nil
            }
        default:
            bytes = request.body
            filename = Self.filename(fromContentDisposition: request.head.headers["Content-Disposition"])
        }
        if let metadataText { metadata = try Self.validatedMetadata(metadataText) }
        guard !bytes.isEmpty else {
            throw .badRequest(code: "missing_file", "the upload is empty")
        }
    }

    private static func validatedMetadata(_ text: String) throws(APIError) -> String {
        guard text.utf8.count <= maxMetadataBytes else { throw metadataTooLarge }
        // Counted before parsing, so that no parser recurses on hostile nesting.
        guard JSONValue.nestingDepth(of: text.utf8, limit: maxMetadataDepth) <= maxMetadataDepth else {
            throw metadataTooDeep
        }
        guard let value = JSONValue(json: text) else { throw invalidMetadata }
        return try validatedMetadata(value)
    }

    /// The compact text of a metadata object. NUL is refused because PostgreSQL's `jsonb` cannot store `\u0000`.
    private static func validatedMetadata(_ value: JSONValue) throws(APIError) -> String {
        guard case .object = value else { throw invalidMetadata }
        guard !value.containsNUL else {
            throw .badRequest(code: "invalid_metadata", "metadata must not contain the character U+0000")
        }
        let text = value.jsonText
        guard text.utf8.count <= maxMetadataBytes else { throw metadataTooLarge }
        return text
    }

    private static let invalidMetadata = APIError.badRequest(code: "invalid_metadata", "metadata must be a JSON object")
    private static let metadataTooLarge = APIError.badRequest(
        code: "invalid_metadata", "metadata must be at most \(maxMetadataBytes) bytes of JSON")
    static let metadataTooDeep = APIError.badRequest(
        code: "invalid_metadata", "metadata must nest at most \(maxMetadataDepth) levels of objects and arrays")

    /// The name a raw upload gives itself in `Content-Disposition: attachment; filename="…"`, made safe.
    private static func filename(fromContentDisposition value: String?) -> String? {
        guard let value else { return nil }
        return HeaderParameters.filename(in: HeaderParameters.parse(value.drop { $0 != ";" })).flatMap(
            sanitizedFilename)
    }
}
