/// A request-target split into its decoded path and query (RFC 9112 §3.2).
struct RequestTarget {
    var path: String
    var query: [(name: String, value: String)]

    init(parsing target: [UInt8]) throws(HTTPParseError) {
        fatalError("not implemented yet")
    }
}
