import Foundation

/// Builds `Content-Disposition` values (RFC 6266): an ASCII `filename` for every client and, when the name is not
/// plain ASCII, a UTF-8 `filename*` that modern clients prefer.
enum ContentDisposition {
    static func attachment(filename: String) -> String {
        let ascii = String(filename.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        guard ascii != filename else { return "attachment; filename=\"\(ascii)\"" }
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: .rfc5987AttributeCharacters) ?? ascii
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}

extension CharacterSet {
    /// `attr-char` of RFC 5987: what may stand unescaped in an extended header parameter.
    fileprivate static let rfc5987AttributeCharacters = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$&+-.^_`|~")
}
