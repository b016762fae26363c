/// Percent-decoding (RFC 3986 §2.1) shared by the request target, the query and `filename*` (RFC 8187).
enum PercentDecoding {
    /// The decoded bytes, or nil when a `%` is not followed by two hex digits. With `plusAsSpace`, `+` becomes a
    /// space, as in `application/x-www-form-urlencoded` queries.
    static func decode(_ bytes: some Collection<UInt8>, plusAsSpace: Bool = false) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index != bytes.endIndex {
            let byte = bytes[index]
            bytes.formIndex(after: &index)
            if byte == UInt8(ascii: "%") {
                guard index != bytes.endIndex, let high = hexValue(bytes[index]) else { return nil }
                bytes.formIndex(after: &index)
                guard index != bytes.endIndex, let low = hexValue(bytes[index]) else { return nil }
                bytes.formIndex(after: &index)
                out.append(high << 4 | low)
            } else if plusAsSpace, byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else {
                out.append(byte)
            }
        }
        return out
    }

    /// Decodes to a string, or nil for bad escapes or bytes that are not UTF-8.
    static func decodeString(_ bytes: some Collection<UInt8>, plusAsSpace: Bool = false) -> String? {
        guard let decoded = decode(bytes, plusAsSpace: plusAsSpace) else { return nil }
        return String(validating: decoded, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
