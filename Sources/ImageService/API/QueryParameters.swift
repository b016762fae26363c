/// A request's query, checked against the names a route accepts: an unknown name (a typo like `widht`) is a 400
/// rather than silently ignored.
struct QueryParameters {
    private let items: [(name: String, value: String)]

    init(_ head: HTTPRequestHead, allowed: Set<String>) throws(APIError) {
        for item in head.query where !allowed.contains(item.name) {
            let names = allowed.sorted().joined(separator: ", ")
            throw .invalidParameter(
                item.name, "unknown parameter \(item.name)" + (names.isEmpty ? "" : "; allowed: \(names)"))
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
