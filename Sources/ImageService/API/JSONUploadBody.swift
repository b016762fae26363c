import Foundation

/// The JSON upload body `{"image": "<base64>", "filename": "…", "metadata": {…}}`, read without copying the image
/// more than once.
///
/// A scan of the top-level object finds where each member lies in the body; the image's base64 text is decoded from
/// there straight into an array of the exact size (escapes such as `\/` and `\u0041` are legal JSON and are
/// honoured; whitespace and `\n`, `\r`, `\t` between the characters are skipped; anything else that is not base64
/// is refused). Everything else — the body with the image's text left out, at most ``maxOtherBytes`` — goes through
/// `JSONDecoder`, which checks that the whole body is valid JSON. So a 30 MiB body costs the body plus the image's
/// bytes, not the four copies a `String` of it and a `Data` would take.
///
/// A key that appears twice at the top level is refused: which `image` a client meant cannot be guessed, and
/// parsers disagree on which one wins.
struct JSONUploadBody {
    /// The most bytes the body may hold besides the image's base64 text.
    static let maxOtherBytes = 64 * 1024

    var image: [UInt8]
    var filename: String?
    /// The `metadata` member, nil when absent or `null`.
    var metadata: JSONValue?

    /// Reads `body`; metadata nested deeper than `maxMetadataDepth` is refused before anything parses it.
    init(parsing body: [UInt8], maxMetadataDepth: Int) throws(APIError) {
        let (imageValue, metadataValue) = try body.withUnsafeBufferPointer { bytes throws(APIError) in
            try Self.locateMembers(bytes)
        }
        guard let imageValue, body[imageValue.lowerBound] == UInt8(ascii: "\"") else { throw Self.notAnObject }
        let imageText = (imageValue.lowerBound + 1)..<(imageValue.upperBound - 1)
        if let metadataValue,
            JSONValue.nestingDepth(of: body[metadataValue], limit: maxMetadataDepth) > maxMetadataDepth
        {
            throw Upload.metadataTooDeep
        }
        struct Rest: Decodable {
            var image: String
            var filename: String?
            var metadata: JSONValue?
        }
        let rest: Rest
        do {
            var others = Data(capacity: body.count - imageText.count)
            others.append(contentsOf: body[..<imageText.lowerBound])
            others.append(contentsOf: body[imageText.upperBound...])
            rest = try JSONDecoder().decode(Rest.self, from: others)
        } catch {
            throw Self.notAnObject
        }
        image = try body.withUnsafeBufferPointer { bytes throws(APIError) in
            guard let image = Base64JSONText.decode(UnsafeBufferPointer(rebasing: bytes[imageText])) else {
                throw .badRequest(code: "invalid_body", "image must be base64")
            }
            return image
        }
        filename = rest.filename
        metadata = rest.metadata == .null ? nil : rest.metadata
    }

    private static let notAnObject = APIError.badRequest(
        code: "invalid_body", "the JSON body must be an object with a base64 string image")

    private static let tooLarge = APIError.badRequest(
        code: "invalid_body", "the JSON body may hold at most \(maxOtherBytes) bytes besides the image")

    /// Where the values of `image` and `metadata` lie in the top-level object, refusing a key seen twice and more
    /// than ``maxOtherBytes`` outside the image's value. Other values are skipped, not checked: `JSONDecoder`
    /// checks all but the image's text afterwards.
    private static func locateMembers(
        _ bytes: UnsafeBufferPointer<UInt8>
    ) throws(APIError) -> (image: Range<Int>?, metadata: Range<Int>?) {
        var scanner = JSONScanner(bytes: bytes)
        var image: Range<Int>?
        var metadata: Range<Int>?
        var keys = Set<String>()
        scanner.skipWhitespace()
        guard scanner.take(UInt8(ascii: "{")) else { throw notAnObject }
        scanner.skipWhitespace()
        if !scanner.take(UInt8(ascii: "}")) {
            while true {
                guard let keyText = scanner.string() else { throw notAnObject }
                let key = try Self.key(bytes, keyText)
                guard keys.insert(key).inserted else {
                    throw .badRequest(code: "invalid_body", "the JSON body holds the key \(key.debugDescription) twice")
                }
                scanner.skipWhitespace()
                guard scanner.take(UInt8(ascii: ":")) else { throw notAnObject }
                scanner.skipWhitespace()
                guard let value = scanner.value() else { throw notAnObject }
                if key == "image" { image = value }
                if key == "metadata" { metadata = value }
                guard scanner.position - (image?.count ?? 0) <= maxOtherBytes else { throw tooLarge }
                scanner.skipWhitespace()
                if scanner.take(UInt8(ascii: ",")) {
                    scanner.skipWhitespace()
                } else if scanner.take(UInt8(ascii: "}")) {
                    break
                } else {
                    throw notAnObject
                }
            }
        }
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw notAnObject }
        return (image, metadata)
    }

    /// A key's text, unescaped. A key longer than any escaped spelling of ours (`\u0069…`) is returned raw: it
    /// matches none of them, and its raw text is enough to tell it from another.
    private static func key(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(APIError) -> String {
        let raw = UnsafeBufferPointer(rebasing: bytes[range])
        guard raw.contains(UInt8(ascii: "\\")), raw.count <= 64 else { return String(decoding: raw, as: UTF8.self) }
        do {
            let quoted = Data(UnsafeBufferPointer(rebasing: bytes[(range.lowerBound - 1)...range.upperBound]))
            return try JSONDecoder().decode(String.self, from: quoted)
        } catch {
            throw notAnObject
        }
    }
}

/// A forward-only reader of JSON text, enough to find the members of one object.
private struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    var atEnd: Bool { position == bytes.count }

    mutating func skipWhitespace() {
        while position < bytes.count, Self.isWhitespace(bytes[position]) { position += 1 }
    }

    /// Consumes `byte` if it comes next.
    mutating func take(_ byte: UInt8) -> Bool {
        guard position < bytes.count, bytes[position] == byte else { return false }
        position += 1
        return true
    }

    /// A string's text between its quotes, or nil if no string starts here, it does not end, or it breaks RFC 8259
    /// §7: a control character written raw, or an escape other than `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`
    /// and `\u` with four hex digits. (`JSONDecoder` does not look inside the strings of members it skips.)
    mutating func string() -> Range<Int>? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = position
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return start..<(position - 1)
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { return nil }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                        (position..<(position + 4)).allSatisfy({ Self.isHexDigit(bytes[$0]) })
                    else { return nil }
                    position += 4
                default:
                    return nil
                }
            case 0..<0x20:
                return nil
            default:
                continue
            }
        }
        return nil
    }

    /// The extent of the value that starts here: a string, an array or object up to its matching bracket (counted,
    /// not recursed), or a scalar up to the next delimiter.
    mutating func value() -> Range<Int>? {
        let start = position
        guard position < bytes.count else { return nil }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            guard string() != nil else { return nil }
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            repeat {
                guard position < bytes.count else { return nil }
                switch bytes[position] {
                case UInt8(ascii: "\""):
                    guard string() != nil else { return nil }
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                default: break
                }
                position += 1
            } while depth > 0
        default:
            while position < bytes.count, !Self.isDelimiter(bytes[position]) { position += 1 }
            guard position > start else { return nil }
        }
        return start..<position
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        isWhitespace(byte) || byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
    }
}
