import HTTPProtocol

/// A request's query, checked against the names a route accepts: an unknown name (a typo like `widht`) is a 400
/// rather than silently ignored, and so is a name given twice (`preview=256&preview=128` has no one meaning).
struct QueryParameters {
    private let items: [(name: String, value: String)]

    init(_ head: HTTPRequestHead, allowed: Set<String>) throws(APIError) {
        var seen = Set<String>()
        for item in head.query {
            guard allowed.contains(item.name) else {
                let names = allowed.sorted().joined(separator: ", ")
                throw .invalidParameter(
                    item.name, "unknown parameter \(item.name)" + (names.isEmpty ? "" : "; allowed: \(names)"))
            }
            guard seen.insert(item.name).inserted else {
                throw .invalidParameter(item.name, "parameter \(item.name) is given more than once")
            }
        }
        items = head.query
    }

    subscript(name: String) -> String? { items.first { $0.name == name }?.value }

    /// An integer parameter within `range`, or nil when absent.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard let text = self[name] else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalidParameter(name, "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }
}
