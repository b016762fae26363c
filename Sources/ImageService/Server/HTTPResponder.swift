/// Turns a complete request into a response. The server calls it off the event loop, one request at a time per
/// connection, and never lets it see a parse error: those are answered by the server itself.
public protocol HTTPResponder: Sendable {
    func respond(to request: HTTPRequest) async -> HTTPResponse
}
