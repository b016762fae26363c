/// A response body read in parts as the socket takes them, for bodies too large to hold once per client (a 40 MiB
/// original sent to ten slow readers would otherwise be ten copies).
///
/// The server asks for the next part only when what it has written so far has drained below its high-water mark,
/// so a client that stops reading holds at most one part. A `read` that throws, or returns fewer bytes than asked
/// before `count` is reached, aborts the connection: the head has promised `count` bytes.
public protocol HTTPBodySource: Sendable {
    /// The body's length in bytes, sent as `Content-Length`.
    var count: Int { get }

    /// Up to `maxCount` bytes starting at `offset` (`offset < count`).
    func read(offset: Int, maxCount: Int) async throws -> [UInt8]
}
