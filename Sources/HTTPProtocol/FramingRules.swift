/// The message-framing rules of RFC 9112 §6 shared by the parser (which enforces them) and `HTTPRequestHead`
/// (which reads `Connection` with them).
enum FramingRules {
    /// Splits comma-separated list fields (`Connection`, `Transfer-Encoding`) into trimmed, non-empty elements.
    static func listElements(_ values: [String]) -> [String] {
        values.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false) }
            .map { $0.trimmingASCIIWhitespace() }
            .filter { !$0.isEmpty }
    }

    /// The single length all `Content-Length` values agree on. Each value may itself be a list of identical
    /// lengths (`5, 5`, RFC 9110 §8.6); anything but plain digits, or two different lengths, is a 400.
    static func contentLength(_ values: [String]) throws(HTTPParseError) -> Int {
        var result: Int?
        for value in values {
            for element in value.split(separator: ",", omittingEmptySubsequences: false) {
                let length = try decimalLength(element.trimmingASCIIWhitespace())
                if let result, result != length {
                    throw .badRequest("conflicting Content-Length values")
                }
                result = length
            }
        }
        guard let result else { throw .badRequest("empty Content-Length") }
        return result
    }

    private static func decimalLength(_ text: String) throws(HTTPParseError) -> Int {
        guard !text.isEmpty else { throw .badRequest("empty Content-Length") }
        var length = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else {
                throw .badRequest("Content-Length is not a decimal number")
            }
            let (times10, overflow1) = length.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw .badRequest("Content-Length overflows") }
            length = sum
        }
        return length
    }
}
