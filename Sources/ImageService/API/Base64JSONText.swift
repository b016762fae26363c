/// Decodes base64 (RFC 4648 §4, the standard alphabet) written inside a JSON string, straight from the JSON text's
/// bytes into an array of the exact size: no `String`, no `Data`, no second copy.
///
/// JSON lets any character be escaped, so `\/` (a common spelling of `/`) and `\u0041` count as the characters they
/// stand for. Spaces and the escapes `\n`, `\r`, `\t` are skipped, as base64 wrapped at 76 columns needs. Padding
/// is optional but, when present, must end the text and make it a whole number of quads; anything else is refused.
enum Base64JSONText {
    /// The decoded bytes of the text between a JSON string's quotes, or nil if it is not base64.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        // First pass: check everything and count, so that the array is allocated once at its final size.
        var symbols = 0
        var padding = 0
        let valid = forEachCharacter(text) { value in
            if value == Self.pad {
                padding += 1
                return padding <= 2
            }
            guard padding == 0 else { return false }
            symbols += 1
            return true
        }
        guard valid else { return nil }
        let remainder = symbols % 4
        guard remainder != 1, padding == 0 || (symbols + padding) % 4 == 0 else { return nil }
        let count = symbols / 4 * 3 + max(0, remainder - 1)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            var quad: UInt32 = 0
            var inQuad = 0
            var written = 0
            _ = forEachCharacter(text) { value in
                guard value != Self.pad else { return true }
                quad = quad << 6 | UInt32(value)
                inQuad += 1
                if inQuad == 4 {
                    buffer[written] = UInt8(truncatingIfNeeded: quad >> 16)
                    buffer[written + 1] = UInt8(truncatingIfNeeded: quad >> 8)
                    buffer[written + 2] = UInt8(truncatingIfNeeded: quad)
                    written += 3
                    quad = 0
                    inQuad = 0
                }
                return true
            }
            // A final group of 2 or 3 characters holds 1 or 2 bytes in its high bits.
            if inQuad > 1 {
                quad <<= UInt32(6 * (4 - inQuad))
                buffer[written] = UInt8(truncatingIfNeeded: quad >> 16)
                written += 1
                if inQuad == 3 {
                    buffer[written] = UInt8(truncatingIfNeeded: quad >> 8)
                    written += 1
                }
            }
            initialized = written
        }
    }

    private static let pad: UInt8 = 64
    private static let skip: UInt8 = 0xFE
    private static let invalid: UInt8 = 0xFF

    /// The 6-bit value of each ASCII character, `pad` for `=`, `skip` for a space, `invalid` for the rest.
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 128)
        for (index, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(character)] = UInt8(index)
        }
        table[Int(UInt8(ascii: "="))] = pad
        table[Int(UInt8(ascii: " "))] = skip
        return table
    }()

    /// Calls `body` with the value of each base64 character (or `pad`) in the JSON string text, unescaping on the
    /// way; false as soon as a character is not base64 or `body` returns false.
    private static func forEachCharacter(_ text: UnsafeBufferPointer<UInt8>, _ body: (UInt8) -> Bool) -> Bool {
        var index = 0
        while index < text.count {
            var character = text[index]
            index += 1
            if character == UInt8(ascii: "\\") {
                guard index < text.count else { return false }
                let escape = text[index]
                index += 1
                switch escape {
                case UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    continue
                case UInt8(ascii: "/"):
                    character = escape
                case UInt8(ascii: "u"):
                    guard index + 4 <= text.count, let scalar = hexValue(text, index) else { return false }
                    index += 4
                    if scalar == 0x0A || scalar == 0x0D || scalar == 0x09 { continue }
                    guard scalar < 0x80 else { return false }
                    character = UInt8(scalar)
                default:
                    return false
                }
            }
            guard character < 0x80 else { return false }
            let value = values[Int(character)]
            if value == skip { continue }
            guard value != invalid, body(value) else { return false }
        }
        return true
    }

    /// The four hex digits at `index`, or nil.
    private static func hexValue(_ text: UnsafeBufferPointer<UInt8>, _ index: Int) -> UInt32? {
        var value: UInt32 = 0
        for offset in 0..<4 {
            let digit = text[index + offset]
            let nibble: UInt8
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = digit - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = digit - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = digit - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(nibble)
        }
        return value
    }
}
