/// An entity-tag (RFC 9110 §8.8.3): an opaque validator, strong (`"x"`) or weak (`W/"x"`).
///
/// The opaque tag is kept without its quotes. Its characters are `etagc`: `!`, `#` to `~`, and obs-text (any
/// scalar above U+007F, as field values may carry them); a space, `"`, a control character or DEL never appear.
public struct EntityTag: Sendable, Hashable, CustomStringConvertible {
    /// The tag between the quotes.
    public var opaqueTag: String
    /// Whether it was sent as `W/"…"`.
    public var isWeak: Bool

    /// A tag of `opaqueTag` (without quotes), which must hold only `etagc` characters.
    public init(_ opaqueTag: String, weak: Bool = false) {
        precondition(opaqueTag.unicodeScalars.allSatisfy(Self.isTagCharacter), "not an entity-tag: \(opaqueTag)")
        self.opaqueTag = opaqueTag
        self.isWeak = weak
    }

    /// Parses one entity-tag, `"x"` or `W/"x"` (the `W` is case-sensitive), with nothing around it.
    public init?(parsing text: Substring) {
        var scalars = text.unicodeScalars
        guard let tag = Self.parse(&scalars), scalars.isEmpty else { return nil }
        self = tag
    }

    /// The field value: `"x"` or `W/"x"`.
    public var description: String { isWeak ? "W/\"\(opaqueTag)\"" : "\"\(opaqueTag)\"" }

    /// Weak comparison (RFC 9110 §8.8.3.2): the opaque tags are equal, whichever of the two is weak. This is the
    /// comparison `If-None-Match` uses.
    public func weaklyMatches(_ other: EntityTag) -> Bool {
        opaqueTag == other.opaqueTag
    }

    /// Reads an entity-tag at the start of `scalars` and removes it; nil (and `scalars` unspecified) if there is
    /// none.
    static func parse(_ scalars: inout Substring.UnicodeScalarView) -> EntityTag? {
        var weak = false
        if scalars.first == "W" {
            scalars.removeFirst()
            guard scalars.first == "/" else { return nil }
            scalars.removeFirst()
            weak = true
        }
        guard scalars.first == "\"" else { return nil }
        scalars.removeFirst()
        guard let close = scalars.firstIndex(of: "\"") else { return nil }
        let opaque = scalars[..<close]
        guard opaque.allSatisfy(isTagCharacter) else { return nil }
        scalars = scalars[scalars.index(after: close)...]
        return EntityTag(uncheckedOpaqueTag: String(Substring(opaque)), weak: weak)
    }

    private init(uncheckedOpaqueTag: String, weak: Bool) {
        self.opaqueTag = uncheckedOpaqueTag
        self.isWeak = weak
    }

    /// `etagc = %x21 / %x23-7E / obs-text`.
    static func isTagCharacter(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "!" || ("#"..."~").contains(scalar) || scalar.value >= 0x80
    }
}

/// The `If-None-Match` precondition (RFC 9110 §13.1.2): `*` or a list of entity-tags, compared weakly.
///
/// Evaluated, as §13.2.2 orders, only when the response without it would be a `2xx`: a match means `304 Not
/// Modified` for `GET` and `HEAD`. A field that is neither `*` nor a well-formed list is ignored as if absent
/// (§5.5 lets a recipient ignore an invalid field): the client then gets the full `200`, the answer that can never
/// leave a stale copy in its cache.
public enum IfNoneMatch: Sendable, Equatable {
    /// `*`: any current representation matches.
    case any
    /// The listed tags; a representation matches when one of them weakly matches its tag.
    case tags([EntityTag])

    /// The precondition of a request, from every `If-None-Match` line it has (lines of one field combine as a
    /// comma list, §5.3); nil when there is none or it is malformed.
    public init?(_ headers: HTTPHeaders) {
        let lines = headers.values(for: "If-None-Match")
        guard !lines.isEmpty else { return nil }
        self.init(fieldValue: lines.joined(separator: ", "))
    }

    /// Parses a field value: `*`, or `#entity-tag` — comma-separated, optional whitespace around each element,
    /// empty elements skipped (§5.6.1), at least one tag. Nil for anything else, `*` among tags included.
    public init?(fieldValue: String) {
        let trimmed = fieldValue.trimmingOWS()
        if trimmed == "*" {
            self = .any
            return
        }
        var scalars = trimmed.unicodeScalars
        var tags: [EntityTag] = []
        while true {
            Self.skipWhitespace(&scalars)
            guard let next = scalars.first else { break }
            if next == "," {
                scalars.removeFirst()
                continue
            }
            guard let tag = EntityTag.parse(&scalars) else { return nil }
            tags.append(tag)
            Self.skipWhitespace(&scalars)
            guard scalars.isEmpty || scalars.first == "," else { return nil }
        }
        guard !tags.isEmpty else { return nil }
        self = .tags(tags)
    }

    /// Whether a representation whose tag is `current` makes the condition false, i.e. the answer is `304`.
    public func matches(_ current: EntityTag) -> Bool {
        switch self {
        case .any: true
        case .tags(let tags): tags.contains { $0.weaklyMatches(current) }
        }
    }

    private static func skipWhitespace(_ scalars: inout Substring.UnicodeScalarView) {
        while let first = scalars.first, first == " " || first == "\t" { scalars.removeFirst() }
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (RFC 9110's OWS).
    fileprivate func trimmingOWS() -> Substring {
        let isOWS: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isOWS($0) }), let end = lastIndex(where: { !isOWS($0) }) else {
            return ""
        }
        return self[start...end]
    }
}
