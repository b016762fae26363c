/// The syntax of `uri-host [ ":" port ]` (RFC 9110 §7.2, RFC 3986 §3.2.2), shared by the `Host` field and the
/// authority of an absolute-form target, so that both are held to one rule.
///
/// A reg-name, an IPv4 address or a bracketed IP literal, then an optional port of at most five digits. No
/// userinfo (`user@host` is a 400: it has no place in HTTP and hides the real host from a careless reader).
enum HostSyntax {
    static func isValid(_ value: some Collection<UInt8>) -> Bool {
        let bytes = Array(value)
        var hostEnd = bytes.endIndex
        if bytes.first == UInt8(ascii: "[") {
            guard let close = bytes.firstIndex(of: UInt8(ascii: "]")), close > 1,
                bytes[1..<close].allSatisfy(isIPLiteralByte)
            else { return false }
            hostEnd = close + 1
        } else {
            hostEnd = bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex
            guard bytes[..<hostEnd].allSatisfy(isRegNameByte),
                PercentDecoding.decode(bytes[..<hostEnd]) != nil
            else { return false }
        }
        let rest = bytes[hostEnd...]
        guard let colon = rest.first else { return true }
        let port = rest.dropFirst()
        return colon == UInt8(ascii: ":") && port.count <= 5 && port.allSatisfy(isDigit)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }

    /// unreserved, sub-delims and `%` (escapes are checked separately).
    private static func isRegNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), 0x30...0x39: true
        default: Array("-._~!$&'()*+,;=%".utf8).contains(byte)
        }
    }

    /// IPv6 and IPvFuture literals: hex digits, `:`, `.`, and the `v`/unreserved bytes IPvFuture allows.
    private static func isIPLiteralByte(_ byte: UInt8) -> Bool {
        isRegNameByte(byte) && byte != UInt8(ascii: "%") || byte == UInt8(ascii: ":")
    }
}
