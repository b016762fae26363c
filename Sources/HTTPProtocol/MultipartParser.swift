/// Splits a buffered `multipart/form-data` body into parts (RFC 7578, RFC 2046 §5.1).
///
/// The body is `preamble`, then `--boundary` parts each introduced by `CRLF--boundary` plus optional spaces and a
/// CRLF, then `CRLF--boundary--` and an ignored epilogue. A `CRLF--boundary` followed by anything else is part of
/// the content, so binary data that merely resembles the boundary survives. Part headers end at the first empty
/// line and are parsed like HTTP fields. Every malformation is a 400: an invalid boundary, no delimiter, no close
/// delimiter, part headers over `maxPartHeaderBytes` or malformed, more than `maxParts` parts.
public enum MultipartParser {
    private static let crlf: [UInt8] = [0x0D, 0x0A]

    /// The `boundary` parameter of a `multipart/*` content type, or nil.
    public static func boundary(fromContentType contentType: String) -> String? {
        guard let mediaType = MediaType(parsing: contentType), mediaType.type == "multipart",
            let boundary = mediaType.parameter("boundary"), !boundary.isEmpty
        else { return nil }
        return boundary
    }

    /// The parts of `body`, in order. Which parts must be present is the caller's business.
    public static func parse(
        _ body: [UInt8], boundary: String, maxParts: Int = 32, maxPartHeaderBytes: Int = 8192
    ) throws(HTTPParseError) -> [MultipartPart] {
        guard isValidBoundary(boundary) else { throw .badRequest("invalid multipart boundary") }
        let dashBoundary = Array("--\(boundary)".utf8)
        let scanner = DelimiterScanner(body: body, delimiter: crlf + dashBoundary)

        var delimiter: DelimiterScanner.Match
        if body.starts(with: dashBoundary), let match = scanner.match(at: 0, length: dashBoundary.count) {
            delimiter = match
        } else if let match = scanner.next(from: 0) {
            delimiter = match
        } else {
            throw .badRequest("multipart body without a boundary delimiter")
        }

        var parts: [MultipartPart] = []
        while !delimiter.isClose {
            guard parts.count < maxParts else { throw .badRequest("more than \(maxParts) multipart parts") }
            guard let next = scanner.next(from: delimiter.end) else {
                throw .badRequest("multipart body without a close delimiter")
            }
            parts.append(try part(body[delimiter.end..<next.start], maxHeaderBytes: maxPartHeaderBytes))
            delimiter = next
        }
        return parts
    }

    /// RFC 2046 §5.1.1: 1–70 characters from `bchars`, not ending in a space.
    static func isValidBoundary(_ boundary: String) -> Bool {
        let bytes = Array(boundary.utf8)
        guard (1...70).contains(bytes.count), bytes.last != 0x20 else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "A")...UInt8(ascii: "Z"):
                true
            default:
                "'()+_,-./:=? ".utf8.contains(byte)
            }
        }
    }

    /// One part: headers up to the first empty line, then the content.
    private static func part(_ bytes: ArraySlice<UInt8>, maxHeaderBytes: Int) throws(HTTPParseError) -> MultipartPart {
        var headers = HTTPHeaders()
        var contentStart = bytes.startIndex
        if !bytes.isEmpty, !bytes.starts(with: crlf) {
            let window = Array(bytes.prefix(maxHeaderBytes + 4))
            guard let end = ByteSearch.firstIndex(of: crlf + crlf, in: window, from: 0) else {
                if bytes.count > maxHeaderBytes + 4 {
                    throw .badRequest("multipart part headers larger than \(maxHeaderBytes) bytes")
                }
                throw .badRequest("multipart part headers not terminated")
            }
            for line in window[..<end].split(separator: crlf, omittingEmptySubsequences: false) {
                let (name, value) = try HTTPSyntax.parseField(line)
                headers.add(name: name, value: value)
            }
            contentStart += end + 4
        } else if !bytes.isEmpty {
            contentStart += 2
        }

        var name: String?
        var filename: String?
        if let disposition = headers["Content-Disposition"] {
            let parameters = HeaderParameters.parse(disposition.drop { $0 != ";" })
            name = parameters.first { $0.name == "name" }?.value
            filename = HeaderParameters.filename(in: parameters)
        }
        return MultipartPart(
            name: name, filename: filename, contentType: headers["Content-Type"], headers: headers,
            body: Array(bytes[contentStart...]))
    }
}
