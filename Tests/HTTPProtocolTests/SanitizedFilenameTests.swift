import Testing

@testable import HTTPProtocol

@Suite struct SanitizedFilenameTests {
    @Test func stripsUnixPaths() {
        #expect(sanitizedFilename("../../etc/passwd") == "passwd")
        #expect(sanitizedFilename("/abs/photo.jpg") == "photo.jpg")
    }

    @Test func stripsWindowsPaths() {
        #expect(sanitizedFilename(#"C:\x\y.jpg"#) == "y.jpg")
        #expect(sanitizedFilename(#"..\..\boot.ini"#) == "boot.ini")
    }

    @Test func removesControlCharactersQuotesAndBidiOverrides() {
        #expect(sanitizedFilename("a\u{0}b\r\nc\u{7F}\u{85}.jpg") == "abc.jpg")
        #expect(sanitizedFilename(#"say "hi".jpg"#) == "say hi.jpg")
        #expect(sanitizedFilename("photo\u{202E}gpj.exe") == "photogpj.exe")
    }

    // Issue 12 finding 9: these survived, so two names that read the same were different and an extension could be
    // hidden or spoofed.

    @Test func removesZeroWidthCharactersAndTheByteOrderMark() {
        #expect(sanitizedFilename("photo\u{200B}.jpg") == "photo.jpg")  // ZERO WIDTH SPACE
        #expect(sanitizedFilename("\u{FEFF}photo.jpg") == "photo.jpg")  // BYTE ORDER MARK
        #expect(sanitizedFilename("pho\u{200C}to\u{200D}.jpg\u{2060}") == "photo.jpg")  // ZWNJ, ZWJ, WORD JOINER
        #expect(sanitizedFilename("in\u{AD}visible.jpg") == "invisible.jpg")  // SOFT HYPHEN
        #expect(sanitizedFilename("tag\u{E0041}\u{E007F}.jpg") == "tag.jpg")  // tag characters
    }

    @Test func removesLineAndParagraphSeparators() {
        #expect(sanitizedFilename("a\u{2028}b\u{2029}c.jpg") == "abc.jpg")
    }

    @Test func removesEveryBidirectionalControl() {
        // LRE RLE PDF LRO RLO, LRI RLI FSI PDI, LRM RLM ALM: each could make `gpj.exe` read as `exe.jpg`.
        let controls: [Unicode.Scalar] = [
            "\u{202A}", "\u{202B}", "\u{202C}", "\u{202D}", "\u{202E}", "\u{2066}", "\u{2067}", "\u{2068}",
            "\u{2069}", "\u{200E}", "\u{200F}", "\u{061C}",
        ]
        for control in controls {
            #expect(sanitizedFilename("photo\(Character(control))gpj.exe") == "photogpj.exe", "\(control.value)")
        }
    }

    @Test func writesOtherSpacesAsPlainSpacesAndTrimsThem() {
        #expect(sanitizedFilename("a\u{00A0}b\u{3000}c\u{2003}d.jpg") == "a b c d.jpg")
        #expect(sanitizedFilename("\u{3000}\u{00A0}a.jpg\u{2009}") == "a.jpg")
        #expect(sanitizedFilename("\u{200B}\u{FEFF}\u{3000}") == nil)
    }

    @Test func keepsOrdinaryAndNonASCIINames() {
        #expect(sanitizedFilename("Jürgen's photo (1).jpeg") == "Jürgen's photo (1).jpeg")
        #expect(sanitizedFilename("日本.png") == "日本.png")
        #expect(sanitizedFilename("漢字 é ñ ß مرحبا שלום.jpg") == "漢字 é ñ ß مرحبا שלום.jpg")
        #expect(sanitizedFilename("e\u{301}.jpg") == "e\u{301}.jpg")  // a combining accent is a mark, not a format
        #expect(sanitizedFilename("🐱.png") == "🐱.png")
    }

    @Test func trimsSurroundingWhitespace() {
        #expect(sanitizedFilename("  a.jpg \t") == "a.jpg")
    }

    @Test func returnsNilWhenNothingUsableIsLeft() {
        for raw in ["", "   ", "/", "dir/", #"C:\"#, "..", ".", "a/..", "\u{1}\u{2}", "\"\""] {
            #expect(sanitizedFilename(raw) == nil, "\(raw.debugDescription)")
        }
    }

    @Test func limitsToTwoHundredFiftyFiveUTF8BytesOnACharacterBoundary() throws {
        #expect(sanitizedFilename(String(repeating: "a", count: 300)) == String(repeating: "a", count: 255))
        // "é" is two bytes: 127 fit in 254 bytes, a 128th would make 256.
        let accented = try #require(sanitizedFilename(String(repeating: "é", count: 200)))
        #expect(accented == String(repeating: "é", count: 127))
        #expect(accented.utf8.count == 254)
    }
}
