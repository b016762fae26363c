import HTTPProtocol

/// Turns a complete request into a response. The server calls `respond` off the event loop, one request at a time
/// per connection, and never lets it see a parse error: those are answered by the server itself.
public protocol HTTPResponder: Sendable {
    /// Decides, from the head alone, whether the request may go on: nil to admit it, or the answer that refuses it.
    /// Called on the event loop as soon as the header section is complete, before `100 Continue` and before any of
    /// the body (at most `bodyBound` bytes) is read or reserved, so it must be quick and must not block. A refused
    /// request with a body is answered and its connection closed, its body never read.
    func admit(_ head: HTTPRequestHead, bodyBound: Int) -> HTTPResponse?

    func respond(to request: HTTPRequest) async -> HTTPResponse
}

extension HTTPResponder {
    public func admit(_ head: HTTPRequestHead, bodyBound: Int) -> HTTPResponse? { nil }
}
