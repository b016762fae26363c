/// A parsed `Content-Type` value (RFC 9110 §8.3.1): lower-cased type and subtype, and parameters whose names are
/// lower-cased and whose values keep their case (a multipart boundary is case-sensitive).
public struct MediaType: Sendable, Equatable {
    public var type: String
    public var subtype: String
    public var parameters: [String: String]

    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters
    }

    /// Parses `type/subtype; name=value; name="quoted value"`; nil when the type or subtype is missing or not a
    /// token. The first occurrence of a repeated parameter wins.
    public init?(parsing text: String) {
        let head = text.prefix { $0 != ";" }
        let parts = head.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let type = parts[0].trimmingASCIIWhitespace()
        let subtype = parts[1].trimmingASCIIWhitespace()
        guard HTTPSyntax.isToken(type.utf8), HTTPSyntax.isToken(subtype.utf8) else { return nil }
        var parameters: [String: String] = [:]
        for (name, value) in HeaderParameters.parse(text[head.endIndex...]) where parameters[name] == nil {
            parameters[name] = value
        }
        self.init(type: type, subtype: subtype, parameters: parameters)
    }

    /// `type/subtype` without parameters.
    public var essence: String { "\(type)/\(subtype)" }

    /// `application/json` or any `+json` structured syntax (`application/problem+json`).
    public var isJSON: Bool { type == "application" && (subtype == "json" || subtype.hasSuffix("+json")) }

    /// The value of parameter `name` (case-insensitive), or nil.
    public func parameter(_ name: String) -> String? {
        parameters[name.lowercased()]
    }
}
