/// What `HTTPRequestParser.next()` found in the bytes it has.
public enum HTTPParserEvent: Sendable, Equatable {
    /// Nothing complete yet: read more bytes and call `next()` again.
    case needMoreData
    /// A request head is complete. Reported exactly once per request, before its body, so the server can answer
    /// `100 Continue` or route early.
    case head(HTTPRequestHead)
    /// The request reported by the last `.head` is complete with its body.
    case request(HTTPRequest)
}
