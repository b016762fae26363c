import Foundation
import Testing

@testable import ImageService

@Suite struct Base64JSONTextTests {
    private static func decode(_ text: String) -> [UInt8]? {
        Array(text.utf8).withUnsafeBufferPointer { Base64JSONText.decode($0) }
    }

    @Test func decodesEveryLengthAsFoundationDoes() {
        var generator = SystemRandomNumberGenerator()
        for count in 0..<70 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Data(bytes).base64EncodedString()
            #expect(Self.decode(text) == bytes, "\(count)")
            // Unpadded, as base64url writers and some others leave it.
            #expect(Self.decode(text.replacingOccurrences(of: "=", with: "")) == bytes, "\(count)")
        }
    }

    @Test func honoursJSONEscapesForTheCharactersTheyStandFor() {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0x00, 0x10]
        let text = Data(bytes).base64EncodedString()  // "+/+/ABA="
        #expect(text.contains("/"))
        #expect(Self.decode(text.replacingOccurrences(of: "/", with: #"\/"#)) == bytes)
        #expect(Self.decode(text.replacingOccurrences(of: "+", with: #"\u002B"#)) == bytes)
        #expect(Self.decode(text.replacingOccurrences(of: "=", with: #"\u003d"#)) == bytes)
    }

    @Test func skipsSpacesAndEscapedLineBreaks() {
        let bytes = Array("hello, base64 world".utf8)
        let text = Data(bytes).base64EncodedString()
        let wrapped = text.prefix(8) + #"\r\n"# + text.dropFirst(8).prefix(8) + #"\n \t"# + text.dropFirst(16)
        #expect(Self.decode(String(wrapped)) == bytes)
        #expect(Self.decode(" " + text + #"\u000A"#) == bytes)
    }

    @Test(arguments: [
        "A", "AAAAA", "AB=C", "AB===", "ABC=D", "A===", "AB!C", "AB-_", #"AB\"C"#, #"AB\\C"#, #"AB\bC"#, #"AB\u00e9C"#,
        #"AB\u00"#, #"AB\uZZZZ"#, #"AB\"#, "ABé=", "AB\u{0}C",
    ])
    func refusesWhatIsNotBase64(text: String) {
        #expect(Self.decode(text) == nil)
    }
}
