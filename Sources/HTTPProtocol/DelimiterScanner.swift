/// Finds the boundary delimiters of a multipart body (RFC 2046 §5.1.1): `CRLF--boundary` followed either by `--`
/// (the close delimiter) or by optional transport padding (spaces, tabs) and CRLF.
struct DelimiterScanner {
    /// A delimiter: where it starts, where what follows it starts, and whether it closes the body.
    struct Match {
        var start: Int
        var end: Int
        var isClose: Bool
    }

    let body: [UInt8]
    /// `CRLF--boundary`.
    let delimiter: [UInt8]

    /// The first real delimiter at or after `from`, skipping look-alikes that continue with other bytes.
    func next(from: Int) -> Match? {
        var searchFrom = from
        while let start = ByteSearch.firstIndex(of: delimiter, in: body, from: searchFrom) {
            if let match = match(at: start, length: delimiter.count) { return match }
            searchFrom = start + 1
        }
        return nil
    }

    /// The delimiter whose boundary text occupies `start..<start + length`, if what follows makes it one.
    func match(at start: Int, length: Int) -> Match? {
        var index = start + length
        if index + 1 < body.count, body[index] == UInt8(ascii: "-"), body[index + 1] == UInt8(ascii: "-") {
            return Match(start: start, end: index + 2, isClose: true)
        }
        while index < body.count, body[index] == 0x20 || body[index] == 0x09 { index += 1 }
        guard index + 1 < body.count, body[index] == 0x0D, body[index + 1] == 0x0A else { return nil }
        return Match(start: start, end: index + 2, isClose: false)
    }
}
