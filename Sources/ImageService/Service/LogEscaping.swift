/// Escapes for log lines, so that nothing a client sends (a path, a header, a file name) can end a line or start a
/// forged one.
///
/// Line breaks are not only CR and LF: log viewers and JavaScript also break on NEL (U+0085), LINE SEPARATOR
/// (U+2028) and PARAGRAPH SEPARATOR (U+2029), and terminals act on other controls (ESC starts colour and cursor
/// sequences). All of them are written as escapes.
enum LogEscaping {
    /// `text` with `\` doubled, CR, LF and tab as `\r`, `\n`, `\t`, and every other C0 or C1 control, DEL, U+2028
    /// and U+2029 as `\u{…}` (hex), so that a value is always one line and can be read back without ambiguity.
    static func escaped(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0) || $0 == "\\" }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\r": result += "\\r"
            case "\n": result += "\\n"
            case "\t": result += "\\t"
            case _ where needsEscape(scalar): result += "\\u{\(String(scalar.value, radix: 16))}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A JSON text with the characters JSON allows raw in strings but that break lines or terminals (DEL, C1
    /// controls, U+2028, U+2029) written as `\uXXXX`. Outside strings, JSON text is ASCII, so every such
    /// character is inside a string, where the escape means the same character.
    static func escapedJSON(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: { needsEscape($0) }) else { return json }
        var result = ""
        result.reserveCapacity(json.utf8.count + 12)
        for scalar in json.unicodeScalars {
            if needsEscape(scalar) {
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// C0 controls, DEL, C1 controls, U+2028 and U+2029.
    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
    }
}
