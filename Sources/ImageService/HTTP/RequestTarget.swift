/// A request-target split into its decoded path and query (RFC 9112 §3.2).
///
/// Accepts origin-form (`/a?b`), absolute-form (`http://host/a?b`, whose authority is dropped: `Host` names the
/// server) and asterisk-form (`*`, path `*`); the parser allows the last only for `OPTIONS`. The decoded path must
/// be UTF-8 without NUL and without `..` segments, so no handler can be walked out of its directory by
/// `/%2e%2e/`. Query fields are decoded with `+` as space; bad escapes anywhere are a 400.
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
        path = try Self.decodePath(pathAndQuery[..<questionMark])
        query =
            questionMark == pathAndQuery.endIndex ? [] : try Self.decodeQuery(pathAndQuery[(questionMark + 1)...])
    }

    /// The path-and-query of an origin-form or absolute-form target.
    private static func originForm(of target: [UInt8]) throws(HTTPParseError) -> ArraySlice<UInt8> {
        if target.first == UInt8(ascii: "/") { return target[...] }
        let lowered = target.map(asciiLowercased)
        for scheme in ["http://", "https://"] where lowered.starts(with: scheme.utf8) {
            let authorityEnd =
                target[scheme.utf8.count...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }
                ?? target.endIndex
            guard authorityEnd > scheme.utf8.count else { throw .badRequest("absolute target without authority") }
            if authorityEnd == target.endIndex { return ArraySlice("/".utf8) }
            if target[authorityEnd] == UInt8(ascii: "?") { return ArraySlice("/".utf8) + target[authorityEnd...] }
            return target[authorityEnd...]
        }
        throw .badRequest("request target is not a path")
    }

    private static func decodePath(_ raw: ArraySlice<UInt8>) throws(HTTPParseError) -> String {
        guard let decoded = PercentDecoding.decode(raw), !decoded.contains(0),
            let path = String(validating: decoded, as: UTF8.self)
        else { throw .badRequest("invalid percent-encoding in path") }
        guard !path.split(separator: "/").contains("..") else { throw .badRequest("dot-dot segment in path") }
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
