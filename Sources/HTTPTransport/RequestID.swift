/// The id that ties a request's log lines together: the client's `X-Request-Id` when it is a sane token (so ids
/// from a proxy carry through), otherwise a fresh random one. Sent back in `X-Request-Id`.
public enum RequestID {
    /// The id of the request the current task serves, for log lines written deeper down.
    @TaskLocal public static var current: String?

    static func accept(_ header: String?) -> String {
        if let header, (1...128).contains(header.utf8.count),
            header.utf8.allSatisfy({ isTokenByte($0) })
        {
            return header
        }
        return String(UInt64.random(in: .min ... .max), radix: 16)
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."):
            true
        default:
            false
        }
    }
}
