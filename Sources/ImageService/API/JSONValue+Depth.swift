extension JSONValue {
    /// How deeply arrays and objects nest in the JSON text `bytes`, counted without parsing: a scalar is 0, `{}` and
    /// `[1]` are 1, `{"a":[2]}` is 2. Brackets inside strings do not count. The scan stops as soon as the depth
    /// passes `limit` and returns `limit + 1`, so hostile input costs one pass and no recursion.
    ///
    /// This is a guard to run before a parser, not a validator: malformed text gets some number, and the parser
    /// that follows refuses it.
    static func nestingDepth(of bytes: some Sequence<UInt8>, limit: Int) -> Int {
        var depth = 0
        var deepest = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > deepest {
                    deepest = depth
                    if deepest > limit { return limit + 1 }
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default:
                break
            }
        }
        return deepest
    }

    /// Parses `text` as JSON if its arrays and objects nest at most `maxDepth` deep, or nil.
    init?(json text: String, maxDepth: Int) {
        guard Self.nestingDepth(of: text.utf8, limit: maxDepth) <= maxDepth else { return nil }
        self.init(json: text)
    }
}
