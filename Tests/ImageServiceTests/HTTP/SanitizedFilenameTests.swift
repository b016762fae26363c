import Testing

@testable import ImageService

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

    @Test func keepsOrdinaryAndNonASCIINames() {
        #expect(sanitizedFilename("Jürgen's photo (1).jpeg") == "Jürgen's photo (1).jpeg")
        #expect(sanitizedFilename("日本.png") == "日本.png")
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
