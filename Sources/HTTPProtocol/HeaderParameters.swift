/// The `;name=value` parameter list of `Content-Type` and `Content-Disposition` (RFC 9110 §5.6.6), with values
/// as tokens or quoted strings.
public enum HeaderParameters {
    /// Parameters in order, names lower-cased. Lenient: a parameter without `=` is skipped, and an unterminated
    /// quoted string runs to the end.
    ///
    /// In a quoted string a backslash escapes only `"` and `\`; any other backslash is kept. Strict RFC rules would
    /// turn the `C:\dir\a.jpg` filenames some browsers send into `C:dira.jpg`.
    public static func parse(_ text: Substring) -> [(name: String, value: String)] {
        let bytes = Array(text.utf8)
        var parameters: [(name: String, value: String)] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x20 || byte == 0x09 || byte == UInt8(ascii: ";") {
                index += 1
                continue
            }
            let nameStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") {
                index += 1
            }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self).trimmingASCIIWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
            let value: String
            if index < bytes.count, bytes[index] == UInt8(ascii: "\"") {
                value = quotedString(bytes, from: &index)
            } else {
                let valueStart = index
                while index < bytes.count, bytes[index] != UInt8(ascii: ";") { index += 1 }
                value = String(decoding: bytes[valueStart..<index], as: UTF8.self).trimmingASCIIWhitespace()
            }
            if !name.isEmpty {
                parameters.append((name: name.lowercased(), value: value))
            }
        }
        return parameters
    }

    /// Reads the quoted string opening at `index`, leaving `index` after its closing quote.
    private static func quotedString(_ bytes: [UInt8], from index: inout Int) -> String {
        var value: [UInt8] = []
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                break
            }
            if byte == UInt8(ascii: "\\"), index + 1 < bytes.count,
                bytes[index + 1] == UInt8(ascii: "\"") || bytes[index + 1] == UInt8(ascii: "\\")
            {
                value.append(bytes[index + 1])
                index += 2
                continue
            }
            value.append(byte)
            index += 1
        }
        return String(decoding: value, as: UTF8.self)
    }
}

extension HeaderParameters {
    /// The file name among `Content-Disposition` parameters: `filename*` (RFC 8187, UTF-8) before `filename`.
    public static func filename(in parameters: [(name: String, value: String)]) -> String? {
        parameters.first { $0.name == "filename*" }.flatMap { extendedValue($0.value) }
            ?? parameters.first { $0.name == "filename" }?.value
    }

    /// An RFC 8187 `UTF-8'language'percent-encoded` value; nil for other charsets or bad encoding.
    static func extendedValue(_ value: String) -> String? {
        let pieces = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count == 3, pieces[0].lowercased() == "utf-8" else { return nil }
        return PercentDecoding.decodeString(pieces[2].utf8)
    }
}
