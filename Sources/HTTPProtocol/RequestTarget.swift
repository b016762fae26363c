/// A request-target reduced to its one canonical path and its decoded query (RFC 9112 §3.2, RFC 3986).
///
/// The canonical path is what the access policy, the router, the logs and the metrics all see, so that no two of
/// them can read one request two ways (`//api/images` was once a public path to the router's eyes and a protected
/// one to nobody's). It is computed once, here:
/// - origin-form (`/a?b`) as it is; absolute-form (`http://host/a?b`) reduced to its path and query, its authority
///   checked like a `Host` value (``HostSyntax``); asterisk-form (`*`, path `*`), which the parser allows only for
///   `OPTIONS`.
/// - refused with 400: an empty segment (`//`, a trailing `/`), a `.` or `..` segment (also encoded, `%2e%2e`), an
///   encoded `/` or `\` (`%2F`, `%5C`) or a raw `\`, an encoded control character (`%00`–`%1F`, `%7F`), bad escapes,
///   and bytes that are not UTF-8 once decoded.
/// - everything else is percent-decoded exactly once: `%2541` is the three characters `%41`.
///
/// Query fields are decoded with `+` as space; bad escapes there are a 400 too.
struct RequestTarget {
    var path: String
    var query: [(name: String, value: String)]

    init(parsing target: some Collection<UInt8>) throws(HTTPParseError) {
        let target = Array(target)
        guard !target.isEmpty, target.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), !target.contains(UInt8(ascii: "#"))
        else { throw .badRequest("invalid request target") }
        if target == [UInt8(ascii: "*")] {
            path = "*"
            query = []
            return
        }
        let pathAndQuery = try Self.originForm(of: target)
        let questionMark = pathAndQuery.firstIndex(of: UInt8(ascii: "?")) ?? pathAndQuery.endIndex
        path = try Self.canonicalPath(pathAndQuery[..<questionMark])
        query =
            questionMark == pathAndQuery.endIndex ? [] : try Self.decodeQuery(pathAndQuery[(questionMark + 1)...])
    }

    /// The path-and-query of an origin-form or absolute-form target.
    private static func originForm(of target: [UInt8]) throws(HTTPParseError) -> ArraySlice<UInt8> {
        if target.first == UInt8(ascii: "/") { return target[...] }
        let lowered = target.map(asciiLowercased)
        for scheme in ["http://", "https://"] where lowered.starts(with: scheme.utf8) {
            let authorityStart = scheme.utf8.count
            let authorityEnd =
                target[authorityStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }
                ?? target.endIndex
            let authority = target[authorityStart..<authorityEnd]
            guard !authority.isEmpty, HostSyntax.isValid(authority) else {
                throw .badRequest("invalid authority in absolute-form target")
            }
            if authorityEnd == target.endIndex { return ArraySlice("/".utf8) }
            if target[authorityEnd] == UInt8(ascii: "?") { return ArraySlice("/".utf8) + target[authorityEnd...] }
            return target[authorityEnd...]
        }
        throw .badRequest("request target is not a path")
    }

    /// The decoded path, or a 400 for any spelling that could be read as another path (see the type's summary).
    private static func canonicalPath(_ raw: ArraySlice<UInt8>) throws(HTTPParseError) -> String {
        guard !raw.contains(UInt8(ascii: "\\")) else { throw .badRequest("backslash in path") }
        guard let decoded = PercentDecoding.decode(raw) else { throw .badRequest("invalid percent-encoding in path") }
        // Decoding only ever shortens, and a raw `/` or `\` is kept, so a decoded `/`, `\` or control byte that the
        // raw bytes did not hold came from an escape.
        let rawSlashes = raw.lazy.filter { $0 == UInt8(ascii: "/") }.count
        guard decoded.lazy.filter({ $0 == UInt8(ascii: "/") }).count == rawSlashes,
            !decoded.contains(UInt8(ascii: "\\"))
        else { throw .badRequest("encoded slash or backslash in path") }
        guard !decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
            throw .badRequest("encoded control character in path")
        }
        guard let path = String(validating: decoded, as: UTF8.self) else {
            throw .badRequest("invalid percent-encoding in path")
        }
        if path.utf8.elementsEqual("/".utf8) { return path }
        for segment in path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst() {
            if segment.isEmpty { throw .badRequest("empty segment in path") }
            if segment.elementsEqual(".".utf8) || segment.elementsEqual("..".utf8) {
                throw .badRequest("dot segment in path")
            }
        }
        return path
    }

    private static func decodeQuery(_ raw: ArraySlice<UInt8>) throws(HTTPParseError) -> [(name: String, value: String)]
    {
        var fields: [(name: String, value: String)] = []
        for field in raw.split(separator: UInt8(ascii: "&")) {
            let equals = field.firstIndex(of: UInt8(ascii: "=")) ?? field.endIndex
            let valueBytes = equals == field.endIndex ? field[equals...] : field[(equals + 1)...]
            guard let name = PercentDecoding.decodeString(field[..<equals], plusAsSpace: true),
                let value = PercentDecoding.decodeString(valueBytes, plusAsSpace: true)
            else { throw .badRequest("invalid percent-encoding in query") }
            fields.append((name: name, value: value))
        }
        return fields
    }
}
